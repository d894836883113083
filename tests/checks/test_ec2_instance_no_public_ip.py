"""ec2-instance-no-public-ip: any public IPv4 address on an instance or its interfaces is not compliant."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checks.aws import ec2_instance_no_public_ip
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import CheckScope, ParameterError, Result, Snapshot
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
CHECK = ec2_instance_no_public_ip.CHECK
SNAPSHOT = Snapshot("681361479661", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))
REFERENCE_INSTANCE: dict[str, Any] = json.loads((REFERENCE / "AWS_EC2_Instance.json").read_text())
PUBLIC = "34.205.29.138"  # the reference instance's auto-assigned address
ELASTIC = "203.0.113.10"
MISSING = object()
PRIVATE = Result(Compliance.COMPLIANT, "instance has no public IPv4 address")


def instance(*, private: bool = False, **configuration: Any) -> ConfigurationItem:
    """The reference instance (running, public address PUBLIC), optionally stripped of every public address."""
    raw = copy.deepcopy(REFERENCE_INSTANCE)
    config = raw["configuration"]
    if private:
        config["publicIpAddress"] = None
        config["publicDnsName"] = ""
        for interface in config["networkInterfaces"]:
            del interface["association"]
            for address in interface["privateIpAddresses"]:
                del address["association"]
    for name, value in configuration.items():
        if value is MISSING:
            del config[name]
        else:
            config[name] = value
    return ConfigurationItem.parse(raw)


def secondary_interface(association: dict[str, Any] | None = None, on_address: bool = False) -> dict[str, Any]:
    """A second interface, its association (an Elastic IP) on the interface or on its private address."""
    interface: dict[str, Any] = {
        "networkInterfaceId": "eni-0a1b2c3d4e5f60718",
        "privateIpAddress": "172.31.74.240",
        "privateIpAddresses": [{"privateIpAddress": "172.31.74.240", "primary": True}],
    }
    if association is not None:
        target = interface["privateIpAddresses"][0] if on_address else interface
        target["association"] = association
    return interface


def with_interface(interface: dict[str, Any]) -> ConfigurationItem:
    private = instance(private=True)
    assert private.configuration is not None
    interfaces = [*private.configuration["networkInterfaces"], interface]
    return instance(private=True, networkInterfaces=interfaces)


def run(item: ConfigurationItem) -> Result:
    assert CHECK.evaluate_resource is not None
    return CHECK.evaluate_resource(item, CHECK.parameters.parse(CHECK.id, {}), SNAPSHOT)


def public(*addresses: str) -> Result:
    return Result(Compliance.NON_COMPLIANT, f"instance has public IPv4 address {', '.join(addresses)}")


def test_the_check_evaluates_instances_and_takes_no_parameter() -> None:
    assert CHECK.scope is CheckScope.RESOURCE
    assert CHECK.resource_types == ("AWS::EC2::Instance",)
    assert CHECK.lookup_types == ()
    assert CHECK.parameters.parse(CHECK.id, None) == CHECK.parameters.parse(CHECK.id, "{}")
    assert json.loads(json.dumps(CHECK.describe()))["remediation_cli"] == (
        "aws ec2 disassociate-address --association-id ASSOCIATION_ID"
    )
    with pytest.raises(ParameterError, match="check ec2-instance-no-public-ip, parameter ipv6: unknown parameter"):
        CHECK.parameters.parse(CHECK.id, {"ipv6": "true"})


def test_the_reference_instance_has_a_public_address_named_once() -> None:
    # publicIpAddress, the interface's association and its private address's association all record it.
    assert run(instance()) == public(PUBLIC)


def test_a_private_instance_is_compliant() -> None:
    assert run(instance(private=True)) == PRIVATE


@pytest.mark.parametrize("value", [MISSING, None, ""], ids=["absent", "null", "empty"])
def test_a_missing_public_ip_address_with_private_interfaces_is_compliant(value: Any) -> None:
    # EC2's API (and the emulator) leave publicIpAddress out when there is none; the interfaces confirm it.
    assert run(instance(private=True, publicIpAddress=value)) == PRIVATE


def test_the_top_level_address_alone_is_enough() -> None:
    assert run(instance(private=True, publicIpAddress=ELASTIC)) == public(ELASTIC)


def test_an_elastic_ip_on_a_secondary_interface_is_not_compliant() -> None:
    association = {"publicIp": ELASTIC, "ipOwnerId": "681361479661", "allocationId": "eipalloc-0123456789abcdef0"}
    assert run(with_interface(secondary_interface(association))) == public(ELASTIC)


def test_an_elastic_ip_on_a_secondary_private_address_is_not_compliant() -> None:
    assert run(with_interface(secondary_interface({"publicIp": ELASTIC}, on_address=True))) == public(ELASTIC)


def test_every_public_address_is_named() -> None:
    item = instance(
        networkInterfaces=[
            *REFERENCE_INSTANCE["configuration"]["networkInterfaces"],
            secondary_interface({"publicIp": ELASTIC}),
        ]
    )
    assert run(item) == public(PUBLIC, ELASTIC)


@pytest.mark.parametrize("association", [{"publicIp": None}, {"publicIp": ""}, {}])
def test_an_association_without_a_public_address_is_ignored(association: Any) -> None:
    assert run(with_interface(secondary_interface(association))) == PRIVATE


@pytest.mark.parametrize(
    ("association", "what"),
    [
        ("34.205.29.138", "networkInterfaces[1].association as a string, not an object"),
        ({"publicIp": ["34.205.29.138"]}, "networkInterfaces[1].association.publicIp as a list, not a string"),
    ],
)
def test_an_association_of_the_wrong_type_is_never_compliant(association: Any, what: str) -> None:
    # Read as no association, the address it records was missed and the instance passed.
    unjudged = f"the configuration item records {what}, so it cannot be judged"
    assert run(with_interface(secondary_interface(association))) == Result(Compliance.NON_COMPLIANT, unjudged)


def test_ipv6_addresses_are_not_judged() -> None:
    interface = {**secondary_interface(), "ipv6Addresses": [{"ipv6Address": "2600:1f18:abcd:1200::10"}]}
    assert run(with_interface(interface)) == PRIVATE


def test_a_stopped_instance_is_judged() -> None:
    stopped = {"code": 80, "name": "stopped"}
    # A stopped instance loses its auto-assigned address but keeps an Elastic IP.
    assert run(instance(private=True, state=stopped)) == PRIVATE
    assert run(instance(private=True, state=stopped, publicIpAddress=ELASTIC)) == public(ELASTIC)


@pytest.mark.parametrize("state", [{"code": 32, "name": "shutting-down"}, {"code": 48, "name": "terminated"}])
def test_an_ending_instance_is_not_applicable(state: dict[str, Any]) -> None:
    result = run(instance(state=state))
    assert result == Result(Compliance.NOT_APPLICABLE, f"instance is {state['name']}; AWS Config records it as deleted")


@pytest.mark.parametrize("state", [MISSING, None, {"code": 16}])
def test_an_instance_without_a_readable_state_is_judged_not_skipped(state: Any) -> None:
    assert run(instance(state=state)) == public(PUBLIC)


@pytest.mark.parametrize(
    ("state", "what"),
    [("running", "state as a string, not an object"), ({"name": 16}, "state.name as a number, not a string")],
)
def test_a_state_of_the_wrong_type_is_never_compliant(state: Any, what: str) -> None:
    # Whether the instance has ended, and so whether it is judged at all, cannot be read.
    unjudged = f"the configuration item records {what}, so it cannot be judged"
    assert run(instance(private=True, state=state)) == Result(Compliance.NON_COMPLIANT, unjudged)


def test_interfaces_of_the_wrong_type_are_never_compliant() -> None:
    result = run(instance(private=True, publicIpAddress=MISSING, networkInterfaces="eni-d055cfc4"))
    unjudged = "the configuration item records networkInterfaces as a string, not a list, so it cannot be judged"
    assert result == Result(Compliance.NON_COMPLIANT, unjudged)


@pytest.mark.parametrize("interfaces", [MISSING, None])
def test_an_instance_recording_neither_address_nor_interfaces_is_never_compliant(interfaces: Any) -> None:
    result = run(instance(private=True, publicIpAddress=MISSING, networkInterfaces=interfaces))
    unjudged = "the configuration item has neither publicIpAddress nor networkInterfaces, so it cannot be judged"
    assert result == Result(Compliance.NON_COMPLIANT, unjudged)


def test_a_null_public_ip_address_is_recorded_evidence_without_interfaces() -> None:
    assert run(instance(private=True, networkInterfaces=MISSING)) == PRIVATE


def test_an_item_without_configuration_is_never_compliant() -> None:
    raw = copy.deepcopy(REFERENCE_INSTANCE)
    raw["configuration"] = None
    result = run(ConfigurationItem.parse(raw))
    assert result == Result(
        Compliance.NON_COMPLIANT, "the configuration item has no configuration, so it cannot be judged"
    )
