"""Example Alibaba Cloud Config items and rule events: what `cloudsweep event --cloud alibaba` prints, and what
tests build on (`scanner.testing.alibaba` re-exports them for check authors).

    from scanner.testing.alibaba import alibaba_item, change_event

    item = alibaba_item("ACS::ECS::Instance", configuration={"ImageId": "m-bp1approved0000001"})

The examples follow what Cloud Config records: the ECS instance is GetDiscoveredResource's documented example, the
RAM user the documented rule event's, the OSS bucket the fields of its documented configuration changes. For
security groups and disks Alibaba Cloud publishes no recorded configuration; those follow ECS's
DescribeSecurityGroupAttribute and DescribeDisks answers, which is what Cloud Config records for other ECS types.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from scanner.alibaba.items import parse_item
from scanner.model import DELETE, ConfigurationItem

DEFAULT_ACCOUNT = 1812345678901234
DEFAULT_REGION = "cn-hangzhou"
_CREATED = 1709190480000  # 2024-02-29T07:08:00Z

_CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "ACS::ECS::Instance": {
        "ResourceGroupId": "",
        "Memory": 4096,
        "InstanceChargeType": "PostPaid",
        "Cpu": 2,
        "OSName": "Alibaba Cloud Linux 3.2104 LTS 64-bit",
        "InstanceNetworkType": "vpc",
        "InnerIpAddress": {"IpAddress": []},
        "ExpiredTime": "2099-12-31T15:59Z",
        "ImageId": "aliyun_3_x64_20G_alibase_20240528.vhd",
        "EipAddress": {"AllocationId": "", "IpAddress": "", "InternetChargeType": ""},
        "HostName": "iZbp12g4xbl4i0brkn7x3aZ",
        "Status": "Running",
        "InstanceId": "i-bp12g4xbl4i0brkn7x3a",
        "StoppedMode": "Not-applicable",
        "StartTime": "2024-02-29T07:08Z",
        "DeletionProtection": False,
        "VpcAttributes": {
            "PrivateIpAddress": {"IpAddress": ["172.16.12.34"]},
            "VpcId": "vpc-bp1wjaw8t272wwmkg4x2p",
            "VSwitchId": "vsw-bp103i8xzww5132ul7c9d",
            "NatIpAddress": "",
        },
        "SecurityGroupIds": {"SecurityGroupId": ["sg-bp1h96fz9fagaegp2r4k"]},
        "InternetChargeType": "PayByTraffic",
        "InstanceName": "web-1",
        "InternetMaxBandwidthOut": 5,
        "OSType": "linux",
        "CreationTime": "2024-02-29T07:08Z",
        "InstanceTypeFamily": "ecs.c7",
        "PublicIpAddress": {"IpAddress": ["47.98.120.7"]},
        "NetworkInterfaces": {
            "NetworkInterface": [
                {
                    "Type": "Primary",
                    "PrimaryIpAddress": "172.16.12.34",
                    "NetworkInterfaceId": "eni-bp19uj35v8won3x9h2k1",
                }
            ]
        },
        "InstanceType": "ecs.c7.large",
        "SpotStrategy": "NoSpot",
        "IoOptimized": True,
        "ZoneId": "cn-hangzhou-h",
        "OperationLocks": {"LockReason": []},
        "RegionId": "cn-hangzhou",
    },
    "ACS::ECS::Disk": {
        "DiskId": "d-bp1c6n5mr7qdl2x0w8zq",
        "DiskName": "data-1",
        "Description": "",
        "Category": "cloud_essd",
        "PerformanceLevel": "PL1",
        "Type": "data",
        "Size": 100,
        "Encrypted": True,
        "KMSKeyId": "0e478b7a-4262-4802-b8cb-00d3fb40****",
        "Status": "In_use",
        "InstanceId": "i-bp12g4xbl4i0brkn7x3a",
        "Device": "/dev/xvdb",
        "Portable": True,
        "DeleteWithInstance": False,
        "DeleteAutoSnapshot": True,
        "EnableAutoSnapshot": True,
        "CreationTime": "2024-02-29T07:08Z",
        "RegionId": "cn-hangzhou",
        "ZoneId": "cn-hangzhou-h",
        "ResourceGroupId": "",
    },
    "ACS::ECS::SecurityGroup": {
        "SecurityGroupId": "sg-bp1h96fz9fagaegp2r4k",
        "SecurityGroupName": "web",
        "Description": "web servers",
        "VpcId": "vpc-bp1wjaw8t272wwmkg4x2p",
        "RegionId": "cn-hangzhou",
        "InnerAccessPolicy": "Accept",
        "SecurityGroupType": "normal",
        "ServiceManaged": False,
        "Permissions": {
            "Permission": [
                {
                    "Direction": "ingress",
                    "Policy": "Accept",
                    "IpProtocol": "TCP",
                    "PortRange": "443/443",
                    "SourceCidrIp": "0.0.0.0/0",
                    "SourcePortRange": "",
                    "DestCidrIp": "",
                    "Ipv6SourceCidrIp": "",
                    "SourceGroupId": "",
                    "NicType": "intranet",
                    "Priority": "1",
                    "CreateTime": "2024-02-29T07:08:00Z",
                    "Description": "https",
                },
                {
                    "Direction": "ingress",
                    "Policy": "Accept",
                    "IpProtocol": "TCP",
                    "PortRange": "22/22",
                    "SourceCidrIp": "10.0.0.0/8",
                    "SourcePortRange": "",
                    "DestCidrIp": "",
                    "Ipv6SourceCidrIp": "",
                    "SourceGroupId": "",
                    "NicType": "intranet",
                    "Priority": "1",
                    "CreateTime": "2024-02-29T07:08:00Z",
                    "Description": "ssh from the office",
                },
                {
                    "Direction": "egress",
                    "Policy": "Accept",
                    "IpProtocol": "ALL",
                    "PortRange": "-1/-1",
                    "SourceCidrIp": "",
                    "SourcePortRange": "",
                    "DestCidrIp": "0.0.0.0/0",
                    "Ipv6SourceCidrIp": "",
                    "SourceGroupId": "",
                    "NicType": "intranet",
                    "Priority": "1",
                    "CreateTime": "2024-02-29T07:08:00Z",
                    "Description": "",
                },
            ]
        },
    },
    "ACS::OSS::Bucket": {
        "Name": "example-logs-bucket",
        "CreationDate": "2024-02-29T07:08:00.000Z",
        "Location": "oss-cn-hangzhou",
        "StorageClass": "Standard",
        "DataRedundancyType": "LRS",
        "AccessControlList": {"Grant": "private"},
        "ServerSideEncryptionRule": {"SSEAlgorithm": "KMS"},
        "Versioning": "Enabled",
        "AllowEmptyReferer": "true",
        "BucketPolicy": {"LogPrefix": "", "LogBucket": ""},
        "Owner": {"DisplayName": "1812345678901234", "ID": "1812345678901234"},
        "ExtranetEndpoint": "oss-cn-hangzhou.aliyuncs.com",
        "IntranetEndpoint": "oss-cn-hangzhou-internal.aliyuncs.com",
    },
    "ACS::RAM::User": {
        "UpdateDate": "2019-10-21T08:02:58Z",
        "UserName": "alice",
        "AccessKeys": {"AccessKey": []},
        "UserId": "200828888731170000",
        "Comments": "",
        "DisplayName": "alice",
        "CreateDate": "2019-10-21T07:57:55Z",
        "LoginProfile": {
            "PasswordResetRequired": False,
            "UserName": "alice",
            "MFABindRequired": True,
            "CreateDate": "2019-10-21T07:57:55Z",
        },
    },
}
_IDENTITIES = {
    "ACS::ECS::Instance": ("i-bp12g4xbl4i0brkn7x3a", "web-1", "cn-hangzhou-h"),
    "ACS::ECS::Disk": ("d-bp1c6n5mr7qdl2x0w8zq", "data-1", "cn-hangzhou-h"),
    "ACS::ECS::SecurityGroup": ("sg-bp1h96fz9fagaegp2r4k", "web", ""),
    "ACS::OSS::Bucket": ("example-logs-bucket", "example-logs-bucket", ""),
    "ACS::RAM::User": ("200828888731170000", "alice", ""),
}
_STATUS_KEYS = {"ACS::ECS::Instance": "Status", "ACS::ECS::Disk": "Status"}


def example_types() -> list[str]:
    return sorted(_CONFIGURATIONS)


def _merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if value is DELETE:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def alibaba_item_document(
    resource_type: str,
    *,
    configuration: Mapping[str, Any] | None = None,
    account_id: int = DEFAULT_ACCOUNT,
    region: str = DEFAULT_REGION,
    **fields: Any,
) -> dict[str, Any]:
    """A rule event's `configurationItem` for the example of `resource_type`, configuration as a JSON string.

    `configuration` overrides the example's top-level keys (DELETE removes one); `fields` override the item's own
    (resourceId, resourceName, tags, ...).
    """
    if resource_type not in _CONFIGURATIONS:
        raise KeyError(f"no Alibaba Cloud example for {resource_type} (examples: {', '.join(example_types())})")
    document = _merge(_CONFIGURATIONS[resource_type], configuration or {})
    resource_id, name, zone = _IDENTITIES[resource_type]
    global_type = resource_type.startswith("ACS::RAM::")
    item_region = "global" if global_type else region
    status_key = _STATUS_KEYS.get(resource_type)
    item: dict[str, Any] = {
        "accountId": account_id,
        "arn": f"acs:{resource_type.split('::')[1].lower()}:{'' if global_type else item_region}:{account_id}:"
        f"{resource_type.split('::')[2].lower()}/{resource_id}",
        "regionId": item_region,
        "availabilityZone": zone,
        "configuration": json.dumps(document),
        "captureTime": 1732430000000,
        "resourceCreateTime": _CREATED,
        "resourceStatus": str(document.get(status_key, "")) if status_key else "",
        "resourceId": resource_id,
        "resourceName": name,
        "resourceType": resource_type,
        "tags": json.dumps({"env": ["prod"]}),
    }
    item.update(fields)
    return item


def alibaba_item(resource_type: str, **overrides: Any) -> ConfigurationItem:
    """The example item of `resource_type`, with overrides, as a check sees it (see `alibaba_item_document`)."""
    return parse_item(alibaba_item_document(resource_type, **overrides))


def _token() -> str:
    return f"cloudsweep-{uuid.uuid4().hex}"


def change_event(
    item: Mapping[str, Any],
    parameters: Mapping[str, str],
    *,
    result_token: str | None = None,
    ordering_timestamp: int | None = None,
    configuration_type: str = "COMMON",
) -> dict[str, Any]:
    """The event Cloud Config sends a custom rule when `item` changes (one resource an invocation)."""
    now = int(datetime.now(UTC).timestamp() * 1000)
    return {
        "invokingEvent": {
            "messageType": "ConfigurationItemChangeNotification",
            "notificationCreationTimestamp": now,
            "accountId": item.get("accountId", DEFAULT_ACCOUNT),
            "configurationType": configuration_type,
            "configurationItem": dict(item),
        },
        "ruleParameters": dict(parameters),
        "resultToken": result_token or _token(),
        "orderingTimestamp": ordering_timestamp or now,
    }


def scheduled_event(
    parameters: Mapping[str, str],
    *,
    account_id: int = DEFAULT_ACCOUNT,
    result_token: str | None = None,
    ordering_timestamp: int | None = None,
) -> dict[str, Any]:
    """A periodic rule's event with no item: the handler lists the account's resources itself."""
    now = int(datetime.now(UTC).timestamp() * 1000)
    return {
        "invokingEvent": {
            "messageType": "ScheduledNotification",
            "notificationCreationTimestamp": now,
            "accountId": account_id,
        },
        "ruleParameters": dict(parameters),
        "resultToken": result_token or _token(),
        "orderingTimestamp": ordering_timestamp or now,
    }
