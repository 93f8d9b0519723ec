"""A red gate reads like a verdict: the rule, what was expected and what came back, a request to replay
and the seed, and nothing of the suite's insides; any --tb style asked for gets pytest's own output."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import requests
from hypothesis.errors import FlakyFailure

from contract_tests.curl import curl_line
from contract_tests.failures import gate_view
from discard_contract import rules
from discard_contract.violations import ContractViolation, violation

from ..support.suite_process import run_pytest
from .test_contract_suite import SETTLE_SECONDS
from .variants import served
from .variants.auth_403 import permission_not_checked

SEED = "4242"
CAUGHT_BY = "test_a_key_without_campaigns_execute_is_403"
VARIABLES = {"sk_test_execute": "CONTRACT_API_KEY", "sk_test_readonly": "CONTRACT_API_KEY_WITHOUT_PERMISSION"}


def run_installed(base_url: str, workdir: Path, *args: str) -> tuple[int, str]:
    """The installed suite with the mock's keys, on one test; its exit code and its whole console output."""
    command = [
        "--pyargs", "contract_tests", "-p", "no:cacheprovider",
        f"--base-url={base_url}", "--api-key=sk_test_execute", "--api-key-without-permission=sk_test_readonly",
        f"--state-setup-url={base_url}/__mock/provider-states", f"--contract-seed={SEED}",
        f"--contract-settle-seconds={SETTLE_SECONDS}", "-k", CAUGHT_BY, *args,
    ]  # fmt: skip
    done = run_pytest(command, workdir, os.environ, timeout=300)
    return done.returncode, done.stdout + done.stderr


def failure_section(output: str) -> str:
    """What pytest shows for the failure: from its header to the suite's own section after it."""
    start = output.index(f"_ {CAUGHT_BY} _")
    return output[start : output.index("contract run", start)]


