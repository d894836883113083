"""Evaluations put back into AWS Config: `--result-token`, `ResultTokens`, and `ConfigEvaluationsSink` in a scan.

Every scan runs against the emulator; what the scan put is read back with GetComplianceDetailsByConfigRule through
a client of each scanned account, and compared exactly with the scan's own JSON lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cloudsweep_emulator.faults import FaultRule
from cloudsweep_emulator.server import Emulator

from checks import BUILTIN
from scanner.aws.clients import AwsClients, AwsSettings, CallContext, Credentials
from scanner.aws.config_evaluations import PUT_BATCH, ResultTokens, put_evaluation_batch
from scanner.cli import cli
from scanner.errors import UsageError
from scanner.model import Compliance, Evaluation
from scanner.registry import SelectedCheck
from scanner.results import EXIT_INCOMPLETE, EXIT_NON_COMPLIANT, FailOn, Failure, ScanReport
from scanner.runner import run_scan
from scanner.scan.request import Access, AccountSource, Destinations, RunControl, ScanRequest
from scanner.scan.targets import Account
from tests.conftest import MANAGEMENT_ACCOUNT
from tests.support import assumed_session, client, waitless_limits

MEMBER_ACCOUNT = "210987654321"
MEMBER_ROLE = "OrganizationAccountAccessRole"
MANAGEMENT_CREDENTIALS = Credentials("AKIAIOSFODNN7EXAMPLE", "secret")
AMI = "ami-0123456789abcdef0"
REGION = "us-east-1"
RULE = "cloudsweep-desired-instance-type"
SCAN_TIME = datetime(2026, 3, 1, 6, 30, tzinfo=UTC)
DESIRED = "desired-instance-type"
EXPOSED = "ec2-exposed-instance"
CHECK_IDS = [check.id for check in BUILTIN]
# What AWS hands a Lambda rule: long mixed-case base64, padded with "=".
REAL_LOOKING_TOKEN = "eyJjb25maWdSdWxlTmFtZSI6ImRlc2lyZWQtaW5zdGFuY2UtdHlwZSIsImFjY291bnRJZCI6IjEyMzQ1Njc4OTAxMiJ9=="


def selected(params: dict[str, dict[str, str]]) -> tuple[SelectedCheck, ...]:
    return tuple(
        SelectedCheck(BUILTIN.get(check_id), BUILTIN.get(check_id).parameters.parse(check_id, values))
        for check_id, values in params.items()
    )


# --- ResultTokens.parse -------------------------------------------------------------------------------------------


def test_one_token_is_every_checks_token() -> None:
    tokens = ResultTokens.parse(["rule-token"], CHECK_IDS)

    assert tokens.default == "rule-token"
    assert dict(tokens.by_check) == {}
    assert tokens.token_for(DESIRED) == "rule-token"
    assert tokens.token_for(EXPOSED) == "rule-token"
    assert tokens.test_mode is False
    assert bool(tokens) is True


def test_check_tokens_override_the_default_and_leave_the_rest_to_it() -> None:
    tokens = ResultTokens.parse([f"{DESIRED}=token-a", "token-all", f"{EXPOSED}=token-b:x=y"], CHECK_IDS)

    assert tokens.default == "token-all"
    assert dict(tokens.by_check) == {DESIRED: "token-a", EXPOSED: "token-b:x=y"}
    assert tokens.token_for(DESIRED) == "token-a"
    assert tokens.token_for(EXPOSED) == "token-b:x=y"
    assert tokens.token_for("iam-inactive-user") == "token-all"


def test_without_a_default_a_check_without_a_token_has_none() -> None:
    tokens = ResultTokens.parse([f"{DESIRED}=token-a"], CHECK_IDS, test_mode=True)

    assert tokens.token_for(DESIRED) == "token-a"
    assert tokens.token_for(EXPOSED) is None
    assert tokens.default is None
    assert tokens.test_mode is True
    assert bool(tokens) is True


def test_no_tokens_are_false_even_in_test_mode() -> None:
    assert bool(ResultTokens()) is False
    assert bool(ResultTokens.parse([], CHECK_IDS, test_mode=True)) is False
    assert ResultTokens().token_for(DESIRED) is None


@pytest.mark.parametrize(
    "token",
    [
        REAL_LOOKING_TOKEN,
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=",
        # A short lowercase-looking head is not enough to be a check id when it cannot be one.
        "rule:event=1",
        "Desired-Instance-Type=abc",
    ],
)
def test_a_token_containing_equals_signs_is_a_default_token(token: str) -> None:
    tokens = ResultTokens.parse([token], CHECK_IDS)

    assert tokens.default == token
    assert dict(tokens.by_check) == {}
    assert tokens.token_for(DESIRED) == token


def test_a_check_token_may_itself_contain_equals_signs() -> None:
    tokens = ResultTokens.parse([f"{DESIRED}={REAL_LOOKING_TOKEN}"], CHECK_IDS)

    assert dict(tokens.by_check) == {DESIRED: REAL_LOOKING_TOKEN}
    assert tokens.default is None


@pytest.mark.parametrize(
    ("values", "known", "message"),
    [
        ([f"{DESIRED}=a", f"{DESIRED}=b"], CHECK_IDS, f"--result-token: {DESIRED} is given twice"),
        (["desired-instnce-type=abc"], CHECK_IDS, "--result-token: desired-instnce-type is not a selected check"),
        # A real check that the scan does not run is as much a mistake as a mistyped one.
        ([f"{EXPOSED}=abc"], [DESIRED], f"--result-token: {EXPOSED} is not a selected check"),
        (["one", "two"], CHECK_IDS, "--result-token: give one token for every check, or CHECK=TOKEN per check"),
        ([REAL_LOOKING_TOKEN, "two"], CHECK_IDS, "--result-token: give one token for every check, or CHECK=TOKEN"),
        ([""], CHECK_IDS, "--result-token: the token for every check is empty"),
        (["   "], CHECK_IDS, "--result-token: the token for every check is empty"),
        ([f"{DESIRED}="], CHECK_IDS, f"--result-token: the token for {DESIRED} is empty"),
        ([f"{DESIRED}= "], CHECK_IDS, f"--result-token: the token for {DESIRED} is empty"),
    ],
)
def test_parse_errors_are_usage_errors(values: list[str], known: list[str], message: str) -> None:
    with pytest.raises(UsageError) as excinfo:
        ResultTokens.parse(values, known)

    assert str(excinfo.value).startswith(message)


def test_the_tokens_never_show_in_the_repr() -> None:
    tokens = ResultTokens.parse([f"{DESIRED}=secret-a", "secret-all"], CHECK_IDS)

    assert "secret" not in repr(tokens)


@pytest.mark.anyio
async def test_a_batch_needs_a_region_and_at_most_100_evaluations(emulator: Emulator) -> None:
    evaluation = Evaluation(
        MANAGEMENT_ACCOUNT, REGION, DESIRED, "AWS::EC2::Instance", "i-1", Compliance.COMPLIANT, None, SCAN_TIME
    )
    async with AwsClients(AwsSettings(endpoint_url=emulator.endpoint_url)) as clients:
        with pytest.raises(ValueError, match="at most 100 evaluations of one account and region"):
            await put_evaluation_batch(clients, CallContext(MANAGEMENT_ACCOUNT, None), [evaluation], RULE)
        with pytest.raises(ValueError, match="at most 100 evaluations of one account and region"):
            await put_evaluation_batch(
                clients, CallContext(MANAGEMENT_ACCOUNT, REGION), [evaluation] * (PUT_BATCH + 1), RULE
            )
        assert clients.calls == 0


# --- the emulator estate ------------------------------------------------------------------------------------------


def put_rule(config: Any, name: str) -> None:
    config.put_config_rule(
        ConfigRule={
            "ConfigRuleName": name,
            "Source": {
                "Owner": "CUSTOM_LAMBDA",
                "SourceIdentifier": f"arn:aws:lambda:{REGION}:{MANAGEMENT_ACCOUNT}:function:cloudsweep",
                "SourceDetails": [
                    {
                        "EventSource": "aws.config",
                        "MessageType": "ScheduledNotification",
                        "MaximumExecutionFrequency": "TwentyFour_Hours",
                    }
                ],
            },
        }
    )


def recorded(config: Any, rule_name: str) -> dict[tuple[str, str], tuple[str, str | None, datetime]]:
    """Every evaluation result of a rule, read back in pages: (type, id) -> (compliance, annotation, ordering)."""
    found: dict[tuple[str, str], tuple[str, str | None, datetime]] = {}
    token: str | None = None
    while True:
        page = config.get_compliance_details_by_config_rule(
            ConfigRuleName=rule_name, Limit=100, **({"NextToken": token} if token else {})
        )
        for result in page["EvaluationResults"]:
            identifier = result["EvaluationResultIdentifier"]
            qualifier = identifier["EvaluationResultQualifier"]
            assert qualifier["ConfigRuleName"] == rule_name
            key = (qualifier["ResourceType"], qualifier["ResourceId"])
            assert key not in found
            found[key] = (
                result["ComplianceType"],
                result.get("Annotation"),
                identifier["OrderingTimestamp"].astimezone(UTC),
            )
        token = page.get("NextToken")
        if not token:
            return found


def expected_from(lines: list[dict[str, Any]], account_id: str, check: str | None = None) -> dict[Any, Any]:
    """What a scan's JSON lines say AWS Config should now hold for one account (and check)."""
    expected = {
        (line["resource_type"], line["resource_id"]): (
            line["compliance"],
            line["annotation"],
            # botocore sends PutEvaluations' timestamps in whole seconds (its default precision).
            datetime.fromisoformat(line["ordering_timestamp"].replace("Z", "+00:00")).replace(microsecond=0),
        )
        for line in lines
        if line["account_id"] == account_id and (check is None or line["check"] == check)
    }
    assert len(expected) == len(
        [line for line in lines if line["account_id"] == account_id and (check is None or line["check"] == check)]
    )
    return expected


