"""The settings `create_app` takes, with their defaults."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from typing import Any

from . import journal

DEFAULTS: Mapping[str, Any] = {
    "DATA_FILE": None,  # None: the shipped seed data
    "CONTROL_API": True,
    "CORS": True,
    "JOURNAL_SIZE": journal.DEFAULT_CAPACITY,
    "JOURNAL_BYTES": journal.DEFAULT_MAX_BYTES,  # and at most this many bytes of requests (oversized entries cut short)
    "MAX_INSTANCES": 100_000,  # instances the control API and provider states may create (counted by the store)
    # "memory", "sqlite:PATH", "redis://HOST:PORT/DB" (see storage.ENGINES), or a callable
    # (seeded instances) -> storage.Storage
    "STORE": "memory",
    "REDIS_PREFIX": None,  # the Redis engine's key prefix; None: storage.redis.DEFAULT_PREFIX
    "WORKERS": 1,  # processes serving this app; only said in the journal's answer
    "FAULTS": (),  # fault descriptions (as POST /__mock/faults takes them) in force from the start
    "RATE_LIMIT": None,  # e.g. "10/s", per API key; None: no limit
    "RATE_BURST": None,  # None: the rate's count
    "CONTROL_TOKEN": None,  # set: control calls must present it
    # The server carries out faults that break connections (serve --server gunicorn hands the app its socket);
    # without it, such faults are refused when added.
    "BREAKS_CONNECTIONS": False,
    "PROXY": None,  # a proxy.ProxySettings: relay to its upstream in place of the endpoint (discard-mock proxy)
    # What the endpoint reads from the world, replaceable in tests.
    "CLOCK": time.time,  # the rate limiter's wall clock
    "SLEEP": time.sleep,  # injected latency
    "CHANCE": random.random,  # a fault's probability draw
}


class ConfigError(Exception):
    """A setting create_app cannot use; the message says which and why."""
