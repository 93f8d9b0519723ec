"""The discard endpoint's OpenAPI document, the single source of truth for the
mock server and the contract suite alike."""

from importlib.resources import files

SPEC_PATH = files(__name__) / "discard.openapi.yaml"
