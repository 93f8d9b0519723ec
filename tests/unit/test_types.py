"""The type checker: mypy --strict over discard_contract/, mock_server/, contract_tests/ and tools/.

The configuration (what is checked, how strictly, the per-library exceptions)
lives in pyproject.toml's [tool.mypy], so `python -m mypy` at the repository's
top gives the same answer here, in CI and in an editor. Its incremental cache
(.mypy_cache/) makes a run after a small change take about a second.
"""

from __future__ import annotations

import subprocess
import sys

from ..support.helpers import ROOT


def test_mypy_strict_finds_no_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"mypy found errors (pyproject.toml [tool.mypy]):\n{result.stdout}{result.stderr}"
