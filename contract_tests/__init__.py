"""Contract tests for the Sonarly discard endpoint, runnable against any base URL.

Installed, it is a pytest plugin (entry point `pytest11`):
`pytest --pyargs contract_tests --base-url URL --api-key KEY --state-setup-url URL`.
"""
