"""Variants of the mock for testing the contract suite itself.

Each broken variant carries one realistic bug, injected through the app factory
(a store, a keyring or a hook), never in the shipped mock, in a module named
after the rule it breaks; `BROKEN` gathers them. The correct variants
(`correct`) keep the contract but decide CONTRACT.md's inferred points the
other way.
"""

from __future__ import annotations

from . import (
    account_group,
    auth_401,
    auth_403,
    concurrent,
    discard_200,
    envelope,
    final,
    headers,
    idempotency_key,
    isolation,
    near_miss,
    rate_limit,
    rejected_unchanged,
    repeat_409,
    scope_404,
    spec,
    trace_id_unique,
)
from .bug import Bug
from .serving import ServedApp, Variant, served

MODULES = (account_group, auth_401, auth_403, concurrent, discard_200, envelope, final, headers, idempotency_key)
MODULES += (isolation, near_miss, rate_limit, rejected_unchanged, repeat_409, scope_404, spec, trace_id_unique)
BROKEN: dict[str, Bug] = {name: bug for module in MODULES for name, bug in module.BUGS.items()}

__all__ = ["BROKEN", "Bug", "ServedApp", "Variant", "served"]
