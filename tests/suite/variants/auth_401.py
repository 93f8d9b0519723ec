"""auth-401 broken: unknown keys are taken."""

from __future__ import annotations

from flask import Flask

from discard_contract import rules
from mock_server.endpoint.keys import ApiKey, Keyring
from mock_server.envelope import ApiError

from .bug import Bug
from .serving import (
    context_of,
    endpoint_of,
)


class AnyKeyKeyring(Keyring):
    """Takes any bearer token for the execute key."""

    def authenticate(self, authorization: str | None) -> ApiKey:
        try:
            return super().authenticate(authorization)
        except ApiError:
            if authorization and authorization.startswith("Bearer "):
                return super().authenticate("Bearer sk_test_execute")
            raise


def unknown_keys_accepted(app: Flask) -> None:
    endpoint_of(app).keyring = AnyKeyKeyring(context_of(app).seed.api_keys)


BUGS = {
    "unknown keys accepted": Bug(
        unknown_keys_accepted, ("test_a_missing_malformed_or_unknown_key_is_401",), rules.AUTH_401
    ),
}
