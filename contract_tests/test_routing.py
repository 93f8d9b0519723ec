"""Other methods and unknown paths still answer in the envelope (inferred: the spec documents neither)."""

from __future__ import annotations

import pytest

from .checks import ENVELOPE_CHECKS
from .client import DiscardClient
from .ids import InstanceIds
from .outcomes import expect_status, expect_unchanged
from .violations import violation


@pytest.mark.inferred
@pytest.mark.contract_rule("routing")
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_other_methods_are_405_allowing_post(
    discard_client: DiscardClient, pending_instance: InstanceIds, method: str
) -> None:
    answer = discard_client.send(discard_client.case(pending_instance.path(), method=method), checks=ENVELOPE_CHECKS)
    expect_status(answer, {405}, "routing", f"{method} on the discard path")
    allow = ", ".join(answer.response.headers.get("allow", []))  # Schemathesis lowercases header names
    if "POST" not in [m.strip().upper() for m in allow.split(",")]:
        raise violation(
            "routing", f"a 405 names the allowed method, 'Allow: POST'; got {allow!r}", request=answer.curl,
            response=answer.answer,
        )  # fmt: skip
    expect_unchanged(discard_client, pending_instance, after=answer)


@pytest.mark.inferred
@pytest.mark.contract_rule("routing", "envelope")
def test_an_unknown_path_is_404_in_the_envelope(discard_client: DiscardClient) -> None:
    response = discard_client.post_off_the_spec("/v1/contract-suite-unknown-path")
    if response.status_code != 404:
        raise violation(
            "routing", f"an unknown path is 404; got {response.status_code}", request=f"POST {response.url}",
            response=response.text[:300],
        )  # fmt: skip
    for check in ENVELOPE_CHECKS:
        check(None, response, None)
