"""Consumer side: the client's three discard interactions, recorded as a pact (pact-python's v3 API).

Each request path is built from the IDs the provider state returns: the
verifier calls the provider's state-change URL, gets back `accountGroupId`,
`campaignId` and `workflowInstanceId`, and substitutes them into the path.
Without that, every verification would discard the same literal instance,
and the second run would get a 409 where the pact says 200.
"""

from __future__ import annotations

import os

import pytest
from discard_client import DISCARD_PATH, DiscardClient, DiscardRefused
from pact import Pact, generate, match
from pact.match.matcher import GenericMatcher
from pact_files import CONSUMER, PACT_DIR, PACT_FILE, PROVIDER

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")  # no usage events

PENDING = "a workflow instance pending approval"
NOT_PENDING = "a workflow instance not pending approval"
EXAMPLE = {  # what the consumer test sends to Pact's mock; the verifier replaces them
    "accountGroupId": "acme-retail",
    "campaignId": "507f191e810c19729de860ea",
    "workflowInstanceId": "507f1f77bcf86cd799439011",
}
KEY = "sk_test_execute"
HEX_ID = r"[0-9a-f]{24}"


def injected_path() -> GenericMatcher[str]:
    """The path as a regex matcher whose value comes from the provider state.

    `match.regex()` takes no generator in pact-python 4.2, and `match.type()`
    on a path makes every interaction match the first one, so the matcher is
    built directly: a regex for the consumer side, a ProviderState generator
    (`${name}` expressions) for the verifier.
    """
    return GenericMatcher(
        "regex",
        DISCARD_PATH.format(**EXAMPLE),
        regex=f"^/v1/accounts/[A-Za-z0-9_-]+/campaigns/{HEX_ID}/workflow-instances/{HEX_ID}/discard$",
        generator=generate.provider_state(DISCARD_PATH.replace("{", "${")),
    )


def error_body(code: str, details: object) -> dict[str, object]:
    return {
        "success": False,
        "data": None,
        "error": {"code": code, "message": match.type("what went wrong"), "details": details},
        "traceId": match.regex("8f14e45fceea167a5a36dedd4bea2543", regex=r"^\S+$"),
    }


@pytest.fixture(scope="module", autouse=True)
def _fresh_pact_file() -> None:
    """Each test merges its interaction into the pact file, so a run starts from none."""
    PACT_FILE.unlink(missing_ok=True)


@pytest.fixture
def pact() -> Pact:
    """One Pact per interaction: a Pact cannot change once its mock server has run, and the three
    requests differ only in what the provider state makes of the path, so one server could not tell
    them apart. Each test merges its interaction into the same file once it passed."""
    return Pact(CONSUMER, PROVIDER).with_specification("V4")


def test_discarding_a_pending_instance_stops_it(pact: Pact) -> None:
    (
        pact.upon_receiving("a discard of a workflow instance pending approval")
        .given(PENDING)
        .with_request("POST", injected_path())
        .with_header("Authorization", f"Bearer {KEY}")
        .will_respond_with(200)
        .with_body(
            {
                "success": True,
                "data": {
                    "action": "discarded",
                    # The answer names the instance the state created, so the body is generated from it too.
                    "workflowInstanceId": match.type(
                        EXAMPLE["workflowInstanceId"], generator=generate.provider_state("${workflowInstanceId}")
                    ),
                    "leadStatus": match.type(
                        {
                            "leadId": "64b7f0c2a1e4d93f5c2b8a10",
                            "workflowStatus": "stopped",
                            "workflowInstanceId": EXAMPLE["workflowInstanceId"],
                            "latestStep": "awaiting_approval",
                            "workflowStopReason": "CONTENT_DISCARDED",
                            "hasPendingApproval": False,
                        }
                    ),
                },
                "error": None,
                "traceId": match.regex("8f14e45fceea167a5a36dedd4bea2543", regex=r"^\S+$"),
            },
            content_type="application/json",
        )
    )
    with pact.serve() as server:
        result = DiscardClient(str(server.url), KEY).discard(**_ids())
    assert result.workflow_instance_id == EXAMPLE["workflowInstanceId"]
    assert result.workflow_status == "stopped"
    pact.write_file(PACT_DIR)


def test_discarding_an_instance_not_pending_is_a_409(pact: Pact) -> None:
    (
        pact.upon_receiving("a discard of a workflow instance not pending approval")
        .given(NOT_PENDING, workflowStatus="completed")
        .with_request("POST", injected_path())
        .with_header("Authorization", f"Bearer {KEY}")
        .will_respond_with(409)
        .with_body(error_body("CONFLICT", match.type("completed")), content_type="application/json")
    )
    with pact.serve() as server, pytest.raises(DiscardRefused) as refused:
        DiscardClient(str(server.url), KEY).discard(**_ids())
    assert (refused.value.status, refused.value.code) == (409, "CONFLICT")
    pact.write_file(PACT_DIR)


def test_discarding_without_a_key_is_a_401(pact: Pact) -> None:
    (
        pact.upon_receiving("a discard without an API key")
        .given(PENDING)
        .with_request("POST", injected_path())
        .will_respond_with(401)
        .with_body(error_body("UNAUTHORIZED", None), content_type="application/json")
    )
    with pact.serve() as server, pytest.raises(DiscardRefused) as refused:
        DiscardClient(str(server.url)).discard(**_ids())
    assert (refused.value.status, refused.value.code) == (401, "UNAUTHORIZED")
    pact.write_file(PACT_DIR)


def _ids() -> dict[str, str]:
    return {
        "account_group_id": EXAMPLE["accountGroupId"],
        "campaign_id": EXAMPLE["campaignId"],
        "workflow_instance_id": EXAMPLE["workflowInstanceId"],
    }
