"""The public API for writing checks: everything a check module (built-in, `--checks-dir` or an installed
`cloudsweep.checks` entry point) needs, in one place, with a stable name. Import from here rather than from the
modules behind it (`scanner.model`, `scanner.registry`), which may be reshaped.

    from scanner.checks_api import Check, CheckScope, Compliance, ConfigurationItem, Result, Severity

Tests of checks use `scanner.testing` (`run_check`, `reference_item`, `assert_evaluations`, events).
"""

from __future__ import annotations

from scanner.errors import CloudSweepError
from scanner.model import ACCOUNT_RESOURCE_TYPE, ANNOTATION_LIMIT, Compliance, ConfigurationItem, Evaluation
from scanner.registry import (
    Check,
    CheckScope,
    Cloud,
    ExtraData,
    Parameter,
    ParameterError,
    ParameterSchema,
    ParameterType,
    ParameterValues,
    PortRange,
    Result,
    Severity,
    Snapshot,
)

__all__ = [
    "ACCOUNT_RESOURCE_TYPE",
    "ANNOTATION_LIMIT",
    "Check",
    "CheckScope",
    "Cloud",
    "CloudSweepError",
    "Compliance",
    "ConfigurationItem",
    "Evaluation",
    "ExtraData",
    "Parameter",
    "ParameterError",
    "ParameterSchema",
    "ParameterType",
    "ParameterValues",
    "PortRange",
    "Result",
    "Severity",
    "Snapshot",
]
