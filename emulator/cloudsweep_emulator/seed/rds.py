"""RDS in the accounts and regions the plan names: database instances, with a KMS key of their own if encrypted."""

from __future__ import annotations

from typing import Any

from cloudsweep_emulator.identifiers import dbi_resource_id
from cloudsweep_emulator.seed.api import _AccountContext
from cloudsweep_emulator.seed.expected import RDS_DB_INSTANCE, _Inventory, _ref
from cloudsweep_emulator.seed.plan import _DATABASES, _DEMO_PASSWORD, _AccountPlan, _DatabasePlan, _tags


def _seed_databases(context: _AccountContext, region: str, inventory: _Inventory) -> None:
    for database in _DATABASES:
        if (database.account, database.region) == (context.plan.label, region):
            _create_database(context, database, inventory)


def _create_database(context: _AccountContext, database: _DatabasePlan, inventory: _Inventory) -> None:
    rds = context.api("rds", database.region)
    identifier = f"{context.plan.label}-{database.name}"
    encryption: dict[str, Any] = {"StorageEncrypted": database.encrypted}
    if database.encrypted:
        kms = context.api("kms", database.region)
        key = kms("create_key", Description=f"{identifier} storage", Tags=_kms_tags(context.plan))["KeyMetadata"]
        kms("create_alias", AliasName=f"alias/{identifier}", TargetKeyId=key["KeyId"])
        encryption["KmsKeyId"] = key["Arn"]
    created = rds(
        "create_db_instance",
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t3.medium",
        Engine=database.engine,
        MasterUsername="dbadmin",
        MasterUserPassword=_DEMO_PASSWORD,
        AllocatedStorage=50,
        PubliclyAccessible=database.public,
        BackupRetentionPeriod=7,
        Tags=_tags(context.plan, identifier, "team-data", cost_center=database.cost_center_tag),
        **encryption,
    )["DBInstance"]
    inventory.add(context.account_id, database.region, RDS_DB_INSTANCE)
    ref = _ref(context, database.region, RDS_DB_INSTANCE, dbi_resource_id(created), identifier)
    (inventory.public_db_instances if database.public else inventory.private_db_instances).append(ref)


def _kms_tags(plan: _AccountPlan) -> list[dict[str, str]]:
    # KMS spells its tag members TagKey and TagValue.
    return [{"TagKey": tag["Key"], "TagValue": tag["Value"]} for tag in _tags(plan, None, "team-security")]
