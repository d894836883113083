"""rds-instance-public-access-check: publiclyAccessible true is not compliant, and so is a missing flag."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import rds_instance_public_access_check
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = rds_instance_public_access_check.CHECK
SNAPSHOT = Snapshot("264683526309", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))
MISSING = object()


def db_instance(public: Any = True) -> ConfigurationItem:
    """The reference DB instance (publicly accessible) with publiclyAccessible replaced or removed."""
    raw = json.loads((REFERENCE / "AWS_RDS_DBInstance.json").read_text())
    if public is MISSING:
        del raw["configuration"]["publiclyAccessible"]
    else:
        raw["configuration"]["publiclyAccessible"] = public
    return ConfigurationItem.parse(raw)


def run(item: ConfigurationItem, params: dict[str, Any] | str | None = None) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, params), SNAPSHOT)


def test_the_check_evaluates_db_instances_without_parameters() -> None:
    assert CHECK.id == "rds-instance-public-access-check"
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::RDS::DBInstance",)
    assert CHECK.lookup_types == ()
    assert not CHECK.parameters.has_required()
    assert dict(CHECK.demo_parameters) == {}
    assert CHECK.remediation_cli == (
        "aws rds modify-db-instance --db-instance-identifier DB_INSTANCE_ID --no-publicly-accessible "
        "--apply-immediately"
    )


def test_the_reference_instance_is_public() -> None:
    assert run(db_instance()) == Result(Compliance.NON_COMPLIANT, "DB instance is publicly accessible")


def test_a_private_instance_is_compliant() -> None:
    assert run(db_instance(False)) == Result(Compliance.COMPLIANT, "DB instance is not publicly accessible")


@pytest.mark.parametrize("value", [MISSING, None, "false", 0])
def test_a_missing_or_malformed_flag_is_never_compliant(value: Any) -> None:
    result = run(db_instance(value))
    assert result == Result(Compliance.NON_COMPLIANT, "the configuration item has no publiclyAccessible flag")


def test_an_item_without_configuration_is_not_compliant() -> None:
    raw = json.loads((REFERENCE / "AWS_RDS_DBInstance.json").read_text())
    raw["configuration"] = None
    raw["configurationItemStatus"] = "ResourceDeleted"
    result = run(ConfigurationItem.parse(raw))
    assert result == Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration")


def test_configuration_as_a_json_string_is_read() -> None:
    raw = json.loads((REFERENCE / "AWS_RDS_DBInstance.json").read_text())
    raw["configuration"]["publiclyAccessible"] = False
    raw["configuration"] = json.dumps(raw["configuration"])
    assert run(ConfigurationItem.parse(raw)).compliance is Compliance.COMPLIANT


def test_not_applicable_cannot_occur() -> None:
    """Every DB instance is judged on its flag, as the managed rule does; the check never says NOT_APPLICABLE."""
    results = {run(db_instance(value)).compliance for value in (True, False, MISSING)}
    assert Compliance.NOT_APPLICABLE not in results


def test_the_check_takes_no_parameters() -> None:
    assert CHECK.parameters.parse(CHECK.id, "") == CHECK.parameters.parse(CHECK.id, {})
    with pytest.raises(ParameterError, match="rds-instance-public-access-check, parameter x: unknown parameter"):
        CHECK.parameters.parse(CHECK.id, {"x": "1"})
