"""Where the consumer test writes its pact and the provider verification reads it."""

from __future__ import annotations

import os
from pathlib import Path

CONSUMER = "campaign-approvals-ui"
PROVIDER = "sonarly-discard-mock"
PACT_DIR = Path(os.environ.get("PACT_DIR", Path(__file__).resolve().parent / "pacts"))
PACT_FILE = PACT_DIR / f"{CONSUMER}-{PROVIDER}.json"