@dataclass(frozen=True)
class Estate:
    """Two accounts: the caller's (105 instances, one m5.large) and a member's (3 instances, one m5.large)."""

    management_config: Any
    member_config: Any
    management_instances: tuple[str, ...]
    member_instances: tuple[str, ...]
    management_large: str
    member_large: str


def launch(ec2: Any, count: int, instance_type: str, **extra: Any) -> list[str]:
    reservation = ec2.run_instances(ImageId=AMI, MinCount=count, MaxCount=count, InstanceType=instance_type, **extra)
    return [instance["InstanceId"] for instance in reservation["Instances"]]


@pytest.fixture
def estate(emulator: Emulator, boto_session: Any) -> Estate:
    ec2 = client(boto_session, "ec2", emulator.endpoint_url)
    member = assumed_session(boto_session, emulator.endpoint_url, MEMBER_ACCOUNT, MEMBER_ROLE)
    member_ec2 = client(member, "ec2", emulator.endpoint_url)
    management_small = launch(ec2, 104, "t3.micro")
    management_large = launch(ec2, 1, "m5.large")[0]
    member_small = launch(member_ec2, 2, "t3.micro")
    member_large = launch(member_ec2, 1, "m5.large")[0]
    return Estate(
        management_config=client(boto_session, "config", emulator.endpoint_url),
        member_config=client(member, "config", emulator.endpoint_url),
        management_instances=(*management_small, management_large),
        member_instances=(*member_small, member_large),
        management_large=management_large,
        member_large=member_large,
    )


