"""The image as a frontend team runs it: `docker run -p 4010:4010 IMAGE`.

It must answer as `./run serve` does, run as a non-root user, hold the runtime and nothing of the
build or the tests, report its health (also under --no-control, and unhealthy when its store is
down), and stop cleanly on SIGTERM.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ..support.containers import Container, podman
from ..support.helpers import ACME, ACME_CAMPAIGN, PENDING_ACME, READONLY_KEY, bearer, discard_path
from ..support.served import MockProcess, call, served

SIZE_LIMIT = 300_000_000  # bytes, uncompressed, as `podman image inspect` counts them
DEV_ONLY = ("pip", "setuptools", "playwright", "pact", "mypy", "ruff", "xdist", "tests")


@pytest.fixture(scope="module")
def container(mock_image: str) -> Iterator[Container]:
    """The image with its default command, answering on a published loopback port."""
    running = Container(mock_image)
    try:
        running.wait_answering()
        yield running
    finally:
        running.remove()


@pytest.fixture(scope="module")
def host_mock() -> Iterator[MockProcess]:
    """`./run serve`'s command on this host, the answers the container must give."""
    with served() as mock:
        yield mock


def walkthrough(base_url: str) -> list[tuple[int, Any]]:
    """The README's five requests (then its reset), each answer without what is fresh per request."""
    answers = []
    for method, path, headers, body in (
        ("POST", discard_path(), bearer(), None),
        ("POST", discard_path(), bearer(), None),
        ("POST", discard_path(ACME, ACME_CAMPAIGN, PENDING_ACME), bearer(READONLY_KEY), None),
        ("POST", discard_path(), {"Prefer": "code=502"}, None),
        ("POST", "/__mock/provider-states", {}, {"state": "a workflow instance pending approval", "params": {}}),
        ("POST", "/__mock/reset", {}, None),
    ):
        status, _, answer = call(base_url + path, method, headers=headers, body=body)
        if isinstance(answer, dict):
            answer.pop("traceId", None)
            if "workflowInstanceId" in answer:  # a provider state's new IDs: their names and the account group
                answer = {"fields": sorted(answer), "accountGroupId": answer["accountGroupId"]}
        answers.append((status, answer))
    return answers


def test_the_image_answers_the_readme_walkthrough_as_run_serve_does(
    container: Container, host_mock: MockProcess
) -> None:
    in_image, on_host = walkthrough(container.base_url), walkthrough(host_mock.base_url)
    assert [status for status, _ in in_image] == [200, 409, 403, 502, 200, 200], in_image
    assert in_image == on_host


def test_the_image_runs_as_a_non_root_user_and_holds_the_runtime_only(mock_image: str, container: Container) -> None:
    inspected = json.loads(podman("image", "inspect", mock_image).stdout)[0]
    assert inspected["Size"] < SIZE_LIMIT, f"{inspected['Size']:,} bytes"
    assert inspected["Config"]["User"] not in ("", "0", "root"), inspected["Config"]["User"]
    assert "4010/tcp" in inspected["Config"]["ExposedPorts"]
    assert inspected["Healthcheck"]["Test"][0] == "CMD", "podman build without --format docker drops it"
    uid = podman("exec", container.name, "id", "-u").stdout.strip()
    assert uid != "0"
    found = podman(
        "exec", container.name, "python", "-c",
        "import importlib.util, shutil; "
        f"print([m for m in {DEV_ONLY!r} if importlib.util.find_spec(m)] + "
        "[c for c in ('gcc', 'cc', 'make', 'pip', 'apt-get') if shutil.which(c) and c != 'apt-get'])",
    ).stdout.strip()  # fmt: skip
    assert found == "[]", f"build or test tools in the image: {found}"
    suite = podman("exec", container.name, "python", "-c", "import contract_tests, mock_server; print('ok')")
    assert suite.stdout.strip() == "ok"


def wait_for_log(container: Container, line: str, deadline_seconds: float = 60.0) -> None:
    give_up = time.monotonic() + deadline_seconds
    while line not in container.logs():
        if time.monotonic() > give_up:
            pytest.fail(f"no {line!r} in the container's log:\n{container.logs()}")
        time.sleep(0.2)


def test_the_healthcheck_follows_the_served_port_and_control_api_and_fails_on_a_store_that_is_down(
    mock_image: str, container: Container
) -> None:
    assert podman("healthcheck", "run", container.name, check=False).returncode == 0, container.logs()
    without_control = Container(mock_image, "serve", "--no-control", "--port", "5000")
    store_down = Container(mock_image, "--store", "redis://127.0.0.1:1/0")
    try:
        for started in (without_control, store_down):
            wait_for_log(started, "discard-mock listening")
        checked = podman("healthcheck", "run", without_control.name, check=False)
        assert checked.returncode == 0, checked.stdout + checked.stderr + without_control.logs()
        refused = podman("healthcheck", "run", store_down.name, check=False)
        assert refused.returncode != 0, "a mock whose Redis is down must be unhealthy"
    finally:
        without_control.remove()
        store_down.remove()


def stopped_exit_code(container: Container, grace_seconds: int) -> str:
    """`docker stop`: SIGTERM, then SIGKILL once the grace period is over; the exit code it left."""
    podman("stop", "--time", str(grace_seconds), container.name)
    return podman("inspect", "--format", "{{.State.ExitCode}}", container.name).stdout.strip()


def test_sigterm_stops_the_mock_cleanly_and_a_process_that_ignores_it_is_told_apart(mock_image: str) -> None:
    stopping = Container(mock_image, "--quiet")
    deaf = Container(
        mock_image, "-c", "trap '' TERM; echo ready; while :; do sleep 1; done", options=["--entrypoint=sh"]
    )
    try:
        wait_for_log(stopping, "discard-mock listening")
        wait_for_log(deaf, "ready")
        code = stopped_exit_code(stopping, 10)
        assert code == "0", f"exit {code} (137: it ignored SIGTERM and was killed):\n{stopping.logs()}"
        assert stopped_exit_code(deaf, 1) == "137", "a process deaf to SIGTERM must show as killed"
    finally:
        stopping.remove()
        deaf.remove()
