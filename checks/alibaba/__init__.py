"""The built-in checks for Alibaba Cloud Config custom rules (`scanner.alibaba`), one module per check.

Apart from the AWS checks in `checks`: an AWS scan never sees them, and the Function Compute handler sees only these.
"""

from __future__ import annotations

from checks.alibaba import (
    ecs_disk_encrypted,
    ecs_instance_image_approved,
    ecs_security_group_risky_ports,
    oss_bucket_public_read_prohibited,
    ram_user_mfa_enabled,
)
from scanner.registry import Registry

BUILTIN = Registry(
    [
        ecs_disk_encrypted.CHECK,
        ecs_instance_image_approved.CHECK,
        ecs_security_group_risky_ports.CHECK,
        oss_bucket_public_read_prohibited.CHECK,
        ram_user_mfa_enabled.CHECK,
    ]
)
