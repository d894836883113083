"""`--output [FORMAT:]PATH` reports and `--mutelist`, from end-to-end emulator scans through the CLI: every format is
read back and compared with the scan's own JSON lines."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cloudsweep_emulator.server import Emulator

from scanner.cli import cli
from scanner.errors import UsageError
from scanner.outputs.asff import validate_asff
from scanner.outputs.reports import OutputFormat, OutputSpec
from tests.outputs.test_ocsf import validated
from tests.support import assumed_session, client

AMI = "ami-0123456789abcdef0"
CHECKS = "desired-instance-type,restricted-ssh,s3-bucket-versioning-enabled,iam-password-policy"
MUTELIST = """
entries:
  - reason: "Sandbox instances may be any size (TICKET-7)"
    checks: ["desired-instance-type"]
    tags:
      env: "sandbox"
  - reason: "An old exception"
    checks: ["*"]
    expires: 2020-01-01
"""


@pytest.fixture
def estate(aws_env: Emulator, boto_session: Any) -> dict[str, Any]:
    ec2 = client(boto_session, "ec2", aws_env.endpoint_url)
    small = ec2.run_instances(ImageId=AMI, MinCount=2, MaxCount=2, InstanceType="t3.micro")["Instances"]
    sandbox = ec2.run_instances(
        ImageId=AMI,
        MinCount=1,
        MaxCount=1,
        InstanceType="m5.large",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "env", "Value": "sandbox"}]}],
    )["Instances"][0]
    large = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="m5.large")["Instances"][0]
    group = ec2.create_security_group(GroupName="open-ssh", Description="ssh")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    client(boto_session, "s3", aws_env.endpoint_url).create_bucket(Bucket="reports-bucket")
    return {
        "small": sorted(instance["InstanceId"] for instance in small),
        "sandbox": sandbox["InstanceId"],
        "large": large["InstanceId"],
        "group": group,
    }


def scan(aws_env: Emulator, tmp_path: Path, *extra: str, checks: str = CHECKS) -> Result:
    (tmp_path / "mutelist.yaml").write_text(MUTELIST, encoding="utf-8")
    return CliRunner().invoke(
        cli,
        [
            "scan",
            "--checks",
            checks,
            "--param",
            "desired-instance-type.desiredInstanceType=t3.micro",
            "--regions",
            "us-east-1",
            "--endpoint-url",
            aws_env.endpoint_url,
            "--mutelist",
            str(tmp_path / "mutelist.yaml"),
            *extra,
        ],
        env={"COLUMNS": "200"},  # the summary tables' rows on one line each
    )


def test_every_format_holds_the_same_evaluations(aws_env: Emulator, estate: dict[str, Any], tmp_path: Path) -> None:
    outputs = {
        "jsonl": tmp_path / "out" / "all.jsonl",
        "json": tmp_path / "out" / "all.json",
        "csv": tmp_path / "out" / "all.csv",
        "html": tmp_path / "out" / "report.html",
        "second-jsonl": tmp_path / "out" / "evaluations.txt",
        "ocsf": tmp_path / "out" / "findings.ocsf.json",
        "asff": tmp_path / "out" / "findings.asff.json",
    }
    arguments = [argument for path in outputs.values() for argument in ("--output", str(path))]
    result = scan(aws_env, tmp_path, *arguments)
    assert result.exit_code == 1, result.output  # restricted-ssh and the untagged m5.large are not suppressed
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == sorted(p.name for p in outputs.values())

    lines = [json.loads(line) for line in outputs["jsonl"].read_text().splitlines()]
    assert outputs["second-jsonl"].read_text() == outputs["jsonl"].read_text()
    by_resource = {(record["check"], record["resource_id"]): record for record in lines}
    sandbox = by_resource[("desired-instance-type", estate["sandbox"])]
    assert (sandbox["compliance"], sandbox["suppressed"], sandbox["suppression_reason"]) == (
        "NON_COMPLIANT",
        True,
        "Sandbox instances may be any size (TICKET-7)",
    )
    assert sandbox["suppression_entry"].endswith("mutelist.yaml entries[0]")
    large = by_resource[("desired-instance-type", estate["large"])]
    assert large["compliance"] == "NON_COMPLIANT"
    assert "suppressed" not in large
    assert by_resource[("restricted-ssh", estate["group"])]["compliance"] == "NON_COMPLIANT"
    assert (
        len(lines) == 4 + 2 + 1 + 1
    )  # 4 instances, 2 security groups (the default and open-ssh), a bucket, the account

    document = json.loads(outputs["json"].read_text())
    assert re.fullmatch(r"[0-9a-f-]{36}", document["scan"]["scan_id"])
    assert [
        {k: v for k, v in record.items() if k not in ("title", "severity", "remediation")}
        for record in document["evaluations"]
    ] == lines
    assert document["evaluations"][0]["severity"] in {"low", "high", "medium"}
    summary = document["summary"]
    assert summary["evaluations"] == len(lines)
    assert summary["suppressed"] == 1
    non_compliant = sum(1 for record in lines if record["compliance"] == "NON_COMPLIANT")
    # NON_COMPLIANT counts the unsuppressed, as the terminal's tables and --fail-on do; SUPPRESSED the others.
    assert summary["by_compliance"]["NON_COMPLIANT"] == non_compliant - 1
    assert summary["by_compliance"]["SUPPRESSED"] == 1
    assert sum(summary["non_compliant_by_severity"].values()) == non_compliant - 1
    assert summary["by_check"]["desired-instance-type"] == {
        "title": "EC2 instances use a desired instance type",
        "severity": "low",
        "COMPLIANT": 2,
        "NON_COMPLIANT": 1,
        "SUPPRESSED": 1,
    }
    assert summary["by_account"]["123456789012"]["SUPPRESSED"] == 1
    assert summary["caller_account"] == "123456789012"
    assert "caller_account" not in document["scan"], "not known when the document starts"
    assert not any(record.get("suppressed") for record in lines if record["compliance"] != "NON_COMPLIANT")

    with outputs["csv"].open(newline="", encoding="utf-8") as rows:
        read = list(csv.DictReader(rows))
    assert [row["resource_id"] for row in read] == [record["resource_id"] for record in lines]
    for row, record in zip(read, lines, strict=True):
        assert {key: row[key] for key in ("account_id", "region", "check", "resource_type", "compliance")} == {
            key: record[key] for key in ("account_id", "region", "check", "resource_type", "compliance")
        }
        assert row["annotation"] == (record["annotation"] or "")
        assert row["suppressed"] == ("true" if record.get("suppressed") else "false")
    assert {row["severity"] for row in read if row["check"] == "restricted-ssh"} == {"high"}

    page = outputs["html"].read_text()
    assert page.count("<tr data-severity=") == non_compliant
    assert 'data-suppressed="true" class="suppressed"' in page
    assert estate["large"] in page
    assert estate["sandbox"] in page
    assert not re.search(r"""(src|href)=["']?https?:""", page), "the page loads nothing from the network"
    assert "<svg" in page
    assert "chart-severity" in page

    events = json.loads(outputs["ocsf"].read_text())
    assert [event["resources"][0]["uid"] for event in events] == [record["resource_id"] for record in lines]
    for event in events:
        validated(event)
    statuses = {event["resources"][0]["uid"]: (event["compliance"]["status"], event["status"]) for event in events}
    assert statuses[estate["sandbox"]] == ("Fail", "Suppressed")
    assert statuses[estate["large"]] == ("Fail", "New")

    findings = json.loads(outputs["asff"].read_text())
    assert len(findings) == len(lines)
    assert [problem for finding in findings for problem in validate_asff(finding)] == []
    by_id = {finding["ProductFields"]["cloudsweep/resource_id"]: finding for finding in findings}
    assert by_id[estate["sandbox"]]["Workflow"]["Status"] == "SUPPRESSED"
    assert by_id[estate["large"]]["Compliance"]["Status"] == "FAILED"
    assert by_id[estate["small"][0]]["Compliance"]["Status"] == "PASSED"


