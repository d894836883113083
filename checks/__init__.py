"""The built-in checks, one module per check. Importing this package builds the registry.

A duplicate id among them raises `DuplicateCheckError` here, at import.
"""

from __future__ import annotations

from checks import desired_instance_type, ec2_exposed_instance, iam_inactive_user, resource_count_max
from scanner.registry import Registry

BUILTIN = Registry(
    [desired_instance_type.CHECK, resource_count_max.CHECK, ec2_exposed_instance.CHECK, iam_inactive_user.CHECK]
)
