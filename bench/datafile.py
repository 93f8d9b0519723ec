"""Data files for `discard-mock serve --data`: many pending instances with predictable IDs.

The load script builds request paths from an index alone (no ID list to ship
to the load generator), so the IDs are a fixed prefix and the index in hex.
The file is written as text, line by line: a million instances never exist as
Python objects in the benchmark's own process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
FORMAT_VERSION = 1  # bump when the layout below changes, so cached files are rebuilt

ACCOUNT_GROUP = "bench-group"
API_KEY = "sk_bench_execute"
CAMPAIGNS = 64
# 24-hex ObjectIds: a 16-hex prefix and an 8-hex index.
INSTANCE_PREFIX = "be0c0000000000a1"
LEAD_PREFIX = "1ead0000000000a1"
CAMPAIGN_PREFIX = "ca0c0000000000a1"
UNKNOWN_PREFIX = "0b5e0000000000ff"  # never seeded: 404s


@dataclass(frozen=True)
class Layout:
    """What the load generator needs to know about a data file."""

    instances: int
    account_group: str = ACCOUNT_GROUP
    api_key: str = API_KEY
    campaigns: int = CAMPAIGNS
    instance_prefix: str = INSTANCE_PREFIX
    campaign_prefix: str = CAMPAIGN_PREFIX
    unknown_prefix: str = UNKNOWN_PREFIX


def instance_id(index: int) -> str:
    return f"{INSTANCE_PREFIX}{index:08x}"


def campaign_id(index: int) -> str:
    return f"{CAMPAIGN_PREFIX}{index % CAMPAIGNS:08x}"


def data_file(instances: int, cache: Path = CACHE) -> tuple[Path, Layout]:
    """A data file with `instances` pending instances (built once, then reused)."""
    path = cache / f"pending-{instances}-v{FORMAT_VERSION}.json"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        _write(partial, instances)
        partial.replace(path)
    return path, Layout(instances)


def _write(path: Path, instances: int) -> None:
    keys = [
        {
            "key": API_KEY,
            "description": "benchmark key: campaigns:execute on the benchmark's account group",
            "permissions": ["campaigns:read", "campaigns:execute"],
            "accountGroups": [ACCOUNT_GROUP],
        }
    ]
    with path.open("w", encoding="utf-8") as out:
        out.write('{"apiKeys": ' + json.dumps(keys) + ',\n"instances": [\n')
        for index in range(instances):
            out.write(
                f'{{"workflowInstanceId":"{instance_id(index)}","accountGroupId":"{ACCOUNT_GROUP}",'
                f'"campaignId":"{campaign_id(index)}","leadId":"{LEAD_PREFIX}{index:08x}",'
                '"workflowStatus":"pending","latestStep":"awaiting_approval","workflowStopReason":null,'
                '"hasPendingApproval":true}'
            )
            out.write(",\n" if index < instances - 1 else "\n")
        out.write("]}\n")
