"""The suite's preflight and option parsing: a broken job is a usage error (4), never a "violation".

Run in-process with pytester: these runs stop before the first contract test,
so they cost a fraction of a second each.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contract_tests.options import OptionError, parse_flag, parse_rate_limit

from .variants import ServedApp, served
from .variants.correct import every_request_unauthorized

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
        (["--api-key=sk_live_wrong"], "--api-key sk_live_"),
        (["--api-key-without-permission=nope"], "--api-key-without-permission"),
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


def test_an_unreachable_target_is_one_line(pytester: pytest.Pytester) -> None:
    output = usage_error(pytester, "--base-url=http://127.0.0.1:9")
    assert "--base-url: cannot reach http://127.0.0.1:9/v1/" in output and "connection refused" in output, output


def test_a_target_that_rejects_every_key_is_a_usage_error_not_a_violation(pytester: pytest.Pytester) -> None:
    with served(every_request_unauthorized) as mock:
        output = usage_error(pytester, f"--base-url={mock.base_url}")
    assert "--api-key" in output and "401" in output, output


@pytest.mark.parametrize(
    "args,env,named",
    [
        (["--contract-rate-limit=0/s"], {}, "--contract-rate-limit: '0/s' allows no request"),
        (["--contract-rate-limit=fast"], {}, "--contract-rate-limit: 'fast' is not a rate"),
        ([], {"CONTRACT_RATE_LIMIT": "fast"}, "CONTRACT_RATE_LIMIT (for --contract-rate-limit)"),
        ([], {"CONTRACT_NO_SHRINK": "maybe"}, "CONTRACT_NO_SHRINK (for --contract-no-shrink): 'maybe'"),
        (["--contract-examples=0"], {}, "--contract-examples: 0 is below the minimum"),
        (["--state-setup-header=no colon"], {}, "--state-setup-header: not a header (there is no 'Name:'"),
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
