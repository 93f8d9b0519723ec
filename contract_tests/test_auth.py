"""Authentication and permission: refused before anything else happens."""

from __future__ import annotations

import secrets

import pytest

from discard_contract import rules
from discard_contract.ids import InstanceIds

from .client import DiscardClient
from .outcomes import expect_status, expect_unchanged

BAD_AUTHORIZATION = {
    "missing": None,
    "empty bearer": "Bearer ",
    "basic scheme": "Basic dXNlcjpwYXNzd29yZA==",
    "unknown key": "Bearer sk_live_contract_unknown_" + secrets.token_hex(8),
    "two tokens": "Bearer one two",
}


@pytest.mark.contract_rule(rules.AUTH_401, rules.REJECTED_UNCHANGED)
@pytest.mark.parametrize("authorization", BAD_AUTHORIZATION.values(), ids=BAD_AUTHORIZATION.keys())
def test_a_missing_malformed_or_unknown_key_is_401(
    discard_client: DiscardClient, pending_instance: InstanceIds, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    refused = discard_client.discard(pending_instance.path(), headers=headers)
    expect_status(refused, rules.AUTH_401, "a discard with a missing, malformed or unknown key")
    expect_unchanged(discard_client, pending_instance, after=refused)


@pytest.mark.contract_rule(rules.AUTH_401, rules.REJECTED_UNCHANGED)
def test_the_key_without_its_bearer_scheme_is_401(
    discard_client: DiscardClient, pending_instance: InstanceIds, api_key: str
) -> None:
    refused = discard_client.discard(pending_instance.path(), headers={"Authorization": api_key})
    expect_status(refused, rules.AUTH_401, "the key without 'Bearer ' (the key must come as 'Bearer <key>')")
    expect_unchanged(discard_client, pending_instance, after=refused)


@pytest.mark.contract_rule(rules.AUTH_403, rules.REJECTED_UNCHANGED)
def test_a_key_without_campaigns_execute_is_403(
    discard_client: DiscardClient, pending_instance: InstanceIds, key_without_permission: str
) -> None:
    refused = discard_client.discard(pending_instance.path(), headers=discard_client.bearer(key_without_permission))
    expect_status(refused, rules.AUTH_403, "a discard with a valid key that lacks campaigns:execute")
    expect_unchanged(discard_client, pending_instance, after=refused)
