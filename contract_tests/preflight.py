"""Before any contract test: can this run judge the target at all?

A wrong key, URL or state endpoint would otherwise show up as dozens of
"violations" by a target that did nothing wrong. A handful of requests tell a
broken job from a broken target, and the preflight says "misconfigured" only
for an answer that no target keeping the contract could give to a correctly
configured job. Where a broken target could have given it too, the message
names both the option and the rule (`auth-403`, ...); where the answer proves
the target is broken but the job is fine (an auth gateway's HTML 401, which
at least shows the path is served), it stays quiet and the tests report it.

Its requests use IDs that cannot exist, or the instance the state endpoint
just made for it (`home`): inside its account group a valid key can only be
refused for being invalid, and on it a key without permission must get 403.
A problem is reported as one `PreflightError` naming the option, what was
sent and what came back, with every credential masked.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import requests

from discard_contract import rules
from discard_contract.ids import ID_FIELDS, InstanceIds, unknown_path
from discard_contract.spec import Spec

from .credentials import Credentials, redact_url
from .probe import TIMEOUT_SECONDS, Answer, PreflightError, Probe
from .provisioning import CONSUMER, PENDING, FixturesFileProvisioner, ProvisioningError
from .target import Target


def masked(key: str) -> str:
    """A key's head, enough to tell which one it was (at most a quarter of it, never more than 8 characters)."""
    return key[: min(8, len(key) // 4)] + "…"


OPERATION = Spec.shipped().operation()


def discard_path(path: dict[str, str]) -> str:
    return OPERATION.path(path)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


class Preflight:
    def __init__(
        self, target: Target, state_headers: dict[str, str], sleep: Callable[[float], Any] = time.sleep
    ) -> None:
        self.target = target
        self.state_headers = state_headers
        self.credentials = Credentials.of(
            api_key=target.api_key,
            api_key_without_permission=target.api_key_without_permission,
            headers=state_headers,
            urls=(target.state_setup_url, target.base_url),
        )
        self.probe = Probe(self.credentials.scrub, sleep)  # a test passes a sleep that counts the waits
        self.session = self.probe.session
        self.notes: list[str] = []  # for the run's header
        self._setups: list[InstanceIds] = []

    def run(self) -> list[str]:
        """Raises PreflightError on the first problem; else returns notes for the run's header
        (what it could not check)."""
        try:
            self._check_fixtures_file()
            home, own = self._home()
            self._check_base_url_and_key(home)
            self._check_key_without_permission(home if own else None, home)
        except PreflightError as exc:
            raise PreflightError(self.credentials.scrub(str(exc))) from None
        finally:
            self._tear_down()
            self.session.close()
        return [self.credentials.scrub(note) for note in self.notes]

    # The checks, in the order a user would fix them.

    def _check_fixtures_file(self) -> None:
        if self.target.fixtures_file and not self.target.state_setup_url:
            try:
                FixturesFileProvisioner(self.target.fixtures_file)
            except ProvisioningError as exc:
                raise PreflightError(f"--fixtures-file: {exc}") from None

    def _home(self) -> tuple[InstanceIds | None, bool]:
        """A pending instance in an account group --api-key can access, and whether the preflight
        made it (then it may discard it): from the state URL, else the fixtures file's first."""
        if self.target.state_setup_url:
            return self._set_up(), True
        if self.target.fixtures_file:
            fixtures = FixturesFileProvisioner(self.target.fixtures_file)
            if fixtures.pending_left():
                return fixtures.pending(), False
        return None, False

    def _check_base_url_and_key(self, home: InstanceIds | None) -> None:
        base = self.target.base_url
        key = self.target.api_key
        probe = unknown_path()
        if home is not None:  # inside an account group the key can access, only the key itself can be refused
            probe["accountGroupId"] = home.account_group_id
        if key:
            url = base + discard_path(probe)
            answer = self.probe.send("--base-url", "POST", url, bearer(key))
            if answer.status == rules.AUTH_401.status:
                raise PreflightError(self._refused_key(key, url, answer, home))
        # Without a key a discard of an existing instance must be 401: nothing else is wrong with it.
        url = base + discard_path(home.path() if home is not None else probe)
        anonymous = self.probe.send("--base-url", "POST", url, {})
        if anonymous.shows_the_path_is_served:
            return
        if home is not None:
            alternative = (
                f"or the target breaks {rules.AUTH_401.id} ({rules.AUTH_401.title}), "
                f"as this discard of pending instance {home} without a key shows"
            )
        else:
            alternative = (
                "or the target looks IDs up before it asks for a key, which CONTRACT.md allows for IDs that "
                "name nothing: pass --state-setup-url, so the preflight can ask about an instance that exists"
            )
        raise PreflightError(
            f"--base-url {redact_url(base)}: POST {redact_url(url)} without a key answered {anonymous.describe()}, "
            "where a discard needs a key (401): the discard path is not served there (give the API's root, "
            f"the part before /v1), {alternative}"
        )

    @staticmethod
    def _refused_key(key: str, url: str, answer: Answer, home: InstanceIds | None) -> str:
        sent = f"POST {redact_url(url)}"
        if home is not None:
            return (
                f"--api-key {masked(key)}: the target refused it: {sent} (in account group {home.account_group_id}, "
                f"where this run's instances are) answered {answer.describe()}; "
                "pass a key with campaigns:execute (env CONTRACT_API_KEY)"
            )
        return (
            f"--api-key {masked(key)}: {sent} (IDs that cannot exist) answered {answer.describe()}: either the "
            "target refuses the key (pass a key with campaigns:execute, env CONTRACT_API_KEY), or it breaks "
            f"{rules.ACCOUNT_GROUP.id} ({rules.ACCOUNT_GROUP.title}, not 401); "
            "pass --state-setup-url, so the preflight can ask inside an account group the key can access"
        )

    def _check_key_without_permission(self, own: InstanceIds | None, home: InstanceIds | None) -> None:
        """A 401 for it is an invalid key or a target that answers 401 for 403: the message names both.
        On an instance of its own the preflight also finds swapped keys."""
        key = self.target.api_key_without_permission
        if not key:
            return
        if own is not None:
            url = self.target.base_url + discard_path(own.path())
            where = f"a discard of pending instance {own}"
        else:
            probe = unknown_path()
            if home is not None:
                probe["accountGroupId"] = home.account_group_id
            url = self.target.base_url + discard_path(probe)
            where = "a discard of IDs that cannot exist"
            if self.target.api_key:
                self.notes.append(
                    "preflight: could not check which key is which (no --state-setup-url, so no instance to try "
                    "them on); if the 403 test gets 200, check that --api-key and --api-key-without-permission "
                    "are not swapped"
                )
        answer = self.probe.send("--base-url", "POST", url, bearer(key))
        if answer.status == rules.AUTH_401.status:
            group_too = (
                f", or {rules.ACCOUNT_GROUP.id} (an account group the key cannot access is 403 or 404)"
                if home is None
                else ""
            )
            raise PreflightError(
                f"--api-key-without-permission {masked(key)}: {where} (POST {redact_url(url)}) answered "
                f"{answer.describe()}: either it is not a valid key (pass a valid key that lacks campaigns:execute, "
                "env CONTRACT_API_KEY_WITHOUT_PERMISSION, or leave it out to skip the 403 tests), or the target "
                f"breaks {rules.AUTH_403.id} ({rules.AUTH_403.title}, not 401){group_too}"
            )
        if own is not None and answer.status == rules.DISCARD_200.status and self.target.api_key:
            self._check_keys_not_swapped(key, self.target.api_key, url)

    def _check_keys_not_swapped(self, without: str, api_key: str, discarded: str) -> None:
        """The key without permission discarded an instance; if --api-key cannot discard another one, the
        two were given the other way round. If it can, the target checks no permission: the 403 test's to fail."""
        other = self._set_up()
        url = self.target.base_url + discard_path(other.path())
        answer = self.probe.send("--base-url", "POST", url, bearer(api_key))
        if answer.status == rules.AUTH_403.status:
            raise PreflightError(
                f"--api-key-without-permission {masked(without)}: the keys look swapped: it discarded a provisioned "
                f"instance (POST {redact_url(discarded)} answered 200), while --api-key {masked(api_key)} got "
                f"{answer.describe()} for another (POST {redact_url(url)}); pass the key with campaigns:execute as "
                "--api-key (env CONTRACT_API_KEY) and the one without it as --api-key-without-permission "
                "(env CONTRACT_API_KEY_WITHOUT_PERMISSION)"
            )

    def _set_up(self) -> InstanceIds:
        url = self.target.state_setup_url
        assert url is not None
        shown = redact_url(url)
        body = {"consumer": CONSUMER, "state": PENDING, "params": {}, "action": "setup"}
        sent = f"POST {shown} {{'state': {PENDING!r}, 'action': 'setup'}}"
        answer = self.probe.send("--state-setup-url", "POST", url, self.state_headers, json=body)
        if answer.status not in (200, 201):
            raise PreflightError(
                f"--state-setup-url {shown}: {sent} answered {answer.describe()}, expected 200 or 201 "
                "with the four IDs" + self._header_hint(answer)
            )
        try:
            instance = InstanceIds.from_json(answer.body, "it")
        except ValueError:
            raise PreflightError(
                f"--state-setup-url {shown}: {sent} answered {answer.describe()}, expected a JSON object "
                f"with string fields {', '.join(ID_FIELDS)}"
            ) from None
        self._setups.append(instance)
        return instance

    def _tear_down(self) -> None:
        """One teardown per setup, as the suite's provisioner does; a target may ignore them."""
        url = self.target.state_setup_url
        for instance in self._setups:
            teardown = {"consumer": CONSUMER, "state": PENDING, "params": instance.as_json(), "action": "teardown"}
            with contextlib.suppress(requests.RequestException):
                self.session.post(url or "", json=teardown, headers=self.state_headers, timeout=TIMEOUT_SECONDS)
        self._setups.clear()

    @staticmethod
    def _header_hint(answer: Answer) -> str:
        if answer.status in (401, 403):
            return "; if it needs a credential, pass --state-setup-header 'Name: value'"
        return ""
