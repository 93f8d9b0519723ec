"""The spec the mock runs on, at a URL: `/__mock/openapi.yaml` and `/__mock/openapi.json`.

Type generators, Swagger UI and Postman or Insomnia imports want a URL, not a
file in a repository. Both answers come from the one document the app loaded
(the shipped `sonarly_openapi` spec unless started on another): the YAML as
its file reads, the JSON from the same parse. There is no second copy to drift.
"""

from __future__ import annotations

from flask import Blueprint, Response

from ..context import mock_context

bp = Blueprint("openapi", __name__)

# Readable without the control token: the document is public, and generators and Swagger UI send none.
PATHS = ("/openapi.yaml", "/openapi.json")


@bp.get(PATHS[0])
def openapi_yaml() -> Response:
    return Response(mock_context().spec.yaml_text, content_type="application/yaml; charset=utf-8")


@bp.get(PATHS[1])
def openapi_json() -> Response:
    return Response(mock_context().spec.json_text, content_type="application/json")
