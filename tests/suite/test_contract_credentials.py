"""No credential in any output of the suite, whatever fails and however pytest is asked to show it.

The installed suite runs against a mock that accepts only keys of its own,
distinctive ones, sits behind a control token, breaks three rules (tests that
hold the keys in their locals fail) and answers the provider states it cannot
set up with a debug page that echoes every header it got. Every artefact a CI
job keeps is then searched for any piece of any credential.
"""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from flask import Flask, Response

from contract_tests.credentials import Credentials, redact_url
from contract_tests.provisioning import NOT_PENDING
from mock_server import create_app
from mock_server.endpoint.keys import ApiKey

from ..support.suite_process import run_pytest
from .test_contract_suite import SETTLE_SECONDS
from .variants import ServedApp, served
from .variants.auth_403 import NoPermissionCheckKeyring
from .variants.repeat_409 import IdempotentStore
from .variants.serving import endpoint_of, with_store

MARK = "DISTINCTIVE"  # in every credential below: any piece of one that shows carries it
KEY = f"sk_live_{MARK}_execute_7f3a9c2e51b84d06"
KEY_WITHOUT_PERMISSION = f"sk_live_{MARK}_readonly_0c4d8e2f9a7b1635"
CONTROL_TOKEN = f"ctl_{MARK}_token_5e1f0a9b"
URL_USER, URL_PASSWORD = "gate", f"pw_{MARK}_userinfo_2b7d"
URL_TOKEN = f"qtok_{MARK}_query_8c1e"
# What requests makes of the URL's userinfo: it carries no MARK, so it is searched for as it is.
BASIC = base64.b64encode(f"{URL_USER}:{URL_PASSWORD}".encode()).decode()
GROUPS = frozenset({"acme-retail", "globex-media"})
ECHO_PATH = "/__mock/echoing-states"

# Each fails in this mock, holding a key in its locals or its request, or errors in setup.
FAILING = (
    "test_a_key_without_campaigns_execute_is_403",  # holds --api-key-without-permission
    "test_the_key_without_its_bearer_scheme_is_401",  # holds --api-key
    "test_a_repeated_discard_is_a_conflict",
    "test_an_instance_not_pending_approval_is_a_conflict",  # the provider state's debug page
)


class LenientKeyring(NoPermissionCheckKeyring):
    """Checks no permission, and takes a key without its 'Bearer ' too."""

    def authenticate(self, authorization: str | None) -> ApiKey:
        if authorization and not authorization.startswith(("Bearer ", "Basic ")):
            authorization = f"Bearer {authorization}"
        return super().authenticate(authorization)


def echoing_debug_pages(app: Flask) -> None:
    """A not-pending provider state, and anything at ECHO_PATH, gets a 500 debug page that repeats
    every header and the query string of the request: credentials in a message the suite quotes."""
    wsgi_app = app.wsgi_app

    def layer(environ: dict[str, Any], start_response: Any) -> Any:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        state_call = environ.get("PATH_INFO", "").startswith("/__mock/provider-states")
        if environ.get("PATH_INFO") == ECHO_PATH or (state_call and NOT_PENDING.encode() in body):
            seen = {k: v for k, v in environ.items() if k.startswith("HTTP_") or k == "QUERY_STRING"}
            return Response(f"debug: request was {seen!r}", 500, mimetype="text/plain")(environ, start_response)
        return wsgi_app(environ, start_response)

    app.wsgi_app = layer  # type: ignore[method-assign]


def distinctive_mock() -> Flask:
    app = create_app({**with_store(IdempotentStore), "CONTROL_TOKEN": CONTROL_TOKEN})
    endpoint_of(app).keyring = LenientKeyring(
        [
            ApiKey(KEY, frozenset({"campaigns:read", "campaigns:execute"}), GROUPS),
            ApiKey(KEY_WITHOUT_PERMISSION, frozenset({"campaigns:read"}), GROUPS),
        ]
    )
    echoing_debug_pages(app)
    return app


@contextmanager
def mock() -> Iterator[ServedApp]:
    with served(app=distinctive_mock()) as app:
        yield app


def state_url(base_url: str, path: str = "/__mock/provider-states") -> str:
    with_userinfo = base_url.replace("http://", f"http://{URL_USER}:{URL_PASSWORD}@")
    return f"{with_userinfo}{path}?access_token={URL_TOKEN}&consumer=gate"


def run_with_every_artefact(base_url: str, workdir: Path, *args: str) -> tuple[int, dict[str, str]]:
    """The installed suite with every credential given; its exit code and every artefact a CI job keeps."""
    files = {"junit": workdir / "junit.xml", "report": workdir / "report.json", "summary": workdir / "summary.md"}
    command = [
        "--pyargs", "contract_tests", "-p", "no:cacheprovider",
        f"--base-url={base_url}", f"--api-key={KEY}", f"--api-key-without-permission={KEY_WITHOUT_PERMISSION}",
        f"--state-setup-header=X-Mock-Control-Token: {CONTROL_TOKEN}", "--contract-no-shrink",
        "--contract-examples=8", f"--contract-settle-seconds={SETTLE_SECONDS}",
        f"--junitxml={files['junit']}", f"--contract-report={files['report']}", *args,
    ]  # fmt: skip
    environment = {**os.environ, "GITHUB_STEP_SUMMARY": str(files["summary"])}
    done = run_pytest(command, workdir, environment, timeout=300)
    artefacts = {"stdout": done.stdout, "stderr": done.stderr}
    artefacts |= {name: path.read_text() for name, path in files.items() if path.exists()}
    return done.returncode, artefacts


