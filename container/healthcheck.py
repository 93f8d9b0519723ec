"""The image's HEALTHCHECK: is the mock this container serves answering?

It asks the mock that tini started (PID 1's child) on the port its command line names, so `serve --port N`
needs no second setting. `GET /__mock/health` is 200 while the store answers and 503 (Redis unreachable)
otherwise; under `--no-control` that path is a 404 in the mock's envelope, which still proves the server
answers. A container running anything else (the contract suite) has no mock to check and counts as healthy.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

DEFAULT_PORT = "4010"  # the entrypoint's default, written in container/entrypoint.sh
WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1", "[::]": "::1"}


def served_command() -> list[str] | None:
    """The arguments of tini's child when it is `discard-mock serve ...`, else None."""
    children = Path("/proc/1/task/1/children").read_text().split()
    if not children:
        return None
    argv = Path(f"/proc/{children[0]}/cmdline").read_bytes().decode(errors="replace").split("\0")
    if "serve" not in argv or not any(part.endswith("discard-mock") for part in argv[:2]):
        return None
    return argv


def option(argv: list[str], name: str, default: str) -> str:
    """The last value given for `name` (`--port 1` or `--port=1`): argparse lets the last one win."""
    value = default
    for index, part in enumerate(argv):
        if part == name and index + 1 < len(argv):
            value = argv[index + 1]
        elif part.startswith(name + "="):
            value = part.split("=", 1)[1]
    return value


def main() -> int:
    argv = served_command()
    if argv is None:
        return 0
    host = option(argv, "--host", "0.0.0.0")
    host = WILDCARDS.get(host, host)
    url = f"http://{f'[{host}]' if ':' in host else host}:{option(argv, '--port', DEFAULT_PORT)}/__mock/health"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as refused:
        body = refused.read()
        if refused.code == 404 and "--no-control" in argv:
            return 0 if json.loads(body or b"{}").get("success") is False else 1
        print(f"unhealthy: {url} answered {refused.code}: {body[:300]!r}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as failed:
        print(f"unhealthy: {url}: {failed}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
