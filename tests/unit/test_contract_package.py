"""The contract package stands alone: no framework, no test runner, every rule once and at home in CONTRACT.md."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from discard_contract import rules
from discard_contract.rules import RULES, rule
from discard_contract.violations import BY_SECTION, ContractViolation, violation

from ..support.helpers import ROOT

FRAMEWORKS = ("flask", "werkzeug", "pytest", "_pytest", "schemathesis", "hypothesis", "requests")


def test_the_contract_package_imports_no_framework_and_no_test_runner() -> None:
    code = (
        "import sys, pkgutil, importlib, discard_contract\n"
        "for m in pkgutil.iter_modules(discard_contract.__path__):\n"
        "    importlib.import_module('discard_contract.' + m.name)\n"
        f"print(sorted(name for name in {FRAMEWORKS!r} if name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_the_tree_holds_no_links() -> None:
    listing = subprocess.run(["git", "ls-files", "-s"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    links = [line.split("\t", 1)[1] for line in listing.splitlines() if line.startswith("120000 ")]
    assert not links, f"symbolic links in the tree: {links}"


def test_each_rule_has_its_own_id_and_a_section_of_contract_md() -> None:
    assert len({r.id for r in RULES}) == len(RULES)
    headings = set(re.findall(r"^## (.+?)(?: \([^)]*\))?$", (ROOT / "docs/CONTRACT.md").read_text(), re.M))
    assert {r.section for r in RULES} <= headings, {r.section for r in RULES} - headings


@pytest.mark.parametrize("each", RULES, ids=[r.id for r in RULES])
def test_a_violation_of_each_rule_is_of_its_section_and_names_it(each: rules.Rule) -> None:
    raised = violation(each, "what broke", request="curl …", response="500 {}")
    assert type(raised) is BY_SECTION[each.section] and isinstance(raised, AssertionError)
    assert raised.rule is each
    text = str(raised)
    assert text.startswith(f"CONTRACT «{each.section}»{' (inferred)' if each.inferred else ''} [{each.id}]: what broke")
    assert "\n  request:  curl …\n  response: 500 {}" in text


def test_a_rule_is_found_by_its_id_and_an_unknown_id_names_the_known_ones() -> None:
    assert rule("repeat-409") is rules.REPEAT_409 and str(rules.REPEAT_409) == "repeat-409"
    with pytest.raises(KeyError) as unknown:
        rule("repeat-490")
    assert unknown.value.args[0] == f"no contract rule 'repeat-490'; known: {', '.join(r.id for r in RULES)}"


def test_a_rule_with_one_status_says_it_and_one_with_several_refuses() -> None:
    assert rules.REPEAT_409.status == 409 and rules.ACCOUNT_GROUP.expected == "403 or 404"
    assert rules.REPEAT_409.expected == "409" and rules.ROUTING.expected == "404 or 405"
    for several_or_none in (rules.ACCOUNT_GROUP, rules.ENVELOPE):
        with pytest.raises(ValueError):
            _ = several_or_none.status
    assert issubclass(BY_SECTION["State rules"], ContractViolation)


def test_a_violation_keeps_its_parts_and_shows_only_the_request_and_response_it_was_given() -> None:
    bare = violation(rules.REPEAT_409, "a repeat was 200")
    assert (bare.rule, bare.message, bare.request, bare.response) == (rules.REPEAT_409, "a repeat was 200", "", "")
    assert str(bare) == "CONTRACT «State rules» [repeat-409]: a repeat was 200"
    full = violation(rules.FINAL, "still 200", request="curl -X POST …", response="200 {}")
    assert (full.message, full.request, full.response) == ("still 200", "curl -X POST …", "200 {}")
    assert str(full) == (
        "CONTRACT «State rules» (inferred) [final]: still 200\n  request:  curl -X POST …\n  response: 200 {}"
    )
    made_directly = BY_SECTION["State rules"](rules.FINAL, "m")
    assert (made_directly.request, made_directly.response, str(made_directly)) == (
        "",
        "",
        "CONTRACT «State rules» (inferred) [final]: m",
    )
    assert str(violation(rules.FINAL, "m", response="200 {}")) == (
        "CONTRACT «State rules» (inferred) [final]: m\n  response: 200 {}"
    )
