"""`discard-mock` refuses a value it cannot use with one line of usage, never a traceback; `--version` says which."""

from __future__ import annotations

import importlib.metadata

import pytest

from ..support.helpers import run_cli

DISTRIBUTION = "sonarly-discard-contract"  # pyproject.toml's project name: what `pip install` installed


@pytest.mark.parametrize(
    ("port", "reason"),
    [("99999", "must be at most 65535, got 99999"), ("65536", "at most 65535"), ("-1", "at least 0"), ("x", "whole")],
)
def test_a_port_outside_0_to_65535_is_a_usage_error(port: str, reason: str) -> None:
    result = run_cli(["serve", "--port", port], timeout=30)
    assert result.returncode == 2, result.stderr
    assert f"argument --port: {reason}" in result.stderr or reason in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "listening" not in result.stderr


def test_version_names_the_installed_release() -> None:
    result = run_cli(["--version"], timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"discard-mock {importlib.metadata.version(DISTRIBUTION)}\n"
