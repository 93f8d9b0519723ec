"""The data file (mock_server/seed.py): the shipped data, and clear DataFileErrors for bad files.

`discard-mock serve --data FILE` turns a DataFileError into exit code 2 with its
message, so the message must say which file and what is wrong in it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from discard_contract.spec import Spec
from mock_server import create_app
from mock_server.seed import DataFileError, load_seed

from ..support.helpers import ACME, DOCS_INSTANCE, EXECUTE_KEY, GLOBEX, OTHER_GROUP_KEY, READONLY_KEY
from ..support.helpers import CUSTOM_INSTANCE as INSTANCE
from ..support.helpers import CUSTOM_KEY as KEY


def write(tmp_path: Path, doc: Any, name: str = "data.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def load_error(spec: Spec, path: Path) -> str:
    with pytest.raises(DataFileError) as error:
        load_seed(path, spec)
    message = str(error.value)
    assert str(path) in message, "the message must name the file"
    return message


def test_the_shipped_data_has_the_documented_keys(spec: Spec) -> None:
    seed = load_seed(None, spec)
    keys = {key.key: key for key in seed.api_keys}
    assert set(keys) == {EXECUTE_KEY, READONLY_KEY, OTHER_GROUP_KEY}
    assert "campaigns:execute" in keys[EXECUTE_KEY].permissions
    assert keys[EXECUTE_KEY].account_groups == {ACME, GLOBEX}
    assert "campaigns:execute" not in keys[READONLY_KEY].permissions
    assert keys[READONLY_KEY].account_groups == {ACME, GLOBEX}
    assert "campaigns:execute" in keys[OTHER_GROUP_KEY].permissions
    assert keys[OTHER_GROUP_KEY].account_groups == {GLOBEX}


def test_the_shipped_data_has_the_docs_example_instance_pending(spec: Spec) -> None:
    """CONTRACT: the docs' examples work against the mock as written."""
    seed = load_seed(None, spec)
    docs_instance = next(i for i in seed.instances if i.workflow_instance_id == DOCS_INSTANCE)
    assert docs_instance.has_pending_approval is True
    assert docs_instance.account_group_id == ACME


def test_the_shipped_data_covers_every_workflow_status(spec: Spec) -> None:
    seed = load_seed(None, spec)
    assert {i.workflow_status for i in seed.instances} == set(spec.workflow_statuses)


def test_account_groups_come_in_the_order_the_file_names_them(spec: Spec, tmp_path: Path) -> None:
    """The first one is where provider states put new instances."""
    doc = {
        "apiKeys": [{**KEY, "accountGroups": ["zeta", "alpha"]}],
        "instances": [{**INSTANCE, "accountGroupId": "team-b"}],
    }
    assert load_seed(write(tmp_path, doc), spec).account_groups == ("team-b", "alpha", "zeta")


def test_a_custom_file_is_loaded(spec: Spec, tmp_path: Path) -> None:
    seed = load_seed(write(tmp_path, {"apiKeys": [KEY], "instances": [INSTANCE]}), spec)
    assert [i.to_json() for i in seed.instances] == [INSTANCE]
    assert [k.key for k in seed.api_keys] == ["sk_custom"]


def test_a_missing_file_is_a_data_file_error(spec: Spec, tmp_path: Path) -> None:
    assert "cannot read" in load_error(spec, tmp_path / "absent.json")


def test_a_directory_is_a_data_file_error(spec: Spec, tmp_path: Path) -> None:
    assert "cannot read" in load_error(spec, tmp_path)


def test_a_file_that_is_not_json_is_a_data_file_error(spec: Spec, tmp_path: Path) -> None:
    assert "cannot read JSON" in load_error(spec, write(tmp_path, "{not json"))


def test_a_file_that_is_not_utf8_is_a_data_file_error(spec: Spec, tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"apiKeys": [], "instances": [], "x": "\xe9"}')
    assert "cannot read" in load_error(spec, path)


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ([], "(top)"),
        ({"instances": []}, "apiKeys"),
        ({"apiKeys": [KEY]}, "instances"),
        ({"apiKeys": 3, "instances": []}, "apiKeys"),
        ({"apiKeys": [{"key": "", "permissions": [], "accountGroups": []}], "instances": [INSTANCE]}, "apiKeys/0/key"),
        ({"apiKeys": [{"key": "k"}], "instances": [INSTANCE]}, "apiKeys/0"),
        ({"apiKeys": [KEY], "instances": 5}, "instances"),
        ({"apiKeys": [KEY], "instances": None}, "instances"),
        ({"apiKeys": [KEY], "instances": "abc"}, "instances"),
        ({"apiKeys": [KEY], "instances": [{**INSTANCE, "workflowStatus": "archived"}]}, "instances/0"),
        ({"apiKeys": [KEY], "instances": [{**INSTANCE, "hasPendingApproval": "yes"}]}, "instances/0"),
        ({"apiKeys": [KEY], "instances": [{**INSTANCE, "colour": "red"}]}, "instances/0"),
        ({"apiKeys": [KEY], "instances": [{k: v for k, v in INSTANCE.items() if k != "leadId"}]}, "leadId"),
        ({"apiKeys": [KEY], "instances": [INSTANCE, {**INSTANCE, "leadId": "x"}]}, "duplicate workflowInstanceId"),
    ],
    ids=[
        "top-level-array",
        "no-apiKeys",
        "no-instances",
        "apiKeys-not-array",
        "empty-key",
        "key-without-permissions",
        "instances-a-number",
        "instances-null",
        "instances-a-string",
        "unknown-status",
        "flag-not-boolean",
        "unknown-field",
        "missing-field",
        "duplicate-id",
    ],
)
def test_bad_data_is_a_data_file_error_saying_where(spec: Spec, tmp_path: Path, doc: Any, expected: str) -> None:
    assert expected in load_error(spec, write(tmp_path, doc))


def test_data_naming_no_account_group_is_a_data_file_error(spec: Spec, tmp_path: Path) -> None:
    """Provider states need an account group to put new instances in."""
    doc = {"apiKeys": [{**KEY, "accountGroups": []}], "instances": []}
    assert "account group" in load_error(spec, write(tmp_path, doc))


def test_create_app_reports_bad_data_as_a_data_file_error(tmp_path: Path) -> None:
    """The CLI relies on this: a bad file must not surface as some other exception."""
    for doc in ({"apiKeys": [], "instances": []}, {"apiKeys": [KEY], "instances": 5}, "[1,"):
        with pytest.raises(DataFileError):
            create_app({"DATA_FILE": str(write(tmp_path, doc))})
