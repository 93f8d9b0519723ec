"""Where a request's time goes: profiles of the mock under the benchmark's mix.

    python -m bench.profile served [--gil] [--seconds N] [-- SERVE OPTIONS]
        `discard-mock serve` as users run it, the mix from wrk (or the Python
        generator), and py-spy sampling the served worker; prints the frames
        that hold the most samples, on their own and with what they call.
        --gil keeps only samples of the thread holding the GIL (CPU spent in
        Python); without it, waits on locks and system calls show too.
    python -m bench.profile app [--requests N]
        The same mix through the Flask app in this process, no server, under
        pyinstrument: what the mock's own code costs per request.
    python -m bench.profile bridge [--requests N] [--cprofile]
        The served path in this process: the bridge (serving/bridge.py) driven
        as granian drives it, with parsed heads of the mix, logging and journal
        as `serve` sets them up; microseconds of CPU a request, best of three
        rounds (--cprofile: the functions that cost most instead).

These are how the notes in bench/results were found; they are tools, not
measurements (a profiler slows what it watches).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from .datafile import campaign_id, data_file, instance_id
from .load import PATTERN, LoadGenerator, ensure_wrk
from .procs import install_cleanup
from .servers import MockConfig

IDLE_FRAMES = ("wait (threading", "select (selectors", "_worker (concurrent", "sleep")


def served(seconds: float, gil: bool, serve_args: list[str]) -> int:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print("bench.profile: py-spy is missing; install the bench extra (pip install -e '.[bench]')", file=sys.stderr)
        return 2
    path, layout = data_file(100_000)
    server = MockConfig("profiled", "mock", args=serve_args).server(path, path.parent).start()
    try:
        server.wait_answering()
        workers = [pid for pid in server.pids() if pid != server.process.pid] if server.process else []
        load = LoadGenerator(ensure_wrk())
        thread = threading.Thread(
            target=load.run,
            args=(server.url, layout, 0, layout.instances),
            kwargs={"connections": 16, "seconds": seconds + 2},
            daemon=True,
        )
        thread.start()
        with tempfile.TemporaryDirectory() as scratch:
            raw = Path(scratch) / "profile.txt"
            command = [spy, "record", "--pid", str(workers[0] if workers else server.process.pid)]  # type: ignore[union-attr]
            command += ["--duration", str(int(seconds)), "--rate", "250", "--format", "raw", "-o", str(raw)]
            command += ["--nonblocking"] + (["--gil"] if gil else [])
            subprocess.run(command, check=True, capture_output=True)
            thread.join()
            _summarise(raw.read_text())
    finally:
        server.stop()
    return 0


def _summarise(raw: str, top: int = 30) -> None:
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not frames or any(idle in frames[-1] for idle in IDLE_FRAMES):
            continue
        samples += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            total[frame] += int(count)
    print(f"{samples} busy samples\n\nown time:")
    for frame, count in own.most_common(top):
        print(f"{count / samples * 100:5.1f}%  {frame}")
    print("\nwith what they call:")
    for frame, count in total.most_common(top * 2):
        print(f"{count / samples * 100:5.1f}%  {frame}")


def app(requests: int) -> int:
    from pyinstrument import Profiler
    from werkzeug.test import EnvironBuilder

    from mock_server.app import create_app

    path, layout = data_file(100_000)
    mock = create_app({"DATA_FILE": str(path)})
    environs = [_environ(EnvironBuilder, layout, index) for index in range(requests)]

    def ignore(*_: Any) -> None:
        return None

    profiler = Profiler(interval=0.0002)
    profiler.start()
    for environ in environs:
        for _ in mock(environ, ignore):
            pass
    profiler.stop()
    print(profiler.output_text(show_all=True, unicode=False, color=False))
    return 0


class _Head:
    """granian's RSGI scope of one request, as far as the bridge reads it."""

    proto = "http"
    http_version = "1.1"
    client = "127.0.0.1:50000"
    server = "127.0.0.1:4010"
    query_string = ""

    def __init__(self, path: str, headers: dict[str, str]) -> None:
        self.method = "POST"
        self.path = path
        self.headers = _Fields(headers)


class _Fields(dict[str, str]):
    """granian's header object (keys, items, get, in), as a dict."""


class _Protocol:
    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status


