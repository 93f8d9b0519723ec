"""The distribution ships every package of the source tree: an editable install finds a package that a
built wheel (the container image's) would leave out."""

from __future__ import annotations

import tomllib

from ..support.helpers import ROOT

SHIPPED_ROOTS = ("mock_server", "contract_tests", "discard_contract")


def test_every_package_in_the_source_tree_is_listed_for_the_wheel() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    in_tree = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for root in SHIPPED_ROOTS
        for init in (ROOT / root).rglob("__init__.py")
    }
    assert in_tree - listed == set(), "packages missing from [tool.setuptools] packages in pyproject.toml"
