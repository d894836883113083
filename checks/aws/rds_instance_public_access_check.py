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
    rationale=(
        "A publicly accessible DB instance gets a DNS name that resolves to a public IP address, so only its "
        "security group stands between the database and password guessing or exploits of database engine flaws "
        "from anywhere on the internet."
    ),
    severity=Severity.CRITICAL,
    remediation=(
        "Turn off the DB instance's public accessibility and reach the database from inside its VPC, through an "
        "application in the VPC, a VPN or a bastion."
    ),
    remediation_cli=(
        "aws rds modify-db-instance --db-instance-identifier DB_INSTANCE_ID --no-publicly-accessible "
        "--apply-immediately"
    ),
    scope=CheckScope.RESOURCE,
    resource_types=(DB_INSTANCE,),
    cis=("2.3.3",),
    evaluate_resource=evaluate,
)
