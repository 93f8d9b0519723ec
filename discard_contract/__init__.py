"""The discard endpoint's contract, apart from any web framework or test runner.

The spec and its reader (`spec`), the rules as constants (`rules`), the typed
violations (`violations`), one exchange as every judge sees it (`exchange`) and
the checks on an answer (`checks`). The mock server, the contract suite and a
proxy build on it; it depends on none of them.
"""
