"""API keys: who the caller is, and what it may do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..envelope import ApiError
from ..request_parts import bearer_token


@dataclass(frozen=True, slots=True)
class ApiKey:
    key: str
    permissions: frozenset[str]
    account_groups: frozenset[str]


class Keyring:
    """The keys the mock knows, and the 401/403 answers for the rest."""

    def __init__(self, keys: Iterable[ApiKey]) -> None:
        self._keys = {key.key: key for key in keys}

    def authenticate(self, authorization: str | None) -> ApiKey:
        if not authorization:
            raise ApiError.documented("missingKey")
        token = bearer_token(authorization)
        if token is None:
            raise ApiError.documented("malformedKey")
        key = self._keys.get(token)
        if key is None:
            raise ApiError.documented("unknownKey")
        return key

    @staticmethod
    def require_permissions(key: ApiKey, permissions: Iterable[str]) -> None:
        missing = [p for p in permissions if p not in key.permissions]
        if missing:
            raise ApiError.documented("missingPermission", permissions=", ".join(missing))

    @staticmethod
    def require_account_group(key: ApiKey, account_group_id: str) -> None:
        if account_group_id not in key.account_groups:
            raise ApiError.documented("noAccountGroupAccess", accountGroupId=account_group_id)
