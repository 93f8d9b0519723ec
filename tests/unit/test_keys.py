"""API keys apart from HTTP (mock_server/endpoint/keys.py): 401 for who, 403 for what."""

from __future__ import annotations

import pytest

from mock_server.endpoint.keys import ApiKey, Keyring
from mock_server.envelope import ApiError

EXECUTE = ApiKey("sk_test_execute", frozenset({"campaigns:read", "campaigns:execute"}), frozenset({"acme-retail"}))
READONLY = ApiKey("sk_test_readonly", frozenset({"campaigns:read"}), frozenset({"acme-retail"}))


@pytest.fixture
def keyring() -> Keyring:
    return Keyring([EXECUTE, READONLY])


def test_a_known_bearer_key_authenticates(keyring: Keyring) -> None:
    assert keyring.authenticate("Bearer sk_test_execute") == EXECUTE


@pytest.mark.parametrize("header", ["bearer sk_test_execute", "BEARER sk_test_execute", "  Bearer   sk_test_execute  "])
def test_the_scheme_is_case_insensitive_and_spaces_around_are_ignored(keyring: Keyring, header: str) -> None:
    assert keyring.authenticate(header) == EXECUTE


@pytest.mark.parametrize("header", [None, ""])
def test_a_missing_key_is_401(keyring: Keyring, header: str | None) -> None:
    with pytest.raises(ApiError) as error:
        keyring.authenticate(header)
    assert error.value.status == 401
    assert error.value.code == "UNAUTHORIZED"


@pytest.mark.parametrize(
    "header",
    [
        "Basic x",
        "Bearer",
        "Bearer ",
        "Bearer a b",
        "sk_test_execute",
        "Token sk_test_execute",
        "Bearer\tsk_test_execute",
    ],
)
def test_a_malformed_header_is_401_naming_the_header(keyring: Keyring, header: str) -> None:
    with pytest.raises(ApiError) as error:
        keyring.authenticate(header)
    assert error.value.status == 401
    assert error.value.details == "Authorization"


@pytest.mark.parametrize("header", ["Bearer sk_live_unknown", "Bearer SK_TEST_EXECUTE", "Bearer sk_test_execute,"])
def test_an_unknown_key_is_401(keyring: Keyring, header: str) -> None:
    with pytest.raises(ApiError) as error:
        keyring.authenticate(header)
    assert error.value.status == 401


def test_a_key_with_the_permission_passes() -> None:
    assert Keyring.require_permissions(EXECUTE, ["campaigns:execute"]) is None  # raises on failure


def test_a_key_without_the_permission_is_403_naming_it() -> None:
    with pytest.raises(ApiError) as error:
        Keyring.require_permissions(READONLY, ["campaigns:execute"])
    assert error.value.status == 403
    assert error.value.code == "FORBIDDEN"
    assert error.value.details == "campaigns:execute"


def test_a_key_reaches_only_its_account_groups() -> None:
    assert Keyring.require_account_group(EXECUTE, "acme-retail") is None  # raises on failure
    with pytest.raises(ApiError) as error:
        Keyring.require_account_group(EXECUTE, "globex-media")
    assert error.value.status == 403
    assert error.value.details == "accountGroupId"
