"""account-group broken: an account group the key cannot access is answered 401, as if the key were unknown."""

from __future__ import annotations

from flask import Flask

from discard_contract import rules
from mock_server.endpoint.keys import ApiKey
from mock_server.envelope import ApiError

from .bug import Bug
from .serving import endpoint_of


def unauthorized_for_other_groups(app: Flask) -> None:
    """A valid key outside its account groups gets the unknown key's 401 (the contract: 403 or 404)."""

    def require_account_access(key: ApiKey, account_group_id: str) -> None:
        if account_group_id not in key.account_groups:
            raise ApiError.documented("unknownKey")

    endpoint_of(app).require_account_access = require_account_access  # type: ignore[method-assign]


BUGS = {
    # The preflight must not take this 401 for a refused --api-key: it asks inside the provisioned group.
    "401 for an account group the key cannot access": Bug(
        unauthorized_for_other_groups,
        ("test_an_unknown_or_inaccessible_account_group_is_refused",),
        rules.ACCOUNT_GROUP,
    ),
}
