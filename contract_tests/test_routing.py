"""Other methods and unknown paths still answer in the envelope (inferred: the spec documents neither)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from discard_contract import rules
from discard_contract.checks import ENVELOPE_CHECKS
from discard_contract.headers import ALLOW
from discard_contract.ids import InstanceIds
from discard_contract.violations import violation

from .client import ENVELOPE_ONLY, DiscardClient
from .outcomes import expect_status, expect_unchanged


@pytest.mark.inferred
@pytest.mark.contract_rule(rules.ROUTING)
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_other_methods_are_405_allowing_post(
    discard_client: DiscardClient, pending_instance: InstanceIds, method: str
) -> None:
    answer = discard_client.send(discard_client.case(pending_instance.path(), method=method), checks=ENVELOPE_ONLY)
    expect_status(answer, rules.ROUTING, f"{method} on the discard path", {HTTPStatus.METHOD_NOT_ALLOWED})
    allow = ", ".join(answer.exchange.header_values(ALLOW))
    method_of_the_spec = discard_client.operation.method.upper()
    if method_of_the_spec not in [m.strip().upper() for m in allow.split(",")]:
        raise violation(
            rules.ROUTING, f"a 405 names the allowed method, '{ALLOW}: {method_of_the_spec}'; got {allow!r}",
            **answer.shown(),
        )  # fmt: skip
    expect_unchanged(discard_client, pending_instance, after=answer)


@pytest.mark.inferred
@pytest.mark.contract_rule(rules.ROUTING, rules.ENVELOPE)
def test_an_unknown_path_is_404_in_the_envelope(discard_client: DiscardClient) -> None:
    sent = discard_client.off_the_spec("/v1/contract-suite-unknown-path")
    if sent.exchange.status != HTTPStatus.NOT_FOUND:
        raise violation(
            rules.ROUTING, f"an unknown path is {HTTPStatus.NOT_FOUND:d}; got {sent.exchange.status}", **sent.shown()
        )
    for check in ENVELOPE_CHECKS:
        check(sent.exchange)
