"""The mock's peers, each in its fastest documented setting, and the server's own limit.

- WireMock 3 standalone (npm `wiremock` ships its jar; Debian's Java runs it): one stub for
  the route whose body is templated with the path's instance ID and a random traceId, as a
  user would write it. Its fastest setting, from `--help` and wiremock.org's "Running as a
  Standalone Process": no request journal (`--no-request-journal`), no request logging
  (`--disable-request-logging`), 32 container threads (2 per load connection; default 25),
  no gzip, no plain-text HTTP/2 upgrade check, no banner.
- Mockoon CLI 9 (npm `@mockoon/cli`) on the spec itself (it imports OpenAPI): no admin API,
  no transaction log kept (`--max-transaction-logs 0`), log to stdout only (`-X`).
- Prism 5 (servers.py), `-v silent`.
- The raw granian limit (bench/raw_granian.py): an RSGI app answering fixed bytes.

None of these keeps state, so each answers every discard of the random-ID mix with its 200.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mock_server.serving.server import SERVER_LOOP

from .ceiling import BODY
from .procs import ROOT, ServerProcess, free_port
from .servers import SPEC, Config

WIREMOCK_JAR = ROOT / "node_modules" / "wiremock" / "build"
MOCKOON_BIN = ROOT / "node_modules" / ".bin" / "mockoon-cli"
GRANIAN_BIN = Path(sys.executable).with_name("granian")
WIREMOCK_FLAGS = [
    "--no-request-journal",
    "--disable-request-logging",
    "--container-threads",
    "32",
    "--disable-gzip",
    "--disable-http2-plain",
    "--disable-banner",
]
MOCKOON_FLAGS = ["--disable-admin-api", "--max-transaction-logs", "0", "--disable-log-to-file"]
# The stub's path: the spec's, every parameter a segment of anything but '/'.
STUB_PATH = "/v1/accounts/[^/]+/campaigns/[^/]+/workflow-instances/[^/]+/discard"


def wiremock_jar() -> Path | None:
    found = sorted(WIREMOCK_JAR.glob("wiremock-standalone-*.jar")) if WIREMOCK_JAR.is_dir() else []
    return found[-1] if found and shutil.which("java") else None


def mockoon_available() -> bool:
    return MOCKOON_BIN.exists() and shutil.which("node") is not None


def _stub() -> dict[str, object]:
    """The ceiling's 200 envelope, its instance IDs from the path and its traceId random, by WireMock's templates."""
    body = json.loads(BODY)
    instance = "{{request.pathSegments.[6]}}"
    body["data"]["workflowInstanceId"] = instance
    body["data"]["leadStatus"]["workflowInstanceId"] = instance
    body["traceId"] = "{{randomValue length=32 type='HEXADECIMAL'}}"
    return {
        "request": {"method": "POST", "urlPathPattern": STUB_PATH},
        "response": {
            "status": 200,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body, separators=(",", ":")),
            "transformers": ["response-template"],
        },
    }


@dataclass
class WireMockConfig(Config):
    def server(self, data: Path, scratch: Path) -> ServerProcess:
        root = Path(tempfile.mkdtemp(prefix="wiremock-", dir=scratch))
        (root / "mappings").mkdir()
        (root / "mappings" / "discard.json").write_text(json.dumps(_stub()), encoding="utf-8")
        port = free_port()
        argv = ["java", "-jar", str(wiremock_jar()), "--bind-address", "127.0.0.1", "--port", str(port)]
        argv += ["--root-dir", str(root), *self.args]
        return ServerProcess(self.label, argv, None, url=f"http://127.0.0.1:{port}")


@dataclass
class MockoonConfig(Config):
    def server(self, data: Path, scratch: Path) -> ServerProcess:
        port = free_port()
        argv = [str(MOCKOON_BIN), "start", "--data", str(SPEC), "--hostname", "127.0.0.1", "--port", str(port)]
        return ServerProcess(self.label, [*argv, *self.args], None, url=f"http://127.0.0.1:{port}")


@dataclass
class RawGranianConfig(Config):
    def server(self, data: Path, scratch: Path) -> ServerProcess:
        port = free_port()
        argv = [str(GRANIAN_BIN), "--interface", "rsgi", "--http", "1", "--loop", SERVER_LOOP.value, "--no-ws"]
        argv += ["--workers", "1", "--host", "127.0.0.1", "--port", str(port), "--log-level", "error"]
        return ServerProcess(self.label, [*argv, "bench.raw_granian:app"], None, url=f"http://127.0.0.1:{port}")


RAW_GRANIAN = RawGranianConfig("raw-granian", "raw granian RSGI app, fixed bytes (the server's limit)", stateful=False)
WIREMOCK = WireMockConfig(
    "wiremock", "WireMock 3 standalone, fastest (journal and logging off)", stateful=False, args=WIREMOCK_FLAGS
)


def configs(with_prism: bool, mix: str) -> list[Config]:
    """The rows of one peers table; `mix` "random" has every peer, "realistic" the two the goals name."""
    from .servers import MockConfig, PrismConfig

    rows: list[Config] = [MockConfig("mock", "mock, memory store (default serve)"), RAW_GRANIAN]
    if wiremock_jar() is not None:
        rows.append(WIREMOCK)
    else:
        print("bench: WireMock not found (node_modules/wiremock and java); its row is left out", file=sys.stderr)
    if mix == "random":
        if mockoon_available():
            rows.append(MockoonConfig("mockoon", "Mockoon CLI 9, fastest", stateful=False, args=MOCKOON_FLAGS))
        else:
            print("bench: Mockoon not found (node_modules/.bin/mockoon-cli); its row is left out", file=sys.stderr)
        if with_prism:
            rows.append(PrismConfig("prism", "Prism 5 mock (-v silent)", stateful=False, args=["-v", "silent"]))
    return rows