def bridge(requests: int, with_cprofile: bool) -> int:
    import cProfile
    import logging
    import os
    import pstats
    import time

    from mock_server.app import create_app
    from mock_server.cli import _cors_headers, _lighter_log_records
    from mock_server.endpoint.route import EndpointRoute
    from mock_server.placement import runs_inline
    from mock_server.redaction import Redactor
    from mock_server.serving.bridge import RsgiBridge
    from mock_server.serving.limits import ServeLimits
    from mock_server.serving.log_writer import BatchedStreamHandler, LineFormatter
    from mock_server.serving.server import THREADS_PER_WORKER
    from mock_server.storage import MEMORY

    with open(os.devnull, "w") as sink:
        handler = BatchedStreamHandler(sink, redact=Redactor([""]).text)  # as `serve` sets logging up
        handler.setFormatter(LineFormatter())
        logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
        _lighter_log_records()
        path, layout = data_file(max(100_000, 4 * requests))
        mock = create_app({"DATA_FILE": str(path)})
        route = mock.wsgi_app
        assert isinstance(route, EndpointRoute)
        served = RsgiBridge(
            mock, ServeLimits(), THREADS_PER_WORKER, runs_inline(mock, MEMORY), _cors_headers(mock), route
        )
        served.__rsgi_init__(None)  # type: ignore[arg-type]  # no loop: every request here runs inline
        heads = [_head(layout, index) for index in range(4 * requests)]
        protocol = _Protocol()

        def run(batch: list[_Head]) -> None:
            for head in batch:
                with contextlib.suppress(StopIteration):  # the coroutine ends at once: nothing awaited inline
                    served.__rsgi__(head, protocol).send(None)

        run(heads[: requests // 10])  # warm-up
        if with_cprofile:
            profiler = cProfile.Profile()
            profiler.runcall(run, heads[requests // 10 : requests])
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            return 0
        rounds = []
        for first in range(requests, 4 * requests, requests):
            started = time.perf_counter()
            run(heads[first : first + requests])
            rounds.append((time.perf_counter() - started) / requests * 1e6)
        print(f"{min(rounds):.1f} µs a request, best of {', '.join(f'{r:.1f}' for r in rounds)} (the mix, in process)")
        logging.shutdown()
    return 0


def _head(layout: Any, index: int) -> _Head:
    """Request `index` of mix.lua's rotation, as granian's parsed head."""
    kind = PATTERN[index % len(PATTERN)]
    target = index - 1 if kind == "r" else index
    instance = f"{layout.unknown_prefix}{index:08x}" if kind == "u" else instance_id(target)
    path = f"/v1/accounts/{layout.account_group}/campaigns/{campaign_id(target)}/workflow-instances/{instance}/discard"
    headers = {"host": "127.0.0.1:4010"}
    if kind != "n":
        headers["authorization"] = f"Bearer {layout.api_key}"
    return _Head(path, headers)


def _environ(builder: Any, layout: Any, index: int) -> dict[str, Any]:
    """Request `index` of mix.lua's rotation, as a WSGI environ."""
    kind = PATTERN[index % len(PATTERN)]
    target = index - 1 if kind == "r" else index
    instance = f"{layout.unknown_prefix}{index:08x}" if kind == "u" else instance_id(target)
    path = f"/v1/accounts/{layout.account_group}/campaigns/{campaign_id(target)}/workflow-instances/{instance}/discard"
    headers = {} if kind == "n" else {"Authorization": f"Bearer {layout.api_key}"}
    environ = builder(path=path, method="POST", headers=headers).get_environ()
    environ["wsgi.input"] = io.BytesIO(b"")
    return environ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    serve = modes.add_parser("served", help="py-spy on a served mock under the mix")
    serve.add_argument("--seconds", type=float, default=8)
    serve.add_argument("--gil", action="store_true", help="only samples holding the GIL")
    serve.add_argument("serve_args", nargs="*", help="options for discard-mock serve (after --)")
    in_process = modes.add_parser("app", help="pyinstrument on the Flask app, in this process")
    in_process.add_argument("--requests", type=int, default=20_000)
    through_bridge = modes.add_parser("bridge", help="the served path in this process: µs a request")
    through_bridge.add_argument("--requests", type=int, default=30_000)
    through_bridge.add_argument("--cprofile", action="store_true", help="cProfile's costliest functions instead")
    args = parser.parse_args(argv)
    install_cleanup()
    if args.mode == "served":
        return served(args.seconds, args.gil, args.serve_args)
    if args.mode == "bridge":
        return bridge(args.requests, args.cprofile)
    return app(args.requests)


if __name__ == "__main__":
    raise SystemExit(main())
