"""`discard-mock serve`: the one-line start."""

from __future__ import annotations

import argparse
import importlib.metadata
import ipaddress
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from flask import Flask

from .app import create_app
from .config import ConfigError
from .context import EXTENSION_KEY
from .endpoint.route import EndpointRoute
from .flag_values import at_least, probability
from .journal import DEFAULT_CAPACITY, DEFAULT_MAX_BYTES
from .placement import runs_inline
from .proxy.cli import add_proxy_parser, proxy_settings
from .redaction import Redactor
from .seed import DataFileError
from .serving.bridge import AnswerHeaders
from .serving.limits import LIMIT_FLAGS, ServeLimits
from .serving.log_writer import BatchedStreamHandler, LineFormatter
from .storage import ENGINES, MEMORY, REDIS_SCHEMES, StoreOpenError
from .wire_faults import SOCKET_SERVER

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4010
DEFAULT_SERVER = "granian"  # Prism's default, so frontend configs carry over
MAX_PORT = 65535
DISTRIBUTION = "sonarly-discard-contract"  # the package `pip install` knows, whose version --version tells
CONTROL_TOKEN_ENV = "DISCARD_MOCK_CONTROL_TOKEN"
DEFAULT_ERROR_STATUS = 500


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="discard-mock", description="Stateful mock of the Sonarly discard endpoint.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the mock over HTTP")
    add_shared_options(serve)
    serve.add_argument("--data", metavar="FILE", help="JSON data file with API keys and instances (default: shipped)")
    serve.add_argument(
        "--max-instances",
        type=at_least(1),
        default=100_000,
        metavar="N",
        help="instances the control API and provider states may create until a reset, counted by the store "
        "(every worker draws from one count, and a restart keeps it); past it they answer 507 (default %(default)s)",
    )
    serve.add_argument(
        "--store",
        default=MEMORY,
        metavar="|".join(engine.form for engine in ENGINES),
        help="where instances, faults and rate-limit buckets live: memory (this process, gone at exit), "
        "a SQLite file that survives restarts and that every worker shares, or a Redis that replicas on many "
        "hosts share (rediss:// for TLS, redis://:PASSWORD@HOST:PORT/DB) (default %(default)s)",
    )
    serve.add_argument(
        "--redis-prefix",
        metavar="PREFIX",
        help="start of every key of a Redis store, so several mocks can share one Redis (default 'discard-mock:')",
    )
    serve.add_argument(
        "--workers",
        type=at_least(1),
        default=1,
        help="worker processes; more than 1 needs a shared store, sqlite:PATH or Redis (default %(default)s)",
    )
    add_proxy_parser(commands, add_shared_options)
    return parser


def add_shared_options(parser: argparse.ArgumentParser) -> None:
    """What `serve` and `proxy` both take: where to listen, the control API, CORS, journal, limits and faults."""
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (default %(default)s)")
    parser.add_argument(
        "--port",
        type=at_least(0, MAX_PORT),
        default=DEFAULT_PORT,
        help="port to listen on, 1 to 65535; 0 picks a free one (default %(default)s)",
    )
    parser.add_argument(
        "--server",
        choices=(DEFAULT_SERVER, SOCKET_SERVER),
        default=DEFAULT_SERVER,
        help=f"the HTTP server: {DEFAULT_SERVER} (fast, guarded against slow clients) or {SOCKET_SERVER} (hands the "
        "app its sockets, so faults can reset, empty or garble a connection; slower) (default %(default)s)",
    )
    parser.add_argument("--no-control", action="store_true", help="leave out the /__mock control API (answers 404)")
    parser.add_argument("--no-cors", action="store_true", help="turn CORS off (preflights get 405)")
    parser.add_argument(
        "--journal-size",
        type=at_least(1),
        default=DEFAULT_CAPACITY,
        help="requests the journal keeps (default %(default)s)",
    )
    parser.add_argument(
        "--journal-bytes",
        type=at_least(64 * 1024),
        default=DEFAULT_MAX_BYTES,
        metavar="BYTES",
        help="and the bytes it may hold: the oldest requests fall off past either bound, and one request's "
        "record is cut short past 16 KiB (default %(default)s)",
    )
    parser.add_argument("--quiet", action="store_true", help="no per-request log lines")
    parser.add_argument(
        "--control-token",
        default=os.environ.get(CONTROL_TOKEN_ENV) or None,
        metavar="TOKEN",
        help="control calls must send 'Authorization: Bearer TOKEN' or 'X-Mock-Control-Token: TOKEN'; "
        f"set it whenever the mock is reachable beyond loopback (default: ${CONTROL_TOKEN_ENV}, else none)",
    )
    limits = parser.add_argument_group(
        "request limits (over them: the error envelope with 408, 413, 414 or 431; see README.md)"
    )
    defaults = ServeLimits()
    for field, (parse, metavar, meaning) in LIMIT_FLAGS.items():
        limits.add_argument(
            "--" + field.replace("_", "-"),
            type=parse,
            default=getattr(defaults, field),
            metavar=metavar,
            help=f"{meaning} (default %(default)s)",
        )
    faults = parser.add_argument_group("faults and limits (on the discard endpoint only)")
    faults.add_argument("--latency", type=at_least(0), default=0, metavar="MS", help="delay every request by MS")
    faults.add_argument(
        "--error-rate", type=probability, metavar="P", help="answer this share of requests (0-1) with an error"
    )
    faults.add_argument(
        "--error-status",
        type=int,
        metavar="STATUS",
        help=f"the status --error-rate answers with: an error status, 400 to 599 (default {DEFAULT_ERROR_STATUS})",
    )
    faults.add_argument(
        "--rate-limit",
        metavar="N/UNIT",
        help="per API key (else per client address), e.g. 10/s, 600/min; over it: 429 with Retry-After (default off)",
    )
    faults.add_argument("--rate-burst", type=at_least(1), metavar="N", help="bucket size (default: the N of N/UNIT)")