TWO_ACCOUNTS = AccountSource(accounts=(Account(MANAGEMENT_ACCOUNT), Account(MEMBER_ACCOUNT, role=MEMBER_ROLE)))
CALLER_ONLY = AccountSource()


def run(
    emulator: Emulator,
    tmp_path: Path,
    tokens: ResultTokens,
    *,
    checks: tuple[SelectedCheck, ...] | None = None,
    source: AccountSource = TWO_ACCOUNTS,
    name: str = "out",
) -> tuple[ScanReport, list[dict[str, Any]]]:
    output = tmp_path / f"{name}.jsonl"
    report = run_scan(
        ScanRequest(
            checks=checks or selected({DESIRED: {"desiredInstanceType": "t3.micro"}}),
            regions=(REGION,),
            source=source,
            destinations=Destinations(output=output, result_tokens=tokens),
            access=Access(endpoint_url=emulator.endpoint_url, credentials=MANAGEMENT_CREDENTIALS),
            limits=waitless_limits(),
            run=RunControl(now=SCAN_TIME),
        )
    )
    return report, [json.loads(line) for line in output.read_text().splitlines()]


def put_evaluations_counter(emulator: Emulator, account: str) -> int:
    """A 1 ms latency rule on PutEvaluations in `account`: its injection count is the number of calls."""
    return emulator.faults.install(FaultRule.latency(1, account=account, operation="PutEvaluations")).id


