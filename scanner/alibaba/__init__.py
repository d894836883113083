"""Alibaba Cloud Config custom rules on Function Compute: `scanner.alibaba.handler(event, context)`.

The handler itself lives in `scanner.alibaba.rule`; importing this package stays cheap (Function Compute imports it
on every cold start, and `scanner.alibaba.examples` imports the item reader without the SDK).
"""

from __future__ import annotations

from typing import Any


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Function Compute's entry point (handler string `scanner.alibaba.handler`)."""
    from scanner.alibaba.rule import function_compute_handler

    return function_compute_handler(event, context)
