"""Identifiers AWS Config uses that moto does not give: shared by the collectors and the demo seed (no moto here)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

# moto gives every DB instance this DbiResourceId, and AWS Config keys DB instances by it.
MOTO_SHARED_DBI_RESOURCE_ID = "db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U"


def dbi_resource_id(instance: Mapping[str, Any]) -> str:
    """A DB instance's DbiResourceId, from a DescribeDBInstances or CreateDBInstance answer.

    For moto's shared id, a stand-in of the same form derived from the instance's ARN: stable, so the same demo
    seed names its databases the same way every time.
    """
    given = instance.get("DbiResourceId")
    if isinstance(given, str) and given and given != MOTO_SHARED_DBI_RESOURCE_ID:
        return given
    digest = hashlib.sha256(str(instance["DBInstanceArn"]).encode()).digest()
    return "db-" + base64.b32encode(digest).decode()[:26]
