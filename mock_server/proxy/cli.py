"""`discard-mock proxy`'s own options; the rest it shares with `serve` (cli.py)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ..flag_values import seconds
from . import DEFAULT_TIMEOUT_SECONDS, ProxySettings


def add_proxy_parser(commands: Any, add_shared_options: Callable[[argparse.ArgumentParser], None]) -> None:
    proxy = commands.add_parser(
        "proxy",
        help="relay to a real deployment, checking every exchange against the contract",
        description="Relays every request but its own /__mock calls to --upstream, unchanged, and checks each "
        "exchange against the spec, the envelope and a state model learned from the traffic.",
    )
    proxy.add_argument("--upstream", required=True, metavar="URL", help="base URL requests are relayed to")
    add_shared_options(proxy)
    proxy.add_argument(
        "--upstream-timeout",
        type=seconds,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help="how long to wait for the upstream to connect, and then for each read; then 502 (default %(default)s)",
    )
    proxy.add_argument(
        "--errors",
        action="store_true",
        help="as Prism's proxy: answer a request that breaks the spec here (400/401, not relayed), and replace an "
        "answer that breaks a rule with a 502 naming the rules",
    )
    proxy.add_argument("--report", metavar="FILE", help="keep a JSON report of rule verdicts here (the suite's shape)")
    proxy.add_argument(
        "--record-data",
        metavar="FILE",
        help="keep the instances answers showed here, as a data file for 'discard-mock serve --data FILE'",
    )


def proxy_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The app's settings for a proxy (create_app's PROXY)."""
    return {
        "PROXY": ProxySettings(
            upstream=args.upstream,
            timeout=args.upstream_timeout,
            errors=args.errors,
            report_file=args.report,
            record_file=args.record_data,
        )
    }