def _version() -> str:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def _serve_limits(args: argparse.Namespace) -> ServeLimits:
    return ServeLimits(**{field: getattr(args, field) for field in LIMIT_FLAGS})


def _store_settings(args: argparse.Namespace) -> dict[str, Any]:
    """`serve`'s own settings: the data and where it lives."""
    return {
        "DATA_FILE": args.data,
        "MAX_INSTANCES": args.max_instances,
        "STORE": args.store,
        "REDIS_PREFIX": args.redis_prefix,
        "WORKERS": args.workers,
    }


def _flag_faults(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The serve flags as fault descriptions, the form POST /__mock/faults takes."""
    faults: list[dict[str, Any]] = []
    if args.latency:
        faults.append({"latencyMs": args.latency})
    if args.error_rate:
        faults.append({"status": args.error_status or DEFAULT_ERROR_STATUS, "probability": args.error_rate})
    return faults


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _lighter_log_records() -> None:
    """Log records without what no log line here shows: the calling frame, the thread and process names.

    A line is logged per request; finding its caller walks the stack and naming
    its thread takes further lookups, a tenth of the cost of an answer, for
    fields our format does not use (the logging HOWTO's
    "Optimization").
    """
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False


def _cors_headers(app: Flask) -> AnswerHeaders | None:
    """The app's CORS headers, for what the server refuses before the app: a browser can then read its status."""
    policy = app.extensions[EXTENSION_KEY].cors
    return None if policy is None else policy.headers


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    proxying = args.command == "proxy"
    if not proxying and args.redis_prefix is not None and not args.store.startswith(REDIS_SCHEMES):
        parser.error("--redis-prefix goes with a Redis --store (redis://HOST:PORT/DB)")
    if not proxying and args.workers > 1 and args.store == MEMORY:
        print(
            f"discard-mock: --workers {args.workers} needs a shared store. With --store {args.store} each worker "
            "process would keep its own copy of the instances, so a discard answered by one worker would not "
            "exist for the others. Use --store sqlite:PATH (e.g. --store sqlite:discard-mock.db), a Redis "
            "(--store redis://HOST:PORT/DB), or --workers 1.",
            file=sys.stderr,
        )
        return 2
    if args.error_status is not None and args.error_rate is None:
        parser.error("--error-status goes with --error-rate")
    handler = BatchedStreamHandler(sys.stderr, redact=Redactor([args.control_token or ""]).text)
    handler.setFormatter(LineFormatter())
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, handlers=[handler])
    _lighter_log_records()
    try:
        app = create_app(
            {
                "CONTROL_API": not args.no_control,
                "CORS": not args.no_cors,
                "JOURNAL_SIZE": args.journal_size,
                "JOURNAL_BYTES": args.journal_bytes,
                "FAULTS": _flag_faults(args),
                "RATE_LIMIT": args.rate_limit,
                "RATE_BURST": args.rate_burst,
                "CONTROL_TOKEN": args.control_token,
                "BREAKS_CONNECTIONS": args.server == SOCKET_SERVER,
                **(proxy_settings(args) if proxying else _store_settings(args)),
            }
        )
    except (DataFileError, StoreOpenError, ConfigError) as exc:
        print(f"discard-mock: {exc}", file=sys.stderr)
        return 2
    if not args.no_control and not args.control_token and not _is_loopback(args.host):
        print(
            f"discard-mock: warning: the control API on {args.host} has no token; anyone who reaches it can reset "
            f"state and inject faults. Set --control-token or ${CONTROL_TOKEN_ENV}.",
            file=sys.stderr,
        )
    from .serving.server import MockServer, PortUnavailable  # granian is only needed to serve

    workers = 1 if proxying else args.workers  # a proxy's learned model lives in its one process
    try:
        if args.server == SOCKET_SERVER:
            from .serving.socket_server import SocketServer

            SocketServer(app, args.host, args.port, workers=workers, limits=_serve_limits(args)).run()
            return 0
        MockServer(
            app,
            args.host,
            args.port,
            workers=workers,
            limits=_serve_limits(args),
            runs_inline=None if proxying else runs_inline(app, args.store),  # a relay waits on the upstream
            answer_headers=_cors_headers(app),
            route=app.wsgi_app if isinstance(app.wsgi_app, EndpointRoute) else None,  # not a proxy's relay
            suspends=app.extensions[EXTENSION_KEY].storage.suspends,
        ).run()
    except PortUnavailable as exc:
        print(f"discard-mock: {exc}", file=sys.stderr)
        return 2
    return 0
