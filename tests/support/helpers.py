"""Names, paths and checks the mock's tests share.

The IDs and keys here are the shipped data's (mock_server/data/seed.json), so a
test reads like the README's examples.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from discard_contract.spec import Spec
from mock_server.domain import Instance, NotFound, NotPendingApproval, shipped_rule
from mock_server.storage import InstanceStore

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = Path(__file__).resolve().parents[1] / "data"

EXECUTE_KEY = "sk_test_execute"  # campaigns:execute, both seeded account groups
READONLY_KEY = "sk_test_readonly"  # campaigns:read only
OTHER_GROUP_KEY = "sk_test_other_group"  # campaigns:execute, globex-media only

ACME = "acme-retail"
GLOBEX = "globex-media"
ACME_CAMPAIGN = "507f191e810c19729de860ea"
ACME_OTHER_CAMPAIGN = "64b7f0c2a1e4d93f5c2b8a01"
GLOBEX_CAMPAIGN = "65a1c3e5f2d4b6a8c0e2f401"

DOCS_INSTANCE = "507f1f77bcf86cd799439011"  # the docs' example ID, pending in the shipped data
DOCS_LEAD = "64b7f0c2a1e4d93f5c2b8a10"
PENDING_ACME = "64b7f0c2a1e4d93f5c2b8b01"  # pending, ACME_CAMPAIGN
PENDING_ACME_OTHER_CAMPAIGN = "64b7f0c2a1e4d93f5c2b8b06"  # pending, ACME_OTHER_CAMPAIGN
PENDING_GLOBEX = "65a1c3e5f2d4b6a8c0e2f501"  # pending, GLOBEX_CAMPAIGN
UNKNOWN_INSTANCE = "000000000000000000000000"
UNKNOWN_CAMPAIGN = "ffffffffffffffffffffffff"

# Seeded instances that are not pending approval: (accountGroupId, campaignId, workflowInstanceId, status)
NOT_PENDING_SEEDED = (
    (ACME, ACME_CAMPAIGN, "64b7f0c2a1e4d93f5c2b8b03", "waiting"),
    (ACME, ACME_CAMPAIGN, "64b7f0c2a1e4d93f5c2b8b04", "completed"),
    (ACME, ACME_CAMPAIGN, "64b7f0c2a1e4d93f5c2b8b05", "stopped"),
    (ACME, ACME_OTHER_CAMPAIGN, "64b7f0c2a1e4d93f5c2b8b07", "not_started"),
    (ACME, ACME_OTHER_CAMPAIGN, "64b7f0c2a1e4d93f5c2b8b08", "stopped"),
    (GLOBEX, GLOBEX_CAMPAIGN, "65a1c3e5f2d4b6a8c0e2f503", "not_in_campaign"),
    (GLOBEX, GLOBEX_CAMPAIGN, "65a1c3e5f2d4b6a8c0e2f504", "not_eligible"),
    (GLOBEX, GLOBEX_CAMPAIGN, "65a1c3e5f2d4b6a8c0e2f505", "completed"),
)

PENDING_STATE, NOT_PENDING_STATE = Spec.shipped().provider_states  # the spec's x-provider-states, in order

# A data file's own key and pending instance (`--data FILE`), in an account group the shipped data lacks.
CUSTOM_KEY = {"key": "sk_custom", "permissions": ["campaigns:execute"], "accountGroups": ["team-a"]}
CUSTOM_INSTANCE = {
    "workflowInstanceId": "aaaaaaaaaaaaaaaaaaaaaaaa",
    "accountGroupId": "team-a",
    "campaignId": "bbbbbbbbbbbbbbbbbbbbbbbb",
    "leadId": "cccccccccccccccccccccccc",
    "workflowStatus": "pending",
    "latestStep": "awaiting_approval",
    "workflowStopReason": None,
    "hasPendingApproval": True,
}


def discard_path(
    account_group_id: str = ACME, campaign_id: str = ACME_CAMPAIGN, workflow_instance_id: str = DOCS_INSTANCE
) -> str:
    """The public endpoint's path for these IDs (not percent-encoded: callers pick what they send)."""
    return f"/v1/accounts/{account_group_id}/campaigns/{campaign_id}/workflow-instances/{workflow_instance_id}/discard"


