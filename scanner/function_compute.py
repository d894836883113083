"""Alibaba Cloud Config custom rules on Function Compute: `scanner.function_compute.handler(event, context)`.

In the function's code package (`make fc-zip`) the handler is `index.handler`, which re-exports this one. The rule
runs in `scanner.rules.alibaba_config`, imported on the first call: importing this module stays cheap.
"""

from __future__ import annotations

import os
from typing import Any

from scanner.errors import EventError, UsageError


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Function Compute's entry point: one Cloud Config rule event (bytes of JSON), its evaluations put."""
    import anyio

    from scanner.alibaba.config_api import AlibabaCredentials
    from scanner.logs import configure_function_logging
    from scanner.rules.alibaba_config import handle

    environment = dict(os.environ)
    configure_function_logging(environment)
    try:
        # Python 3.9/3.10 runtimes pass the role's keys in context.credentials; the 3.12 runtime only in the
        # environment.
        if getattr(context, "credentials", None) is not None:
            credentials = AlibabaCredentials.from_context(context)
        else:
            credentials = AlibabaCredentials.from_environment(environment)
    except UsageError as exc:
        raise EventError("context.credentials", str(exc)) from exc
    region = (
        getattr(context, "region", None) or environment.get("ALIBABA_CLOUD_REGION_ID") or environment.get("FC_REGION")
    )
    return anyio.run(handle, event, credentials, region, environment)
