"""The IDs a contract run sends (discard_contract/ids.py): the instances it was given, and IDs that name nothing."""

from __future__ import annotations

from typing import Any

import pytest

from discard_contract.ids import (
    ID_FIELDS,
    InstanceIds,
    nonexistent_account_group_id,
    nonexistent_object_id,
    unknown_path,
)
from discard_contract.spec import Spec

GIVEN = {
    "accountGroupId": "acme-retail",
    "campaignId": "507f191e810c19729de860ea",
    "workflowInstanceId": "507f1f77bcf86cd799439011",
    "leadId": "64b7f0c2a1e4d93f5c2b8a10",
}


def well_formed(parameters: dict[str, str]) -> bool:
    """The spec's own path-parameter checks accept every value (so the endpoint looks them up)."""
    operation = Spec.shipped().operation()
    return all(param.problem(parameters[param.name]) is None for param in operation.parameters)


def test_an_object_id_that_names_nothing_is_well_formed_from_the_year_2106_and_fresh_each_time() -> None:
    made = [nonexistent_object_id() for _ in range(20)]
    for each in made:
        assert len(each) == 24 and each.startswith("ffffffff")
        assert int(each, 16) >= 0 and each == each.lower()
    assert len(set(made)) == len(made)
    assert well_formed({"accountGroupId": "a", "campaignId": made[0], "workflowInstanceId": made[1]})


def test_an_account_group_that_names_nothing_is_well_formed_says_what_it_is_and_is_fresh_each_time() -> None:
    made = [nonexistent_account_group_id() for _ in range(20)]
    for each in made:
        prefix, _, suffix = each.rpartition("-")
        assert prefix == "contract-unknown" and len(suffix) == 12 and int(suffix, 16) >= 0
    assert len(set(made)) == len(made)
    assert well_formed({"accountGroupId": made[0], "campaignId": "0" * 24, "workflowInstanceId": "0" * 24})


def test_an_unknown_path_is_three_well_formed_ids_that_name_nothing() -> None:
    first, second = unknown_path(), unknown_path()
    assert list(first) == ["accountGroupId", "campaignId", "workflowInstanceId"]
    assert well_formed(first)
    assert first["accountGroupId"].startswith("contract-unknown-")
    assert first["campaignId"].startswith("ffffffff") and first["workflowInstanceId"].startswith("ffffffff")
    assert first["campaignId"] != first["workflowInstanceId"]
    assert all(first[name] != second[name] for name in first)


def test_given_ids_are_read_from_json_and_written_back_as_they_were() -> None:
    ids = InstanceIds.from_json(dict(GIVEN), "the state setup URL")
    assert (ids.account_group_id, ids.campaign_id, ids.workflow_instance_id, ids.lead_id) == tuple(GIVEN.values())
    assert ids.as_json() == GIVEN and list(ids.as_json()) == list(ID_FIELDS)
    assert InstanceIds.from_json({**GIVEN, "extra": 1}, "x") == ids


@pytest.mark.parametrize(
    "doc",
    [
        None,
        [GIVEN],
        "acme-retail",
        *({k: v for k, v in GIVEN.items() if k != missing} for missing in ID_FIELDS),
        *({**GIVEN, empty: ""} for empty in ID_FIELDS),
        *({**GIVEN, wrong: 7} for wrong in ID_FIELDS),
    ],
)
def test_ids_that_are_not_an_object_of_four_non_empty_strings_are_refused_naming_the_source(doc: Any) -> None:
    with pytest.raises(ValueError) as refused:
        InstanceIds.from_json(doc, "--fixtures-file ids.json")
    message = str(refused.value)
    assert message.startswith(f"--fixtures-file ids.json gave {doc!r}; expected a JSON object with string fields ")
    assert message.endswith("accountGroupId, campaignId, workflowInstanceId, leadId")


def test_the_path_of_given_ids_is_their_discard_path_and_any_part_can_be_replaced() -> None:
    ids = InstanceIds.from_json(GIVEN, "x")
    assert ids.path() == {k: GIVEN[k] for k in ("accountGroupId", "campaignId", "workflowInstanceId")}
    assert ids.path(campaignId="c") == {**ids.path(), "campaignId": "c"}
    assert str(ids) == "acme-retail/507f191e810c19729de860ea/507f1f77bcf86cd799439011"
