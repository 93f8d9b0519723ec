"""The images the container tests share: built once per test run (see tests/support/containers.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..support.containers import BASE_IMAGE, MOCK_IMAGE, REDIS_IMAGE, built_once, require_podman, wheelhouse
from ..support.helpers import ROOT


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every xdist worker of this run sees (and no other run): where the first build leaves its ID."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def mock_image(shared_dir: Path) -> str:
    """The repository's Dockerfile, built offline from host-made wheels on the local Debian base."""
    require_podman()
    wheelhouse()
    built_once(shared_dir, "mock-image", MOCK_IMAGE, ("--build-arg", f"BASE={BASE_IMAGE}", str(ROOT)))
    return MOCK_IMAGE


@pytest.fixture(scope="session")
def redis_image(shared_dir: Path) -> str:
    """Debian's redis-server on the same base, standing in for compose.yaml's default redis:7."""
    require_podman()
    context = ROOT / "container"
    build = ("--build-arg", f"BASE={BASE_IMAGE}", "--file", str(context / "redis.Dockerfile"), str(context))
    built_once(shared_dir, "redis-image", REDIS_IMAGE, build)
    return REDIS_IMAGE
