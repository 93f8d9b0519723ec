"""compose.yaml as a platform team runs it: Redis and two replicas of the mock that answer as one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..support.containers import free_port, podman_env, unique, wait_answering
from ..support.helpers import ROOT, bearer, discard_path
from ..support.served import call

COMPOSE = Path(sys.executable).with_name("podman-compose")  # the test extra's podman-compose


@pytest.fixture(scope="module")
def fleet(mock_image: str, redis_image: str) -> Iterator[tuple[str, str]]:
    """`compose up` with this run's images on two free loopback ports; the replicas' base URLs."""
    if not COMPOSE.exists() and shutil.which("podman-compose") is None:
        pytest.fail("podman-compose is missing: it is in the test extra (pip install -e '.[test]')")
    ports = free_port(), free_port()
    project = unique("discard-fleet")
    env = podman_env() | {
        "DISCARD_MOCK_IMAGE": mock_image,
        "REDIS_IMAGE": redis_image,
        "DISCARD_MOCK_PORT_1": str(ports[0]),
        "DISCARD_MOCK_PORT_2": str(ports[1]),
        "DISCARD_MOCK_CONTROL_TOKEN": "fleet-secret",
    }
    command = [str(COMPOSE) if COMPOSE.exists() else "podman-compose", "--project-name", project]
    command += ["--file", str(ROOT / "compose.yaml")]
    try:
        up = subprocess.run([*command, "up", "--detach"], env=env, capture_output=True, text=True, timeout=180)
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        replicas = [f"http://127.0.0.1:{port}" for port in ports]
        for url in replicas:
            wait_answering(url, lambda: logs(command, env))
        yield replicas[0], replicas[1]
    finally:
        subprocess.run([*command, "down", "--timeout", "5"], env=env, capture_output=True, timeout=120)


def logs(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([*command, "logs"], env=env, capture_output=True, text=True, timeout=60)
    return done.stdout[-4000:] + done.stderr[-2000:]


def test_a_discard_through_one_replica_is_a_conflict_through_the_other(fleet: tuple[str, str]) -> None:
    first, second = fleet
    token = {"X-Mock-Control-Token": "fleet-secret"}
    for replica in fleet:
        status, _, health = call(replica + "/__mock/health", headers=token)
        assert status == 200 and health["store"]["kind"] == "redis", health
    assert call(first + "/__mock/reset", "POST")[0] == 401, "the control token from the environment must be asked for"
    assert call(first + "/__mock/reset", "POST", headers=token)[0] == 200
    assert call(first + discard_path(), "POST", headers=bearer())[0] == 200
    status, _, answer = call(second + discard_path(), "POST", headers=bearer())
    assert (status, answer["error"]["code"]) == (409, "CONFLICT"), answer
    assert call(second + "/__mock/reset", "POST", headers=token)[0] == 200
