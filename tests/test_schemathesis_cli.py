"""Schemathesis' own CLI, every check, against the served mock: no failure."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract_tests.target import BUNDLED_API_KEY, BundledMock
from sonarly_openapi import SPEC_PATH


@pytest.fixture
def mock_url() -> Iterator[str]:
    mock = BundledMock()
    try:
        yield mock.start()
    finally:
        mock.stop()


def test_schemathesis_run_with_all_checks_finds_no_issue(mock_url: str, tmp_path: Path) -> None:
    schemathesis = Path(sys.executable).with_name("schemathesis")
    done = subprocess.run(
        [
            str(schemathesis),
            "run",
            str(SPEC_PATH),
            "--url",
            mock_url,
            "-H",
            f"Authorization: Bearer {BUNDLED_API_KEY}",
            "--checks",
            "all",
            "--max-examples",
            "50",
            "--generation-database",
            "none",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and "No issues found" in done.stdout, done.stdout[-4000:] + done.stderr[-2000:]
