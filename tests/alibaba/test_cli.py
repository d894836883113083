"""`cloudsweep event|invoke|checks --cloud alibaba`: events to try a rule with, and the handler run locally."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from cloudsweep_emulator.alibaba_config import AlibabaConfigEndpoint, DiscoveredResource, throttling

from scanner.cli import cli
from scanner.testing.alibaba import DEFAULT_ACCOUNT, alibaba_item_document
from tests.alibaba.conftest import LONG_TERM_KEY_ID, LONG_TERM_SECRET

IMAGE = ["--cloud", "alibaba", "--check", "ecs-instance-image-approved"]
DEMO_IMAGE = "aliyun_3_x64_20G_alibase_20240528.vhd"


@pytest.fixture
def alibaba_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", LONG_TERM_KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", LONG_TERM_SECRET)
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    monkeypatch.delenv("CLOUDSWEEP_CHECK", raising=False)
    monkeypatch.delenv("CLOUDSWEEP_CHECKS_DIR", raising=False)


def event_json(*arguments: str) -> dict:
    result = CliRunner().invoke(cli, ["event", *arguments])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_scheduled_event_names_no_item() -> None:
    event = event_json("scheduled", *IMAGE, "--param", "imageIds=m-1", "--account", "1699999999999999")
    assert event["invokingEvent"]["messageType"] == "ScheduledNotification"
    assert event["invokingEvent"]["accountId"] == 1699999999999999
    assert "configurationItem" not in event["invokingEvent"]
    assert event["ruleParameters"] == {"imageIds": "m-1"}
    assert event["resultToken"].startswith("cloudsweep-")
    assert isinstance(event["orderingTimestamp"], int)


def test_a_change_event_carries_an_example_item_of_the_checks_type() -> None:
    event = event_json("change", *IMAGE, "--param", "imageIds=m-1", "--region", "cn-beijing")
    item = event["invokingEvent"]["configurationItem"]
    assert event["invokingEvent"]["configurationType"] == "COMMON"
    assert (item["resourceType"], item["regionId"], item["accountId"]) == (
        "ACS::ECS::Instance",
        "cn-beijing",
        DEFAULT_ACCOUNT,
    )
    assert json.loads(item["configuration"])["ImageId"] == "aliyun_3_x64_20G_alibase_20240528.vhd"


def test_an_oversized_change_event_leaves_the_configuration_out() -> None:
    event = event_json("change", *IMAGE, "--param", "imageIds=m-1", "--oversized")
    assert event["invokingEvent"]["configurationType"] == "OVERSIZE"
    assert "configuration" not in event["invokingEvent"]["configurationItem"]


def test_a_change_event_takes_an_item_file_or_a_whole_event(tmp_path: Path) -> None:
    item = alibaba_item_document("ACS::ECS::Instance", configuration={"ImageId": "m-mine"}, resourceId="i-mine")
    (tmp_path / "item.json").write_text(json.dumps(item))
    (tmp_path / "event.json").write_text(json.dumps({"invokingEvent": {"configurationItem": item}}))
    for name in ("item.json", "event.json"):
        event = event_json("change", *IMAGE, "--param", "imageIds=m-1", "--item", str(tmp_path / name))
        assert event["invokingEvent"]["configurationItem"]["resourceId"] == "i-mine"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["change", *IMAGE], "check ecs-instance-image-approved, parameter imageIds: is required"),
        (["change", "--cloud", "alibaba", "--check", "approved-amis-by-id"], "unknown check 'approved-amis-by-id'"),
        (
            ["scheduled", *IMAGE, "--param", "imageIds=m-1", "--account", "acme"],
            "an Alibaba Cloud account id is a number",
        ),
        (
            ["change", *IMAGE, "--param", "imageIds=m-1", "--item", "missing.json"],
            "configuration item file missing.json",
        ),
    ],
)
def test_bad_event_options_are_usage_errors(arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["event", *arguments])
    assert result.exit_code == 2
    assert message in result.output


def test_an_event_from_the_cli_runs_through_invoke_against_the_endpoint(tmp_path: Path, alibaba_env: None) -> None:
    runner = CliRunner()
    event = event_json("change", *IMAGE, "--param", "imageIds=aliyun_3_x64_20G_alibase_20240528.vhd")
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    with AlibabaConfigEndpoint(
        {LONG_TERM_KEY_ID: (LONG_TERM_SECRET, None)}, result_tokens={event["resultToken"]}
    ) as endpoint:
        result = runner.invoke(
            cli, ["--log-level", "error", "invoke", "--event", str(path), "--endpoint-url", endpoint.url, *IMAGE]
        )
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output)
        assert summary["COMPLIANT"] == 1
        assert [e["complianceType"] for e in endpoint.put(event["resultToken"])] == ["COMPLIANT"]


def test_invoke_runs_a_periodic_evaluation_over_the_listed_resources(tmp_path: Path, alibaba_env: None) -> None:
    event = event_json("scheduled", *IMAGE, "--param", "imageIds=m-good")
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    resources = [
        DiscoveredResource(DEFAULT_ACCOUNT, "cn-hangzhou", "ACS::ECS::Instance", f"i-{n}", {"ImageId": image})
        for n, image in enumerate(["m-good", "m-bad", "m-good"])
    ]
    with AlibabaConfigEndpoint(
        {LONG_TERM_KEY_ID: (LONG_TERM_SECRET, None)}, resources=resources, result_tokens={event["resultToken"]}
    ) as endpoint:
        result = CliRunner().invoke(cli, ["invoke", "--event", str(path), "--endpoint-url", endpoint.url, *IMAGE])
        assert result.exit_code == 0, result.output
        put = {e["complianceResourceId"]: e["complianceType"] for e in endpoint.put(event["resultToken"])}
        assert put == {"i-0": "COMPLIANT", "i-1": "NON_COMPLIANT", "i-2": "COMPLIANT"}


@pytest.mark.slow
def test_invoke_exits_2_on_a_bad_event_and_3_when_the_call_fails(tmp_path: Path, alibaba_env: None) -> None:
    runner = CliRunner()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"invokingEvent": {"messageType": "Nope"}, "ruleParameters": {}, "resultToken": "t"}))
    event = event_json("change", *IMAGE, "--param", "imageIds=m-1")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(event))
    with AlibabaConfigEndpoint(
        {LONG_TERM_KEY_ID: (LONG_TERM_SECRET, None)}, result_tokens={event["resultToken"]}
    ) as endpoint:
        result = runner.invoke(cli, ["invoke", "--event", str(bad), "--endpoint-url", endpoint.url, *IMAGE])
        assert result.exit_code == 2
        assert "invokingEvent.messageType: unknown message type 'Nope'" in result.output
        endpoint.fail(throttling("PutEvaluations", times=100))
        result = runner.invoke(
            cli, ["--log-level", "error", "invoke", "--event", str(good), "--endpoint-url", endpoint.url, *IMAGE]
        )
        assert result.exit_code == 3
        assert len(endpoint.calls_of("PutEvaluations")) == 6


def test_invoke_without_credentials_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID", raising=False)
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event_json("scheduled", *IMAGE, "--param", "imageIds=m-1")))
    result = CliRunner().invoke(cli, ["invoke", "--event", str(path), *IMAGE])
    assert result.exit_code == 2
    assert "set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET" in result.output


def test_checks_list_and_describe_show_the_alibaba_checks() -> None:
    result = CliRunner().invoke(cli, ["checks", "list", "--cloud", "alibaba", "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [check["id"] for check in listed] == [
        "ecs-disk-encrypted",
        "ecs-instance-image-approved",
        "ecs-security-group-risky-ports",
        "oss-bucket-public-read-prohibited",
        "ram-user-mfa-enabled",
    ]
    assert {check["cloud"] for check in listed} == {"alibaba"}
    described = CliRunner().invoke(cli, ["checks", "describe", "--cloud", "alibaba", "ram-user-mfa-enabled"])
    assert json.loads(described.output)["resource_types"] == ["ACS::RAM::User"]
    aws = CliRunner().invoke(cli, ["checks", "list", "--format", "json"])
    assert "ecs-instance-image-approved" not in aws.output


FUNCTION = "acs:fc:cn-hangzhou:1812345678901234:services/cloudsweep/functions/image-rule"


def test_rule_json_prints_create_config_rule_for_a_change_triggered_rule() -> None:
    result = CliRunner().invoke(cli, ["rule-json", *IMAGE, "--function-arn", FUNCTION, "--param", "imageIds=m-1,m-2"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "ConfigRuleName": "ecs-instance-image-approved",
        "Description": "ECS instances run approved images",
        "SourceOwner": "CUSTOM_FC",
        "SourceIdentifier": FUNCTION,
        "ConfigRuleTriggerTypes": "ConfigurationItemChangeNotification",
        "ResourceTypesScope": "ACS::ECS::Instance",
        "InputParameters": '{"imageIds": "m-1,m-2"}',
        "RiskLevel": 2,
    }


def test_rule_json_prints_a_periodic_rule_as_an_aliyun_command() -> None:
    arguments = ["rule-json", "--cloud", "alibaba", "--check", "oss-bucket-public-read-prohibited"]
    arn = "acs:fc:cn-shanghai:1812345678901234:functions/oss-rule"
    result = CliRunner().invoke(cli, [*arguments, "--function-arn", arn, "--periodic", "Twelve_Hours", "--command"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "aliyun config CreateConfigRule --ConfigRuleName oss-bucket-public-read-prohibited "
        "--Description 'OSS buckets do not allow public read access' --SourceOwner CUSTOM_FC "
        f"--SourceIdentifier {arn} --ConfigRuleTriggerTypes ScheduledNotification "
        "--ResourceTypesScope ACS::OSS::Bucket --InputParameters '{}' --RiskLevel 1 "
        "--MaximumExecutionFrequency Twelve_Hours"
    )


def test_rule_json_refuses_a_lambda_arn_for_alibaba_cloud() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:cloudsweep"
    result = CliRunner().invoke(cli, ["rule-json", *IMAGE, "--function-arn", arn, "--param", "imageIds=m-1"])
    assert result.exit_code == 2
    assert "--function-arn: expected acs:fc:REGION:ACCOUNT:services/SERVICE/functions/NAME" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["event", "change", *IMAGE, "--param", "imageIds=m-1", "--rule-name", "r"], "--rule-name: an Alibaba Cloud"),
        (
            ["rule-json", "--check", "desired-instance-type", "--function-arn", "arn:aws:lambda:x", "--command"],
            "--command prints an aliyun command: it goes with --cloud alibaba",
        ),
        (["invoke", "--event", "README.md", "--region", "cn-hangzhou"], "--region is the Function Compute function's"),
    ],
)
def test_options_of_the_other_cloud_are_usage_errors(arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 2
    assert message in result.output


# --- the demo endpoint: `cloudsweep emulator --cloud alibaba` ----------------------------------------------------


@pytest.fixture(scope="module")
def demo_endpoint() -> Iterator[tuple[str, dict[str, str]]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "scanner", "emulator", "--cloud", "alibaba"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    endpoint = process.stdout.readline().strip()
    exports = process.stdout.readline().strip()
    assert endpoint.startswith("endpoint: http://127.0.0.1:"), endpoint
    assert exports.startswith("export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI"), exports
    variables = dict(pair.split("=", 1) for pair in exports.removeprefix("export ").split())
    yield endpoint.removeprefix("endpoint: "), variables
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=30)
    assert process.returncode == 0
    assert '"evaluations_put": 12' in errors


@pytest.mark.parametrize(
    ("check", "parameters", "counts"),
    [
        ("ecs-instance-image-approved", ["--param", f"imageIds={DEMO_IMAGE}"], (1, 1, 1)),
        ("ecs-disk-encrypted", [], (1, 1, 0)),
        ("ecs-security-group-risky-ports", [], (1, 1, 0)),
        ("oss-bucket-public-read-prohibited", [], (1, 1, 0)),
        ("ram-user-mfa-enabled", [], (1, 1, 1)),
    ],
)
def test_every_check_passes_and_fails_in_the_demo_account(
    demo_endpoint: tuple[str, dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    check: str,
    parameters: list[str],
    counts: tuple[int, int, int],
) -> None:
    url, variables = demo_endpoint
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    arguments = ["--cloud", "alibaba", "--check", check]
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event_json("scheduled", *arguments, *parameters)))
    result = CliRunner().invoke(
        cli, ["--log-level", "error", "invoke", "--event", str(path), "--endpoint-url", url, *arguments]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["COMPLIANT"], summary["NON_COMPLIANT"], summary["NOT_APPLICABLE"]) == counts


def test_the_demo_endpoint_takes_only_its_own_options() -> None:
    result = CliRunner().invoke(cli, ["emulator", "--cloud", "alibaba", "--throttle-rate", "0.5"])
    assert result.exit_code == 2
    assert "--host, --throttle-rate and --fault-seed are the AWS emulator's options" in result.output
