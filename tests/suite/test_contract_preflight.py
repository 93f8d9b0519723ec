"""The suite's preflight and option parsing: a broken job is a usage error (4), never a "violation".

Run in-process with pytester: these runs stop before the first contract test,
so they cost a fraction of a second each.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract_tests.options import OptionError, parse_flag, parse_rate_limit
from contract_tests.preflight import Preflight
from contract_tests.probe import MAX_WAIT_SECONDS, WAIT_BUDGET_SECONDS, PreflightError
from contract_tests.target import BUNDLED_STATE_PATH, Target
from discard_contract import rules

from .test_contract_suite import run_suite
from .variants import ServedApp, served
from .variants.account_group import unauthorized_for_other_groups
from .variants.auth_403 import unauthorized_without_permission
from .variants.correct import every_request_unauthorized
from .variants.rate_limit import every_request_throttled

pytest_plugins = ["pytester"]

MAX_LINES = 8  # "one message, a few lines"


@pytest.fixture(scope="module")
def mock() -> Iterator[ServedApp]:
    with served() as app:
        yield app


def usage_error(pytester: pytest.Pytester, *args: str) -> str:
    """Runs the installed suite with `args`; asserts it stopped with exit 4 in a few lines; returns the output."""
    result = pytester.runpytest_inprocess(
        "--pyargs", "contract_tests", "-p", "no:cacheprovider", "-p", "no:warnings", "-q", *args
    )
    output = "\n".join(result.outlines + result.errlines).strip()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert "Traceback" not in output and "passed" not in output and "failed" not in output, output
    assert len(output.splitlines()) <= MAX_LINES, output
    return output


@pytest.mark.parametrize(
    "args,named",
    [
        (["--api-key=sk_live_wrong_key_0123456789abcdef"], "--api-key sk_live_…: the target refused it"),
        (["--api-key-without-permission=sk_live_not_a_key_0123456789"], "--api-key-without-permission sk_live"),
        (["--state-setup-url={url}/__mock/nope"], "--state-setup-url {url}/__mock/nope"),
        (["--base-url={url}/v1"], "--base-url {url}/v1"),
        (["--state-setup-url=http://127.0.0.1:9/states"], "--state-setup-url: cannot reach http://127.0.0.1:9/states"),
        (["--state-setup-url=", "--fixtures-file=/nonexistent/fixtures.json"], "--fixtures-file: fixtures file"),
    ],
    ids=[
        "wrong key",
        "wrong key without permission",
        "wrong state URL",
        "base URL with /v1",
        "unreachable state URL",
        "missing fixtures file",
    ],
)
def test_a_misconfigured_run_names_the_option_before_any_test(
    pytester: pytest.Pytester, mock: ServedApp, args: list[str], named: str
) -> None:
    args = [a.format(url=mock.base_url) for a in args]
    given = [f"--base-url={mock.base_url}"] if not any(a.startswith("--base-url") for a in args) else []
    output = usage_error(pytester, *given, *args)
    assert named.format(url=mock.base_url) in output, output
    assert any(said in output for said in ("answered", "cannot reach", "No such file")), output  # what came back
    keys = [arg.partition("=")[2] for arg in args if arg.startswith("--api-key")]
    assert not any(key in output for key in keys), f"a key in clear: {output}"


def test_an_unreachable_target_is_one_line(pytester: pytest.Pytester) -> None:
    output = usage_error(pytester, "--base-url=http://127.0.0.1:9")
    assert "--base-url: cannot reach http://127.0.0.1:9/v1/" in output and "connection refused" in output, output


def test_a_target_that_rejects_every_key_is_a_usage_error_not_a_violation(pytester: pytest.Pytester) -> None:
    with served(every_request_unauthorized) as mock:
        output = usage_error(pytester, f"--base-url={mock.base_url}")
    assert "--api-key" in output and "401" in output, output


def test_a_key_without_permission_that_gets_401_names_the_option_and_the_rule(pytester: pytest.Pytester) -> None:
    """A valid key without campaigns:execute answered 401 looks, from outside, exactly like an invalid key:
    the message names both, so neither the job nor the target is blamed alone."""
    with served(unauthorized_without_permission) as mock:
        output = usage_error(pytester, f"--base-url={mock.base_url}")
    assert "--api-key-without-permission" in output and f"breaks {rules.AUTH_403.id}" in output, output


def test_swapped_keys_are_a_usage_error_naming_the_key_without_permission(
    pytester: pytest.Pytester, mock: ServedApp
) -> None:
    output = usage_error(
        pytester,
        f"--base-url={mock.base_url}",
        "--api-key=sk_test_readonly",
        "--api-key-without-permission=sk_test_execute",
    )
    assert "--api-key-without-permission" in output and "swapped" in output, output


def test_a_foreign_account_group_answered_401_without_a_home_group_names_the_key_and_the_rule(
    pytester: pytest.Pytester,
) -> None:
    """Without a provisioned instance the preflight can only ask in an account group that does not
    exist: a 401 there is a refused key or a target breaking account-group, and the message says both."""
    with served(unauthorized_for_other_groups) as mock:
        output = usage_error(pytester, f"--base-url={mock.base_url}", "--state-setup-url=")
    assert "--api-key" in output and f"breaks {rules.ACCOUNT_GROUP.id}" in output, output
    assert "--state-setup-url" in output, output  # what would let it tell the two apart


def test_a_target_that_throttles_every_preflight_request_cannot_be_judged(tmp_path: Path) -> None:
    """Retry-After: 3600 on every API request: the installed suite says so, as a usage error, in seconds
    (run_suite's subprocess would time out long before the hour it asks for)."""
    with served(every_request_throttled) as mock:
        run = run_suite(mock.base_url, tmp_path)
    assert run.code == pytest.ExitCode.USAGE_ERROR, run.output
    assert re.search(r"cannot judge the target: \d+ of \d+ preflight requests throttled", run.output), run.output


def test_the_preflight_caps_every_wait_and_all_of_them_together() -> None:
    """The waits are counted, not timed: each within the cap, all within the budget, however long the
    target asks to wait."""
    waits: list[float] = []
    with served(every_request_throttled) as mock:
        target = Target(mock.base_url, "sk_test_execute", "sk_test_readonly", mock.base_url + BUNDLED_STATE_PATH, None)
        with pytest.raises(PreflightError, match=r"^3 of 4 preflight requests throttled"):
            Preflight(target, {}, sleep=waits.append).run()
    assert waits and all(0 < wait <= MAX_WAIT_SECONDS for wait in waits), waits
    assert sum(waits) <= WAIT_BUDGET_SECONDS, waits


def test_without_a_provisioned_instance_the_header_says_which_key_is_which_was_not_checked(
    pytester: pytest.Pytester, mock: ServedApp
) -> None:
    result = pytester.runpytest_inprocess(  # not -q: that leaves the header out
        "--pyargs", "contract_tests", "-p", "no:cacheprovider", "-p", "no:warnings",
        f"--base-url={mock.base_url}", "--state-setup-url=", "-k", "test_every_answer_has_its_own_trace_id",
    )  # fmt: skip
    output = "\n".join(result.outlines + result.errlines)
    assert result.ret == pytest.ExitCode.OK, output
    assert "could not check which key is which" in output, output


def test_with_a_provisioned_instance_the_preflight_checks_the_keys_and_says_nothing(mock: ServedApp) -> None:
    target = Target(mock.base_url, "sk_test_execute", "sk_test_readonly", mock.base_url + BUNDLED_STATE_PATH, None)
    assert Preflight(target, {}).run() == []


def test_a_header_that_does_not_parse_is_refused_without_showing_its_value(pytester: pytest.Pytester) -> None:
    output = usage_error(pytester, "--state-setup-header=X-Mock-Control-Token sk_hidden_value_42")
    assert "--state-setup-header: not a header" in output and "sk_hidden_value_42" not in output, output


@pytest.mark.parametrize(
    "args,env,named",
    [
        (["--contract-rate-limit=0/s"], {}, "--contract-rate-limit: '0/s' allows no request"),
        (["--contract-rate-limit=fast"], {}, "--contract-rate-limit: 'fast' is not a rate"),
        ([], {"CONTRACT_RATE_LIMIT": "fast"}, "CONTRACT_RATE_LIMIT (for --contract-rate-limit)"),
        ([], {"CONTRACT_NO_SHRINK": "maybe"}, "CONTRACT_NO_SHRINK (for --contract-no-shrink): 'maybe'"),
        (["--contract-examples=0"], {}, "--contract-examples: 0 is below the minimum"),
        (["--state-setup-header=no colon"], {}, "--state-setup-header: not a header (there is no 'Name:'"),
        (["--contract-settle-seconds=-1"], {}, "--contract-settle-seconds: -1 is below the minimum, 0 seconds"),
        (["--contract-settle-seconds=inf"], {}, "--contract-settle-seconds: 'inf' is not a finite number"),
        ([], {"CONTRACT_TIME_BUDGET": "nan"}, "CONTRACT_TIME_BUDGET (for --contract-time-budget): 'nan' is not a"),
        (["--contract-time-budget=soon"], {}, "--contract-time-budget: 'soon' is not a number of seconds"),
        ([], {"CONTRACT_BUNDLED_MOCK": "maybe"}, "CONTRACT_BUNDLED_MOCK (for --contract-bundled-mock): 'maybe'"),
    ],
)
def test_an_option_value_that_does_not_parse_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str], named: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert named in usage_error(pytester, *args)


