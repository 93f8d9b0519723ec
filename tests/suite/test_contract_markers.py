"""A contract test declares the rules it proves with constants; anything else fails at collection."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


@pytest.mark.parametrize(
    ("marker", "named"),
    [
        ('@pytest.mark.contract_rule("repeat-409")', "'repeat-409'"),
        ("@pytest.mark.contract_rule(rules.REPEAT_409, 'spec')", "'spec'"),
    ],
)
def test_a_contract_rule_that_is_not_a_rule_fails_collection(
    pytester: pytest.Pytester, marker: str, named: str
) -> None:
    pytester.makepyfile(
        test_mine=f"""
        import pytest
        from discard_contract import rules

        {marker}
        def test_it(contract_target):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--collect-only")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str() + result.stderr.str()
    assert f"not rules: test_mine.py::test_it: {named}" in result.stderr.str()


def test_a_misspelt_rule_constant_fails_collection(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_mine="""
        import pytest
        from discard_contract import rules

        @pytest.mark.contract_rule(rules.REPEAT_490)
        def test_it(contract_target):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--collect-only")
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    assert "REPEAT_490" in result.stdout.str()