@pytest.mark.parametrize(
    ("fail_on", "code"), [("noncompliant", 1), ("high", 1), ("critical", 0), ("error", 0), ("never", 0)]
)
def test_fail_on_weighs_only_unsuppressed_findings_by_severity(
    aws_env: Emulator, estate: dict[str, Any], tmp_path: Path, fail_on: str, code: int
) -> None:
    result = scan(aws_env, tmp_path, "--output", str(tmp_path / "o.jsonl"), "--fail-on", fail_on)
    assert result.exit_code == code, result.output


def test_suppressing_every_finding_passes_the_gate(aws_env: Emulator, estate: dict[str, Any], tmp_path: Path) -> None:
    everything = tmp_path / "all.yaml"
    everything.write_text('entries:\n  - reason: "accepted for the test"\n', encoding="utf-8")
    result = scan(aws_env, tmp_path, "--output", str(tmp_path / "o.jsonl"), "--mutelist", str(everything))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert all(record.get("suppressed") for record in records if record["compliance"] == "NON_COMPLIANT")
    assert "suppressed" in result.output  # the summary tables have the column


def test_summary_tables_per_check_and_per_account(aws_env: Emulator, estate: dict[str, Any], tmp_path: Path) -> None:
    result = scan(aws_env, tmp_path, "--output", str(tmp_path / "o.jsonl"))
    assert "Evaluations per check" in result.output
    assert "Evaluations per account" in result.output
    check_row = next(line for line in result.output.splitlines() if "desired-instance-type" in line and "low" in line)
    assert re.findall(r"\d+", check_row) == ["2", "1", "1", "0"]


