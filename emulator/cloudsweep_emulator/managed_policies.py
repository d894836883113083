"""AWS managed policies in every emulated account: a useful subset, with AWS's real paths and documents.

In AWS, `arn:aws:iam::aws:policy/AdministratorAccess` and the other AWS managed policies exist in every account.
moto's only switch for them (MOTO_IAM_LOAD_MANAGED_POLICIES) is all or nothing: all 1,582 of its bundled policies,
parsed from 4.7 MB of JSON and built for every IAM backend, i.e. for every account (~85 ms each), too slow for an
emulator that makes dozens of accounts. Off (the default), none exist and attaching one fails with NoSuchEntity.

`install()` makes moto build just `AWS_MANAGED_POLICY_NAMES` for each new IAM backend instead, from moto's bundled
data (parsed once). Any other AWS managed policy ARN still does not exist here: that is the emulator's limit.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

from moto.iam import aws_managed_policies as bundled
from moto.iam import models as iam_models
from moto.settings import load_iam_aws_managed_policies

# Each exists in moto's data; the path is part of the ARN, e.g. arn:aws:iam::aws:policy/job-function/ViewOnlyAccess.
AWS_MANAGED_POLICY_NAMES: tuple[str, ...] = (
    # path /
    "AdministratorAccess",
    "PowerUserAccess",
    "ReadOnlyAccess",
    "SecurityAudit",
    "IAMFullAccess",
    "IAMReadOnlyAccess",
    "AmazonS3FullAccess",
    "AmazonS3ReadOnlyAccess",
    "AmazonEC2FullAccess",
    "AmazonEC2ReadOnlyAccess",
    "AmazonRDSFullAccess",
    "AmazonVPCFullAccess",
    "AWSLambda_FullAccess",
    "AWSSupportAccess",
    "AWSCloudShellFullAccess",
    "AmazonSSMManagedInstanceCore",
    "CloudWatchFullAccess",
    "AWSCloudTrail_FullAccess",
    "AWSOrganizationsFullAccess",
    # path /job-function/
    "ViewOnlyAccess",
    "SystemAdministrator",
    "DatabaseAdministrator",
    "NetworkAdministrator",
    "Billing",
    "SupportUser",
    # path /service-role/
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaVPCAccessExecutionRole",
    "AWS_ConfigRole",
    "AWSConfigRulesExecutionRole",
)

# Marks moto's IAMBackend as patched, so that install() runs once however often it is called.
_PATCHED = "_cloudsweep_aws_managed_policy_subset"


@functools.cache
def _subset_data() -> Mapping[str, Mapping[str, Any]]:
    """moto's bundled data for the subset, parsed once per process."""
    every: dict[str, dict[str, Any]] = json.loads(bundled.aws_managed_policies_data)
    missing = [name for name in AWS_MANAGED_POLICY_NAMES if name not in every]
    if missing:
        raise RuntimeError(f"moto's bundled AWS managed policy data has no {', '.join(missing)}")
    return {name: every[name] for name in AWS_MANAGED_POLICY_NAMES}


def _require_moto_internals() -> tuple[type[Any], Callable[..., Any]]:
    """moto's IAMBackend and its original `_init_aws_policies`, or RuntimeError if moto no longer has them so."""
    backend = getattr(iam_models, "IAMBackend", None)
    policy = getattr(iam_models, "AWSManagedPolicy", None)
    original = getattr(backend, "_init_aws_policies", None)
    problems = []
    if not isinstance(getattr(bundled, "aws_managed_policies_data", None), str):
        problems.append("moto.iam.aws_managed_policies.aws_managed_policies_data (a JSON string) is missing")
    if policy is None or not callable(getattr(policy, "from_data", None)):
        problems.append("moto.iam.models.AWSManagedPolicy.from_data is missing")
    if backend is None or not callable(original):
        problems.append("moto.iam.models.IAMBackend._init_aws_policies is missing")
    else:
        # __init__ must still fill aws_managed_policies from _init_aws_policies, and _init_managed_policies must
        # still map that list by ARN: otherwise replacing _init_aws_policies would silently do nothing.
        init_names = getattr(getattr(backend.__init__, "__code__", None), "co_names", ())
        mapping = getattr(backend, "_init_managed_policies", None)
        mapping_names = getattr(getattr(mapping, "__code__", None), "co_names", ())
        if "_init_aws_policies" not in init_names or "_init_managed_policies" not in init_names:
            problems.append("IAMBackend.__init__ no longer calls _init_aws_policies and _init_managed_policies")
        if "aws_managed_policies" not in mapping_names:
            problems.append("IAMBackend._init_managed_policies no longer maps aws_managed_policies")
    if problems or backend is None or original is None:
        raise RuntimeError(
            "cannot give emulated accounts their AWS managed policies: this moto's IAM internals changed: "
            + "; ".join(problems)
        )
    return backend, original


def install() -> None:
    """Make every IAM backend moto creates from now on (every account) hold the subset. Idempotent.

    With MOTO_IAM_LOAD_MANAGED_POLICIES on, moto's own loading of all of them is kept.
    """
    backend, original = _require_moto_internals()
    if getattr(original, _PATCHED, False):
        return
    _subset_data()  # now, so that a name missing from moto's data fails here rather than in a request

    def _init_aws_policies(self: Any) -> list[Any]:
        if load_iam_aws_managed_policies():
            return list(original(self))
        # One object per account: a policy's attachment count is the account's own.
        return [
            iam_models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, dict(data))
            for name, data in _subset_data().items()
        ]

    setattr(_init_aws_policies, _PATCHED, True)
    _init_aws_policies.__wrapped__ = original  # type: ignore[attr-defined]
    backend._init_aws_policies = _init_aws_policies
