"""resource-count-max: an account holds at most maxCount resources of one type in each region."""

from __future__ import annotations

from scanner.model import Compliance
from scanner.registry import (
    Check,
    CheckScope,
    Parameter,
    ParameterSchema,
    ParameterType,
    ParameterValues,
    Result,
    Severity,
    Snapshot,
)

CHECK_ID = "resource-count-max"


class MissingCountError(KeyError):
    """The scanner did not count a type this check declared: a scanner bug, never a compliant account."""

    def __str__(self) -> str:
        return str(self.args[0])


def evaluate(snapshot: Snapshot, params: ParameterValues) -> Result:
    resource_type: str = params["applicableResourceType"]
    max_count: int = params["maxCount"]
    if resource_type not in snapshot.counts:
        raise MissingCountError(
            f"{CHECK_ID}: the snapshot of {snapshot.account_id} {snapshot.region} has no count of {resource_type}"
        )
    count = snapshot.counts[resource_type]
    if count > max_count:
        return Result(Compliance.NON_COMPLIANT, f"found {count} {resource_type}, more than maxCount {max_count}")
    return Result(Compliance.COMPLIANT, f"found {count} {resource_type}, within maxCount {max_count}")


def counted_types(params: ParameterValues) -> tuple[str, ...]:
    return (params["applicableResourceType"],)


CHECK = Check(
    id=CHECK_ID,
    title="Resource count stays within a maximum",
    description=(
        "In each account and region, the number of discovered resources of applicableResourceType is at most maxCount."
    ),
    rationale=(
        "Resources beyond the expected number point to runaway automation, forgotten test environments or "
        "compromised credentials launching resources (instances for crypto-mining, say): each runs up cost and "
        "widens what must be secured, and the growth eats into service quotas that legitimate launches need."
    ),
    severity=Severity.LOW,
    remediation=(
        "List the discovered resources of the type, find the ones that are no longer needed or not known, and "
        "delete them with the service's own delete operation or the Cloud Control API; raise maxCount if the "
        "growth is intended."
    ),
    remediation_cli="aws cloudcontrol delete-resource --type-name RESOURCE_TYPE --identifier RESOURCE_ID",
    scope=CheckScope.ACCOUNT,
    parameters=ParameterSchema(
        (
            Parameter(
                "applicableResourceType",
                ParameterType.RESOURCE_TYPE,
                "the resource type to count, e.g. AWS::EC2::Instance",
                required=True,
            ),
            Parameter(
                "maxCount",
                ParameterType.INTEGER,
                "the most resources of that type allowed per account and region",
                default=0,
                minimum=0,
            ),
        )
    ),
    evaluate_account=evaluate,
    count_types=counted_types,
    demo_parameters={"applicableResourceType": "AWS::EC2::Instance", "maxCount": "100"},
)
