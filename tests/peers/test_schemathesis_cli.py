"""Schemathesis' own CLI, every check and every phase, against correct servers: no failure.

Two targets: the bundled mock as `discard-mock serve` runs it, and the same mock
behind a gateway that answers the way many correct deployments do (a charset on
`application/json`, and 429s whose `Retry-After` is an HTTP-date). A spec
stricter than HTTP or CONTRACT.md makes the second fail while the first passes.
"""

from __future__ import annotations

import email.utils
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from flask import Flask

from contract_tests.target import BUNDLED_API_KEY, BUNDLED_STATE_PATH, MockProcess
from discard_contract.spec import SPEC_PATH

from ..suite.variants import served
from ..support.helpers import PENDING_STATE, ROOT

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
PROVIDER_STATE_CONFIG = ROOT / "examples" / "schemathesis" / "schemathesis.toml"
ALL_PHASES = "examples,coverage,fuzzing,stateful"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class GatewayInFront:
    """WSGI middleware: the mock as a correct deployment behind a gateway presents it.

    Every JSON answer says `application/json; charset=utf-8`, and every third
    API request of the valid key is answered by the gateway itself: 429 in the
    error envelope (no `details`, one member the envelope does not name) with an
    HTTP-date `Retry-After`, never reaching the mock (so nothing changes, as
    CONTRACT.md requires of a 429). Like gateways that authenticate before they
    count per consumer, it never throttles an unknown key: Schemathesis'
    `ignored_auth` check expects 401 or 403 for those.
    """

    def __init__(self, app: WsgiApp, every: int = 3) -> None:
        self.app = app
        self.key = f"Bearer {BUNDLED_API_KEY}"
        self.every = every
        self.turns = itertools.count(1)
        self.lock = threading.Lock()
        self.sent: Counter[str] = Counter()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith("/v1/") and environ.get("HTTP_AUTHORIZATION") == self.key:
            with self.lock:
                turn = next(self.turns)
            if turn % self.every == 0:
                return self._throttled(turn, start_response)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [self._charset(name, value) for name, value in headers], exc_info)

        return self.app(environ, start)

    def _charset(self, name: str, value: str) -> tuple[str, str]:
        if name.lower() == "content-type" and value.split(";")[0].strip() == "application/json":
            self.sent["charset"] += 1
            return name, "application/json; charset=utf-8"
        return name, value

    def _throttled(self, turn: int, start_response: Callable[..., Any]) -> list[bytes]:
        self.sent["429"] += 1
        body = {
            "success": False,
            "data": None,
            "error": {"code": "TOO_MANY_REQUESTS", "message": "Slow down; retry after the given date."},
            "traceId": f"gateway-{turn}",
            "gateway": "edge-1",  # a member the envelope does not name: the contract allows it
        }
        start_response(
            "429 Too Many Requests",
            [
                ("Content-Type", "application/json; charset=utf-8"),
                ("Retry-After", email.utils.formatdate(time.time() + 1, usegmt=True)),
            ],
        )
        return [json.dumps(body).encode()]


@pytest.fixture(scope="module")
def bundled_mock() -> Iterator[str]:
    mock = MockProcess("--quiet")
    try:
        yield mock.start().base_url
    finally:
        mock.stop()


@pytest.fixture(scope="module")
def gateway() -> Iterator[tuple[str, GatewayInFront]]:
    holder: list[GatewayInFront] = []

    def put_behind_a_gateway(app: Flask) -> None:
        holder.append(GatewayInFront(app.wsgi_app))
        app.wsgi_app = holder[0]  # type: ignore[method-assign,assignment]

    with served(put_behind_a_gateway) as target:
        yield target.base_url, holder[0]


@pytest.fixture(params=["bundled mock", "behind a gateway"])
def target(request: pytest.FixtureRequest) -> str:
    if request.param == "bundled mock":
        return request.getfixturevalue("bundled_mock")
    return request.getfixturevalue("gateway")[0]


