"""CORS preflights pass untouched by faults, latency and the rate limit, over real HTTP.

A browser that gets anything but a 2xx to its preflight blocks the real
request, so a fault meant for the page would show as "Failed to fetch"
instead of its status. Preflights are therefore never faulted, delayed,
rate-limited or counted, and never use up a counted fault: the real request
that follows gets the fault, with the CORS headers that let the page read it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ..support.helpers import EXECUTE_KEY, PENDING_STATE, bearer, path_of
from ..support.served import call, served

ORIGIN = "http://localhost:3000"
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization",
}
LATENCY_MS = 1500  # --latency: every discard waits this long; a preflight must not
PREFLIGHTS = 5


def test_preflights_pass_every_fault_and_the_real_request_gets_it() -> None:
    args = ("--quiet", "--latency", str(LATENCY_MS), "--rate-limit", "1/min", "--rate-burst", "1")
    with served(*args) as mock:
        status, _, instance = mock.call("POST", "/__mock/provider-states", body={"state": PENDING_STATE})
        assert status == 200, instance
        path = path_of(instance)
        # A counted latency fault beside --latency: a preflight that waited would have spent one of its hits.
        status, _, delay = mock.call("POST", "/__mock/faults", body={"latencyMs": 1, "count": PREFLIGHTS})
        assert status == 201, delay
        status, _, fault = mock.call("POST", "/__mock/faults", body={"status": 429, "count": 1, "retryAfterSeconds": 9})
        assert status == 201, fault

        def preflight(_: int) -> tuple[int, dict[str, str]]:
            status, headers, _ = call(mock.url(path), "OPTIONS", headers=PREFLIGHT)
            return status, headers

        with ThreadPoolExecutor(PREFLIGHTS) as pool:
            answers = list(pool.map(preflight, range(PREFLIGHTS)))

        assert [status for status, _ in answers] == [204] * PREFLIGHTS
        assert all(headers.get("access-control-allow-origin") in ("*", ORIGIN) for _, headers in answers)
        _, _, listed = mock.call("GET", "/__mock/faults")
        left = {f["id"]: f["count"] for f in listed["faults"]}
        assert left[delay["id"]] == PREFLIGHTS, "a preflight was delayed: it spent a latency fault's hit"
        assert left[fault["id"]] == 1, "a preflight used up the fault"

        status, headers, body = call(mock.url(path), "POST", headers={**bearer(EXECUTE_KEY), "Origin": ORIGIN})
        assert status == 429 and body["error"]["details"] == f"fault {fault['id']}", body
        assert headers["retry-after"] == "9"
        assert headers.get("access-control-allow-origin") in ("*", ORIGIN)
        assert "retry-after" in headers.get("access-control-expose-headers", "").lower()
        _, _, listed = mock.call("GET", "/__mock/faults")
        assert {f["id"]: f["count"] for f in listed["faults"]}[fault["id"]] == 0

        # The rate limit (1/min, per key or else per client address) was not spent by the preflights:
        # this keyless discard from the same address still reaches authentication.
        status, _, body = call(mock.url(path), "POST", headers={"Origin": ORIGIN})
        assert status == 401, body
