"""The application factory: settings in, a Flask app out, made of the concerns listed in `create_app`."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from contextlib import suppress
from typing import Any

from flask import Flask

from discard_contract.spec import Spec

from . import control, endpoint, errors, journal
from .config import DEFAULTS, ConfigError
from .context import EXTENSION_KEY, MockContext
from .control.provider_states import ProviderStates
from .domain import DiscardRule
from .endpoint import cors
from .endpoint.keys import Keyring
from .faults import FaultError, error_statuses
from .instance_cap import CappedInstanceStore
from .journal import RequestJournal
from .rate_limit import RateLimit, RateLimiter
from .seed import instance_validator, load_seed
from .storage import FaultRegistry, Storage, StoreUnavailable, open_storage
from .wire_faults import usable_fault

log = logging.getLogger("discard_mock")


class MockFlask(Flask):
    """Flask, without its check on every call of every hook and view of whether it is a coroutine.

    None of the mock's is: the check (inspect, seven times a request) was a
    few percent of an answer's time.
    """

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        return func


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """A mock app. Raises DataFileError, StoreOpenError or ConfigError for settings it cannot use."""
    app = MockFlask(__name__)
    app.url_map.merge_slashes = False  # '//' is an unknown path (404), not a redirect to another path
    app.config.from_mapping(DEFAULTS)
    app.config.from_mapping(config or {})
    settings = app.config

    spec = Spec.shipped()  # the one source of routes, checks, examples, codes and messages
    operation = spec.operation()
    seed = load_seed(settings["DATA_FILE"], spec)
    storage = _open_storage(settings["STORE"], seed.instances, settings)
    storage = dataclasses.replace(storage, instances=CappedInstanceStore(storage.instances, settings["MAX_INSTANCES"]))
    keyring = Keyring(seed.api_keys)
    requests = RequestJournal(
        settings["JOURNAL_SIZE"], max_bytes=settings["JOURNAL_BYTES"], secrets=[settings["CONTROL_TOKEN"] or ""]
    )
    discard = endpoint.DiscardEndpoint(
        operation=operation,
        rule=DiscardRule.from_spec(spec),
        keyring=keyring,
        instances=storage.instances,
        limiter=_rate_limiter(settings, storage),
        faults=_faults(settings, storage.faults, error_statuses(operation.documented_statuses)),
        sleep=settings["SLEEP"],
        chance=settings["CHANCE"],
        breaks_connections=settings["BREAKS_CONNECTIONS"],
    )
    cors_policy = cors.CorsPolicy(app) if settings["CORS"] else None
    app.extensions[EXTENSION_KEY] = MockContext(
        spec=spec,
        operation=operation,
        seed=seed,
        storage=storage,
        journal=requests,
        provider_states=ProviderStates.from_spec(spec, storage.instances, seed.account_groups[0]),
        instance_validator=instance_validator(spec),
        endpoint=discard,
        cors=cors_policy,
    )

    exchanges = journal.ExchangeLog(requests, skip_prefix=control.PREFIX)
    errors.init_app(app, path_template=operation.path_template, cors=settings["CORS"])
    journal.init_app(app, exchanges)
    if settings["PROXY"] is None:
        endpoint.init_app(app, discard, exchanges, cors_policy)
    else:  # the same app, relaying to an upstream in place of the endpoint
        from . import proxy

        proxy.init_app(app, settings["PROXY"], discard, exchanges, cors_policy, control_api=settings["CONTROL_API"])
    if settings["CONTROL_API"]:
        control.init_app(app, token=settings["CONTROL_TOKEN"])
    if cors_policy is not None:
        cors.init_app(app, cors_policy)  # after the journal: the journal records a preflight's 204
    storage.release()  # no connection may cross a fork into worker processes; each opens its own
    return app


def _open_storage(choice: Any, seed: Any, settings: Mapping[str, Any]) -> Storage:
    return choice(seed) if callable(choice) else open_storage(choice, seed, settings)


def _faults(config: Mapping[str, Any], registry: FaultRegistry, documented: tuple[int, ...]) -> FaultRegistry | None:
    """The registry, holding the configured faults only (faults start over at each start, instances do not).

    None when nothing could ever add a fault, so the endpoint skips the check entirely.
    """
    try:
        configured = [usable_fault(doc, documented, config["BREAKS_CONNECTIONS"]) for doc in config["FAULTS"]]
    except FaultError as exc:
        raise ConfigError(f"fault: {exc}") from None
    try:
        registry.clear()
        for fault in configured:
            registry.add(fault)
    except StoreUnavailable as exc:  # a shared store down at start-up: the replicas already up keep theirs
        log.warning("faults not reset at start-up: %s", exc)
    return registry if configured or config["CONTROL_API"] else None


def _rate_limiter(config: Mapping[str, Any], storage: Storage) -> RateLimiter | None:
    if not config["RATE_LIMIT"]:
        return None
    try:
        limit = RateLimit.parse(config["RATE_LIMIT"], config["RATE_BURST"])
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    with suppress(StoreUnavailable):  # a shared store down at start-up: its buckets are at most one refill old
        storage.buckets.clear()
    return RateLimiter(limit, storage.buckets, clock=config["CLOCK"])
