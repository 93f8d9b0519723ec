"""auth-403 broken: the permission is never checked, or a missing one is answered 401."""

from __future__ import annotations

from typing import Any

from flask import Flask

from discard_contract import rules
from mock_server.endpoint.keys import ApiKey, Keyring
from mock_server.envelope import ApiError

from .bug import Bug
from .serving import (
    context_of,
    endpoint_of,
)


class NoPermissionCheckKeyring(Keyring):
    @staticmethod
    def require_permissions(key: ApiKey, permissions: Any) -> None:
        return None


def permission_not_checked(app: Flask) -> None:
    endpoint_of(app).keyring = NoPermissionCheckKeyring(context_of(app).seed.api_keys)


class UnauthorizedWithoutPermission(Keyring):
    @staticmethod
    def require_permissions(key: ApiKey, permissions: Any) -> None:
        if any(permission not in key.permissions for permission in permissions):
            raise ApiError.documented("unknownKey")


def unauthorized_without_permission(app: Flask) -> None:
    """401 for a valid key without campaigns:execute: from outside, the same answer as an invalid key gets,
    so no run can tell this target from a job given a wrong --api-key-without-permission (not in BUGS:
    the preflight stops it, naming both)."""
    endpoint_of(app).keyring = UnauthorizedWithoutPermission(context_of(app).seed.api_keys)


BUGS = {
    "permission not checked": Bug(
        permission_not_checked, ("test_a_key_without_campaigns_execute_is_403",), rules.AUTH_403
    )
}