def test_a_bad_mutelist_stops_the_scan_before_it_starts(
    aws_env: Emulator, estate: dict[str, Any], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("entries:\n  - checks: ['x']\n", encoding="utf-8")
    result = scan(aws_env, tmp_path, "--output", str(tmp_path / "o.jsonl"), "--mutelist", str(bad))
    assert result.exit_code == 2
    assert "bad.yaml" in result.output
    assert "reason" in result.output
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("out.jsonl", OutputSpec(OutputFormat.JSONL, Path("out.jsonl"))),
        ("out.json", OutputSpec(OutputFormat.JSON, Path("out.json"))),
        ("out.OCSF.json", OutputSpec(OutputFormat.OCSF, Path("out.OCSF.json"))),
        ("out.asff.json", OutputSpec(OutputFormat.ASFF, Path("out.asff.json"))),
        ("out.csv", OutputSpec(OutputFormat.CSV, Path("out.csv"))),
        ("report.htm", OutputSpec(OutputFormat.HTML, Path("report.htm"))),
        ("csv:findings.txt", OutputSpec(OutputFormat.CSV, Path("findings.txt"))),
        ("OCSF:x.json", OutputSpec(OutputFormat.OCSF, Path("x.json"))),
        ("evaluations.log", OutputSpec(OutputFormat.JSONL, Path("evaluations.log"))),
        ("C:/reports/x.csv", OutputSpec(OutputFormat.CSV, Path("C:/reports/x.csv"))),
    ],
)
def test_the_format_comes_from_the_prefix_or_the_suffix(value: str, expected: OutputSpec) -> None:
    assert OutputSpec.parse(value) == expected


def test_bad_outputs_are_clear_errors(aws_env: Emulator, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--output 'html:': no path after html:"):
        OutputSpec.parse("html:")
    twice = scan(aws_env, tmp_path, "--output", str(tmp_path / "a.csv"), "--output", f"csv:{tmp_path / 'a.csv'}")
    assert twice.exit_code == 2
    assert "--output: the same file is named twice" in twice.output


def test_diff_of_two_periodic_runs_lists_what_changed(
    aws_env: Emulator, boto_session: Any, estate: dict[str, Any], tmp_path: Path
) -> None:
    first = scan(aws_env, tmp_path, "--output", str(tmp_path / "monday.json"))
    assert first.exit_code == 1, first.output
    ec2 = client(boto_session, "ec2", aws_env.endpoint_url)
    ec2.revoke_security_group_ingress(
        GroupId=estate["group"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    ec2.terminate_instances(InstanceIds=[estate["large"]])
    added = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="c5.xlarge")["Instances"][0]
    second = scan(aws_env, tmp_path, "--output", str(tmp_path / "tuesday.jsonl"))
    assert second.exit_code == 1, second.output

    result = CliRunner().invoke(
        cli, ["diff", str(tmp_path / "monday.json"), str(tmp_path / "tuesday.jsonl"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    changes = json.loads(result.stdout)

    def ids(change: str) -> set[tuple[str, str]]:
        return {(item["check"], item["resource_id"]) for item in changes[change]}

    assert ids("new") == {("desired-instance-type", added["InstanceId"])}
    assert ids("resolved") == {("restricted-ssh", estate["group"])}
    assert ids("gone") == {("desired-instance-type", estate["large"])}
    assert ids("suppressed") == {("desired-instance-type", estate["sandbox"])}
    assert ("s3-bucket-versioning-enabled", "reports-bucket") in ids("unchanged")
    gate = CliRunner().invoke(
        cli, ["diff", str(tmp_path / "monday.json"), str(tmp_path / "tuesday.jsonl"), "--fail-on-new"]
    )
    assert gate.exit_code == 1
    assert added["InstanceId"] in gate.stdout
    missing = CliRunner().invoke(cli, ["diff", str(tmp_path / "nope.jsonl"), str(tmp_path / "tuesday.jsonl")])
    assert missing.exit_code == 2
    assert "nope.jsonl" in missing.output


@pytest.mark.slow
def test_reports_from_two_workers_hold_what_one_process_writes(
    aws_env: Emulator, boto_session: Any, tmp_path: Path
) -> None:
    organizations = client(boto_session, "organizations", aws_env.endpoint_url)
    organizations.create_organization(FeatureSet="ALL")
    members = []
    for name in ("one", "two", "three"):
        status = organizations.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
        members.append(status["AccountId"])
        session = assumed_session(boto_session, aws_env.endpoint_url, status["AccountId"])
        ec2 = client(session, "ec2", aws_env.endpoint_url)
        ec2.run_instances(
            ImageId=AMI,
            MinCount=2,
            MaxCount=2,
            InstanceType="m5.large",
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "env", "Value": "sandbox"}]}],
        )
        ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="m5.large")

    def reports(directory: Path, *workers: str) -> dict[str, Any]:
        directory.mkdir()
        result = scan(
            aws_env,
            directory,
            "--accounts",
            ",".join(members),
            "--role-name",
            "OrganizationAccountAccessRole",
            "--output",
            str(directory / "all.json"),
            "--output",
            str(directory / "all.csv"),
            *workers,
        )
        assert result.exit_code == 1, result.output
        document = json.loads((directory / "all.json").read_text())
        # Two scans, two ordering timestamps: everything else must be the same.
        with (directory / "all.csv").open(newline="", encoding="utf-8") as lines:
            rows = sorted(
                (tuple(sorted(row.items())) for row in csv.DictReader(lines) if row.pop("ordering_timestamp")),
            )
        key = ("account_id", "check", "resource_id")
        for record in document["evaluations"]:
            del record["ordering_timestamp"]
        evaluations = sorted(document["evaluations"], key=lambda record: tuple(record[k] for k in key))
        return {"evaluations": evaluations, "summary": document["summary"], "csv": rows}

    alone = reports(tmp_path / "alone")
    shared = reports(tmp_path / "shared", "--workers", "2")
    for part in ("summary", "csv", "evaluations"):
        for index, (got, want) in enumerate(zip(shared[part], alone[part], strict=True)):
            assert got == want, (part, index)
    assert alone["summary"]["suppressed"] == 6  # two sandbox instances in each of three accounts


