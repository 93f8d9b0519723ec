"""The spec in the tools other teams already use: every YAML parser, Prism, and TypeScript types.

Each tool runs once per session (a Node process costs a second or more); the
tests then look at what it did. Without Node.js or `npm ci` the tests skip
with the reason, except on CI, where they fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from discard_contract.spec import SPEC_PATH, Spec

from ..support.helpers import EXECUTE_KEY, PENDING_STATE, ROOT, iter_examples, node_tool
from ..support.served import MockProcess

NODE_BIN = ROOT / "node_modules" / ".bin"
READ_YAML = ROOT / "tests" / "node" / "read_yaml.cjs"
TYPESCRIPT_EXAMPLE = ROOT / "examples" / "typescript"
JS_PARSERS = ("js-yaml", "yaml", "yaml-js")

# Characters that make a plain (unquoted) scalar mean something else to some parser: yaml-js,
# Dredd's, stops at a ':' inside a flow sequence, and '#' starts a comment after a space.
INDICATORS_ANYWHERE = frozenset(":#")
INDICATORS_IN_FLOW = frozenset(",[]{}")
INDICATORS_FIRST = frozenset("-?:,[]{}#&*!|>'\"%@`")


# YAML: one document for every parser.

BROKEN_FOR_YAML_JS = "x-required-permissions: [campaigns:execute]\n"


@pytest.fixture(scope="session")
def js_readings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """What js-yaml, yaml and yaml-js read from the spec, and from the unquoted line Dredd could not read."""
    for parser in JS_PARSERS:
        node_tool("node_modules", parser)
    broken = tmp_path_factory.mktemp("yaml") / "unquoted.yaml"
    broken.write_text(BROKEN_FOR_YAML_JS, encoding="utf-8")
    done = subprocess.run(
        ["node", str(READ_YAML), str(SPEC_PATH), str(broken)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    readings = json.loads(done.stdout)
    return {"spec": readings[str(SPEC_PATH)], "unquoted": readings[str(broken)]}


@pytest.mark.parametrize("parser", JS_PARSERS)
def test_every_yaml_parser_reads_the_spec_as_pyyaml_does(js_readings: dict[str, Any], parser: str) -> None:
    """PyYAML (the mock, the suite), js-yaml (Spectral, Prism), yaml 2 and yaml-js (Dredd) see one document."""
    reading = js_readings["spec"][parser]
    assert "error" not in reading, f"{parser} cannot read the spec: {reading.get('error')}"
    assert reading["document"] == yaml.safe_load(Path(str(SPEC_PATH)).read_text(encoding="utf-8"))


def test_the_parser_comparison_can_fail(js_readings: dict[str, Any]) -> None:
    """The unquoted permission the spec once had: yaml-js refuses it while the others read it."""
    assert "unexpected ':'" in js_readings["unquoted"]["yaml-js"]["error"]
    assert js_readings["unquoted"]["js-yaml"]["document"] == yaml.safe_load(BROKEN_FOR_YAML_JS)


def plain_scalars_with_indicators(text: str) -> list[str]:
    """Plain scalars holding a character some parser reads as syntax, with their line numbers."""
    found, depth = [], 0
    for event in yaml.parse(text):
        if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            depth += bool(event.flow_style)
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            depth = max(depth - 1, 0) if depth else 0
        elif isinstance(event, yaml.ScalarEvent) and event.style is None and event.value:
            value = event.value
            risky = (
                value[0] in INDICATORS_FIRST
                or INDICATORS_ANYWHERE & set(value)
                or (depth and INDICATORS_IN_FLOW & set(value))
            )
            if risky:
                found.append(f"line {event.start_mark.line + 1}: {value}")
    return found


def test_no_plain_scalar_in_the_spec_holds_an_indicator_character() -> None:
    """Quoted, such a scalar reads the same everywhere; unquoted, it depends on the parser."""
    assert plain_scalars_with_indicators(Path(str(SPEC_PATH)).read_text(encoding="utf-8")) == []
    assert plain_scalars_with_indicators(BROKEN_FOR_YAML_JS) == ["line 1: campaigns:execute"]


# Prism: the spec loads and its operation answers.

PRISM_LISTENING = re.compile(r"Prism is listening on (http://\S+)")
PRISM_TROUBLE = re.compile(r"✖|⚠|\b(error|warning|fatal)\b", re.IGNORECASE)


@pytest.fixture(scope="session")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """`prism mock SPEC` on a free loopback port: its URL, and every line it printed."""
    prism_cli = node_tool("node_modules", ".bin", "prism")
    process = subprocess.Popen(
        [str(prism_cli), "mock", str(SPEC_PATH), "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    lines: list[str] = []
    listening = threading.Event()
    url: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip())
            if match := PRISM_LISTENING.search(line):
                url.append(match.group(1))
                listening.set()
        listening.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        listening.wait(60)
        assert url, "Prism did not start:\n" + "\n".join(lines)
        yield url[0], lines
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)


def test_prism_loads_the_spec_without_errors_or_warnings(prism: tuple[str, list[str]]) -> None:
    """What Prism printed while loading the spec, up to "listening": the other tests' requests, which it logs
    as it validates them (some on purpose invalid), may come before this test on the same Prism."""
    _, lines = prism
    loading = lines[: next(i for i, line in enumerate(lines) if PRISM_LISTENING.search(line)) + 1]
    assert any("POST" in line and "/discard" in line for line in loading), lines
    assert [line for line in loading if PRISM_TROUBLE.search(line)] == []


def test_prism_answers_the_request_example_with_the_200_example(prism: tuple[str, list[str]], spec: Spec) -> None:
    """Prism validates the request against the spec, so the paired example must be a valid request."""
    url, _ = prism
    values = {
        name: spec.resolve(spec.document["components"]["parameters"][name])["examples"]["discarded"]["value"]
        for name in ("accountGroupId", "campaignId", "workflowInstanceId")
    }
    answer = requests.post(
        url + spec.operation().path_template.format(**values),
        headers={"Authorization": f"Bearer {EXECUTE_KEY}", "Prefer": "example=discarded"},
        timeout=10,
    )
    expected = {name: value for status, name, value in iter_examples(spec, "discardWorkflowInstance") if status == 200}
    assert (answer.status_code, answer.json()) == (200, expected["discarded"])
    refused = requests.post(url + spec.operation().path_template.format(**{**values, "campaignId": "abc"}), timeout=10)
    assert refused.status_code in (400, 401, 422), refused.text


def test_prism_sends_a_retry_after_the_spec_allows(prism: tuple[str, list[str]], spec: Spec) -> None:
    url, _ = prism
    values = {"accountGroupId": "acme-retail", "campaignId": "0" * 24, "workflowInstanceId": "0" * 24}
    answer = requests.post(
        url + spec.operation().path_template.format(**values),
        headers={"Authorization": f"Bearer {EXECUTE_KEY}", "Prefer": "code=429"},
        timeout=10,
    )
    assert answer.status_code == 429
    header = spec.document["paths"][spec.operation().path_template]["post"]["responses"]["429"]["headers"]
    assert spec.validator(header["Retry-After"]["schema"]).is_valid(answer.headers["Retry-After"])


# TypeScript: types generated from the spec, and the example that uses them.

MISUSE = """\
import type { DiscardAnswer } from "./discard";

