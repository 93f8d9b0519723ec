"""The mock's data file: API keys and the instances it starts with."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from .auth import ApiKey
from .domain import Instance
from .spec import Spec

DEFAULT_DATA = files("mock_server.data") / "seed.json"
_DATA_SCHEMA = json.loads((files("mock_server.data") / "seed.schema.json").read_text("utf-8"))


class DataFileError(Exception):
    """The data file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class SeedData:
    api_keys: tuple[ApiKey, ...]
    instances: tuple[Instance, ...]

    @property
    def account_groups(self) -> tuple[str, ...]:
        """Account groups in the order the data file first names them."""
        seen = dict.fromkeys(i.account_group_id for i in self.instances)
        for key in self.api_keys:
            seen.update(dict.fromkeys(sorted(key.account_groups)))
        return tuple(seen)


def instance_validator(spec: Spec) -> Draft202012Validator:
    """Validates one instance document; its workflowStatus enum is the spec's."""
    schema = json.loads(json.dumps(_DATA_SCHEMA["$defs"]["instance"]))
    schema["properties"]["workflowStatus"] = {"enum": list(spec.workflow_statuses)}
    return Draft202012Validator(schema)


def load_seed(path: str | Path | None, spec: Spec) -> SeedData:
    source = Path(path) if path else DEFAULT_DATA
    try:
        doc: Any = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataFileError(f"{source}: cannot read JSON data: {exc}") from exc
    problems = [
        f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
        for e in Draft202012Validator(_DATA_SCHEMA).iter_errors(doc)
    ]
    validator = instance_validator(spec)
    items = doc.get("instances") if isinstance(doc, dict) else None
    for index, item in enumerate(items if isinstance(items, list) else []):
        problems += [f"instances/{index}: {e.message}" for e in validator.iter_errors(item)]
    if problems:
        raise DataFileError(f"{source}: " + "; ".join(dict.fromkeys(problems)))
    instances = tuple(Instance.from_json(item) for item in doc["instances"])
    counts = Counter(i.workflow_instance_id for i in instances)
    duplicates = sorted(id_ for id_, n in counts.items() if n > 1)
    if duplicates:
        raise DataFileError(f"{source}: duplicate workflowInstanceId {', '.join(duplicates)}")
    keys = tuple(ApiKey(k["key"], frozenset(k["permissions"]), frozenset(k["accountGroups"])) for k in doc["apiKeys"])
    seed = SeedData(api_keys=keys, instances=instances)
    if not seed.account_groups:
        raise DataFileError(
            f"{source}: names no account group; provider states need one "
            "(give an API key accountGroups, or add an instance)"
        )
    return seed