def calls_counted(emulator: Emulator, counter: int) -> int:
    return next(active.injected for active in emulator.faults.rules() if active.id == counter)


# --- a scan puts its evaluations ------------------------------------------------------------------------------------


def test_a_two_account_scan_puts_exactly_its_evaluations_in_each_account(
    emulator: Emulator, estate: Estate, tmp_path: Path
) -> None:
    put_rule(estate.management_config, RULE)
    put_rule(estate.member_config, RULE)
    management_calls = put_evaluations_counter(emulator, MANAGEMENT_ACCOUNT)
    member_calls = put_evaluations_counter(emulator, MEMBER_ACCOUNT)

    report, lines = run(emulator, tmp_path, ResultTokens(default=RULE))

    assert report.all_failures == []
    assert report.exit_code(FailOn.NONCOMPLIANT) == EXIT_NON_COMPLIANT
    assert len(lines) == len(estate.management_instances) + len(estate.member_instances) == 108
    management = expected_from(lines, MANAGEMENT_ACCOUNT)
    member = expected_from(lines, MEMBER_ACCOUNT)
    assert {resource_id for _, resource_id in management} == set(estate.management_instances)
    assert {resource_id for _, resource_id in member} == set(estate.member_instances)
    assert recorded(estate.management_config, RULE) == management
    assert recorded(estate.member_config, RULE) == member
    # Spot-check the read-back against the estate itself, not only against the scan's lines.
    assert recorded(estate.management_config, RULE)[("AWS::EC2::Instance", estate.management_large)] == (
        "NON_COMPLIANT",
        "instance type m5.large is not one of t3.micro",
        SCAN_TIME,
    )
    assert recorded(estate.member_config, RULE)[("AWS::EC2::Instance", estate.member_large)][0] == "NON_COMPLIANT"
    # 105 evaluations of one account-region: a full batch of 100 as soon as it was made, then the last 5.
    assert calls_counted(emulator, management_calls) == 2
    assert calls_counted(emulator, member_calls) == 1