def path_of(ids: Mapping[str, str]) -> str:
    """The discard path for a provider state's answer (or any mapping with the three ID fields)."""
    return discard_path(ids["accountGroupId"], ids["campaignId"], ids["workflowInstanceId"])


def bearer(key: str = EXECUTE_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def assert_error_envelope(body: Any, status: int | None = None) -> None:
    """The documented error envelope: success false, data null, a code and message, a traceId."""
    assert isinstance(body, dict), f"not a JSON object: {body!r}"
    assert set(body) >= {"success", "data", "error", "traceId"}, body
    assert body["success"] is False, body
    assert body["data"] is None, body
    error = body["error"]
    assert isinstance(error, dict), body
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body
    assert error.get("details") is None or isinstance(error["details"], str), body
    assert isinstance(body["traceId"], str) and body["traceId"], body
    if status == 400:
        assert error["code"] == "VALIDATION_ERROR", body


def assert_discarded(stored: Mapping[str, Any]) -> None:
    """A stored instance document after its discard: stopped for CONTENT_DISCARDED, no longer pending."""
    assert (stored["workflowStatus"], stored["workflowStopReason"], stored["hasPendingApproval"]) == (
        "stopped",
        "CONTENT_DISCARDED",
        False,
    ), stored


def is_json_content_type(value: str | None) -> bool:
    return (value or "").split(";")[0].strip().lower() == "application/json"


def run_cli(args: Sequence[str], timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """`python -m mock_server ARGS` to completion (for invocations that must exit)."""
    return subprocess.run(
        [sys.executable, "-m", "mock_server", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def load_json(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def iter_examples(spec: Spec, operation_id: str) -> Iterator[tuple[int, str, Any]]:
    """(status, example name, example value) for every example of an operation's JSON responses."""
    for item in spec.document["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                for status, response in op["responses"].items():
                    content = spec.resolve(response)["content"]["application/json"]
                    for name, example in content.get("examples", {}).items():
                        yield int(status), name, spec.resolve(example)["value"]


def discard(store: InstanceStore, account_group_id: str, campaign_id: str, workflow_instance_id: str) -> Instance:
    """A discard by the shipped rule through `store` alone (no HTTP): the instance, or NotFound/NotPendingApproval."""
    return shipped_rule().discard(store.update_if, account_group_id, campaign_id, workflow_instance_id)


def node_tool(*parts: str) -> Path:
    """A file of the repo's Node tooling, or a skip naming what is missing (a failure on CI)."""
    missing = []
    if shutil.which("node") is None:
        missing.append("Node.js (`node`; e.g. `apt-get install nodejs npm`)")
    path = ROOT.joinpath(*parts)
    if not path.exists():
        missing.append(f"{path.relative_to(ROOT)} (run `npm ci` in the repo root, or `./run test`)")
    if missing:
        reason = "not run: missing " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(reason + ". CI must provide it.")
        pytest.skip(reason)
    return path


def discard_outcome(store: InstanceStore, group: str, campaign: str, instance_id: str) -> object:
    """What a discard through `store` comes to, comparable across stores: the instance, or why not."""
    try:
        return discard(store, group, campaign, instance_id)
    except NotFound:
        return "not found"
    except NotPendingApproval as refused:
        return ("not pending", refused.instance)


def discard_scopes(seed: Iterable[Instance]) -> Iterator[tuple[str, str, str]]:
    """Every instance under its own path, then under a wrong campaign, group and ID, then its own again."""
    for instance in seed:
        own = (instance.account_group_id, instance.campaign_id, instance.workflow_instance_id)
        yield own
        yield (instance.account_group_id, "f" * 24, instance.workflow_instance_id)
        yield (GLOBEX if instance.account_group_id != GLOBEX else ACME, *own[1:])
        yield (*own[:2], "0" * 24)
        yield own  # the repeat


T = TypeVar("T")


def run_on_own_loop(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """`asyncio.run(main())` on a thread of its own: a test before it in the same process may have left an
    event loop running on this one (Playwright's sync API does), and asyncio.run refuses to start there."""
    with ThreadPoolExecutor(1, thread_name_prefix="event-loop") as pool:
        return pool.submit(lambda: asyncio.run(main())).result(timeout=60)
