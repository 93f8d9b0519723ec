"""The mock serves the spec it runs on: `/__mock/openapi.yaml` and `/__mock/openapi.json`."""

from __future__ import annotations

import json
from pathlib import Path

import requests
import yaml
from flask.testing import FlaskClient

from discard_contract.spec import SPEC_PATH, Spec
from mock_server import create_app

from ..support.served import MockProcess


def test_the_yaml_is_the_shipped_file_as_written(client: FlaskClient) -> None:
    """The file itself (comments, quoting and order kept), not a re-dump that a parser might read otherwise."""
    answer = client.get("/__mock/openapi.yaml")
    assert answer.status_code == 200
    assert answer.mimetype == "application/yaml" and answer.mimetype_params.get("charset") == "utf-8"
    assert answer.get_data(as_text=True) == Path(str(SPEC_PATH)).read_text(encoding="utf-8")


def test_the_json_is_the_same_document(client: FlaskClient) -> None:
    as_json = client.get("/__mock/openapi.json")
    as_yaml = client.get("/__mock/openapi.yaml")
    assert as_json.status_code == 200 and as_json.mimetype == "application/json"
    assert json.loads(as_json.get_data(as_text=True)) == yaml.safe_load(as_yaml.get_data(as_text=True))
    assert as_json.get_json()["paths"], "an empty document would also be equal to itself"


def test_the_served_yaml_is_the_packaged_file_itself() -> None:
    """Served from the document the app runs on, as read (comments and quoting kept), never from a second copy."""
    client = create_app().test_client()
    assert client.get("/__mock/openapi.yaml").get_data(as_text=True) == Path(str(SPEC_PATH)).read_text(encoding="utf-8")
    assert client.get("/__mock/openapi.json").get_json() == Spec.shipped().document


def test_without_the_control_api_the_spec_is_not_served() -> None:
    client = create_app({"CONTROL_API": False}).test_client()
    assert client.get("/__mock/openapi.json").status_code == 404


def test_a_browser_on_another_origin_may_read_it(served_mock: MockProcess) -> None:
    """Swagger UI or a frontend dev server fetch the URL cross-origin."""
    answer = requests.get(
        served_mock.base_url + "/__mock/openapi.json", headers={"Origin": "http://localhost:5173"}, timeout=10
    )
    assert answer.status_code == 200
    assert answer.headers.get("Access-Control-Allow-Origin") in ("*", "http://localhost:5173")
    assert answer.json() == yaml.safe_load(Path(str(SPEC_PATH)).read_text(encoding="utf-8"))


def test_a_control_token_does_not_hide_the_spec_but_still_guards_the_rest() -> None:
    client = create_app({"CONTROL_TOKEN": "s3cret-control"}).test_client()
    assert client.get("/__mock/openapi.json").status_code == 200
    assert client.get("/__mock/openapi.yaml").status_code == 200
    assert client.post("/__mock/openapi.json").status_code in (401, 405)
    assert client.get("/__mock/instances").status_code == 401
    assert client.get("/__mock/openapi.txt").status_code == 401
