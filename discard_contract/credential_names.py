"""Which request fields carry a credential, by their names: one rule for the mock's journal, which
masks them, and the suite's output, which never shows them.

A header field or a query parameter whose name says token, key, secret, auth, password, session,
cookie, signature or credential (`X-Auth-Token`, `api_key`, `X-Amz-Signature`, `Cookie` ...).
"""

from __future__ import annotations

import re

CREDENTIAL_NAME = re.compile(r"token|key|secret|auth|passw|session|cookie|sig|credential", re.IGNORECASE)
