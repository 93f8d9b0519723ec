"""The spec as a Schemathesis schema configured for one run.

Built anew for each run (never cached across runs in one process), from the
run's settings: test modules that parametrize over it build theirs at import,
the client's fixture its own.
"""

from __future__ import annotations

from typing import Any

import schemathesis

from discard_contract.spec import SPEC_PATH

from .settings import SuiteSettings

REQUEST_TIMEOUT_SECONDS = 30


def contract_schema(settings: SuiteSettings) -> Any:
    schema = schemathesis.openapi.from_path(str(SPEC_PATH))
    schema.config.seed = settings.seed
    # Generated auth headers would turn most negative cases into plain 401s and
    # leave the path parameters barely fuzzed; the auth rules have tests of their own.
    schema.config.generation.update(
        max_examples=settings.examples, database="none", with_security_parameters=False, no_shrink=not settings.shrink
    )
    # Other methods on the discard path are an inferred rule (405); a dedicated
    # test marked `inferred` checks them, so the coverage phase leaves them out.
    schema.config.phases.coverage.unexpected_methods = set()
    # A target that stops answering fails its test instead of hanging the gate.
    schema.config.update(request_timeout=REQUEST_TIMEOUT_SECONDS)
    if settings.rate_limit:
        schema.config.update(rate_limit=settings.rate_limit)
    return schema
