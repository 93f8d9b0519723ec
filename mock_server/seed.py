"""The mock's data file: API keys and the instances it starts with."""

from __future__ import annotations

import gc
import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator

from discard_contract.schemas import EcmaValidator
from discard_contract.spec import Spec

from .domain import Instance
from .endpoint.keys import ApiKey

DEFAULT_DATA = files("mock_server.data") / "seed.json"
_DATA_SCHEMA = json.loads((files("mock_server.data") / "seed.schema.json").read_text("utf-8"))
# Instance fields whose values repeat across instances: held once, not once per instance.
_SHARED_FIELDS = ("accountGroupId", "campaignId", "workflowStatus", "latestStep", "workflowStopReason")


class DataFileError(Exception):
    """The data file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class SeedData:
    api_keys: tuple[ApiKey, ...]
    instances: tuple[Instance, ...]

    @cached_property
    def account_groups(self) -> tuple[str, ...]:
        """Account groups in the order the data file first names them (once: a scan of every instance)."""
        seen = dict.fromkeys(i.account_group_id for i in self.instances)
        for key in self.api_keys:
            seen.update(dict.fromkeys(sorted(key.account_groups)))
        return tuple(seen)


def _from_spec(spec: Spec) -> dict[str, Any]:
    """What the spec says of an instance's fields: its statuses, and the forms of the IDs a discard
    path names (an instance the path could never name would only ever answer 400)."""
    return {"workflowStatus": {"enum": list(spec.workflow_statuses)}, **spec.path_parameter_schemas()}


def instance_validator(spec: Spec) -> Draft202012Validator:
    """Validates one instance document against the data file's schema and the spec (compile once, keep it)."""
    schema = json.loads(json.dumps(_DATA_SCHEMA["$defs"]["instance"]))
    schema["properties"].update(_from_spec(spec))
    return EcmaValidator(schema)


def fast_data_validator(spec: Spec) -> Any:
    """The data file's schema with the spec's statuses, compiled: a whole file checked in one call.

    Valid exactly when `problems` finds nothing (each instance must fit both
    the file's schema and the spec). It only says yes or no; the
    messages come from `problems`, which runs only when it says no.
    """
    schema = json.loads(json.dumps(_DATA_SCHEMA))
    schema["$defs"]["instance"] = {"allOf": [schema["$defs"]["instance"], {"properties": _from_spec(spec)}]}
    return jsonschema_rs.validator_for(schema)


def problems(doc: Any, spec: Spec) -> list[str]:
    """Everything wrong with a data document, each with its place; empty when it is fine."""
    found = [
        f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
        for e in EcmaValidator(_DATA_SCHEMA).iter_errors(doc)
    ]
    validator = instance_validator(spec)
    items = doc.get("instances") if isinstance(doc, dict) else None
    for index, item in enumerate(items if isinstance(items, list) else []):
        found += [f"instances/{index}: {e.message}" for e in validator.iter_errors(item)]
    return list(dict.fromkeys(found))


def load_seed(path: str | Path | None, spec: Spec) -> SeedData:
    source = Path(path) if path else DEFAULT_DATA
    with _collector_paused():
        try:
            doc: Any = json.loads(source.read_text(encoding="utf-8"), object_hook=_value_sharer())
        except (OSError, ValueError) as exc:
            raise DataFileError(f"{source}: cannot read JSON data: {exc}") from exc
        # The compiled check takes half a second for a million instances, the
        # messages a minute or more: messages only for a file that needs them.
        if not _is_valid(doc, spec) and (found := problems(doc, spec)):
            raise DataFileError(f"{source}: " + "; ".join(found))
        instances = _instances(doc["instances"])
    ids = [i.workflow_instance_id for i in instances]
    if len(set(ids)) != len(ids):
        duplicates = sorted(id_ for id_, n in Counter(ids).items() if n > 1)
        raise DataFileError(f"{source}: duplicate workflowInstanceId {', '.join(duplicates)}")
    keys = tuple(ApiKey(k["key"], frozenset(k["permissions"]), frozenset(k["accountGroups"])) for k in doc["apiKeys"])
    seed = SeedData(api_keys=keys, instances=instances)
    if not seed.account_groups:
        raise DataFileError(
            f"{source}: names no account group; provider states need one "
            "(give an API key accountGroups, or add an instance)"
        )
    return seed


def _is_valid(doc: Any, spec: Spec) -> bool:
    try:
        return bool(fast_data_validator(spec).is_valid(doc))
    except (ValueError, TypeError, OverflowError):  # e.g. NaN or a lone surrogate: let `problems` judge
        return False


def _value_sharer() -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A json object hook that holds each repeated string (account group, status, ...) once.

    Equal strings stay equal, so nothing changes but memory: a million
    instances would otherwise hold a million copies of "pending".
    """
    shared: dict[str, str] = {}
    share = shared.setdefault

    def hook(obj: dict[str, Any]) -> dict[str, Any]:
        for name in _SHARED_FIELDS:
            value = obj.get(name)
            if type(value) is str:
                obj[name] = share(value, value)
        return obj

    return hook


def _instances(items: list[dict[str, Any]]) -> tuple[Instance, ...]:
    """The instances of a checked document, dropping each document once converted (its memory is reused)."""
    instances = []
    for index, item in enumerate(items):
        instances.append(Instance.from_json(item))
        items[index] = None  # type: ignore[call-overload]
    return tuple(instances)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a file is read.

    Parsing a million instances creates a million containers, none of them
    garbage; the collector would walk them all again and again (a third of
    the start-up time at 1M).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
