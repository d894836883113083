"""The scan under the behaviours AWS shows: unprocessed keys, throttling, denied calls, faulty checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cloudsweep_emulator.faults import FaultKind, FaultRule
from cloudsweep_emulator.server import Emulator
from structlog.testing import capture_logs

from checks import BUILTIN
from scanner.registry import SelectedCheck
from scanner.results import EXIT_INCOMPLETE, FailOn, ScanReport
from scanner.runner import run_scan
from scanner.scan.request import Access, Destinations, ScanRequest
from tests.support import client, waitless_limits

AMI = "ami-0123456789abcdef0"


def selected(params: dict[str, dict[str, str]]) -> tuple[SelectedCheck, ...]:
    return tuple(
        SelectedCheck(BUILTIN.get(check_id), BUILTIN.get(check_id).parameters.parse(check_id, values))
        for check_id, values in params.items()
    )


def scan(
    emulator: Emulator, tmp_path: Path, params: dict[str, dict[str, str]]
) -> tuple[ScanReport, list[dict[str, Any]]]:
    output = tmp_path / "evaluations.jsonl"
    report = run_scan(
        ScanRequest(
            regions=("us-east-1",),
            checks=selected(params),
            destinations=Destinations(output=output),
            access=Access(endpoint_url=emulator.endpoint_url),
            limits=waitless_limits(),
        )
    )
    return report, [json.loads(line) for line in output.read_text().splitlines()]


@pytest.fixture
def instances(aws_env: Emulator, boto_session: Any) -> list[str]:
    ec2 = client(boto_session, "ec2", aws_env.endpoint_url)
    reservation = ec2.run_instances(ImageId=AMI, MinCount=120, MaxCount=120, InstanceType="t3.micro")
    return sorted(instance["InstanceId"] for instance in reservation["Instances"])


DESIRED = {"desired-instance-type": {"desiredInstanceType": "t3.micro"}}
COUNT = {"resource-count-max": {"applicableResourceType": "AWS::EC2::Instance", "maxCount": "500"}}


@pytest.mark.slow
def test_unprocessed_keys_are_retried_and_then_read_from_history(
    aws_env: Emulator, instances: list[str], tmp_path: Path
) -> None:
    aws_env.config.controls.leave_unprocessed(instances[0], times=1)
    aws_env.config.controls.leave_unprocessed(instances[1])  # never processed: history is the fallback

    report, evaluations = scan(aws_env, tmp_path, DESIRED)

    assert report.all_failures == []
    assert sorted(e["resource_id"] for e in evaluations) == instances
    assert {e["compliance"] for e in evaluations} == {"COMPLIANT"}


@pytest.mark.slow
def test_throttling_is_retried_and_loses_nothing(aws_env: Emulator, instances: list[str], tmp_path: Path) -> None:
    aws_env.faults.add(FaultRule.throttle(count=3, operation="ListDiscoveredResources"))
    aws_env.faults.add(FaultRule.throttle(count=2, operation="BatchGetResourceConfig"))

    with capture_logs() as logs:
        report, evaluations = scan(aws_env, tmp_path, DESIRED)

    assert report.all_failures == []
    assert sorted(e["resource_id"] for e in evaluations) == instances
    injected = aws_env.faults.injected()
    assert sum(count for injection, count in injected.items() if injection.kind is FaultKind.THROTTLING) == 5
    retries = [entry for entry in logs if entry["event"] == "aws call retried"]
    assert len(retries) == 5
    assert {entry["error_code"] for entry in retries} == {"ThrottlingException"}
    assert all(entry["throttled"] is True and entry["attempt"] >= 1 for entry in retries)


def test_a_denied_read_fails_only_the_checks_that_needed_it(
    aws_env: Emulator, instances: list[str], tmp_path: Path
) -> None:
    aws_env.faults.add(FaultRule.access_denied(operation="BatchGetResourceConfig"))

    report, evaluations = scan(aws_env, tmp_path, {**DESIRED, **COUNT})

    # The count needs only ListDiscoveredResources: it still completes. No instance is reported COMPLIANT.
    assert [(e["check"], e["compliance"]) for e in evaluations] == [("resource-count-max", "COMPLIANT")]
    assert report.exit_code(FailOn.NONCOMPLIANT) == EXIT_INCOMPLETE
    codes = {(failure.code, failure.affects) for failure in report.all_failures}
    assert ("AccessDeniedException", ("desired-instance-type",)) in codes


def test_a_call_out_of_retries_is_recorded_not_raised(aws_env: Emulator, instances: list[str], tmp_path: Path) -> None:
    aws_env.faults.add(FaultRule.server_error(status=503, operation="ListDiscoveredResources"))

    report, evaluations = scan(aws_env, tmp_path, {**DESIRED, **COUNT})

    assert evaluations == []
    assert report.exit_code(FailOn.NEVER) == EXIT_INCOMPLETE
    assert {failure.code for failure in report.all_failures} == {"ServiceUnavailable"}
    assert {check for failure in report.all_failures for check in failure.affects} == {
        "desired-instance-type",
        "resource-count-max",
    }
