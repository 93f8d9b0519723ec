"""IDs must match their whole pattern: `acme-retail\\n` is not `acme-retail`.

Python's `$` also matches before a final newline; the spec's patterns are
ECMA-262's, where it does not. Every place an ID comes in is checked: the
discard path, provider states, the control API and data files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from discard_contract.schemas import ecma_pattern
from mock_server import create_app
from mock_server.seed import DataFileError

from ..support.helpers import (
    ACME,
    ACME_CAMPAIGN,
    DOCS_INSTANCE,
    PENDING_STATE,
    assert_error_envelope,
    bearer,
    discard_path,
)
from ..support.served import instance_doc, write_data_file


def test_a_final_dollar_ends_the_input() -> None:
    import re

    assert re.search(ecma_pattern("^[a-z-]+$"), "acme-retail")
    assert not re.search(ecma_pattern("^[a-z-]+$"), "acme-retail\n")
    assert ecma_pattern(r"^a\$") == r"^a\$", "an escaped dollar is a dollar"


@pytest.mark.parametrize(
    "path",
    [
        discard_path(account_group_id=ACME + "%0A"),
        discard_path(campaign_id=ACME_CAMPAIGN + "%0A"),
        discard_path(workflow_instance_id=DOCS_INSTANCE + "%0A"),
    ],
)
def test_a_trailing_newline_in_the_path_is_400(client: FlaskClient, path: str) -> None:
    response = client.post(path, headers=bearer())
    assert response.status_code == 400, response.get_json()
    assert_error_envelope(response.get_json(), 400)


def test_provider_states_refuse_it(client: FlaskClient) -> None:
    response = client.post(
        "/__mock/provider-states", json={"state": PENDING_STATE, "params": {"accountGroupId": ACME + "\n"}}
    )
    assert response.status_code == 400, response.get_json()


@pytest.mark.parametrize("field", ["accountGroupId", "campaignId", "workflowInstanceId"])
def test_the_control_api_refuses_it(client: FlaskClient, field: str) -> None:
    doc = {"accountGroupId": ACME, "campaignId": ACME_CAMPAIGN, "workflowInstanceId": "a" * 24}
    doc[field] = str(doc[field]) + "\n"
    response = client.post("/__mock/instances", json=doc)
    assert response.status_code == 400, response.get_json()


def test_a_data_file_refuses_it(tmp_path: Path) -> None:
    doc = instance_doc(1)
    doc["accountGroupId"] = ACME + "\n"
    path = write_data_file(tmp_path / "data.json", [doc])
    with pytest.raises(DataFileError, match=r"instances/0: 'acme-retail\\n' does not match"):
        create_app({"DATA_FILE": str(path)})
    assert json.loads(path.read_text())["instances"][0]["accountGroupId"].endswith("\n")
