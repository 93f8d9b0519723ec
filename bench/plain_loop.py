"""The reference for the suite's case rate: Schemathesis' plain loop on the same spec.

`@schema.parametrize()` and `case.call_and_validate()`, nothing else: the
same spec, seed, example budget and generation settings as the suite's
conformance test (contract_tests/schema.py), against the same mock, with a
valid key. What the suite adds on top (its case policy, provisioning, the
envelope checks) is the difference between the two rates.

Run by bench/suite.py as `pytest bench/plain_loop.py` with BENCH_BASE_URL
and BENCH_API_KEY set; it is no test of the project, and `./run test` never
collects it (bench/ is outside testpaths and the name is not test_*.py).
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

from contract_tests.settings import active
from discard_contract.spec import SPEC_PATH

BASE_URL = os.environ.get("BENCH_BASE_URL", "http://127.0.0.1:4010")
HEADERS = {"Authorization": f"Bearer {os.environ.get('BENCH_API_KEY', 'sk_test_execute')}"}

schema = schemathesis.openapi.from_path(str(SPEC_PATH))
schema.config.seed = active().seed
schema.config.generation.update(max_examples=active().examples, database="none", with_security_parameters=False)
schema.config.phases.coverage.unexpected_methods = set()


@schema.parametrize()
def test_plain_loop(case: Any) -> None:
    case.call_and_validate(base_url=BASE_URL, headers=HEADERS)