def test_fail_on_critical_fails_for_a_critical_finding(aws_env: Emulator, boto_session: Any, tmp_path: Path) -> None:
    s3 = client(boto_session, "s3", aws_env.endpoint_url)
    # What a public ACL takes since April 2023: ACLs enabled and the bucket's public access block lifted.
    s3.create_bucket(Bucket="public-reads", ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket="public-reads")
    s3.put_bucket_acl(Bucket="public-reads", ACL="public-read")
    result = scan(
        aws_env, tmp_path, "--output", str(tmp_path / "o.jsonl"), "--fail-on", "critical",
        checks="s3-bucket-public-read-prohibited,restricted-ssh",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    suppress = tmp_path / "mute-critical.yaml"
    suppress.write_text('entries:\n  - reason: "a public website bucket"\n    checks: ["s3-*"]\n', encoding="utf-8")
    muted = scan(
        aws_env, tmp_path, "--output", str(tmp_path / "o.jsonl"), "--fail-on", "critical", "--mutelist", str(suppress),
        checks="s3-bucket-public-read-prohibited,restricted-ssh",
    )  # fmt: skip
    assert muted.exit_code == 0, muted.output


def test_a_scan_stopped_by_an_error_leaves_earlier_reports_as_they_were(aws_env: Emulator, tmp_path: Path) -> None:
    previous = {tmp_path / "a.jsonl": "earlier lines\n", tmp_path / "a.html": "<p>earlier</p>"}
    for path, text in previous.items():
        path.write_text(text, encoding="utf-8")
    # Another account without a role to assume: a usage error once the outputs are open.
    result = scan(aws_env, tmp_path, "--output", str(tmp_path / "a.jsonl"), "--output", str(tmp_path / "a.html"),
                  "--accounts", "111111111111")  # fmt: skip
    assert result.exit_code == 2, result.output
    assert {path: path.read_text(encoding="utf-8") for path in previous} == previous
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith("a.")) == ["a.html", "a.jsonl"]


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from checks import BUILTIN
    from scanner.model import Compliance, Evaluation
    from scanner.outputs.findings import Finding
    from scanner.outputs.reports import CsvWriter

    writer = CsvWriter(tmp_path / "x.csv")
    evaluation = Evaluation(
        "123456789012", "us-east-1", "restricted-ssh", "AWS::EC2::SecurityGroup", "-sg",
        Compliance.NON_COMPLIANT, '=HYPERLINK("http://x","y")', datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    writer.write(Finding(evaluation, BUILTIN.get("restricted-ssh")))
    writer.close({})
    with (tmp_path / "x.csv").open(newline="", encoding="utf-8") as rows:
        (row,) = list(csv.DictReader(rows))
    assert (row["resource_id"], row["annotation"]) == ("'-sg", '\'=HYPERLINK("http://x","y")')
    assert row["check"] == "restricted-ssh"
