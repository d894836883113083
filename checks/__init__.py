"""The built-in checks, one module per check. Importing this package builds the registry.

A duplicate id among them raises `DuplicateCheckError` here, at import.
"""

from __future__ import annotations

from checks import (
    desired_instance_type,
    ec2_exposed_instance,
    encrypted_volumes,
    iam_inactive_user,
    resource_count_max,
    restricted_ssh,
    s3_bucket_versioning_enabled,
)
from scanner.registry import Registry

BUILTIN = Registry(
    [
        desired_instance_type.CHECK,
        resource_count_max.CHECK,
        ec2_exposed_instance.CHECK,
        iam_inactive_user.CHECK,
        encrypted_volumes.CHECK,
        restricted_ssh.CHECK,
        s3_bucket_versioning_enabled.CHECK,
    ]
)
