"""`discard-mock serve`: the one-line start."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from .app import create_app
from .seed import DataFileError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4010  # Prism's default, so frontend configs carry over


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="discard-mock", description="Stateful mock of the Sonarly discard endpoint."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the mock over HTTP")
    serve.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (default %(default)s)")
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port to listen on; 0 picks a free one (default %(default)s)"
    )
    serve.add_argument("--data", metavar="FILE", help="JSON data file with API keys and instances (default: shipped)")
    serve.add_argument("--no-control", action="store_true", help="leave out the /__mock control API (answers 404)")
    serve.add_argument("--no-cors", action="store_true", help="turn CORS off (preflights get 405)")
    serve.add_argument(
        "--journal-size", type=int, default=1000, help="requests the journal keeps (default %(default)s)"
    )
    serve.add_argument("--quiet", action="store_true", help="no per-request log lines")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(message)s",
        stream=sys.stderr,
    )
    try:
        app = create_app(
            {
                "DATA_FILE": args.data,
                "CONTROL_API": not args.no_control,
                "CORS": not args.no_cors,
                "JOURNAL_SIZE": args.journal_size,
            }
        )
    except DataFileError as exc:
        print(f"discard-mock: {exc}", file=sys.stderr)
        return 2
    from .server import MockServer  # gunicorn is only needed to serve

    MockServer(app, args.host, args.port).run()
    return 0
