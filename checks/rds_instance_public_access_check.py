"""rds-instance-public-access-check: RDS DB instances are not publicly accessible (RDS_INSTANCE_PUBLIC_ACCESS_CHECK)."""

from __future__ import annotations

from scanner.model import Compliance, ConfigurationItem
from scanner.registry import Check, CheckScope, ParameterValues, Result, Severity, Snapshot

DB_INSTANCE = "AWS::RDS::DBInstance"


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    configuration = item.configuration
    if configuration is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration")
    public = configuration.get("publiclyAccessible")
    if not isinstance(public, bool):
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no publiclyAccessible flag")
    if public:
        return Result(Compliance.NON_COMPLIANT, "DB instance is publicly accessible")
    return Result(Compliance.COMPLIANT, "DB instance is not publicly accessible")


CHECK = Check(
    id="rds-instance-public-access-check",
    title="RDS DB instances are not publicly accessible",
    description=(
        "Each RDS DB instance's publiclyAccessible flag is false, as in the managed rule "
        "RDS_INSTANCE_PUBLIC_ACCESS_CHECK; an item without the flag cannot be judged and is not compliant."
    ),
    severity=Severity.CRITICAL,
    remediation=(
        "Turn public accessibility off, e.g. `aws rds modify-db-instance --db-instance-identifier mydb "
        "--no-publicly-accessible --apply-immediately`, and reach the database from inside its VPC."
    ),
    scope=CheckScope.RESOURCE,
    resource_types=(DB_INSTANCE,),
    evaluate_resource=evaluate,
)
