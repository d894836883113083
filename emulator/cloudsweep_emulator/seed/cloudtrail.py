"""CloudTrail in each account: the trails its posture plans, and the regions that none of them logs."""

from __future__ import annotations

from cloudsweep_emulator.seed.api import _AccountContext
from cloudsweep_emulator.seed.expected import CLOUDTRAIL_TRAIL, _Inventory
from cloudsweep_emulator.seed.plan import _HOME_REGION, DEMO_REGIONS, _bucket_name, _tags, _TrailPlan


def _seed_trails(context: _AccountContext, inventory: _Inventory) -> None:
    """Create the trails the account's posture plans; note each region that none of them logs."""
    posture = context.plan.posture
    for trail in posture.trails:
        _create_trail(context, trail, inventory)
    covered = {trail.region for trail in posture.trails}
    if any(trail.multi_region for trail in posture.trails):
        covered = set(DEMO_REGIONS)
    inventory.regions_without_trail.extend(
        (context.account_id, region) for region in DEMO_REGIONS if region not in covered
    )


def _create_trail(context: _AccountContext, trail: _TrailPlan, inventory: _Inventory) -> None:
    cloudtrail = context.api("cloudtrail", trail.region)
    cloudtrail(
        "create_trail",
        Name=trail.name,
        S3BucketName=_bucket_name(context.plan, "logs", _HOME_REGION),
        S3KeyPrefix=f"cloudtrail/{trail.region}",
        IsMultiRegionTrail=trail.multi_region,
        EnableLogFileValidation=True,
        TagsList=_tags(context.plan, None, "team-security"),
    )
    cloudtrail("start_logging", Name=trail.name)
    inventory.add(context.account_id, trail.region, CLOUDTRAIL_TRAIL)