def leaks(artefacts: dict[str, str]) -> list[str]:
    """Where any piece of a credential shows: each hit with its surroundings."""
    found = []
    for name, text in artefacts.items():
        for needle in (MARK, BASIC):
            start = text.find(needle)
            while start != -1:
                found.append(f"{name}: …{text[max(0, start - 80) : start + 60]!r}…")
                start = text.find(needle, start + 1)
    return found


STYLES = {
    "long, locals, -vv, -rA": ("--tb=long", "--showlocals", "-vv", "-rA"),
    "the default (the gate's view), -rA": ("-rA",),
    "short with locals": ("--tb=short", "-l", "-v"),
    "native, -vv": ("--tb=native", "-vv", "-rA"),
    "line": ("--tb=line",),
}


@pytest.mark.parametrize("style", STYLES.values(), ids=list(STYLES))
def test_failing_tests_show_no_credential_in_any_artefact(style: tuple[str, ...], tmp_path: Path) -> None:
    with mock() as app:
        code, artefacts = run_with_every_artefact(
            app.base_url, tmp_path, f"--state-setup-url={state_url(app.base_url)}", "-k", " or ".join(FAILING), *style
        )
    shown = "\n".join(artefacts.values())
    # Not vacuous: the run got as far as failing each test, in every artefact asked for.
    assert code == pytest.ExitCode.TESTS_FAILED, shown[-5000:]
    assert {"junit", "report", "summary"} <= set(artefacts), sorted(artefacts)
    verdicts = {rule["id"]: rule["verdict"] for rule in json.loads(artefacts["report"])["rules"]}
    assert verdicts["auth-403"] == verdicts["auth-401"] == verdicts["repeat-409"] == "failed", verdicts
    assert "debug: request was" in shown, "the provider state's echo never reached the output"
    assert not leaks(artefacts), "\n".join(leaks(artefacts))


def test_a_preflight_failure_shows_no_credential(tmp_path: Path) -> None:
    """The state URL answers the preflight's setup with a debug page quoting the token and the URL."""
    with mock() as app:
        code, artefacts = run_with_every_artefact(
            app.base_url, tmp_path, f"--state-setup-url={state_url(app.base_url, ECHO_PATH)}", "-vv", "-rA"
        )
    shown = "\n".join(artefacts.values())
    assert code == pytest.ExitCode.USAGE_ERROR and "--state-setup-url" in shown and "debug: request" in shown, shown
    assert not leaks(artefacts), "\n".join(leaks(artefacts))


# The scrubber and the URL redaction on their own.


def credentials() -> Credentials:
    return Credentials.of(
        api_key=KEY,
        api_key_without_permission=KEY_WITHOUT_PERMISSION,
        headers={"X-Mock-Control-Token": CONTROL_TOKEN},
        urls=[state_url("http://127.0.0.1:9")],
    )


@pytest.mark.parametrize(
    "form",
    [
        KEY,
        f"Bearer {KEY}",
        json.dumps({"Authorization": f"Bearer {KEY}"}),
        repr({"token": CONTROL_TOKEN}),
        "http://127.0.0.1:9/states?access_token=" + URL_TOKEN,
        f"Authorization: Basic {BASIC}",
    ],
    ids=["bare", "bearer", "json", "repr", "query", "basic"],
)
def test_a_credential_is_scrubbed_in_any_form(form: str) -> None:
    scrubbed = credentials().scrub(f"before {form} after")
    assert MARK not in scrubbed and BASIC not in scrubbed, scrubbed
    assert scrubbed.startswith("before ") and scrubbed.endswith(" after"), scrubbed


def test_a_credential_is_scrubbed_percent_encoded_and_escaped() -> None:
    token = f'tök/{MARK} "+=&'
    scrubbed = Credentials.of(headers={"X-Token": token}).scrub(
        f"{quote(token, safe='')} {quote_plus(token)} {json.dumps(token)} {token!r} {token.encode()!r}"
    )
    assert MARK not in scrubbed, scrubbed


def test_a_key_becomes_its_variable_and_anything_else_stars() -> None:
    scrubbed = credentials().scrub(f"{KEY} {KEY_WITHOUT_PERMISSION} {CONTROL_TOKEN}")
    assert scrubbed == "$CONTRACT_API_KEY $CONTRACT_API_KEY_WITHOUT_PERMISSION ***"


@pytest.mark.parametrize("cut", ["...", " ... "], ids=["saferepr", "schemathesis"])
def test_a_credential_cut_short_is_scrubbed_on_both_sides_of_the_cut(cut: str) -> None:
    """saferepr and Schemathesis keep the head and the tail of long text: either may be part of a key."""
    head, tail = KEY[:20], KEY[-12:]
    scrubbed = credentials().scrub(f"{{'Authorization': 'Bearer {head}{cut}{tail}'}}")
    assert head not in scrubbed and tail not in scrubbed and MARK not in scrubbed, scrubbed
    assert scrubbed.startswith("{'Authorization': 'Bearer ") and cut in scrubbed, scrubbed


def test_a_url_keeps_its_place_and_loses_its_credentials() -> None:
    url = state_url("http://127.0.0.1:9")
    assert redact_url(url) == "http://***@127.0.0.1:9/__mock/provider-states?access_token=***&consumer=gate"
    assert redact_url("https://api.example.test/states?page=2") == "https://api.example.test/states?page=2"
