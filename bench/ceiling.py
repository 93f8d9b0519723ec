"""The ceiling: a bare Flask app on the mock's own server, answering one fixed envelope.

Same route, same server (granian, the bridge), threads and settings as
`discard-mock serve` (it is served by the mock's own `MockServer`), but no
validation, no state, no journal, no CORS, no log line: what Flask and
the server cost by themselves. The mock's throughput is read as a share of it.

`python -m bench.ceiling --port 0 [--workers N]` prints the mock's
`discard-mock listening on URL` line when ready.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from flask import Flask, Response

from discard_contract.spec import Spec
from mock_server.serving.server import MockServer

# The docs' 200 example, as the mock would answer it (a fixed traceId: no per-request work at all).
BODY = json.dumps(
    {
        "success": True,
        "data": {
            "action": "discarded",
            "workflowInstanceId": "507f1f77bcf86cd799439011",
            "leadStatus": {
                "leadId": "64b7f0c2a1e4d93f5c2b8a10",
                "workflowStatus": "stopped",
                "workflowInstanceId": "507f1f77bcf86cd799439011",
                "latestStep": "awaiting_approval",
                "workflowStopReason": "CONTENT_DISCARDED",
                "hasPendingApproval": False,
            },
        },
        "error": None,
        "traceId": "0af7651916cd43dd8448eb211c80319c",
    },
    separators=(",", ":"),
).encode()


def bare_app() -> Flask:
    """The discard route from the spec, answering BODY whatever the request."""
    operation = Spec.load().operation()
    app = Flask(__name__)

    def discard(**_: str) -> Response:
        return Response(BODY, status=200, mimetype="application/json")

    app.add_url_rule(operation.flask_rule, endpoint="discard", view_func=discard, methods=[operation.method])
    return app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    MockServer(bare_app(), args.host, args.port, workers=args.workers).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
