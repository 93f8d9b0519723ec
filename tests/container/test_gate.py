"""The image as a CI system's gate step: `docker run IMAGE contract --base-url URL ...`.

The suite's exit codes come out of the container unchanged (0 green, 1 a rule broken, 4 cannot judge),
and its JUnit file and report land in the folder mounted at /out.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..suite.variants import BROKEN, served
from ..support.containers import Container, podman

QUICK = ("--contract-examples=8", "--contract-no-shrink", "--contract-settle-seconds=0.5")
BUG = "idempotent discard"  # a mock whose repeated discard is a 200 again (rule repeat-409)


@pytest.fixture(scope="module")
def target(mock_image: str) -> Iterator[Container]:
    running = Container(mock_image, "--quiet")
    try:
        running.wait_answering()
        yield running
    finally:
        running.remove()


def gate(image: str, out: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """One gate step: the image's `contract` command on the host's network, /out mounted; exit code, output."""
    out.chmod(0o777)  # the image's user (uid 10001) writes there
    options = [f"--env={key}={value}" for key, value in (env or {}).items()]
    done = podman(
        "run", "--rm", "--network=host", f"--volume={out}:/out", *options, image, "contract",
        "--junitxml=/out/junit.xml", "--contract-report=/out/report.json", *args,
        timeout=300, check=False,
    )  # fmt: skip
    return done.returncode, done.stdout[-4000:] + done.stderr[-2000:]


def test_the_image_holds_the_unicode_tables_a_gate_run_would_build(mock_image: str) -> None:
    """Built at image build by the suite's collection, in the working directory a gate step starts in."""
    listed = podman("run", "--rm", mock_image, "sh", "-c", "ls .hypothesis/unicode_data/*/").stdout.split()
    assert {"charmap.json.gz", "codec-v2-utf-8.json.gz"} <= set(listed), listed


def test_the_gate_passes_the_mock_container(mock_image: str, target: Container, tmp_path: Path) -> None:
    code, output = gate(
        mock_image, tmp_path, f"--base-url={target.base_url}", "--api-key=sk_test_execute", *QUICK, env={"CI": "true"}
    )
    assert code == 0, output
    assert json.loads((tmp_path / "report.json").read_text())["rules"], output
    cases = list(ET.parse(tmp_path / "junit.xml").iter("testcase"))
    assert cases and all(case.find("failure") is None for case in cases), output


def test_the_gate_fails_a_broken_mock_with_exit_1_and_leaves_the_junit_file(mock_image: str, tmp_path: Path) -> None:
    bug = BROKEN[BUG]
    with served(bug.inject) as mock:
        code, output = gate(
            mock_image, tmp_path, f"--base-url={mock.base_url}", "--api-key=sk_test_execute",
            f"--state-setup-url={mock.base_url}/__mock/provider-states", "-k", " or ".join(bug.catchers), *QUICK,
        )  # fmt: skip
    assert code == 1, output
    failures = [
        case.get("name")
        for case in ET.parse(tmp_path / "junit.xml").iter("testcase")
        if case.find("failure") is not None
    ]
    assert failures and f"[{bug.rule.id}]" in output, output


def test_without_a_target_the_gate_judges_the_bundled_mock_but_not_under_ci(mock_image: str, tmp_path: Path) -> None:
    code, output = gate(mock_image, tmp_path, "-k", "test_a_repeated_discard_is_a_conflict", *QUICK)
    assert code == 0, output
    assert "(the bundled mock)" in output, output
    code, output = gate(mock_image, tmp_path, *QUICK, env={"CI": "true"})
    assert code == 4 and "--base-url" in output, output
