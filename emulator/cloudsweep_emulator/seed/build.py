"""`seed_demo`: the order of the work.

The same seed gives the same organization only if every draw from `random.Random(seed)` and every API call happens
in the same order each time (moto's identifiers come from its own seeded generator, call by call): change this
order, or the order inside a builder, and the organization a seed gives changes with it.
"""

from __future__ import annotations

import contextlib
import gc
import random
from collections.abc import Iterator
from types import MappingProxyType

from cloudsweep_emulator.seed.account_settings import _seed_account_settings
from cloudsweep_emulator.seed.api import _AccountContext, _ClientFactory, _seed_moto_identifiers
from cloudsweep_emulator.seed.ec2 import _seed_ec2
from cloudsweep_emulator.seed.expected import IAM_ROLE, DemoOrganization, _Inventory
from cloudsweep_emulator.seed.functions import _seed_functions
from cloudsweep_emulator.seed.iam import _seed_iam
from cloudsweep_emulator.seed.organization import (
    _MANAGEMENT_CREDENTIALS,
    _check_management_identity,
    _create_member_account,
    _create_organization,
    _create_organizational_units,
    _describe_accounts,
)
from cloudsweep_emulator.seed.placements import _place_violations, _Placements
from cloudsweep_emulator.seed.plan import (
    _MANAGEMENT_PLAN,
    _MEMBER_PLANS,
    AUDIT_ROLE_NAME,
    DEMO_REGIONS,
    GLOBAL_REGION,
    MANAGEMENT_ACCOUNT_ID,
    ORGANIZATION_ACCESS_ROLE_NAME,
)
from cloudsweep_emulator.seed.rds import _seed_databases
from cloudsweep_emulator.seed.s3 import _seed_s3


def seed_demo(endpoint_url: str, *, seed: int = 42) -> DemoOrganization:
    """Build the demo organization in the emulator at `endpoint_url` and describe what was built.

    Expects a freshly reset emulator: bucket names and the organization itself would collide otherwise.
    """
    with _garbage_collection_paused():
        return _seed(endpoint_url, seed)


@contextlib.contextmanager
def _garbage_collection_paused() -> Iterator[None]:
    # Seeding allocates a few hundred thousand short-lived objects on top of moto's and botocore's long-lived
    # ones, and each full collection walks them all (~150 ms, several per seed) to free next to nothing.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _seed(endpoint_url: str, seed: int) -> DemoOrganization:
    rng = random.Random(seed)  # noqa: S311  (deterministic demo data)
    clients = _ClientFactory(endpoint_url)
    management = _AccountContext(_MANAGEMENT_PLAN, MANAGEMENT_ACCOUNT_ID, _MANAGEMENT_CREDENTIALS, clients)
    _check_management_identity(management)
    _seed_moto_identifiers(endpoint_url, seed)

    organization_id = _create_organization(management)
    ou_ids = _create_organizational_units(management)
    members = [_create_member_account(management, plan, ou_ids) for plan in _MEMBER_PLANS]
    contexts = [management, *members]
    placements = _place_violations(rng, [context.plan.label for context in contexts])

    inventory = _Inventory()
    audit_role_arns = {context.account_id: _seed_account(context, placements, rng, inventory) for context in contexts}
    for member in members:
        inventory.add_default(member.account_id, GLOBAL_REGION, IAM_ROLE)

    return DemoOrganization(
        seed=seed,
        organization_id=organization_id,
        management_account_id=MANAGEMENT_ACCOUNT_ID,
        accounts=_describe_accounts(management, contexts, audit_role_arns),
        regions=DEMO_REGIONS,
        audit_role_name=AUDIT_ROLE_NAME,
        organization_access_role_name=ORGANIZATION_ACCESS_ROLE_NAME,
        counts=MappingProxyType(dict(inventory.counts)),
        provider_defaults=MappingProxyType(dict(inventory.defaults)),
        known_violations=inventory.violations(),
        compliant_examples=inventory.compliant(),
    )


def _seed_account(context: _AccountContext, placements: _Placements, rng: random.Random, inventory: _Inventory) -> str:
    """Seed one account everywhere; return the ARN of its CloudSweepAudit role."""
    audit_role_arn = _seed_iam(context, placements, rng, inventory)
    for region in DEMO_REGIONS:
        _seed_ec2(context, region, placements, rng, inventory)
    for region in DEMO_REGIONS:
        _seed_s3(context, region, placements, rng, inventory)
    _seed_account_settings(context, inventory)
    for region in DEMO_REGIONS:
        _seed_databases(context, region, inventory)
        _seed_functions(context, region, inventory)
    return audit_role_arn
