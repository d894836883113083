"""docs/checks.md is the catalogue the checks' metadata generates: regenerated here, it must match byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from checks import BUILTIN
from scanner.check_docs import REGENERATE, checks_markdown, main
from scanner.cli import cli
from scanner.plugins import load_registry

DOCS = Path(__file__).resolve().parents[1] / "docs" / "checks.md"


def test_docs_checks_md_is_up_to_date() -> None:
    expected = checks_markdown(load_registry(entry_points=False))
    assert DOCS.read_text(encoding="utf-8") == expected, f"docs/checks.md is stale: run `make docs` ({REGENERATE})"


def test_make_docs_writes_the_builtins_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    main()
    assert capsys.readouterr().out == DOCS.read_text(encoding="utf-8")


def test_the_markdown_command_prints_the_catalogue() -> None:
    result = CliRunner().invoke(cli, ["checks", "list", "--format", "markdown"])
    assert result.exit_code == 0
    assert result.output == checks_markdown(load_registry())


def test_every_check_has_its_section_with_rationale_remediation_permissions_and_cis() -> None:
    text = DOCS.read_text(encoding="utf-8")
    sections = {part.split("\n", 1)[0]: part for part in text.split("\n## ")[1:]}
    assert sorted(sections) == sorted(check.id for check in BUILTIN)
    for check in BUILTIN:
        section = sections[check.id]
        assert f"**Why it matters.** {check.rationale}" in section
        assert f"```sh\n{check.remediation_cli}\n```" in section
        assert "`config:ListDiscoveredResources`" in section
        assert f"**CIS controls:** {', '.join(check.cis) or 'none'}." in section
    password = sections["iam-password-policy"]
    assert "`iam:GetAccountPasswordPolicy`" in password
    assert "| `MinimumPasswordLength` | integer | no | `14` |  |" in password
    assert "| `RequireSymbols` | boolean | no | `true` |  |" in password
    assert "(one per account, in the global region)" in password
    assert (
        "| [`restricted-ssh`](#restricted-ssh) | Security groups do not allow SSH from the internet | high | " in text
    )


def test_the_table_and_json_show_every_check_with_its_cis_controls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLOUDSWEEP_CHECKS_DIR", raising=False)
    table = CliRunner().invoke(cli, ["checks", "list"])
    assert table.exit_code == 0
    assert f"cloudsweep checks: {len(BUILTIN)}" in table.output
    assert all(check.id in table.output for check in BUILTIN)
    described = json.loads(CliRunner().invoke(cli, ["checks", "list", "--format", "json"]).output)
    by_id = {check["id"]: check for check in described}
    assert by_id["restricted-ssh"]["cis"] == ["5.2", "5.3"]
    assert by_id["restricted-ssh"]["remediation_cli"].startswith("aws ec2 revoke-security-group-ingress ")
    assert all(check["rationale"] and check["source"] == "built-in" for check in described)


ALIBABA_DOCS = DOCS.with_name("alibaba-checks.md")


def test_docs_alibaba_checks_md_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    from checks.alibaba import BUILTIN as ALIBABA_BUILTIN
    from scanner.registry import Cloud

    expected = checks_markdown(load_registry(entry_points=False, cloud=Cloud.ALIBABA), cloud=Cloud.ALIBABA)
    assert ALIBABA_DOCS.read_text(encoding="utf-8") == expected, f"docs/alibaba-checks.md is stale: run {REGENERATE}"
    main(["--cloud", "alibaba"])
    assert capsys.readouterr().out == expected
    sections = {part.split("\n", 1)[0]: part for part in expected.split("\n## ")[1:]}
    assert sorted(sections) == sorted(check.id for check in ALIBABA_BUILTIN)
    for check in ALIBABA_BUILTIN:
        assert f"```sh\n{check.remediation_cli}\n```" in sections[check.id]
        assert (
            "**RAM actions:** `config:ListDiscoveredResources`, `config:GetDiscoveredResource`." in sections[check.id]
        )
        assert "CIS" not in sections[check.id]


def test_the_docs_tool_refuses_other_arguments() -> None:
    with pytest.raises(SystemExit, match=r"usage: make docs \[--cloud alibaba\]"):
        main(["--cloud", "gcp"])
