"""One upstream mock and one proxy in front of it per module of this group, real processes on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..support.proxied import ProxyProcess, proxied
from ..support.served import MockProcess, served


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("proxy")


@pytest.fixture(scope="module")
def upstream() -> Iterator[MockProcess]:
    with served("--quiet") as mock:
        yield mock


@pytest.fixture(scope="module")
def proxy(upstream: MockProcess, files: Path) -> Iterator[ProxyProcess]:
    with proxied(
        upstream.base_url, "--report", str(files / "report.json"), "--record-data", str(files / "data.json")
    ) as started:
        yield started
