"""Rate limiting per API key: the bucket (pure), the first check of the endpoint, and sharing across workers."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from discard_contract.headers import retry_after_value
from mock_server import create_app
from mock_server.config import ConfigError
from mock_server.rate_limit import Bucket, RateLimit, RateLimiter, rate_key, take
from mock_server.storage.memory import MemoryBuckets
from mock_server.storage.sqlite import SqliteBuckets
from mock_server.storage.sqlite.db import SqliteDatabase

from ..support.helpers import (
    ACME,
    DOCS_INSTANCE,
    PENDING_ACME,
    READONLY_KEY,
    assert_error_envelope,
    bearer,
    discard_path,
)
from ..support.served import served

DOCS_PATH = discard_path()


# The bucket ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "burst", "per_second", "expected_burst"),
    [("10/s", None, 10.0, 10), ("600/min", None, 10.0, 600), ("5/h", 2, 5 / 3600, 2), ("0.5/sec", None, 0.5, 1)],
)
def test_limits_read_as_count_per_unit(text: str, burst: int | None, per_second: float, expected_burst: int) -> None:
    assert RateLimit.parse(text, burst) == RateLimit(per_second, expected_burst)


@pytest.mark.parametrize("text", ["10", "ten/s", "10/fortnight", "0/s", "-1/s", ""])
def test_a_limit_that_cannot_be_read_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match="COUNT/UNIT"):
        RateLimit.parse(text)


def test_the_bucket_starts_full_refills_at_the_rate_and_never_beyond_the_burst() -> None:
    limit = RateLimit(per_second=2.0, burst=3)
    bucket = None
    for _ in range(3):
        bucket, wait = take(bucket, 100.0, limit)
        assert wait is None
    bucket, wait = take(bucket, 100.0, limit)
    assert wait == pytest.approx(0.5)  # one token takes half a second
    bucket, wait = take(bucket, 100.5, limit)
    assert wait is None
    bucket, _ = take(bucket, 1000.0, limit)  # a long pause refills to the burst, no more
    assert bucket.tokens == pytest.approx(2.0)
    assert take(Bucket(0.0, 200.0), 150.0, limit)[1] == pytest.approx(0.5)  # the clock stepped back: no refill


def test_retry_after_is_whole_seconds_and_never_zero() -> None:
    assert [retry_after_value(w) for w in (0.01, 0.5, 1.0, 1.2, 59.9)] == ["1", "1", "1", "2", "60"]


def test_the_key_is_the_tokens_hash_else_the_client_address() -> None:
    assert rate_key("Bearer sk_a", "10.0.0.1") == rate_key("bearer  sk_a ", "10.0.0.2")
    assert rate_key("Bearer sk_a", None) != rate_key("Bearer sk_b", None)
    assert rate_key(None, "10.0.0.1") != rate_key(None, "10.0.0.2")
    assert rate_key("", "10.0.0.1") == rate_key(None, "10.0.0.1")
    assert "sk_a" not in rate_key("Bearer sk_a", None)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_both_bucket_stores_keep_one_bucket_per_key(kind: str, tmp_path: Path) -> None:
    buckets = MemoryBuckets() if kind == "memory" else SqliteBuckets(SqliteDatabase(tmp_path / "b.db"))
    limiter = RateLimiter(RateLimit(per_second=1.0, burst=2), buckets, clock=lambda: 50.0)
    assert [limiter.check("a") for _ in range(3)] == [None, None, pytest.approx(1.0)]
    assert limiter.check("b") is None
    buckets.clear()
    assert limiter.check("a") is None


# The endpoint ----------------------------------------------------------------------


def _client(rate: str = "3/h", burst: int | None = None) -> FlaskClient:
    return create_app({"RATE_LIMIT": rate, "RATE_BURST": burst}).test_client()


def test_over_the_limit_the_answer_is_429_with_retry_after_and_nothing_changes() -> None:
    client = _client("2/h")
    unknown = discard_path(workflow_instance_id="0" * 24)
    assert [client.post(unknown, headers=bearer()).status_code for _ in range(2)] == [404, 404]
    response = client.post(DOCS_PATH, headers=bearer())
    assert response.status_code == 429
    assert_error_envelope(response.get_json(), 429)
    assert int(response.headers["Retry-After"]) >= 1
    assert client.get(f"/__mock/instances/{DOCS_INSTANCE}").get_json()["hasPendingApproval"] is True


def test_the_rate_limit_is_checked_before_authentication() -> None:
    client = _client("1/h")
    assert client.post(DOCS_PATH, headers=bearer("sk_nobody")).status_code == 401
    assert client.post(DOCS_PATH, headers=bearer("sk_nobody")).status_code == 429
    assert client.post(DOCS_PATH).status_code == 401  # no key: the client address's own bucket
    assert client.post(DOCS_PATH).status_code == 429


def test_each_api_key_has_its_own_bucket() -> None:
    client = _client("1/h")
    assert client.post(DOCS_PATH, headers=bearer()).status_code == 200
    assert client.post(DOCS_PATH, headers=bearer()).status_code == 429
    other = discard_path(workflow_instance_id=PENDING_ACME)
    assert client.post(other, headers=bearer(READONLY_KEY)).status_code == 403
    assert client.post(other, headers=bearer(READONLY_KEY)).status_code == 429


def test_the_burst_is_configurable() -> None:
    client = _client("1/h", burst=4)
    unknown = discard_path(workflow_instance_id="0" * 24)
    statuses = [client.post(unknown, headers=bearer()).status_code for _ in range(6)]
    assert statuses == [404] * 4 + [429] * 2


def test_the_rate_limit_is_off_by_default_and_never_limits_the_control_api() -> None:
    client = create_app().test_client()
    unknown = discard_path(workflow_instance_id="0" * 24)
    assert {client.post(unknown, headers=bearer()).status_code for _ in range(50)} == {404}
    limited = _client("1/h")
    assert {limited.get("/__mock/instances").status_code for _ in range(5)} == {200}


def test_an_unreadable_rate_limit_stops_the_start() -> None:
    with pytest.raises(ConfigError, match="COUNT/UNIT"):
        create_app({"RATE_LIMIT": "lots"})


def test_every_worker_draws_from_one_bucket(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'mock.db'}"
    with served("--quiet", "--workers", "3", "--store", store, "--rate-limit", "5/h") as mock:
        unknown = {"accountGroupId": ACME, "campaignId": "0" * 24, "workflowInstanceId": "0" * 24}
        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(lambda _: mock.discard(unknown), range(24)))
        assert Counter(status for status, _, _ in answers) == {404: 5, 429: 19}
        assert all(int(headers["retry-after"]) >= 1 for status, headers, _ in answers if status == 429)
