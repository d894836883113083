"""The built-in checks: `checks.aws` (AWS Config) and `checks.alibaba` (Alibaba Cloud Config), one module per
check, and `checks.shared`, the helpers they share. No check imports another check's module. `BUILTIN` is the AWS
registry (Alibaba Cloud's is `checks.alibaba.BUILTIN`)."""

from __future__ import annotations

from checks.aws import BUILTIN

__all__ = ["BUILTIN"]
