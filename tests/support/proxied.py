"""Real `discard-mock proxy` processes on free loopback ports, in front of an upstream the test chooses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .helpers import PENDING_STATE
from .served import MockProcess


class ProxyProcess(MockProcess):
    """The mock launcher, starting `discard-mock proxy --upstream URL ARGS` instead of `serve`."""

    def __init__(self, upstream: str, *args: str) -> None:
        super().__init__("--upstream", upstream, *args)
        self.args[self.args.index("serve")] = "proxy"


@contextmanager
def proxied(upstream: str, *args: str) -> Iterator[ProxyProcess]:
    """A started proxy in front of `upstream`, stopped on the way out."""
    proxy = ProxyProcess(upstream, *args).start()
    try:
        yield proxy
    finally:
        proxy.stop()


def provision(proxy: MockProcess) -> dict[str, str]:
    status, _, ids = proxy.call("POST", "/__mock/provider-states", body={"state": PENDING_STATE, "action": "setup"})
    assert status == 200, ids
    return ids  # type: ignore[no-any-return]
