"""The proxy's traffic model on made-up exchanges: each rule it holds later answers to, kept and broken."""

from __future__ import annotations

import json
from typing import Any

from discard_contract import rules
from discard_contract.exchange import Exchange
from discard_contract.ids import InstanceIds
from discard_contract.traffic import TrafficModel, credential_fingerprint

INSTANCE = InstanceIds(
    "acme-retail", "507f191e810c19729de860ea", "64b7f0c2a1e4d93f5c2b8b01", "64b7f0c2a1e4d93f5c2b8a11"
)
PATH = INSTANCE.path()
KEY = credential_fingerprint("Bearer sk_test_execute")


def answer(status: int, workflow_instance_id: str = INSTANCE.workflow_instance_id, **lead: Any) -> Exchange:
    if status == 200:
        lead_status = {
            "leadId": INSTANCE.lead_id,
            "workflowStatus": "stopped",
            "workflowInstanceId": workflow_instance_id,
            "latestStep": "awaiting_approval",
            "workflowStopReason": "CONTENT_DISCARDED",
            "hasPendingApproval": False,
            **lead,
        }
        data = {"action": "discarded", "workflowInstanceId": workflow_instance_id, "leadStatus": lead_status}
        body = {"success": True, "data": data, "error": None, "traceId": "t"}
    else:
        body = {"success": False, "data": None, "error": {"code": "X", "message": "m", "details": None}, "traceId": "t"}
    return Exchange.of("POST", "/p", status, {"Content-Type": "application/json"}, json.dumps(body).encode())


def discard(model: TrafficModel, status: int, **kwargs: Any) -> list[str]:
    number = model.sent(PATH)
    return [f.rule.id for f in model.answered(PATH, number, answer(status, **kwargs), KEY)]


def test_a_discard_then_a_409_breaks_nothing() -> None:
    model = TrafficModel()
    model.given(INSTANCE, pending=True)
    assert discard(model, 200) == []
    assert discard(model, 409) == []
    assert discard(model, 409) == []


def test_a_second_200_after_the_first_came_back_breaks_repeat_409() -> None:
    model = TrafficModel()
    assert discard(model, 200) == []
    assert discard(model, 200) == [rules.REPEAT_409.id]


def test_a_404_for_the_same_key_after_a_200_breaks_repeat_409() -> None:
    model = TrafficModel()
    discard(model, 200)
    assert discard(model, 404) == [rules.REPEAT_409.id]


def test_two_200s_of_discards_in_flight_together_break_concurrent() -> None:
    model = TrafficModel()
    first, second = model.sent(PATH), model.sent(PATH)
    assert model.answered(PATH, first, answer(200), KEY) == []
    assert [f.rule for f in model.answered(PATH, second, answer(200), KEY)] == [rules.CONCURRENT]


def test_a_409_that_overtakes_the_200_of_a_parallel_discard_breaks_nothing() -> None:
    model = TrafficModel()
    model.given(INSTANCE, pending=True)
    first, second = model.sent(PATH), model.sent(PATH)
    assert model.answered(PATH, second, answer(409), KEY) == []
    assert model.answered(PATH, first, answer(200), KEY) == []


def test_a_200_naming_another_instance_breaks_discard_200() -> None:
    model = TrafficModel()
    assert discard(model, 200, workflow_instance_id="0" * 24) == [rules.DISCARD_200.id]


def test_a_200_with_a_lead_other_than_the_given_one_breaks_discard_200() -> None:
    model = TrafficModel()
    model.given(INSTANCE, pending=True)
    assert discard(model, 200, leadId="f" * 24) == [rules.DISCARD_200.id]


def test_a_pending_instance_that_is_409_after_a_rejected_request_breaks_rejected_unchanged() -> None:
    model = TrafficModel()
    model.given(INSTANCE, pending=True)
    assert discard(model, 404) == []
    findings = discard(model, 409)
    assert findings == [rules.REJECTED_UNCHANGED.id]


def test_a_pending_instance_that_is_409_with_nothing_in_between_breaks_isolation() -> None:
    model = TrafficModel()
    model.given(INSTANCE, pending=True)
    assert discard(model, 409) == [rules.ISOLATION.id]


def test_hex_ids_in_another_case_name_the_same_instance() -> None:
    model = TrafficModel()
    model.given(INSTANCE, pending=True)
    upper = INSTANCE.path(workflowInstanceId=INSTANCE.workflow_instance_id.upper())
    number = model.sent(upper)
    assert model.answered(upper, number, answer(200), KEY) == []
    assert discard(model, 200) == [rules.REPEAT_409.id]


def test_a_reset_forgets_what_was_discarded() -> None:
    model = TrafficModel()
    discard(model, 200)
    model.forget()
    assert discard(model, 200) == []


def test_what_the_answers_showed_is_kept_for_recording() -> None:
    model = TrafficModel()
    discard(model, 200)
    (seen,) = model.shown()
    assert (seen.workflow_instance_id, seen.lead_id, seen.campaign_id) == (
        INSTANCE.workflow_instance_id,
        INSTANCE.lead_id,
        INSTANCE.campaign_id,
    )
    assert seen.lead_status is not None and seen.lead_status["workflowStopReason"] == "CONTENT_DISCARDED"


def whys(model: TrafficModel, status: int) -> list[str]:
    number = model.sent(PATH)
    return [f.why for f in model.answered(PATH, number, answer(status), KEY)]


def test_a_finding_says_which_instance_and_which_exchanges_it_is_about() -> None:
    model = TrafficModel()
    model.given(INSTANCE, pending=True)
    whys(model, 401)
    [why] = whys(model, 409)
    assert INSTANCE.workflow_instance_id in why and "401 (exchange #1)" in why and "a rejected request changed" in why
    other = TrafficModel()
    other.given(INSTANCE, pending=True)
    [why] = whys(other, 409)
    assert INSTANCE.workflow_instance_id in why and "something else changed it" in why
    assert whys(other, 200) == []  # not-pending-409 is not judged from traffic: the first 200 is learned
    [why] = whys(other, 200)
    assert f"instance {INSTANCE.workflow_instance_id} was discarded (a 200, exchange #" in why and "got 200" in why


def test_a_discard_that_never_reached_the_target_is_no_longer_in_flight() -> None:
    model = TrafficModel()
    model.given(INSTANCE, pending=True)
    model.sent(PATH)
    model.abandoned(PATH)  # refused by the proxy itself: no answer will come
    assert discard(model, 409) == [rules.ISOLATION.id]  # no other discard in flight could be its 200


def test_an_abandoned_discard_never_counts_below_none_in_flight() -> None:
    model = TrafficModel()
    model.given(INSTANCE, pending=True)
    model.abandoned(PATH)  # nothing was in flight
    first, second = model.sent(PATH), model.sent(PATH)
    assert model.answered(PATH, second, answer(409), KEY) == []  # `first` may still be the 200
    assert model.answered(PATH, first, answer(200), KEY) == []