def test_a_rule_missing_in_one_account_fails_only_that_accounts_puts(
    emulator: Emulator, estate: Estate, tmp_path: Path
) -> None:
    # The rule exists in the member account only: every batch in the caller's is refused as a whole.
    put_rule(estate.member_config, RULE)

    report, lines = run(emulator, tmp_path, ResultTokens(default=RULE))

    assert len(lines) == 108
    failures = sorted(
        ((f.account_id, f.region, f.what, f.code, f.message, f.affects) for f in report.all_failures),
        key=lambda failure: failure[2],
    )
    assert failures == [
        (
            MANAGEMENT_ACCOUNT,
            REGION,
            "put 100 evaluations",
            "InvalidResultTokenException",
            "The resultToken provided is invalid",
            (DESIRED,),
        ),
        (
            MANAGEMENT_ACCOUNT,
            REGION,
            "put 5 evaluations",
            "InvalidResultTokenException",
            "The resultToken provided is invalid",
            (DESIRED,),
        ),
    ]
    assert report.exit_code(FailOn.NEVER) == EXIT_INCOMPLETE
    assert recorded(estate.member_config, RULE) == expected_from(lines, MEMBER_ACCOUNT)
    statuses = {(o.target.account_id, o.status.value) for o in report.outcomes}
    assert statuses == {(MANAGEMENT_ACCOUNT, "error"), (MEMBER_ACCOUNT, "ok")}


# --- one token per check ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TwoChecks:
    """Two instances on which the two checks disagree."""

    config: Any
    large_private: str  # m5.large, no open port: desired-instance-type NON_COMPLIANT, ec2-exposed COMPLIANT
    small_open: str  # t3.micro, SSH open to the world: desired-instance-type COMPLIANT, ec2-exposed NON_COMPLIANT


@pytest.fixture
def two_checks(emulator: Emulator, boto_session: Any) -> TwoChecks:
    ec2 = client(boto_session, "ec2", emulator.endpoint_url)
    group = str(ec2.create_security_group(GroupName="ssh", Description="ssh")["GroupId"])
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    return TwoChecks(
        config=client(boto_session, "config", emulator.endpoint_url),
        large_private=launch(ec2, 1, "m5.large")[0],
        small_open=launch(ec2, 1, "t3.micro", SecurityGroupIds=[group])[0],
    )


BOTH_CHECKS = {DESIRED: {"desiredInstanceType": "t3.micro"}, EXPOSED: {"ssh": "22"}}


def compliance_of(found: dict[tuple[str, str], tuple[str, str | None, datetime]]) -> dict[str, str]:
    return {resource_id: value[0] for (_, resource_id), value in found.items()}


def test_a_token_for_one_check_puts_only_that_checks_evaluations(
    emulator: Emulator, two_checks: TwoChecks, tmp_path: Path
) -> None:
    put_rule(two_checks.config, "rule-a")
    tokens = ResultTokens.parse([f"{DESIRED}=rule-a"], list(BOTH_CHECKS))

    report, lines = run(emulator, tmp_path, tokens, checks=selected(BOTH_CHECKS), source=CALLER_ONLY)

    assert report.all_failures == []
    assert {line["check"] for line in lines} == {DESIRED, EXPOSED}
    assert recorded(two_checks.config, "rule-a") == expected_from(lines, MANAGEMENT_ACCOUNT, DESIRED)
    assert compliance_of(recorded(two_checks.config, "rule-a")) == {
        two_checks.large_private: "NON_COMPLIANT",
        two_checks.small_open: "COMPLIANT",
    }
    # Nothing else was put anywhere in the account: one rule, two resources.
    by_resource = two_checks.config.describe_compliance_by_resource()["ComplianceByResources"]
    assert sorted(item["ResourceId"] for item in by_resource) == sorted(
        [two_checks.large_private, two_checks.small_open]
    )


