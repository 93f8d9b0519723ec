"""Making generated cases safe to send, and knowing what they must get.

Schemathesis generates path values, and its examples phase uses the spec's
example IDs. With a valid key, such a request could discard somebody's
instance. So before a generated case is sent, every well-formed ID in it is
replaced: by a freshly provisioned instance (a success the run may cause) or
by IDs that cannot exist. Malformed values stay malformed, with any ID inside
them replaced too. What remains broken decides the statuses CONTRACT.md allows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from discard_contract import rules
from discard_contract.ids import InstanceIds, nonexistent_account_group_id, nonexistent_object_id
from discard_contract.rules import Rule
from discard_contract.spec import Spec

# What a case may break, as CONTRACT.md's "Order of checks" names it, and the rule whose statuses it allows.
AUTHENTICATION = ("authentication", rules.AUTH_401)
VALIDATION = ("request validation (404 where formats are not checked)", rules.INPUT_VALIDATION)
ACCOUNT_GROUP = ("account-group access", rules.ACCOUNT_GROUP)
EXISTENCE = ("existence and scope", rules.SCOPE_404)
SUCCESS = ("discard of a provisioned pending instance", rules.DISCARD_200)

_BEARER = re.compile(r"^Bearer [!-~]+$")


@dataclass
class CasePlan:
    """What was done to a case, and what the answer must be."""

    broken: list[tuple[str, Rule]] = field(default_factory=list)
    instance: InstanceIds | None = None
    headers: dict[str, str] = field(default_factory=dict)  # to send as explicit request headers

    @property
    def allowed(self) -> frozenset[int]:
        """One rule broken: its statuses; several: any of theirs (the order is inferred)."""
        return frozenset().union(*(rule.statuses for _, rule in self.broken or [SUCCESS]))

    def describe(self) -> str:
        return " + ".join(f"{name} ({rule.expected})" for name, rule in self.broken or [SUCCESS])


class CasePolicy:
    """Rewrites a generated case in place so it only reaches what the run was given."""

    def __init__(
        self,
        api_key: str,
        is_valid: Mapping[str, Callable[[str], bool]],
        home_account_group: str | None,
        provision: Callable[[], InstanceIds | None],
    ) -> None:
        self._api_key = api_key
        self._is_valid = is_valid
        self._home_group = home_account_group
        self._provision = provision

    def apply(self, case: object, positive: bool) -> CasePlan:
        plan = CasePlan()
        generated = dict(case.headers or {})  # type: ignore[attr-defined]
        authorization = generated.get("Authorization")
        if authorization is None or _BEARER.match(authorization):
            generated.pop("Authorization", None)  # none or a well-formed made-up key: ours instead
            plan.headers = {"Authorization": f"Bearer {self._api_key}"}
        else:
            plan.broken.append(AUTHENTICATION)  # a malformed one is kept, and it must get 401
        case.headers = generated  # type: ignore[attr-defined]

        params = dict(case.path_parameters or {})  # type: ignore[attr-defined]
        malformed = {name for name, value in params.items() if not self._valid(name, value)}
        for name in malformed & {"campaignId", "workflowInstanceId"}:
            params[name] = _defused(params[name])
        if malformed:
            plan.broken.append(VALIDATION)
        instance = self._provision() if positive and not plan.broken else None
        if instance is not None:
            params = instance.path()
            plan.instance = instance
        else:
            for name in ("campaignId", "workflowInstanceId"):
                if name not in malformed:
                    params[name] = nonexistent_object_id()
            if "accountGroupId" not in malformed:
                params["accountGroupId"] = self._home_group or nonexistent_account_group_id()
                if self._home_group is None:
                    plan.broken.append(ACCOUNT_GROUP)
            if not malformed or malformed == {"accountGroupId"}:
                plan.broken.append(EXISTENCE)
            if "accountGroupId" in malformed:
                plan.broken.append(ACCOUNT_GROUP)  # a server that checks no format sees an inaccessible group
        case.path_parameters = params  # type: ignore[attr-defined]
        return plan

    def _valid(self, name: str, value: object) -> bool:
        check = self._is_valid.get(name)
        return isinstance(value, str) and check is not None and check(unquote(value))


# The spec's ObjectId form, unanchored: any run of it inside a longer value.
_OBJECT_ID_RUN = re.compile(Spec.shipped().schema("ObjectId")["pattern"].removeprefix("^").removesuffix("$"))


def _defused(value: object) -> object:
    """A malformed value with any ID inside it replaced: a lenient server that trims
    or decodes it must still find nothing (e.g. the spec's example ID plus a space)."""
    if not isinstance(value, str):
        return value
    return _OBJECT_ID_RUN.sub(lambda _: nonexistent_object_id(), value)
