"""Podman for the container tests: the image built once per test run, containers run and removed.

The image is built from the repository's Dockerfile on the local base image `./run test` prepares
(`container/debian-base.sh`), from wheels built on this host (`container/wheels.sh`): no registry is
reachable here, Debian's mirror is. One pytest-xdist worker builds under a file lock and leaves the
image's ID for the others, so a run builds once; Podman's layer cache keeps the apt and dependency
layers between runs, so after a code change only the project's layer is built again.
"""

from __future__ import annotations

import fcntl
import hashlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from .helpers import ROOT

BASE_IMAGE = "localhost/debian-base:bookworm"  # made by container/debian-base.sh (./run test)
CONTAINERS_CONF = ROOT / "container" / "containers.conf"
# Each checkout its own tags, so two worktrees' test runs on one machine never replace each other's image.
CHECKOUT = hashlib.sha1(str(ROOT).encode()).hexdigest()[:8]
MOCK_IMAGE = f"localhost/discard-mock:test-{CHECKOUT}"
REDIS_IMAGE = f"localhost/redis-debian:test-{CHECKOUT}"


def podman_env() -> dict[str, str]:
    """This process's environment with the repository's containers.conf unless one is set (see that file)."""
    return {"CONTAINERS_CONF": str(CONTAINERS_CONF)} | dict(os.environ)


def podman(*args: str, timeout: float = 120.0, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`podman ARGS` to completion; with `check`, a failure shows podman's own words."""
    done = subprocess.run(["podman", *args], env=podman_env(), capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        pytest.fail(f"podman {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done


def unavailable_reason() -> str | None:
    """Why containers cannot be built here, or None."""
    if shutil.which("podman") is None:
        return "podman is missing (apt-get install podman runc debootstrap; ./run test installs them as root)"
    if podman("image", "exists", BASE_IMAGE, check=False).returncode != 0:
        return f"the base image {BASE_IMAGE} is missing (./run test makes it with container/debian-base.sh)"
    return None


def require_podman() -> None:
    """A skip naming what is missing; under CI=true a failure, as CI must provide it."""
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"not run: {reason}. CI must provide it.")
        pytest.skip(f"not run: {reason}")


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Holds an exclusive lock on `path` (a file shared by the xdist workers of one run)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def built_once(shared: Path, name: str, tag: str, build: Sequence[str]) -> str:
    """Runs `podman build --tag TAG ARGS` once per test run (the first worker to get here), then answers its
    image ID. The image the tag named before is removed when the build replaced it, so runs on one machine
    do not pile up images (a build stage's cache stays for a day)."""
    with locked(shared / f"{name}.lock"):
        stamp = shared / f"{name}.id"
        if not stamp.exists():
            before = podman("image", "inspect", "--format", "{{.Id}}", tag, check=False).stdout.strip()
            podman("build", "--quiet", "--format", "docker", "--iidfile", str(stamp), "--tag", tag, *build, timeout=900)
            if before and before not in stamp.read_text():
                podman("rmi", before, check=False)  # still used by a container: kept, and that is fine
            # Untagged stage images a day old: a dependency stage unchanged that long is rebuilt once.
            podman("image", "prune", "--force", "--filter", "until=24h", check=False)
        return stamp.read_text().strip()


def wheelhouse() -> None:
    """wheels/ for the offline build, made again only when pyproject.toml is newer than it."""
    stamp = ROOT / "wheels" / ".made"
    if stamp.exists() and stamp.stat().st_mtime >= (ROOT / "pyproject.toml").stat().st_mtime:
        return
    done = subprocess.run(
        [str(ROOT / "container" / "wheels.sh"), sys.executable],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.fail(f"container/wheels.sh failed:\n{done.stderr[-3000:]}")
    stamp.touch()


def free_port() -> int:
    """A loopback port nothing listens on now (for compose's published ports, which must be named)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def wait_answering(base_url: str, logs: Callable[[], str], path: str = "/__mock/health") -> None:
    """Until a server answers HTTP on `path` (any status), or a failure showing `logs()`."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    give_up = time.monotonic() + 60
    while time.monotonic() < give_up:
        connection = http.client.HTTPConnection(host, int(port), timeout=2)
        try:
            connection.request("GET", path)
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    pytest.fail(f"nothing answered on {base_url}{path}:\n{logs()}")


class Container:
    """A detached container of the image with its port 4010 published on a loopback port Podman picks."""

    def __init__(self, image: str, *args: str, options: Sequence[str] = ()) -> None:
        self.name = unique("discard-test")
        podman("run", "--detach", "--name", self.name, "--publish", "127.0.0.1::4010", *options, image, *args)
        published = podman("port", self.name, "4010/tcp").stdout.strip().splitlines()[0]
        self.base_url = "http://" + published

    def wait_answering(self) -> None:
        wait_answering(self.base_url, self.logs)

    def logs(self) -> str:
        done = podman("logs", self.name, check=False)
        return done.stdout[-3000:] + done.stderr[-3000:]

    def remove(self) -> None:
        podman("rm", "--force", "--time", "5", self.name, check=False)
