"""examples/pact-consumer runs as a user would run it: its consumer test writes the pact, its
provider test verifies that pact against a served mock through /__mock/provider-states."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..support.helpers import ROOT
from ..support.served import MockProcess

EXAMPLE = ROOT / "examples" / "pact-consumer"
PACT_NAME = "campaign-approvals-ui-sonarly-discard-mock.json"


def run_example(mock: MockProcess, pact_dir: Path, *tests: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PACT_DIR": str(pact_dir), "DISCARD_MOCK_URL": mock.base_url, "PACT_DO_NOT_TRACK": "true"}
    # The contract suite's plugin is not needed there (and is slow to import).
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:contract_tests.plugin"]
    return subprocess.run(
        [*command, "--rootdir", str(EXAMPLE), *tests],
        cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def example_run(served_mock: MockProcess, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The whole example, once: its pact folder and its pytest output."""
    pact_dir = tmp_path_factory.mktemp("pacts")
    result = run_example(served_mock, pact_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    return pact_dir, result.stdout


def test_the_consumer_pact_is_written_and_verifies_against_the_mock(example_run: tuple[Path, str]) -> None:
    pact_dir, output = example_run
    assert "4 passed" in output
    pact = json.loads((pact_dir / PACT_NAME).read_text(encoding="utf-8"))
    assert sorted(i["response"]["status"] for i in pact["interactions"]) == [200, 401, 409]
    assert all(i["request"]["generators"]["path"]["type"] == "ProviderState" for i in pact["interactions"])


def test_verification_fails_when_the_path_ignores_the_provider_state(
    example_run: tuple[Path, str], served_mock: MockProcess, tmp_path: Path
) -> None:
    """Control: without the ProviderState generator the verifier sends the pact's example IDs, which the
    provider test catches, so its pass above means the injected IDs were used."""
    pact = json.loads((example_run[0] / PACT_NAME).read_text(encoding="utf-8"))
    for interaction in pact["interactions"]:
        del interaction["request"]["generators"]
    (tmp_path / PACT_NAME).write_text(json.dumps(pact), encoding="utf-8")
    served_mock.call("POST", "/__mock/reset")

    result = run_example(served_mock, tmp_path, "test_discard_provider.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed" in result.stdout
