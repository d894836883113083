"""`--workers N`: the accounts dealt to N processes (`python -m scanner.worker_process`), the results merged as one
scan's.

A scan over workers must be indistinguishable from the same scan in one process: the same evaluation lines, the same
per-account files, summary, counts, outcomes and exit code. A failure in one worker's account, or a worker that dies,
must cost only what that worker held.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cloudsweep_emulator.faults import FaultRule
from cloudsweep_emulator.pytest_plugin import Estates
from cloudsweep_emulator.server import Emulator

from checks import BUILTIN
from scanner.aws.clients import Credentials
from scanner.aws.config_evaluations import ResultTokens
from scanner.cli import cli
from scanner.registry import SelectedCheck
from scanner.results import EXIT_INCOMPLETE, EXIT_NON_COMPLIANT, FailOn, Failure, ScanReport
from scanner.runner import run_scan
from scanner.scan.request import Access, AccountSource, Destinations, RunControl, ScanRequest
from scanner.scan.targets import Account
from scanner.scan.workers import deal
from tests.conftest import MANAGEMENT_ACCOUNT
from tests.support import assumed_session, client

MEMBER_ONE = "210987654321"
MEMBER_TWO = "333333333333"
ACCOUNTS = (MANAGEMENT_ACCOUNT, MEMBER_ONE, MEMBER_TWO)
ROLE = "OrganizationAccountAccessRole"
REGIONS = ("us-east-1", "eu-west-1")
AMI = "ami-0123456789abcdef0"
MANAGEMENT_CREDENTIALS = Credentials("AKIAIOSFODNN7EXAMPLE", "secret")
SCAN_TIME = datetime(2026, 5, 4, 3, 2, 1, 123000, tzinfo=UTC)
DESIRED = "desired-instance-type"
INACTIVE = "iam-inactive-user"
CHECKS = (
    SelectedCheck(
        BUILTIN.get(DESIRED), BUILTIN.get(DESIRED).parameters.parse(DESIRED, {"desiredInstanceType": "t3.micro"})
    ),
    SelectedCheck(BUILTIN.get(INACTIVE), BUILTIN.get(INACTIVE).parameters.parse(INACTIVE, {})),
)


# --- deal ---------------------------------------------------------------------------------------------------------


def accounts(*ids: str) -> list[Account]:
    return [Account(account_id, role=f"role-{account_id[-2:]}") for account_id in ids]


def ids(hands: list[list[Account]]) -> list[list[str]]:
    return [[account.account_id for account in hand] for hand in hands]


def test_deal_is_round_robin_in_account_id_order() -> None:
    dealt = deal(accounts("555555555555", "111111111111", "444444444444", "222222222222", "333333333333"), 2)

    assert ids(dealt) == [["111111111111", "333333333333", "555555555555"], ["222222222222", "444444444444"]]


def test_deal_keeps_each_account_as_given() -> None:
    given = accounts("222222222222", "111111111111")

    dealt = deal(given, 2)

    assert dealt == [[given[1]], [given[0]]]
    assert dealt[0][0] is given[1]


def test_deal_leaves_no_empty_hand() -> None:
    assert ids(deal(accounts("333333333333", "111111111111", "222222222222"), 5)) == [
        ["111111111111"],
        ["222222222222"],
        ["333333333333"],
    ]
    assert deal([], 3) == []


@pytest.mark.parametrize("count", [1, 2, 3, 7, 10, 11])
@pytest.mark.parametrize("workers", [1, 2, 3, 4, 8])
def test_deal_gives_every_account_exactly_once(count: int, workers: int) -> None:
    given = accounts(*(f"{(index * 7919) % 1000:012d}" for index in range(count)))

    dealt = deal(given, workers)

    flat = [account.account_id for hand in dealt for account in hand]
    assert sorted(flat) == sorted(account.account_id for account in given)
    assert len(flat) == len(set(flat)) == count
    assert len(dealt) == min(workers, count)
    assert all(hand for hand in dealt)
    # Hands differ in size by at most one, and the earlier hands take the extra accounts.
    sizes = [len(hand) for hand in dealt]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] - sizes[-1] <= 1


# --- the estate -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estate:
    # (account, region) -> instance ids; one m5.large per account-region, the rest t3.micro
    instances: dict[tuple[str, str], list[str]]
    # account -> IAM user ids
    users: dict[str, list[str]]

    def expected(self, *, without: frozenset[str] = frozenset()) -> set[tuple[str, str, str, str]]:
        """(account, region, check, resource id) of every evaluation a complete scan makes."""
        found = {
            (account, region, DESIRED, instance)
            for (account, region), instances in self.instances.items()
            for instance in instances
        }
        found |= {(account, "us-east-1", INACTIVE, user) for account, users in self.users.items() for user in users}
        return {item for item in found if item[0] not in without}


@pytest.fixture
def estate(emulator: Emulator, boto_session: Any, estates: Estates) -> Estate:
    return estates.get("workers estate", lambda: build_estate(emulator, boto_session))


def build_estate(emulator: Emulator, boto_session: Any) -> Estate:
    sessions = {MANAGEMENT_ACCOUNT: boto_session}
    for member in (MEMBER_ONE, MEMBER_TWO):
        sessions[member] = assumed_session(boto_session, emulator.endpoint_url, member, ROLE)
    instances: dict[tuple[str, str], list[str]] = {}
    users: dict[str, list[str]] = {}
    for number, (account, session) in enumerate(sessions.items()):
        for region_number, region in enumerate(REGIONS):
            ec2 = client(session, "ec2", emulator.endpoint_url, region)
            found = []
            for instance_type, count in (("t3.micro", 2 + number + region_number), ("m5.large", 1)):
                reservation = ec2.run_instances(ImageId=AMI, MinCount=count, MaxCount=count, InstanceType=instance_type)
                found += [instance["InstanceId"] for instance in reservation["Instances"]]
            instances[(account, region)] = found
        iam = client(session, "iam", emulator.endpoint_url)
        users[account] = [iam.create_user(UserName=f"user-{number}-{n}")["User"]["UserId"] for n in range(2)]
    return Estate(instances, users)


def request(
    emulator: Emulator,
    tmp_path: Path,
    name: str,
    workers: int,
    *,
    source: AccountSource | None = None,
    output_dir: bool = True,
    output: bool = True,
    result_tokens: ResultTokens | None = None,
) -> ScanRequest:
    return ScanRequest(
        checks=CHECKS,
        regions=REGIONS,
        source=source or AccountSource(accounts=tuple(Account(account_id) for account_id in ACCOUNTS)),
        access=Access(role_name=ROLE, endpoint_url=emulator.endpoint_url, credentials=MANAGEMENT_CREDENTIALS),
        destinations=Destinations(
            output=tmp_path / f"{name}.jsonl" if output else None,
            output_dir=tmp_path / f"{name}-dir" if output_dir else None,
            result_tokens=result_tokens or ResultTokens(),
        ),
        run=RunControl(now=SCAN_TIME, workers=workers),
    )


def lines_of(path: Path) -> list[str]:
    return sorted(path.read_text().splitlines())


def keys_of(lines: list[str]) -> set[tuple[str, str, str, str]]:
    records = [json.loads(line) for line in lines]
    found = {(r["account_id"], r["region"], r["check"], r["resource_id"]) for r in records}
    assert len(found) == len(records)
    return found


def outcomes_of(report: ScanReport) -> list[tuple[Any, ...]]:
    return [
        (
            outcome.target,
            outcome.status,
            [(f.account_id, f.region, f.what, f.code, f.message, f.affects) for f in outcome.failures],
            dict(outcome.counts),
        )
        for outcome in report.outcomes
    ]


def summary_of(directory: Path) -> dict[str, Any]:
    summary = json.loads((directory / "summary.json").read_text())
    for target in summary["targets"]:
        # Timings, and calls: the IAM credential report is polled until ready, and the first scan generates it.
        del target["seconds"], target["api_calls"]
    return summary


def account_files(directory: Path) -> dict[str, list[str]]:
    return {path.name: lines_of(path) for path in sorted(directory.glob("*.jsonl"))}


# --- the same scan over one process and over two -------------------------------------------------------------------


@pytest.mark.slow
def test_two_workers_make_exactly_the_scan_one_process_makes(
    emulator: Emulator, estate: Estate, tmp_path: Path
) -> None:
    alone = run_scan(request(emulator, tmp_path, "alone", workers=1))
    shared = run_scan(request(emulator, tmp_path, "shared", workers=2))
    files_only = run_scan(request(emulator, tmp_path, "files", workers=2, output=False))

    assert alone.all_failures == []
    assert keys_of(lines_of(tmp_path / "alone.jsonl")) == estate.expected()
    # The same lines, byte for byte (one ordering timestamp for the whole scan), in whatever order they came.
    assert lines_of(tmp_path / "shared.jsonl") == lines_of(tmp_path / "alone.jsonl")
    assert not (tmp_path / "files.jsonl").exists()
    expected_files = account_files(tmp_path / "alone-dir")
    assert sorted(expected_files) == sorted(f"{account}.jsonl" for account in ACCOUNTS)
    assert account_files(tmp_path / "shared-dir") == expected_files
    assert account_files(tmp_path / "files-dir") == expected_files
    for report, name in ((shared, "shared"), (files_only, "files")):
        assert report.all_failures == []
        assert report.caller_account == alone.caller_account == MANAGEMENT_ACCOUNT
        assert report.started == alone.started == SCAN_TIME
        assert report.counts.counts == alone.counts.counts
        assert report.counts.total == len(estate.expected())
        assert report.targets_total == alone.targets_total == len(ACCOUNTS) * len(REGIONS)
        assert outcomes_of(report) == outcomes_of(alone)
        assert report.exit_code(FailOn.NONCOMPLIANT) == alone.exit_code(FailOn.NONCOMPLIANT) == EXIT_NON_COMPLIANT
        summary, expected_summary = summary_of(tmp_path / f"{name}-dir"), summary_of(tmp_path / "alone-dir")
        assert summary["targets"] == expected_summary["targets"]
        assert {(t["account_id"], t["region"]) for t in summary["targets"]} == {
            (account, region) for account in ACCOUNTS for region in REGIONS
        }
        assert all(target["status"] == "ok" for target in summary["targets"])
        assert summary["totals"]["evaluations"] == expected_summary["totals"]["evaluations"] == len(estate.expected())
        assert summary["totals"]["targets"] == expected_summary["totals"]["targets"] == 6
        assert summary["errors"] == expected_summary["errors"] == []
        assert (summary["caller_account"], summary["started"]) == (MANAGEMENT_ACCOUNT, "2026-05-04T03:02:01.123000Z")


@pytest.mark.slow
def test_more_workers_than_accounts_scans_each_account_once(emulator: Emulator, estate: Estate, tmp_path: Path) -> None:
    report = run_scan(request(emulator, tmp_path, "many", workers=8, output_dir=False))

    assert report.all_failures == []
    assert keys_of(lines_of(tmp_path / "many.jsonl")) == estate.expected()
    assert len(lines_of(tmp_path / "many.jsonl")) == len(estate.expected())


@pytest.mark.slow
def test_an_account_that_cannot_be_entered_fails_only_its_targets(
    emulator: Emulator, estate: Estate, tmp_path: Path
) -> None:
    emulator.faults.add(FaultRule.access_denied(account=MEMBER_ONE, operation="AssumeRole"))

    report = run_scan(request(emulator, tmp_path, "denied", workers=2))

    assert keys_of(lines_of(tmp_path / "denied.jsonl")) == estate.expected(without=frozenset({MEMBER_ONE}))
    failed = [(f.account_id, f.region, f.what, f.code, f.affects) for f in report.all_failures]
    assert sorted(failed) == [
        (MEMBER_ONE, region, "assume role", "AccessDenied", ("every check",)) for region in sorted(REGIONS)
    ]
    assert all(f.message.startswith("cannot assume the scan role: ") for f in report.all_failures)
    assert report.exit_code(FailOn.NONCOMPLIANT) == EXIT_INCOMPLETE
    summary = summary_of(tmp_path / "denied-dir")
    statuses = {(t["account_id"], t["region"]): t["status"] for t in summary["targets"]}
    assert statuses == {
        (account, region): "error" if account == MEMBER_ONE else "ok" for account in ACCOUNTS for region in REGIONS
    }
    assert sorted(path.name for path in (tmp_path / "denied-dir").iterdir()) == sorted(
        [f"{MANAGEMENT_ACCOUNT}.jsonl", f"{MEMBER_TWO}.jsonl", "summary.json"]
    )


class ExitOnUnpickle:
    """A value that ends whichever process unpickles it, at once: what a worker that crashes looks like."""

    def __reduce__(self) -> tuple[Any, tuple[int]]:
        return (os._exit, (17,))


@pytest.mark.slow
def test_a_worker_that_dies_fails_the_scan_and_the_other_worker_finishes(
    emulator: Emulator, estate: Estate, tmp_path: Path
) -> None:
    # Dealt in id order, MEMBER_ONE is the second worker's only account; its job dies as the worker reads it.
    poisoned = Account(MEMBER_ONE, tags={"crash": ExitOnUnpickle()})
    source = AccountSource(accounts=(Account(MANAGEMENT_ACCOUNT), poisoned, Account(MEMBER_TWO)))

    report = run_scan(request(emulator, tmp_path, "dead", workers=2, source=source))

    assert report.failures == [
        Failure(
            "-",
            "-",
            "worker 1",
            "WorkerFailed",
            f"worker 1 exited with status 17; 0 targets it finished are reported, 2 it held are failures: "
            f"{MEMBER_ONE}/us-east-1, {MEMBER_ONE}/eu-west-1",
            ("every check",),
        )
    ]
    lost = [f for f in report.all_failures if f.what == "target"]
    assert [(f.account_id, f.region, f.code) for f in lost] == [
        (MEMBER_ONE, "eu-west-1", "WorkerFailed"),
        (MEMBER_ONE, "us-east-1", "WorkerFailed"),
    ]
    assert all(f.message == "worker 1 exited with status 17 before this target was scanned" for f in lost)
    assert report.exit_code(FailOn.NEVER) == EXIT_INCOMPLETE
    assert keys_of(lines_of(tmp_path / "dead.jsonl")) == estate.expected(without=frozenset({MEMBER_ONE}))
    summary = json.loads((tmp_path / "dead-dir" / "summary.json").read_text())
    assert [e["code"] for e in summary["errors"]] == ["WorkerFailed"]
    assert {(t["account_id"], t["status"]) for t in summary["targets"]} == {
        (MANAGEMENT_ACCOUNT, "ok"),
        (MEMBER_TWO, "ok"),
        (MEMBER_ONE, "error"),
    }
    assert summary["totals"]["evaluations"] == len(lines_of(tmp_path / "dead.jsonl"))


def test_a_scan_left_with_no_account_fails_alike_with_and_without_workers(emulator: Emulator, tmp_path: Path) -> None:
    source = AccountSource(
        accounts=(Account(MANAGEMENT_ACCOUNT), Account(MEMBER_ONE)),
        exclude=frozenset({MANAGEMENT_ACCOUNT, MEMBER_ONE}),
    )
    expected = [
        Failure(
            "-",
            "-",
            "accounts",
            "NoAccounts",
            "nothing scanned: none of the 2 accounts given is left after --exclude-accounts",
            ("every check",),
        )
    ]
    for name, workers in (("alone", 1), ("shared", 2)):
        previous = tmp_path / f"{name}.jsonl"
        previous.write_text('{"earlier": "scan"}\n')

        report = run_scan(request(emulator, tmp_path, name, workers=workers, source=source))

        assert (report.all_failures, report.outcomes, report.exit_code(FailOn.NONCOMPLIANT)) == (
            expected,
            [],
            EXIT_INCOMPLETE,
        )
        # A scan that read nothing leaves the earlier outputs as they were, and no temporary file behind.
        assert previous.read_text() == '{"earlier": "scan"}\n'
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(f"{name}.")) == [f"{name}.jsonl"]
        assert list((tmp_path / f"{name}-dir").iterdir()) == []


def recorded_ids(session: Any, endpoint_url: str, region: str, rule: str) -> dict[str, str]:
    config = client(session, "config", endpoint_url, region)
    found: dict[str, str] = {}
    token: str | None = None
    while True:
        page = config.get_compliance_details_by_config_rule(
            ConfigRuleName=rule, Limit=100, **({"NextToken": token} if token else {})
        )
        for result in page["EvaluationResults"]:
            qualifier = result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]
            found[qualifier["ResourceId"]] = result["ComplianceType"]
        token = page.get("NextToken")
        if not token:
            return found


@pytest.mark.slow
def test_workers_put_evaluations_into_the_accounts_they_scan(
    emulator: Emulator, estate: Estate, boto_session: Any, tmp_path: Path
) -> None:
    sessions = {
        account: boto_session
        if account == MANAGEMENT_ACCOUNT
        else assumed_session(boto_session, emulator.endpoint_url, account, ROLE)
        for account in ACCOUNTS
    }
    for session in sessions.values():
        for region in REGIONS:
            client(session, "config", emulator.endpoint_url, region).put_config_rule(
                ConfigRule={"ConfigRuleName": "desired", "Source": {"Owner": "CUSTOM_POLICY"}}
            )
    tokens = ResultTokens.parse([f"{DESIRED}=desired"], [DESIRED, INACTIVE])

    report = run_scan(request(emulator, tmp_path, "put", workers=2, output_dir=False, result_tokens=tokens))

    assert report.all_failures == []
    lines = [json.loads(line) for line in lines_of(tmp_path / "put.jsonl")]
    for account, session in sessions.items():
        for region in REGIONS:
            assert recorded_ids(session, emulator.endpoint_url, region, "desired") == {
                line["resource_id"]: line["compliance"]
                for line in lines
                if (line["account_id"], line["region"], line["check"]) == (account, region, DESIRED)
            }
            assert len(recorded_ids(session, emulator.endpoint_url, region, "desired")) == len(
                estate.instances[(account, region)]
            )


# --- the command line -----------------------------------------------------------------------------------------------


def cli_scan(tmp_path: Path, name: str, workers: int, endpoint_url: str | None) -> Any:
    endpoint = ["--endpoint-url", endpoint_url] if endpoint_url else []
    return CliRunner().invoke(
        cli,
        [
            "scan",
            "--accounts",
            ",".join(ACCOUNTS),
            "--role-name",
            ROLE,
            "--regions",
            ",".join(REGIONS),
            "--checks",
            DESIRED,
            "--param",
            f"{DESIRED}.desiredInstanceType=t3.micro",
            "--output",
            str(tmp_path / f"{name}.jsonl"),
            "--output-dir",
            str(tmp_path / f"{name}-dir"),
            *endpoint,
            "--workers",
            str(workers),
        ],
    )


@pytest.mark.slow
@pytest.mark.parametrize("endpoint_from", ["option", "environment"])
def test_the_cli_with_two_workers(
    aws_env: Emulator, estate: Estate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, endpoint_from: str
) -> None:
    # The workers inherit the environment (credentials, and AWS_ENDPOINT_URL when that is where the endpoint is).
    endpoint_url: str | None = aws_env.endpoint_url
    if endpoint_from == "option":
        monkeypatch.delenv("AWS_ENDPOINT_URL")
    else:
        endpoint_url = None

    two = cli_scan(tmp_path, "two", 2, endpoint_url)
    one = cli_scan(tmp_path, "one", 1, endpoint_url)

    assert two.exit_code == one.exit_code == EXIT_NON_COMPLIANT, two.output
    expected = {key for key in estate.expected() if key[2] == DESIRED}
    assert keys_of(lines_of(tmp_path / "two.jsonl")) == expected
    # One ordering timestamp for the whole scan, whichever worker made the evaluation.
    assert len({json.loads(line)["ordering_timestamp"] for line in lines_of(tmp_path / "two.jsonl")}) == 1

    # The ordering timestamps differ between the two runs (each is stamped when it starts): compare the rest.
    def without_time(lines: list[str]) -> list[dict[str, Any]]:
        records = [json.loads(line) for line in lines]
        for record in records:
            del record["ordering_timestamp"]
        return sorted(records, key=json.dumps)

    assert without_time(lines_of(tmp_path / "two.jsonl")) == without_time(lines_of(tmp_path / "one.jsonl"))
    assert {path.name for path in (tmp_path / "two-dir").iterdir()} == {
        *(f"{account}.jsonl" for account in ACCOUNTS),
        "summary.json",
    }
    summary = json.loads((tmp_path / "two-dir" / "summary.json").read_text())
    assert {(t["account_id"], t["region"], t["status"]) for t in summary["targets"]} == {
        (account, region, "ok") for account in ACCOUNTS for region in REGIONS
    }
    assert summary["totals"]["evaluations"] == len(expected)
    # Every line of the merged output is in the file of the account it belongs to.
    per_account = [line for account in ACCOUNTS for line in lines_of(tmp_path / "two-dir" / f"{account}.jsonl")]
    assert sorted(per_account) == lines_of(tmp_path / "two.jsonl")
