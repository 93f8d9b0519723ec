"""auth-403 broken: the permission is never checked."""

from __future__ import annotations

from typing import Any

from flask import Flask

from discard_contract import rules
from mock_server.endpoint.keys import ApiKey, Keyring

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


BUGS = {
    "permission not checked": Bug(
        permission_not_checked, ("test_a_key_without_campaigns_execute_is_403",), rules.AUTH_403
    )
}