def test_each_check_goes_to_its_own_rule(emulator: Emulator, two_checks: TwoChecks, tmp_path: Path) -> None:
    put_rule(two_checks.config, "rule-a")
    put_rule(two_checks.config, "rule-b")
    # The emulator reads "rule:anything" as the rule's token, as AWS would read its own opaque token.
    tokens = ResultTokens.parse([f"{DESIRED}=rule-a:abc=", f"{EXPOSED}=rule-b:xyz"], list(BOTH_CHECKS))

    report, lines = run(emulator, tmp_path, tokens, checks=selected(BOTH_CHECKS), source=CALLER_ONLY)

    assert report.all_failures == []
    assert recorded(two_checks.config, "rule-a") == expected_from(lines, MANAGEMENT_ACCOUNT, DESIRED)
    assert recorded(two_checks.config, "rule-b") == expected_from(lines, MANAGEMENT_ACCOUNT, EXPOSED)
    assert compliance_of(recorded(two_checks.config, "rule-b")) == {
        two_checks.large_private: "COMPLIANT",
        two_checks.small_open: "NON_COMPLIANT",
    }


def test_test_mode_puts_are_checked_but_record_nothing(
    emulator: Emulator, two_checks: TwoChecks, tmp_path: Path
) -> None:
    put_rule(two_checks.config, "rule-a")
    calls = put_evaluations_counter(emulator, MANAGEMENT_ACCOUNT)

    report, lines = run(
        emulator,
        tmp_path,
        ResultTokens(default="rule-a", test_mode=True),
        checks=selected(BOTH_CHECKS),
        source=CALLER_ONLY,
    )

    assert report.all_failures == []
    assert len(lines) == 4
    assert recorded(two_checks.config, "rule-a") == {}
    assert calls_counted(emulator, calls) == 1


# --- evaluations AWS Config refuses -------------------------------------------------------------------------------


@pytest.fixture
def five_instances(emulator: Emulator, boto_session: Any) -> tuple[Any, list[str]]:
    ec2 = client(boto_session, "ec2", emulator.endpoint_url)
    config = client(boto_session, "config", emulator.endpoint_url)
    put_rule(config, RULE)
    return config, sorted(launch(ec2, 4, "t3.micro") + launch(ec2, 1, "m5.large"))


@pytest.mark.parametrize("times", [3, 4, None])
def test_an_evaluation_refused_on_every_try_is_a_failure_of_its_target(
    emulator: Emulator, five_instances: tuple[Any, list[str]], tmp_path: Path, times: int | None
) -> None:
    config, instances = five_instances
    refused = instances[2]
    emulator.config.controls.fail_evaluations(refused, times=times)

    report, lines = run(emulator, tmp_path, ResultTokens(default=RULE), source=CALLER_ONLY)

    assert report.all_failures == [
        Failure(
            MANAGEMENT_ACCOUNT,
            REGION,
            "put 1 evaluations",
            "FailedEvaluations",
            f"AWS Config refused 1 evaluations after 3 tries: {refused}",
            (DESIRED,),
        )
    ]
    assert report.exit_code(FailOn.NONCOMPLIANT) == EXIT_INCOMPLETE
    assert report.exit_code(FailOn.NEVER) == EXIT_INCOMPLETE
    # Every other evaluation is recorded, and the refused one is not.
    expected = expected_from(lines, MANAGEMENT_ACCOUNT)
    del expected[("AWS::EC2::Instance", refused)]
    assert recorded(config, RULE) == expected
    assert len(expected) == 4
    # The evaluation is still in the scan's own output: only the put failed.
    assert refused in {line["resource_id"] for line in lines}


@pytest.mark.parametrize("times", [1, 2])
def test_an_evaluation_refused_fewer_times_than_the_tries_is_put(
    emulator: Emulator, five_instances: tuple[Any, list[str]], tmp_path: Path, times: int
) -> None:
    config, instances = five_instances
    emulator.config.controls.fail_evaluations(instances[0], times=times)
    calls = put_evaluations_counter(emulator, MANAGEMENT_ACCOUNT)

    report, lines = run(emulator, tmp_path, ResultTokens(default=RULE), source=CALLER_ONLY)

    assert report.all_failures == []
    assert report.exit_code(FailOn.NEVER) == 0
    assert recorded(config, RULE) == expected_from(lines, MANAGEMENT_ACCOUNT)
    assert len(lines) == 5
    # One call with all five, then one more per refusal with the refused evaluation alone.
    assert calls_counted(emulator, calls) == 1 + times