def run_schemathesis(
    url: str, tmp_path: Path, *options: str, config: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`schemathesis [--config-file C] run SPEC --url URL --checks all OPTIONS` to completion."""
    before_run = ["--config-file", str(config)] if config else []
    return subprocess.run(
        [str(SCHEMATHESIS), *before_run, "run", str(SPEC_PATH), "--url", url,
         "-H", f"Authorization: Bearer {BUNDLED_API_KEY}", "--checks", "all", "--generation-database", "none",
         *options],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})},
    )  # fmt: skip


def passed(done: subprocess.CompletedProcess[str]) -> bool:
    return done.returncode == 0 and "No issues found" in done.stdout


def report(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout[-4000:] + done.stderr[-2000:]


def test_schemathesis_run_with_all_checks_and_phases_finds_no_issue(target: str, tmp_path: Path) -> None:
    """Generated IDs: 403s and 404s for IDs that do not exist, 400s for malformed ones, every phase."""
    done = run_schemathesis(target, tmp_path, "--phases", ALL_PHASES, "--max-examples", "25")
    assert passed(done), report(done)
    assert "✅ Stateful" in done.stdout, report(done)


def provision(target: str) -> dict[str, str]:
    """A fresh pending instance from the target's provider-state endpoint, as the env the recipe reads."""
    setup = requests.post(
        target + BUNDLED_STATE_PATH, json={"state": PENDING_STATE, "params": {}, "action": "setup"}, timeout=10
    )
    assert setup.status_code in (200, 201), setup.text
    ids = setup.json()
    return {
        "DISCARD_ACCOUNT_GROUP_ID": ids["accountGroupId"],
        "DISCARD_CAMPAIGN_ID": ids["campaignId"],
        "DISCARD_WORKFLOW_INSTANCE_ID": ids["workflowInstanceId"],
    }


def test_schemathesis_with_provider_state_ids_follows_the_discard_link(
    target: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The README's recipe: a provider-state setup's IDs, pinned through the shipped schemathesis.toml.

    The stateful phase discards the instance (200), follows the spec's DiscardAgain link and
    meets the 409 of a repeat: the link is covered and every check holds.
    """
    env = provision(target)
    done = run_schemathesis(
        target, tmp_path, "--phases", "stateful", "--max-examples", "30", config=PROVIDER_STATE_CONFIG, env=env
    )
    assert passed(done), report(done)
    if request.node.callspec.params["target"] == "bundled mock":
        # Behind the gateway every third request is its own 429, so whether the run's one 200 is followed
        # by the link's request is chance; against the mock itself the link must be covered.
        assert "API Links:    1 covered / 1 selected" in done.stdout, report(done)
    instance = requests.get(f"{target}/__mock/instances/{env['DISCARD_WORKFLOW_INSTANCE_ID']}", timeout=10).json()
    assert instance["workflowStopReason"] == "CONTENT_DISCARDED", "the pinned instance was never discarded"


def test_the_gateway_really_sent_http_dates_and_charsets(gateway: tuple[str, GatewayInFront], tmp_path: Path) -> None:
    """Guards the variant: the runs above must have met both answers the spec once refused."""
    url, middleware = gateway
    if middleware.sent["429"] == 0:  # run alone: give the gateway traffic of its own
        run_schemathesis(url, tmp_path, "--phases", "examples,coverage", "--max-examples", "5")
    assert middleware.sent["429"] > 0 and middleware.sent["charset"] > 0, middleware.sent


def test_the_run_fails_against_a_spec_that_refuses_an_http_date(
    gateway: tuple[str, GatewayInFront], tmp_path: Path
) -> None:
    """Proves the CLI runs can fail: the old integer-only Retry-After flags the gateway's 429s."""
    document = yaml.safe_load(Path(str(SPEC_PATH)).read_text(encoding="utf-8"))
    path = next(iter(document["paths"]))
    document["paths"][path]["post"]["responses"]["429"]["headers"]["Retry-After"]["schema"] = {
        "type": "integer",
        "minimum": 0,
    }
    strict = tmp_path / "strict.openapi.yaml"
    strict.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    done = subprocess.run(
        [str(SCHEMATHESIS), "run", str(strict), "--url", gateway[0], "-H", f"Authorization: Bearer {BUNDLED_API_KEY}",
         "--checks", "response_headers_conformance", "--phases", "coverage", "--generation-database", "none"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1 and "Response header does not conform to the schema" in done.stdout, report(done)