def test_rates_read_as_a_person_writes_them() -> None:
    assert parse_rate_limit("600/min") == "600/m"
    assert parse_rate_limit("10/s") == "10/s"
    assert parse_rate_limit("1000 / hour") == "1000/h"
    for bad in ("0/s", "fast", "10/fortnight", "-1/s", "10"):
        with pytest.raises(OptionError):
            parse_rate_limit(bad)


def test_flags_are_yes_or_no_and_nothing_else() -> None:
    assert [parse_flag(v) for v in ("1", "true", "Yes", "ON")] == [True] * 4
    assert [parse_flag(v) for v in ("0", "False", "no", "off")] == [False] * 4
    for bad in ("maybe", "2", "enabled"):
        with pytest.raises(OptionError):
            parse_flag(bad)


def test_a_run_without_contract_tests_is_left_alone(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """Installed in a venv, the plugin must not touch other projects' runs: no header, no seed, no
    option errors for settings it would not use."""
    monkeypatch.setenv("CONTRACT_RATE_LIMIT", "fast")
    pytester.makepyfile(
        test_other="""
        from hypothesis import given, strategies as st

        @given(st.integers())
        def test_anything(n):
            assert isinstance(n, int)
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:warnings")
    output = "\n".join(result.outlines + result.errlines)
    assert result.ret == 0, output
    assert "contract suite" not in output and "contract rules" not in output, output
    assert "hypothesis-seed" not in output, output
