"""The built-in checks, one module per check. Importing this package builds the registry.

A duplicate id among them raises `DuplicateCheckError` here, at import.
"""

from __future__ import annotations

from checks import desired_instance_type
from scanner.registry import Registry

BUILTIN = Registry([desired_instance_type.CHECK])
