"""A stateful mock of the Sonarly discard endpoint, driven by its OpenAPI spec."""

from .app import create_app

__all__ = ["create_app"]
