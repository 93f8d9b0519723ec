"""`pytest` in this repository: the mock's tests, and the contract suite against the bundled mock.

The suite's plugin normally arrives through its `pytest11` entry point; naming it
here too keeps a plain checkout on `PYTHONPATH` working without an install.
"""

pytest_plugins = ["contract_tests.plugin"]
