"""CONTRACT.md "Order of checks": a request that breaks several rules gets the first one's answer.

authentication (401) > permission (403) > request validation (400) >
account-group access (403) > existence and scope (404) > state (409).
Whatever the answer, nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from ..support.helpers import (
    ACME,
    ACME_CAMPAIGN,
    ACME_OTHER_CAMPAIGN,
    DOCS_INSTANCE,
    GLOBEX,
    GLOBEX_CAMPAIGN,
    NOT_PENDING_SEEDED,
    OTHER_GROUP_KEY,
    PENDING_GLOBEX,
    READONLY_KEY,
    UNKNOWN_INSTANCE,
    assert_error_envelope,
    bearer,
    discard_path,
)

BAD_ID = "not-an-object-id"
WAITING = NOT_PENDING_SEEDED[0][2]  # in ACME_CAMPAIGN
BODY = {"data": b'{"x": 1}', "content_type": "application/json"}
NO_KEY: dict[str, str] = {}


@pytest.mark.parametrize(
    ("ids", "headers", "extra", "expected", "details"),
    [
        # 401 before everything else
        ((ACME, ACME_CAMPAIGN, BAD_ID), NO_KEY, BODY, 401, None),
        ((ACME, ACME_CAMPAIGN, UNKNOWN_INSTANCE), {"Authorization": "Basic x"}, {}, 401, "Authorization"),
        ((ACME, ACME_CAMPAIGN, WAITING), bearer("sk_unknown"), {}, 401, None),
        # permission (403) before validation, scope and state
        ((ACME, ACME_CAMPAIGN, BAD_ID), bearer(READONLY_KEY), BODY, 403, "campaigns:execute"),
        ((ACME, ACME_CAMPAIGN, UNKNOWN_INSTANCE), bearer(READONLY_KEY), {}, 403, "campaigns:execute"),
        ((ACME, ACME_CAMPAIGN, WAITING), bearer(READONLY_KEY), {}, 403, "campaigns:execute"),
        # validation (400) before account-group access, scope and state
        ((ACME, ACME_CAMPAIGN, BAD_ID), bearer(OTHER_GROUP_KEY), {}, 400, "workflowInstanceId"),
        ((ACME, ACME_CAMPAIGN, DOCS_INSTANCE), bearer(OTHER_GROUP_KEY), BODY, 400, "body"),
        ((ACME, ACME_CAMPAIGN, WAITING), bearer(), BODY, 400, "body"),
        ((ACME, ACME_CAMPAIGN, UNKNOWN_INSTANCE), bearer(), BODY, 400, "body"),
        # account-group access (403) before scope and state
        ((ACME, ACME_CAMPAIGN, UNKNOWN_INSTANCE), bearer(OTHER_GROUP_KEY), {}, 403, "accountGroupId"),
        ((ACME, ACME_CAMPAIGN, WAITING), bearer(OTHER_GROUP_KEY), {}, 403, "accountGroupId"),
        # scope (404) before state
        ((ACME, ACME_OTHER_CAMPAIGN, WAITING), bearer(), {}, 404, "workflowInstanceId"),
        ((GLOBEX, GLOBEX_CAMPAIGN, WAITING), bearer(OTHER_GROUP_KEY), {}, 404, "workflowInstanceId"),
    ],
    ids=[
        "401>400",
        "401>404",
        "401>409",
        "403perm>400",
        "403perm>404",
        "403perm>409",
        "400>403group",
        "400body>403group",
        "400body>409",
        "400body>404",
        "403group>404",
        "403group>409",
        "404>409",
        "404>409-own-group",
    ],
)
def test_the_first_broken_rule_decides_the_answer(
    client: FlaskClient,
    snapshot: Callable[[], list[dict[str, Any]]],
    ids: tuple[str, str, str],
    headers: dict[str, str],
    extra: dict[str, Any],
    expected: int,
    details: str | None,
) -> None:
    before = snapshot()
    response = client.post(discard_path(*ids), headers=headers, **extra)
    body = response.get_json()
    assert response.status_code == expected, body
    assert_error_envelope(body, expected)
    if details is not None:
        assert details in body["error"]["details"]
    assert snapshot() == before


def test_a_pending_instance_of_a_reachable_group_is_the_only_success(client: FlaskClient) -> None:
    """Control for the table above: the same key and IDs with nothing broken succeed."""
    assert (
        client.post(discard_path(GLOBEX, GLOBEX_CAMPAIGN, PENDING_GLOBEX), headers=bearer(OTHER_GROUP_KEY)).status_code
        == 200
    )
