"""The servers the bench compares: the mock as users start it, its ceiling, and Prism.

The mock is started exactly as documented (`discard-mock serve`, here as
`python -m mock_server serve`, the same command), with the data file the load
needs. The ceiling is the same server and settings with a bare Flask
app (bench/ceiling.py), with as many workers as the mock it is compared to.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .procs import ROOT, ServerProcess, free_port

MOCK_READY = re.compile(r"discard-mock listening on (http://\S+)")
SPEC = ROOT / "openapi" / "discard.openapi.yaml"
PRISM_BIN = ROOT / "node_modules" / ".bin" / "prism"


@dataclass
class Config:
    """One server under test, and the one it is read against."""

    key: str
    label: str
    workers: int = 1
    baseline: str | None = None  # key of the config this one is a share of
    stateful: bool = True  # the mix's 409s and 404s need state; Prism has none
    args: list[str] = field(default_factory=list)

    def server(self, data: Path, scratch: Path) -> ServerProcess:
        raise NotImplementedError


@dataclass
class MockConfig(Config):
    store: str = "memory"

    def server(self, data: Path, scratch: Path) -> ServerProcess:
        argv = [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--data", str(data), *self.args]
        if self.store == "sqlite":
            database = Path(tempfile.mkdtemp(prefix=f"{self.key}-", dir=scratch)) / "store.sqlite3"
            argv += ["--store", f"sqlite:{database}", "--workers", str(self.workers)]
        return ServerProcess(self.label, argv, MOCK_READY)


@dataclass
class CeilingConfig(Config):
    def server(self, data: Path, scratch: Path) -> ServerProcess:
        argv = [sys.executable, "-m", "bench.ceiling", "--port", "0", "--workers", str(self.workers)]
        return ServerProcess(self.label, argv, MOCK_READY)


@dataclass
class PrismConfig(Config):
    def server(self, data: Path, scratch: Path) -> ServerProcess:
        port = free_port()
        argv = [str(PRISM_BIN), "mock", str(SPEC), "-h", "127.0.0.1", "-p", str(port), *self.args]
        # Silent, Prism prints no "listening" line: it is ready when its port accepts connections.
        return ServerProcess(self.label, argv, None, url=f"http://127.0.0.1:{port}")


def prism_available() -> bool:
    return PRISM_BIN.exists() and shutil.which("node") is not None


def configs(with_prism: bool) -> list[Config]:
    """Every row of the throughput table, in the order they run (each next to its ceiling)."""
    rows: list[Config] = [
        MockConfig("mock", "mock, memory store (default serve)", baseline="ceiling-1"),
        MockConfig("mock-quiet", "mock, memory store, --quiet", baseline="ceiling-1", args=["--quiet"]),
        # The server mode that can break connections (network faults): its cost against the same ceiling.
        MockConfig(
            "mock-gunicorn",
            "mock, memory store, --server gunicorn",
            baseline="ceiling-1",
            args=["--server", "gunicorn"],
        ),
        CeilingConfig("ceiling-1", "ceiling: bare Flask, 1 worker"),
        MockConfig("sqlite-2", "mock, SQLite store, 2 workers", workers=2, store="sqlite", baseline="ceiling-2"),
        CeilingConfig("ceiling-2", "ceiling: bare Flask, 2 workers", workers=2),
        MockConfig("sqlite-4", "mock, SQLite store, 4 workers", workers=4, store="sqlite", baseline="ceiling-4"),
        CeilingConfig("ceiling-4", "ceiling: bare Flask, 4 workers", workers=4),
    ]
    if with_prism:
        # Prism logs every request at length by default; silent is its fastest, and the fairest peer.
        rows.append(
            PrismConfig("prism", "Prism mock (-v silent)", baseline="ceiling-1", stateful=False, args=["-v", "silent"])
        )
    return rows