# --- the command line -----------------------------------------------------------------------------------------------


def cli_scan(tmp_path: Path, *arguments: str) -> Any:
    return CliRunner().invoke(
        cli,
        [
            "scan",
            "--regions",
            REGION,
            "--checks",
            DESIRED,
            "--param",
            f"{DESIRED}.desiredInstanceType=t3.micro",
            "--output",
            str(tmp_path / "cli.jsonl"),
            *arguments,
        ],
    )


def test_the_cli_puts_with_result_token(
    aws_env: Emulator, five_instances: tuple[Any, list[str]], tmp_path: Path
) -> None:
    config, instances = five_instances

    result = cli_scan(tmp_path, "--result-token", RULE)

    assert result.exit_code == 1, result.output
    lines = [json.loads(line) for line in (tmp_path / "cli.jsonl").read_text().splitlines()]
    assert {line["resource_id"] for line in lines} == set(instances)
    assert recorded(config, RULE) == expected_from(lines, MANAGEMENT_ACCOUNT)


def test_the_cli_reports_refused_evaluations_and_exits_3(
    aws_env: Emulator, five_instances: tuple[Any, list[str]], tmp_path: Path
) -> None:
    config, instances = five_instances
    aws_env.config.controls.fail_evaluations(instances[1])

    result = cli_scan(tmp_path, "--result-token", f"{DESIRED}={RULE}", "--output-dir", str(tmp_path / "dir"))

    assert result.exit_code == 3, result.output
    summary = json.loads((tmp_path / "dir" / "summary.json").read_text())
    assert [(t["account_id"], t["region"], t["status"], t["errors"]) for t in summary["targets"]] == [
        (
            MANAGEMENT_ACCOUNT,
            REGION,
            "error",
            [
                {
                    "what": "put 1 evaluations",
                    "code": "FailedEvaluations",
                    "message": f"AWS Config refused 1 evaluations after 3 tries: {instances[1]}",
                    "affects": [DESIRED],
                }
            ],
        )
    ]
    lines = [json.loads(line) for line in (tmp_path / "cli.jsonl").read_text().splitlines()]
    expected = expected_from(lines, MANAGEMENT_ACCOUNT)
    del expected[("AWS::EC2::Instance", instances[1])]
    assert recorded(config, RULE) == expected


def test_the_cli_put_test_mode_records_nothing(
    aws_env: Emulator, five_instances: tuple[Any, list[str]], tmp_path: Path
) -> None:
    config, _ = five_instances

    result = cli_scan(tmp_path, "--result-token", RULE, "--put-test-mode")

    assert result.exit_code == 1, result.output
    assert len((tmp_path / "cli.jsonl").read_text().splitlines()) == 5
    assert recorded(config, RULE) == {}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--put-test-mode"], "--put-test-mode needs --result-token"),
        (["--result-token", "desired-instnce-type=abc"], "desired-instnce-type is not a selected check"),
        (["--result-token", "a", "--result-token", "b"], "give one token for every check"),
        (["--result-token", ""], "the token for every check is empty"),
        (
            [
                *("--checks", "desired-instance-type,ec2-exposed-instance"),
                *("--param", "ec2-exposed-instance.web=8080", "--result-token", "one-rule"),
            ],
            "desired-instance-type and ec2-exposed-instance would put AWS::EC2::Instance evaluations under one rule's",
        ),
    ],
)
def test_result_token_mistakes_exit_2_before_any_call(
    aws_env: Emulator, tmp_path: Path, arguments: list[str], message: str
) -> None:
    calls = aws_env.faults.install(FaultRule.latency(1)).id

    result = cli_scan(tmp_path, *arguments)

    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "cli.jsonl").exists()
    assert calls_counted(aws_env, calls) == 0
