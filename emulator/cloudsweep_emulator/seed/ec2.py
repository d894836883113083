"""EC2 in each account and region: security groups, instance fleets, data volumes, the default security group."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cloudsweep_emulator.seed.api import _AccountContext
from cloudsweep_emulator.seed.expected import (
    EC2_INSTANCE,
    EC2_SECURITY_GROUP,
    EC2_VOLUME,
    EC2_VPC,
    OpenIngressRule,
    _Inventory,
    _ref,
)
from cloudsweep_emulator.seed.placements import _Placements
from cloudsweep_emulator.seed.plan import (
    _AMI_BY_REGION,
    _COMPLIANT_GROUPS,
    _HOME_REGION,
    _UNAPPROVED_AMI,
    _UNAPPROVED_AMI_PLACES,
    _VIOLATING_GROUPS,
    WORLD_IPV4,
    WORLD_IPV6,
    _AccountPlan,
    _GroupTemplate,
    _Ingress,
    _tags,
)


@dataclass(frozen=True)
class _Fleet:
    role: str
    count: int
    instance_type: str
    groups: tuple[str, ...]  # template names
    encrypted_root: bool
    owner: str
    cost_center_tag: bool = True
    imdsv2: bool = False  # launched requiring session tokens for the instance metadata service
    image_id: str | None = None  # None: the region's golden image from _AMI_BY_REGION


def _plan_fleets(plan: _AccountPlan, region: str, ssh_group: str, rng: random.Random) -> list[_Fleet]:
    bastion = _Fleet("bastion", 1, rng.choice(("t2.micro", "t3.micro")), (ssh_group,), False, "team-platform")
    if plan.fleet_scale == 0:
        return [bastion]
    scale = plan.fleet_scale
    encrypts = plan.encrypts_ebs
    fleets = [
        _Fleet(
            "web",
            3 * scale,
            rng.choice(("t3.small", "t3.medium", "m5.large")),
            ("web", "app"),
            encrypts,
            "team-frontend",
            imdsv2=plan.posture.hardened,
        ),
        _Fleet(
            "worker",
            2 * scale,
            rng.choice(("t3.micro", "t2.micro", "t3.small")),
            ("app",),
            encrypts and rng.random() < 0.5,
            "team-backend",
            # nobody owns the sandbox's workers: the classic required-tags finding
            cost_center_tag=plan.environment != "sandbox",
        ),
        bastion,
    ]
    if plan.batch_instances and region == _HOME_REGION:
        fleets.append(
            _Fleet("batch", plan.batch_instances, rng.choice(("m5.large", "c5.large")), ("app",), False, "team-data")
        )
    return fleets


@dataclass(frozen=True)
class _Instance:
    instance_id: str
    name: str
    availability_zone: str


def _seed_ec2(
    context: _AccountContext, region: str, placements: _Placements, rng: random.Random, inventory: _Inventory
) -> None:
    # Every region of every account comes with a default VPC holding a "default" security group; groups
    # created without a VpcId land in that VPC, as they do in AWS.
    inventory.add_default(context.account_id, region, EC2_VPC)
    inventory.add_default(context.account_id, region, EC2_SECURITY_GROUP)

    violating = placements.violating_groups(context.plan.label, region)
    templates = (*_compliant_groups(context.plan, region), *violating)
    group_ids = _create_security_groups(context, region, templates, inventory)
    ssh_group = "legacy-ssh" if "legacy-ssh" in group_ids else "admin-ssh"
    fleets = _plan_fleets(context.plan, region, ssh_group, rng)
    if (context.plan.label, region) in _UNAPPROVED_AMI_PLACES:
        # Outside the fleets, so that their random choices, and so the rest of the estate, stay as they were.
        fleets.append(_Fleet("experiment", 1, "t3.micro", ("app",), False, "team-backend", image_id=_UNAPPROVED_AMI))
    instances = _launch_fleets(context, region, fleets, group_ids, inventory)
    _stop_some(context, region, instances, rng, inventory)
    _create_data_volumes(context, region, instances, rng, inventory)
    if context.plan.posture.hardened:
        _close_default_group(context, region, inventory)


def _close_default_group(context: _AccountContext, region: str, inventory: _Inventory) -> None:
    """Remove every rule from the VPC's default security group, as CIS asks, so nothing can use it by accident."""
    ec2 = context.api("ec2", region)
    (group,) = ec2("describe_security_groups", Filters=[{"Name": "group-name", "Values": ["default"]}])[
        "SecurityGroups"
    ]
    if group["IpPermissions"]:
        ec2("revoke_security_group_ingress", GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
    if group["IpPermissionsEgress"]:
        ec2("revoke_security_group_egress", GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"])
    inventory.closed_default_groups.append(_ref(context, region, EC2_SECURITY_GROUP, group["GroupId"], "default"))


def _compliant_groups(plan: _AccountPlan, region: str) -> tuple[_GroupTemplate, ...]:
    if plan.fleet_scale == 0:
        return tuple(template for template in _COMPLIANT_GROUPS if template.name == "admin-ssh")
    if region != _HOME_REGION:
        # The secondary region serves traffic from the home region's database.
        return tuple(template for template in _COMPLIANT_GROUPS if template.name != "db")
    return _COMPLIANT_GROUPS


def _create_security_groups(
    context: _AccountContext,
    region: str,
    templates: Iterable[_GroupTemplate],
    inventory: _Inventory,
) -> dict[str, str]:
    ec2 = context.api("ec2", region)
    group_ids: dict[str, str] = {}
    for template in templates:
        name = f"{context.plan.label}-{template.name}"
        group_id = ec2(
            "create_security_group",
            GroupName=name,
            Description=template.description,
            TagSpecifications=[{"ResourceType": "security-group", "Tags": _tags(context.plan, name, template.owner)}],
        )["GroupId"]
        group_ids[template.name] = group_id
        inventory.add(context.account_id, region, EC2_SECURITY_GROUP)
        ec2(
            "authorize_security_group_ingress",
            GroupId=group_id,
            IpPermissions=[_ip_permission(rule, group_ids) for rule in template.ingress],
        )
        if template in _VIOLATING_GROUPS:
            inventory.open_ingress.extend(
                OpenIngressRule(
                    context.account_id, region, group_id, name, rule.protocol, rule.from_port, rule.to_port, rule.cidr
                )
                for rule in template.ingress
                if rule.cidr in (WORLD_IPV4, WORLD_IPV6)
            )
    return group_ids


def _ip_permission(rule: _Ingress, group_ids: Mapping[str, str]) -> dict[str, Any]:
    permission: dict[str, Any] = {"IpProtocol": rule.protocol}
    if rule.from_port is not None:
        permission |= {"FromPort": rule.from_port, "ToPort": rule.to_port}
    if rule.source_group is not None:
        permission["UserIdGroupPairs"] = [{"GroupId": group_ids[rule.source_group]}]
    elif rule.cidr is not None and ":" in rule.cidr:
        permission["Ipv6Ranges"] = [{"CidrIpv6": rule.cidr, "Description": "anywhere"}]
    elif rule.cidr is not None:
        permission["IpRanges"] = [{"CidrIp": rule.cidr}]
    return permission


def _launch_fleets(
    context: _AccountContext,
    region: str,
    fleets: Iterable[_Fleet],
    group_ids: Mapping[str, str],
    inventory: _Inventory,
) -> dict[str, list[_Instance]]:
    ec2 = context.api("ec2", region)
    launched: dict[str, list[_Instance]] = {}
    for fleet in fleets:
        name = f"{context.plan.label}-{fleet.role}"
        tags = _tags(context.plan, name, fleet.owner, cost_center=fleet.cost_center_tag)
        options: dict[str, Any] = {}
        if fleet.imdsv2:
            options["MetadataOptions"] = {"HttpTokens": "required", "HttpEndpoint": "enabled"}
        reservation = ec2(
            "run_instances",
            ImageId=fleet.image_id or _AMI_BY_REGION[region],
            InstanceType=fleet.instance_type,
            MinCount=fleet.count,
            MaxCount=fleet.count,
            SecurityGroupIds=[group_ids[group] for group in fleet.groups],
            BlockDeviceMappings=[
                {
                    "DeviceName": "/dev/xvda",
                    "Ebs": {"VolumeSize": 20, "VolumeType": "gp3", "Encrypted": fleet.encrypted_root},
                }
            ],
            # Root volumes stay untagged, as they do whenever a launch names no volume tags. It also keeps
            # big fleets fast: moto looks up each instance's tags by scanning every tag in the region.
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
            **options,
        )
        instances = [
            _Instance(item["InstanceId"], name, item["Placement"]["AvailabilityZone"])
            for item in reservation["Instances"]
        ]
        launched[fleet.role] = instances
        inventory.add(context.account_id, region, EC2_INSTANCE, len(instances))
        inventory.add(context.account_id, region, EC2_VOLUME, len(instances))
        for item in reservation["Instances"]:
            if not fleet.encrypted_root:
                inventory.unencrypted_volumes.extend(
                    _ref(context, region, EC2_VOLUME, mapping["Ebs"]["VolumeId"], None)
                    for mapping in item["BlockDeviceMappings"]
                )
        refs = [_ref(context, region, EC2_INSTANCE, instance.instance_id, name) for instance in instances]
        if not fleet.cost_center_tag:
            inventory.instances_missing_cost_center.extend(refs)
        if fleet.imdsv2:
            inventory.imdsv2_instances.extend(refs)
        if fleet.image_id is not None:
            inventory.unapproved_ami_instances.extend(refs)
    return launched


def _stop_some(
    context: _AccountContext,
    region: str,
    instances: Mapping[str, list[_Instance]],
    rng: random.Random,
    inventory: _Inventory,
) -> None:
    candidates = instances.get("worker", []) + instances.get("batch", [])
    stopped = rng.sample(candidates, k=min(len(candidates), rng.randint(1, 3)))
    if not stopped:
        return
    context.api("ec2", region)("stop_instances", InstanceIds=[instance.instance_id for instance in stopped])
    inventory.stopped_instances.extend(
        _ref(context, region, EC2_INSTANCE, instance.instance_id, instance.name) for instance in stopped
    )


def _create_data_volumes(
    context: _AccountContext,
    region: str,
    instances: Mapping[str, list[_Instance]],
    rng: random.Random,
    inventory: _Inventory,
) -> None:
    ec2 = context.api("ec2", region)
    first_host = next(iter(instances.values()))[0]
    encrypts = context.plan.encrypts_ebs
    volumes = [
        # (name suffix, size GiB, type, encrypted, attach to)
        ("data", 100, "gp3", encrypts and rng.random() < 0.5, first_host),
        ("scratch", 10, "gp2", False, None),
    ]
    if region == _HOME_REGION:
        volumes.append(("archive", 50, "sc1", encrypts, None))
    for suffix, size, volume_type, encrypted, attach_to in volumes:
        name = f"{context.plan.label}-{suffix}"
        availability_zone = attach_to.availability_zone if attach_to else f"{region}a"
        volume_id = ec2(
            "create_volume",
            AvailabilityZone=availability_zone,
            Size=size,
            VolumeType=volume_type,
            Encrypted=encrypted,
            TagSpecifications=[{"ResourceType": "volume", "Tags": _tags(context.plan, name, "team-data")}],
        )["VolumeId"]
        inventory.add(context.account_id, region, EC2_VOLUME)
        volume = _ref(context, region, EC2_VOLUME, volume_id, name)
        if attach_to is None:
            inventory.unattached_volumes.append(volume)
        else:
            ec2("attach_volume", VolumeId=volume_id, InstanceId=attach_to.instance_id, Device="/dev/sdf")
        if not encrypted:
            inventory.unencrypted_volumes.append(volume)
