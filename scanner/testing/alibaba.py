"""Alibaba Cloud Config items and rule events for tests of checks (the examples live in `scanner.alibaba.examples`,
which `cloudsweep event --cloud alibaba` uses too).

    from scanner.testing.alibaba import alibaba_item, change_event

    item = alibaba_item("ACS::ECS::Instance", configuration={"ImageId": "m-bp1approved0000001"})
"""

from __future__ import annotations

from scanner.alibaba.examples import (
    DEFAULT_ACCOUNT,
    DEFAULT_REGION,
    alibaba_item,
    alibaba_item_document,
    change_event,
    example_types,
    scheduled_event,
)
from scanner.model import DELETE

__all__ = [
    "DEFAULT_ACCOUNT",
    "DEFAULT_REGION",
    "DELETE",
    "alibaba_item",
    "alibaba_item_document",
    "change_event",
    "example_types",
    "scheduled_event",
]
