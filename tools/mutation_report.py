"""The table of a mutation run (`./run mutate`), one row per mutated module, checked against docs/MUTATION.md.

mutmut leaves each module's results in `mutants/<path>.meta` (a JSON object whose
`exit_code_by_key` maps each mutant to the exit code of the tests run against it).
A mutant is killed when its tests failed (or ran out of time); it survived when
they passed; "no tests" when no selected test calls its function. Each module
must have at least `REQUIRED` of its mutants killed, every survivor must be
listed in docs/MUTATION.md as equivalent, with why, and no mutant may have any
other outcome ("no tests" needs a test); a listed mutant that is killed now, or
no longer exists, is stale and must go.

Exit status: 0 when all of that holds, 1 otherwise (with what to do), 2 without results.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS_DOC = "docs/MUTATION.md"
REQUIRED = 0.95
SHOWN_DIFFS = 20  # survivors' diffs printed at most; the rest by name

# mutmut's exit codes (mutmut.stats.status_by_exit_code); anything else is "suspicious".
KILLED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout"}
SURVIVED = {0: "survived"}
NO_TESTS = {5: "no tests", 33: "no tests"}
_LISTED = re.compile(r"^\|\s*`([\w.ǁ]+__mutmut_\d+)`\s*\|", re.M)


def status(exit_code: int | None) -> str:
    if exit_code is None:
        return "not checked"
    for kind in (KILLED, SURVIVED, NO_TESTS):
        if exit_code in kind:
            return kind[exit_code]
    return "suspicious"


@dataclass(frozen=True)
class Row:
    module: str
    counts: Counter[str]
    equivalent: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def killed(self) -> int:
        return self.counts["killed"] + self.counts["timeout"]

    @property
    def score(self) -> float:
        return self.killed / self.total if self.total else 1.0


def mutated_modules(root: Path) -> list[str]:
    """The files `[tool.mutmut]` mutates: its source_paths' Python files that only_mutate names."""
    conf = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    found = []
    for source in conf["source_paths"]:
        for path in sorted((root / source).rglob("*.py")):
            name = path.relative_to(root).as_posix()
            if any(fnmatch.fnmatch(name, pattern) for pattern in conf["only_mutate"]):
                found.append(name)
    return found


def results(root: Path, module: str) -> dict[str, str] | None:
    """Mutant name -> status, from mutmut's file; None when the module was not run."""
    meta = root / "mutants" / (module + ".meta")
    if not meta.is_file():
        return None
    codes: dict[str, int | None] = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    return {name: status(code) for name, code in codes.items()}


def listed_equivalents(text: str) -> set[str]:
    """The mutants the document's tables name (a row starting with the mutant's name in backquotes)."""
    return set(_LISTED.findall(text))


Verdict = tuple[list["Row"], list[str], set[str], set[str]]


def judge(by_module: dict[str, dict[str, str]], equivalents: set[str]) -> Verdict:
    """(rows, modules under REQUIRED, mutants neither killed nor a listed survivor, listed ones that did not survive).

    Only a survivor can be equivalent: a mutant that no selected test reaches needs a test.
    """
    rows: list[Row] = []
    low: list[str] = []
    unexplained: set[str] = set()
    survivors: set[str] = set()
    for module, statuses in by_module.items():
        not_killed = {name for name, s in statuses.items() if s not in ("killed", "timeout")}
        survived = {name for name, s in statuses.items() if s == "survived"}
        survivors |= survived
        unexplained |= not_killed - (survived & equivalents)
        row = Row(module, Counter(statuses.values()), len(survived & equivalents))
        rows.append(row)
        if row.score < REQUIRED:
            low.append(module)
    return rows, low, unexplained, equivalents - survivors


def table(rows: list[Row]) -> str:
    head = ("module", "mutants", "killed", "survived", "equivalent", "no tests", "other", "killed %")
    lines: list[tuple[str, ...]] = [head]
    for row in rows:
        other = row.total - row.killed - row.counts["survived"] - row.counts["no tests"]
        score = f"{100 * row.score:.1f}" if row.total else "-"
        counts = (row.total, row.killed, row.counts["survived"], row.equivalent, row.counts["no tests"], other)
        lines.append((row.module, *map(str, counts), score))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    text = [
        "  ".join([line[0].ljust(widths[0]), *(cell.rjust(w) for cell, w in zip(line[1:], widths[1:], strict=True))])
        for line in lines
    ]
    text.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(text)


def main(root: Path = ROOT) -> int:
    modules = mutated_modules(root)
    by_module: dict[str, dict[str, str]] = {}
    for module in modules:
        found = results(root, module)
        if found is None:
            print(f"mutation: no results for {module} in mutants/; run ./run mutate first", file=sys.stderr)
            return 2
        by_module[module] = found
    equivalents = listed_equivalents((root / EQUIVALENTS_DOC).read_text(encoding="utf-8"))
    rows, low, unlisted, stale = judge(by_module, equivalents)
    print(table(rows))
    totals = Row("all", sum((row.counts for row in rows), Counter()), sum(row.equivalent for row in rows))
    print(f"\n{totals.killed} of {totals.total} mutants killed ({100 * totals.score:.1f}%);", end=" ")
    print(f"{totals.equivalent} survivors listed as equivalent in {EQUIVALENTS_DOC}")
    for name in sorted(unlisted)[:SHOWN_DIFFS]:
        shown = subprocess.run([sys.executable, "-m", "mutmut", "show", name], cwd=root, capture_output=True, text=True)
        print(f"\n{shown.stdout.strip() or name}")
    if unlisted:
        print(
            f"\n{len(unlisted)} mutants not killed and not listed in {EQUIVALENTS_DOC}: "
            + ", ".join(sorted(unlisted))
            + "\nKill each with a test, or list it there as equivalent, with why (.venv/bin/mutmut show NAME)."
        )
    if stale:
        print(f"\nListed in {EQUIVALENTS_DOC} but killed now or gone: {', '.join(sorted(stale))}; take them out.")
    if low:
        print(f"\nBelow {100 * REQUIRED:.0f}% killed: {', '.join(low)}")
    return 1 if unlisted or stale or low else 0


if __name__ == "__main__":
    sys.exit(main())
