"""Checks from --checks-dir files and `cloudsweep.checks` entry points: loaded beside the built-ins, never over them."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cloudsweep_emulator.server import Emulator

from checks import BUILTIN
from scanner.cli import cli
from scanner.plugins import CheckLoadError, checks_dirs_from, load_registry
from scanner.registry import ParameterValues, Snapshot
from scanner.testing import scheduled_event
from tests.support import client


def check_source(check_id: str, *, variable: str = "CHECK", extra: str = "") -> str:
    """A complete account check file, as a user writes one."""
    return textwrap.dedent(
        f'''
        from scanner.model import Compliance
        from scanner.registry import Check, CheckScope, ParameterValues, Result, Severity, Snapshot


        def evaluate(snapshot: Snapshot, params: ParameterValues) -> Result:
            return Result(Compliance.NON_COMPLIANT, "{check_id} says no to " + snapshot.account_id)


        {variable} = Check(
            id="{check_id}",
            title="A user check",
            description="Always non-compliant.",
            rationale="To test loading.",
            severity=Severity.LOW,
            remediation="None needed.",
            remediation_cli="aws sts get-caller-identity",
            scope=CheckScope.ACCOUNT,
            evaluate_account=evaluate,
            {extra}
        )
        '''
    )


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_directory_adds_its_checks_to_the_builtins(tmp_path: Path) -> None:
    write(tmp_path, "first.py", check_source("user-first"))
    write(tmp_path, "several.py", check_source("user-second").replace("CHECK = Check(", "CHECKS = [Check(") + "]\n")
    write(tmp_path, "_helpers.py", "raise RuntimeError('helpers are not loaded')\n")
    write(tmp_path, "test_first.py", "raise RuntimeError('tests are not loaded')\n")
    write(tmp_path, "notes.txt", "not python")
    registry = load_registry([tmp_path])
    assert len(registry) == len(BUILTIN) + 2
    assert registry.source("user-first") == str(tmp_path / "first.py")
    assert registry.source("user-second") == str(tmp_path / "several.py")
    assert registry.source("restricted-ssh") == "built-in"
    assert load_registry([tmp_path]).get("user-first") is registry.get("user-first"), "a file is imported once"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "clash.py",
            check_source("restricted-ssh"),
            "check id 'restricted-ssh' is registered twice: from built-in and from {path}",
        ),
        ("broken.py", "def evaluate(:\n", "{path}: SyntaxError: invalid syntax"),
        (
            "empty.py",
            "VALUE = 1\n",
            "{path}: defines no check (a module-level CHECK or CHECKS of scanner.registry.Check)",
        ),
        (
            "wrong.py",
            "CHECK = 'restricted-ssh'\n",
            "{path}: CHECK/CHECKS must be scanner.registry.Check values, got str",
        ),
        (
            "half.py",
            check_source("half-done").replace('rationale="To test loading."', 'rationale=""'),
            "{path}: CheckDefinitionError: check 'half-done': rationale is empty",
        ),
        (
            "raises.py",
            "import no_such_module_anywhere\n",
            "{path}: ModuleNotFoundError: No module named 'no_such_module_anywhere'",
        ),
    ],
)
def test_a_bad_file_is_a_clear_error_naming_it(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(CheckLoadError) as raised:
        load_registry([tmp_path])
    assert str(raised.value).startswith(message.format(path=path))


def test_two_files_with_one_id_or_one_name_are_refused(tmp_path: Path) -> None:
    write(tmp_path / "a", "one.py", check_source("user-same"))
    write(tmp_path / "b", "two.py", check_source("user-same"))
    with pytest.raises(CheckLoadError, match=r"'user-same' is registered twice: from .*a/one.py and from .*b/two.py"):
        load_registry([tmp_path / "a", tmp_path / "b"])
    write(tmp_path / "c", "one.py", check_source("user-other"))
    with pytest.raises(
        CheckLoadError, match=r"c/one.py: a checks file named one.py was already loaded from .*a/one.py"
    ):
        load_registry([tmp_path / "a", tmp_path / "c"])


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(CheckLoadError, match=f"--checks-dir {tmp_path / 'nope'}: not a directory"):
        load_registry([tmp_path / "nope"])


def test_the_environment_names_several_directories(tmp_path: Path) -> None:
    assert checks_dirs_from({"CLOUDSWEEP_CHECKS_DIR": f"{tmp_path}/a:{tmp_path}/b"}) == (tmp_path / "a", tmp_path / "b")
    assert checks_dirs_from({}) == ()


def install_distribution(site: Path, entry_points: str, modules: dict[str, str]) -> None:
    """A real installed distribution as importlib.metadata finds it: a dist-info directory and its modules."""
    info = site / "acme_checks-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-checks\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[cloudsweep.checks]\n{entry_points}\n", encoding="utf-8")
    for name, text in modules.items():
        (site / f"{name}.py").write_text(text, encoding="utf-8")


def test_an_installed_package_adds_checks_through_its_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_distribution(
        tmp_path,
        "acme = acme_checks\nacme-one = acme_one:CHECK",
        {"acme_checks": check_source("acme-module"), "acme_one": check_source("acme-object")},
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = load_registry()
    assert registry.source("acme-module") == "entry point acme = acme_checks"
    assert registry.source("acme-object") == "entry point acme-one = acme_one:CHECK"
    assert "acme-module" not in load_registry(entry_points=False)


def test_an_entry_point_cannot_take_a_builtin_id_or_fail_silently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_distribution(tmp_path, "clash = acme_clash", {"acme_clash": check_source("encrypted-volumes")})
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(
        CheckLoadError,
        match="'encrypted-volumes' is registered twice: from built-in and from entry point clash = acme_clash",
    ):
        load_registry()


def test_a_broken_entry_point_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_distribution(tmp_path, "gone = acme_missing", {})
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(CheckLoadError) as raised:
        load_registry()
    assert str(raised.value) == (
        "entry point gone = acme_missing (cloudsweep.checks) failed to load: "
        "ModuleNotFoundError: No module named 'acme_missing'"
    )


def test_cli_lists_describes_and_refuses_through_checks_dir(tmp_path: Path) -> None:
    write(tmp_path / "mine", "mine.py", check_source("user-mine", extra='cis=("1.4",),'))
    runner = CliRunner()
    listed = runner.invoke(cli, ["checks", "list", "--format", "json", "--checks-dir", str(tmp_path / "mine")])
    assert listed.exit_code == 0, listed.output
    by_id = {check["id"]: check for check in json.loads(listed.output)}
    assert by_id["user-mine"]["source"] == str(tmp_path / "mine" / "mine.py")
    assert by_id["user-mine"]["cis"] == ["1.4"]
    assert by_id["restricted-ssh"]["source"] == "built-in"
    described = runner.invoke(
        cli, ["checks", "describe", "user-mine"], env={"CLOUDSWEEP_CHECKS_DIR": str(tmp_path / "mine")}
    )
    assert json.loads(described.output)["remediation_cli"] == "aws sts get-caller-identity"
    markdown = runner.invoke(cli, ["checks", "list", "--format", "markdown", "--checks-dir", str(tmp_path / "mine")])
    assert f"**Loaded from:** {tmp_path / 'mine' / 'mine.py'}." in markdown.output
    write(tmp_path / "clash", "clash.py", check_source("restricted-ssh"))
    refused = runner.invoke(cli, ["checks", "list", "--checks-dir", str(tmp_path / "clash")])
    assert refused.exit_code == 2
    assert "check id 'restricted-ssh' is registered twice: from built-in and from" in refused.output


@pytest.mark.slow
def test_a_scan_with_workers_runs_checks_dir_checks_in_every_worker(
    aws_env: Emulator, boto_session: Any, tmp_path: Path
) -> None:
    """A worker process re-imports the directory before it unpickles its job, whose checks live in those files."""
    write(tmp_path / "mine", "mine.py", check_source("user-mine"))
    organizations = client(boto_session, "organizations", aws_env.endpoint_url)
    organizations.create_organization(FeatureSet="ALL")
    member = organizations.create_account(Email="m@example.com", AccountName="member")["CreateAccountStatus"][
        "AccountId"
    ]
    caller = client(boto_session, "sts", aws_env.endpoint_url).get_caller_identity()["Account"]
    output = tmp_path / "evaluations.jsonl"
    result = CliRunner().invoke(
        cli,
        [
            "scan",
            "--checks-dir",
            str(tmp_path / "mine"),
            "--checks",
            "user-mine",
            "--accounts",
            f"{caller},{member}",
            "--role-name",
            "OrganizationAccountAccessRole",
            "--regions",
            "us-east-1",
            "--workers",
            "2",
            "--output",
            str(output),
            "--endpoint-url",
            aws_env.endpoint_url,
        ],
    )
    assert result.exit_code == 1, result.output
    found = sorted(
        (record["account_id"], record["annotation"]) for record in map(json.loads, output.read_text().splitlines())
    )
    assert found == sorted([(caller, f"user-mine says no to {caller}"), (member, f"user-mine says no to {member}")])


def test_helpers_beside_the_checks_import_and_conftest_is_not_a_check(tmp_path: Path) -> None:
    write(tmp_path, "_shared.py", 'PREFIX = "shared says no to "\n')
    write(tmp_path, "conftest.py", "import pytest\n")
    write(
        tmp_path,
        "uses_helper.py",
        check_source("user-helped")
        .replace('"user-helped says no to "', "PREFIX")
        .replace(
            "from scanner.model import Compliance", "from _shared import PREFIX\nfrom scanner.model import Compliance"
        ),
    )
    registry = load_registry([tmp_path])
    assert "user-helped" in registry
    snapshot = Snapshot("111122223333", "us-east-1", datetime.now(UTC))
    evaluate = registry.get("user-helped").evaluate_account
    assert evaluate is not None
    assert evaluate(snapshot, ParameterValues()).annotation == "shared says no to 111122223333"


def test_a_file_name_that_is_not_an_identifier_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "my-check.v2.py", check_source("user-dashed"))
    with pytest.raises(CheckLoadError) as raised:
        load_registry([tmp_path])
    assert str(raised.value) == f"{path}: a checks file name must be a Python identifier, like my_check_v2.py"


def test_an_empty_part_of_the_environment_variable_is_not_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "mine", "mine.py", check_source("user-mine"))
    write(tmp_path / "cwd", "stranger.py", "raise SystemExit('a file in the working directory was imported')\n")
    monkeypatch.chdir(tmp_path / "cwd")
    for value in (f"{tmp_path / 'mine'}:", f":{tmp_path / 'mine'}", f"{tmp_path / 'mine'}::"):
        result = CliRunner().invoke(cli, ["checks", "list", "--format", "json"], env={"CLOUDSWEEP_CHECKS_DIR": value})
        assert result.exit_code == 0, result.output
        sources = {check["source"] for check in json.loads(result.output)}
        assert sources == {"built-in", str(tmp_path / "mine" / "mine.py")}


def test_invoke_runs_a_checks_dir_check_on_an_event(aws_env: Emulator, boto_session: Any, tmp_path: Path) -> None:
    write(tmp_path / "mine", "mine.py", check_source("user-mine"))
    account = client(boto_session, "sts", aws_env.endpoint_url).get_caller_identity()["Account"]
    check = load_registry([tmp_path / "mine"]).get("user-mine")
    event = scheduled_event(check, account=account)
    event["resultToken"] = "TESTMODE"
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(event), encoding="utf-8")
    arguments = ["invoke", "--event", str(event_file), "--endpoint-url", aws_env.endpoint_url]
    refused = CliRunner().invoke(cli, arguments)
    assert refused.exit_code == 2
    assert "(your own checks load from the directories in CLOUDSWEEP_CHECKS_DIR)" in refused.output
    ran = CliRunner().invoke(cli, [*arguments, "--checks-dir", str(tmp_path / "mine")])
    assert ran.exit_code == 0, ran.output
    summary = ran.stdout[ran.stdout.index("\n{\n") :] if not ran.stdout.startswith("{") else ran.stdout
    assert json.loads(summary)["evaluations"] == 1