def argv_of(line: str, env: dict[str, str]) -> tuple[list[str], bytes]:
    """The arguments (and standard input) curl would get from `line`, as a POSIX shell runs it."""
    fake = "curl() { printf '%s\\0' \"$@\"; printf 'STDIN\\0'; cat; }; "
    done = subprocess.run(["sh", "-c", fake + line], env=env, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    args, _, stdin = done.stdout.partition(b"STDIN\0")
    return [arg.decode() for arg in args.split(b"\0")[:-1]], stdin


def test_by_default_a_failure_shows_the_rule_the_exchange_a_runnable_curl_line_and_the_seed(tmp_path: Path) -> None:
    with served(permission_not_checked) as mock:
        code, output = run_installed(mock.base_url, tmp_path)
        assert code == pytest.ExitCode.TESTS_FAILED, output
        shown = failure_section(output)
        rule = rules.AUTH_403
        assert f"CONTRACT «{rule.section}» [{rule.id}] (documented): {rule.title}" in shown, shown
        assert "expected 403, got 200" in shown and "response: 200 {" in shown, shown
        assert f"--contract-seed {SEED}" in shown, shown
        # No suite source, no fixture values, no traceback.
        for inside in ("expect_status(", "def test_", "key_without_permission =", "contract_tests/", "Traceback"):
            assert inside not in shown, f"{inside!r} shown:\n{shown}"
        curl = next(line for line in shown.splitlines() if "request:" in line).split("request:", 1)[1].strip()
        assert '-H "Authorization: Bearer $CONTRACT_API_KEY_WITHOUT_PERMISSION"' in curl, curl
        # It replays: the same request, now a repeat of the discard it made (409).
        args, _ = argv_of(curl, {"CONTRACT_API_KEY_WITHOUT_PERMISSION": "sk_test_readonly", "PATH": "/usr/bin:/bin"})
        method, url = args[args.index("-X") + 1], args[args.index("-X") + 2]
        headers = dict(args[i + 1].split(": ", 1) for i, arg in enumerate(args) if arg == "-H")
        assert headers["Authorization"] == "Bearer sk_test_readonly", headers
        assert requests.request(method, url, headers=headers, timeout=10).status_code == rules.REPEAT_409.status


def test_an_explicit_traceback_style_gives_pytests_own_output(tmp_path: Path) -> None:
    with served(permission_not_checked) as mock:
        code, output = run_installed(mock.base_url, tmp_path, "--tb=short")
    shown = failure_section(output)
    assert code == pytest.ExitCode.TESTS_FAILED, output
    assert "expect_status(" in shown and "test_auth.py:" in shown, shown  # pytest's: the source line, its place
    assert f"[{rules.AUTH_403.id}]" in shown, shown


# The gate's view of errors that wrap violations, and of a crash of the suite itself.


def _violation(rule: rules.Rule, what: str) -> ContractViolation:
    return violation(rule, what, request="curl -i -X POST http://127.0.0.1:9/v1/x", response="200 {}")


def test_a_violation_inside_a_hypothesis_error_is_shown_with_what_wraps_it() -> None:
    inner = _violation(rules.REPEAT_409, "a repeat of a successful discard: expected 409, got 200")
    message = "Hypothesis test_x(data=...) produces unreliable results: Falsified on the first call"
    flaky = FlakyFailure(message, [inner])
    view = gate_view(flaky, 7)
    assert view is not None
    text = str(view)
    assert "FlakyFailure: Hypothesis test_x" in text and "[repeat-409]" in text and "expected 409, got 200" in text
    assert "request:  curl -i -X POST" in text and "--contract-seed 7" in text, text
    assert view.reprcrash.message.startswith("CONTRACT «State rules» [repeat-409]"), view.reprcrash


def test_every_violation_of_a_group_is_shown_and_its_other_errors_named() -> None:
    first = _violation(rules.AUTH_401, "a discard with an unknown key: expected 401, got 200")
    second = _violation(rules.ENVELOPE, "the body lacks traceId")
    crash = ValueError("the target's answer could not be read")
    group = ExceptionGroup("Hypothesis found 3 distinct failures.", [first, second, crash])
    text = str(gate_view(group, 1))
    assert "1 of 2:" in text and "[auth-401]" in text and "2 of 2:" in text and "[envelope]" in text, text
    assert "ValueError: the target's answer could not be read" in text, text


def test_a_violation_in_the_cause_of_another_error_is_found() -> None:
    try:
        try:
            raise _violation(rules.SCOPE_404, "expected 404, got 200")
        except AssertionError as exc:
            raise RuntimeError("the state machine stopped") from exc
    except RuntimeError as wrapper:
        text = str(gate_view(wrapper, 1))
    assert "RuntimeError: the state machine stopped" in text and "[scope-404]" in text, text


def test_a_crash_of_the_suite_itself_keeps_pytests_traceback() -> None:
    try:
        raise TypeError("unsupported operand")
    except TypeError as exc:
        assert gate_view(exc, 1) is None


# The curl line as a shell runs it.


def test_a_key_is_its_variable_and_every_other_part_survives_the_shell() -> None:
    headers = {
        "Authorization": "Bearer sk_test_execute",
        "X-Note": 'it\'s "quoted" $HOME `date` !x',
        "Prefer": "code=404",
        "User-Agent": "python-requests/2",
    }
    line = curl_line("POST", "http://127.0.0.1:9/v1/a b?x=1&y=2", headers, '{"a": "é \'$x\'"}'.encode(), VARIABLES)
    assert '-H "Authorization: Bearer $CONTRACT_API_KEY"' in line and "sk_test_execute" not in line, line
    args, _ = argv_of(line, {"CONTRACT_API_KEY": "sk_test_execute", "HOME": "/nowhere", "PATH": "/usr/bin:/bin"})
    assert args == [
        "-i", "-X", "POST", "http://127.0.0.1:9/v1/a b?x=1&y=2",
        "-H", "Authorization: Bearer sk_test_execute",
        "-H", "X-Note: it's \"quoted\" $HOME `date` !x",
        "-H", "Prefer: code=404",
        "-H", "Content-Type:",
        "--data-binary", "{\"a\": \"é '$x'\"}",
    ]  # fmt: skip


def test_a_key_beside_shell_specials_is_still_its_variable() -> None:
    line = curl_line("POST", "http://h/", {"X-Keys": 'sk_test_readonly"$`'}, None, VARIABLES)
    assert "sk_test_readonly" not in line, line
    args, _ = argv_of(line, {"CONTRACT_API_KEY_WITHOUT_PERMISSION": "sk_test_readonly", "PATH": "/usr/bin:/bin"})
    assert args[-1] == 'X-Keys: sk_test_readonly"$`', args


def test_a_body_that_is_not_text_goes_in_through_printf() -> None:
    body = bytes(range(256))
    line = curl_line("POST", "http://h/", {"Content-Type": "application/octet-stream"}, body, VARIABLES)
    args, stdin = argv_of(line, {"PATH": "/usr/bin:/bin"})
    assert stdin == body and args[-2:] == ["--data-binary", "@-"], (args, stdin[:20])
