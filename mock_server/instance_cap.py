"""A bound on the instances the control API and provider states may create, so memory cannot grow without end.

Without it, a script looping on POST /__mock/instances grew a worker by
90 MB per 200,000 creations and never stopped. Seeded instances do not
count; a reset (which restores the seeded set) starts the count again.
The store keeps the count beside the instances (InstanceStore.add's
`limit`), so the bound is on the store, whoever writes to it: every worker
on a SQLite file or replica on a Redis prefix draws from one count, and a
restart that keeps the instances keeps their count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .domain import ConditionalUpdate, Instance
from .envelope import ApiError
from .storage.interfaces import FaultSnapshot, InstanceLimitReached, InstanceStore

DEFAULT_MAX_CREATED = 100_000


class CappedInstanceStore:
    """An InstanceStore whose `add` refuses, in the envelope (507), past `max_created` additions."""

    def __init__(self, inner: InstanceStore, max_created: int = DEFAULT_MAX_CREATED) -> None:
        self.inner = inner
        self.max_created = max_created
        # The request path's calls are the store's own methods: no call in between, on every discard.
        self.get: Callable[[str], Instance | None] = inner.get
        self.update_if: Callable[[ConditionalUpdate], tuple[Instance | None, bool]] = inner.update_if
        self.update_if_faults: Callable[[ConditionalUpdate, FaultSnapshot], tuple[Instance | None, bool]] = (
            inner.update_if_faults
        )

    def instances(self) -> list[Instance]:
        return self.inner.instances()

    def add(self, instance: Instance, limit: int | None = None) -> None:
        """Adds within `max_created` (or the lower `limit`), else 507 naming the flag and the way out."""
        bound = self.max_created if limit is None else min(limit, self.max_created)
        try:
            self.inner.add(instance, bound)
        except InstanceLimitReached:
            raise ApiError(
                507,
                f"The mock holds at most {self.max_created} created instances (--max-instances); "
                "POST /__mock/reset to start again from the seeded data.",
                details="instances",
                code="INSTANCE_LIMIT",
            ) from None

    def replace_all(self, instances: Iterable[Instance]) -> None:
        self.inner.replace_all(instances)