export function unchecked(answer: DiscardAnswer): string {
  // @ts-expect-error: before narrowing on `success`, `data` may be null
  return answer.data.leadStatus.workflowStatus;
}

export function wrongBranch(answer: DiscardAnswer): string {
  if (answer.success) {
    // @ts-expect-error: a success carries no error
    return answer.error.code;
  }
  // @ts-expect-error: no such status in the spec's enum
  const status: import("./discard-api").components["schemas"]["WorkflowStatus"] = "edited";
  return status;
}
"""


@pytest.fixture(scope="session")
def typescript_run(tmp_path_factory: pytest.TempPathFactory, served_mock: MockProcess) -> dict[str, Any]:
    """openapi-typescript on the spec at the mock's URL, as a frontend team runs it, then tsc over
    the example and the misuses, in a scratch copy.

    The copy keeps generated files out of the tree; its node_modules is a link to the repo's.
    """
    generator = node_tool("node_modules", ".bin", "openapi-typescript")
    tsc = node_tool("node_modules", ".bin", "tsc")
    work = tmp_path_factory.mktemp("typescript")
    for source in TYPESCRIPT_EXAMPLE.iterdir():
        if source.suffix in (".ts", ".json"):
            shutil.copy(source, work / source.name)
    (work / "misuse.ts").write_text(MISUSE, encoding="utf-8")
    (work / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    generate = subprocess.run(
        [str(generator), served_mock.base_url + "/__mock/openapi.yaml", "--output", str(work / "discard-api.ts")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    check = subprocess.run(
        [str(tsc), "--project", str(work / "tsconfig.json"), "--pretty", "false"],
        cwd=work, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    return {"generate": generate, "tsc": check, "work": work}


def test_openapi_typescript_generates_types_without_warnings(typescript_run: dict[str, Any]) -> None:
    done = typescript_run["generate"]
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert not re.search(r"warn|error|⚠|✘", output, re.IGNORECASE), output


def test_the_typescript_example_type_checks_and_misuse_does_not(typescript_run: dict[str, Any]) -> None:
    """tsc passes the example; each `@ts-expect-error` in the misuses must meet a real error, or tsc fails."""
    done = typescript_run["tsc"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "", done.stdout
    assert {"discard.js", "main.js", "misuse.js"} <= {p.name for p in (typescript_run["work"] / "dist").iterdir()}


def test_the_compiled_example_discards_through_the_mock_and_narrows_each_answer(
    typescript_run: dict[str, Any], served_mock: MockProcess
) -> None:
    """The example, run by Node against the served mock: the result first, then the 409 of a repeat."""
    assert typescript_run["tsc"].returncode == 0, typescript_run["tsc"].stdout
    setup = requests.post(
        served_mock.base_url + "/__mock/provider-states",
        json={"state": PENDING_STATE, "params": {}, "action": "setup"},
        timeout=10,
    )
    ids = setup.json()
    env = {
        **os.environ,
        "DISCARD_BASE_URL": served_mock.base_url,
        "DISCARD_IDS": "/".join(ids[name] for name in ("accountGroupId", "campaignId", "workflowInstanceId")),
    }
    main = typescript_run["work"] / "dist" / "main.js"
    runs = [subprocess.run(["node", str(main)], env=env, capture_output=True, text=True, timeout=60) for _ in "12"]
    first, repeat = runs
    assert (first.returncode, first.stdout.strip()) == (
        0,
        f"discarded {ids['workflowInstanceId']}: now stopped (CONTENT_DISCARDED)",
    ), first.stderr
    assert repeat.returncode == 1 and repeat.stdout.startswith("CONFLICT: "), repeat.stdout + repeat.stderr
