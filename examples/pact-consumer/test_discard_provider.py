"""Provider side: the consumer's pact verified against a running discard mock.

The verifier calls the mock's `/__mock/provider-states` before each
interaction (`{"state", "params", "action": "setup"}` as a JSON body), takes
the IDs it answers, builds the request path from them, and sends teardowns
after. Point it at a mock you run yourself with `DISCARD_MOCK_URL`;
otherwise one is started on a free loopback port for the test.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from pact import Verifier
from pact_files import PACT_FILE, PROVIDER

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")  # no usage events

LISTENING = re.compile(r"discard-mock listening on (http://\S+)")


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    if os.environ.get("DISCARD_MOCK_URL"):
        yield os.environ["DISCARD_MOCK_URL"].rstrip("/")
        return
    command = [sys.executable, "-m", "mock_server", "serve", "--host", "127.0.0.1", "--port", "0", "--quiet"]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert process.stderr is not None
        for raw in process.stderr:  # the mock announces its URL on stderr once it listens
            if found := LISTENING.search(raw.decode("utf-8", "replace")):
                yield found.group(1)
                break
        else:
            pytest.fail(f"the mock did not start: {' '.join(command)}")
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_the_pact_verifies_against_the_mock(mock_url: str) -> None:
    if not PACT_FILE.exists():
        pytest.fail(f"{PACT_FILE} is missing: run test_discard_consumer.py first (it writes the pact)")
    interactions = json.loads(PACT_FILE.read_text(encoding="utf-8"))["interactions"]
    assert len(interactions) == 3

    url = urlsplit(mock_url)
    requests.delete(f"{mock_url}/__mock/requests", timeout=10)
    (
        Verifier(PROVIDER, host=url.hostname or "127.0.0.1")
        .add_transport(url=f"{mock_url}/")
        .add_source(PACT_FILE)
        .state_handler(f"{mock_url}/__mock/provider-states", teardown=True, body=True)
        .verify()  # raises on any mismatch
    )

    # The paths the mock saw are the provider state's fresh IDs, not the pact's examples.
    journal = requests.get(f"{mock_url}/__mock/requests", timeout=10).json()["requests"]
    discards = [entry for entry in journal if entry["path"].endswith("/discard")]
    assert sorted(entry["status"] for entry in discards) == [200, 401, 409]
    example_paths = {i["request"]["path"] for i in interactions}
    assert not {entry["path"] for entry in discards} & example_paths
