"""Mutelist: each key's matching rule, expiry, first match wins, every error message, and matching at scale."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from scanner.errors import UsageError
from scanner.model import Compliance, Evaluation
from scanner.mutelist import Mutelist, MutelistEntry, MutelistError, load_mutelist
from scanner.outputs.findings import Suppression

TODAY = date(2026, 6, 15)
STARTED = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def evaluation(
    account_id: str = "111122223333",
    region: str = "us-east-1",
    check: str = "desired-instance-type",
    resource_id: str = "i-0abc",
    resource_type: str = "AWS::EC2::Instance",
    compliance: Compliance = Compliance.NON_COMPLIANT,
) -> Evaluation:
    return Evaluation(account_id, region, check, resource_type, resource_id, compliance, "why", STARTED)


def mutelist(tmp_path: Path, text: str, today: date = TODAY) -> Mutelist:
    path = tmp_path / "mutelist.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_mutelist(path, today=today)


def single(tmp_path: Path, fields: str) -> Mutelist:
    """A mutelist of one entry with the reason "accepted" and these extra fields (YAML, one per line)."""
    body = "".join(f"    {line}\n" for line in textwrap.dedent(fields).strip().splitlines())
    return mutelist(tmp_path, f"entries:\n  - reason: accepted\n{body}")


def matched(rules: Mutelist, item: Evaluation, tags: Mapping[str, str] | None = None) -> bool:
    return rules.match(item, tags or {}) is not None


def test_an_entry_with_only_a_reason_matches_every_evaluation(tmp_path: Path) -> None:
    rules = single(tmp_path, "")
    suppression = rules.match(evaluation(), {})
    assert suppression == Suppression(reason="accepted", entry="mutelist.yaml entries[0]", expires=None)
    assert matched(rules, evaluation(account_id="999999999999", region="ap-south-2", check="x", resource_id="y"))


def test_match_ignores_compliance_the_caller_decides(tmp_path: Path) -> None:
    rules = single(tmp_path, "")
    for compliance in Compliance:
        assert matched(rules, evaluation(compliance=compliance))


def test_accounts_are_globs_on_the_account_id(tmp_path: Path) -> None:
    rules = single(tmp_path, "accounts: ['1111*', '444455556666']")
    assert matched(rules, evaluation(account_id="111122223333"))
    assert matched(rules, evaluation(account_id="444455556666"))
    assert not matched(rules, evaluation(account_id="211122223333"))
    assert not matched(rules, evaluation(account_id="4444555566667"))


def test_checks_are_globs_on_the_check_id(tmp_path: Path) -> None:
    rules = single(tmp_path, "checks: ['ec2-*', 'iam-?nactive-user']")
    assert matched(rules, evaluation(check="ec2-exposed-instance"))
    assert matched(rules, evaluation(check="iam-inactive-user"))
    assert not matched(rules, evaluation(check="desired-instance-type"))
    assert not matched(rules, evaluation(check="my-ec2-check"))


def test_regions_are_globs_on_the_region_case_sensitive(tmp_path: Path) -> None:
    rules = single(tmp_path, "regions: ['eu-*-[12]']")
    assert matched(rules, evaluation(region="eu-west-1"))
    assert matched(rules, evaluation(region="eu-central-2"))
    assert not matched(rules, evaluation(region="eu-west-3"))
    assert not matched(rules, evaluation(region="us-east-1"))
    assert not matched(rules, evaluation(region="EU-WEST-1"))


def test_resources_are_regexes_matching_the_whole_resource_id(tmp_path: Path) -> None:
    rules = single(tmp_path, r"resources: ['i-0abc', 'arn:aws:s3:::logs-\d+']")
    assert matched(rules, evaluation(resource_id="i-0abc"))
    assert matched(rules, evaluation(resource_id="arn:aws:s3:::logs-2026"))
    # fullmatch, not search: neither a longer id nor one with the pattern inside matches.
    assert not matched(rules, evaluation(resource_id="i-0abcdef"))
    assert not matched(rules, evaluation(resource_id="xi-0abc"))
    assert not matched(rules, evaluation(resource_id="arn:aws:s3:::logs-2026-old"))


def test_a_resource_prefix_needs_dot_star(tmp_path: Path) -> None:
    rules = single(tmp_path, "resources: ['i-0abc.*']")
    assert matched(rules, evaluation(resource_id="i-0abcdef"))
    assert not matched(rules, evaluation(resource_id="i-0ab"))


def test_every_tag_must_be_present_and_fully_match(tmp_path: Path) -> None:
    rules = single(tmp_path, "tags: {env: 'dev|test', team: build}")
    assert matched(rules, evaluation(), {"env": "dev", "team": "build", "other": "x"})
    assert matched(rules, evaluation(), {"env": "test", "team": "build"})
    # One tag's value does not match, or does only in part.
    assert not matched(rules, evaluation(), {"env": "prod", "team": "build"})
    assert not matched(rules, evaluation(), {"env": "develop", "team": "build"})
    assert not matched(rules, evaluation(), {"env": "dev", "team": "builders"})
    # A tag the resource does not have never matches, whatever the regex.
    assert not matched(rules, evaluation(), {"env": "dev"})
    assert not matched(rules, evaluation(), {})


def test_an_absent_tag_does_not_match_even_a_regex_matching_the_empty_string(tmp_path: Path) -> None:
    rules = single(tmp_path, "tags: {owner: '.*'}")
    assert matched(rules, evaluation(), {"owner": ""})
    assert not matched(rules, evaluation(), {"Owner": "me"})


def test_every_key_of_an_entry_must_match(tmp_path: Path) -> None:
    rules = single(
        tmp_path,
        """
        accounts: ['1111*']
        regions: [us-east-1]
        checks: [desired-instance-type]
        resources: ['i-.*']
        tags: {env: dev}
        """,
    )
    tags = {"env": "dev"}
    assert matched(rules, evaluation(), tags)
    assert not matched(rules, evaluation(account_id="222222222222"), tags)
    assert not matched(rules, evaluation(region="us-west-2"), tags)
    assert not matched(rules, evaluation(check="ec2-exposed-instance"), tags)
    assert not matched(rules, evaluation(resource_id="vol-1"), tags)
    assert not matched(rules, evaluation(), {"env": "prod"})


def test_the_first_matching_entry_wins(tmp_path: Path) -> None:
    rules = mutelist(
        tmp_path,
        """
        entries:
          - reason: only eu
            regions: ['eu-*']
          - reason: the instance
            resources: ['i-0abc']
          - reason: everything
        """,
    )
    assert rules.match(evaluation(region="eu-west-1"), {}) == Suppression("only eu", "mutelist.yaml entries[0]")
    assert rules.match(evaluation(), {}) == Suppression("the instance", "mutelist.yaml entries[1]")
    assert rules.match(evaluation(resource_id="i-other"), {}) == Suppression("everything", "mutelist.yaml entries[2]")


def test_no_entry_matches(tmp_path: Path) -> None:
    rules = single(tmp_path, "checks: [nothing-like-it]")
    assert rules.match(evaluation(), {}) is None


def test_an_empty_entries_list_mutes_nothing(tmp_path: Path) -> None:
    assert mutelist(tmp_path, "entries: []\n").match(evaluation(), {}) is None
    # Every entry commented out.
    assert mutelist(tmp_path, "entries:\n#  - reason: x\n").entries == ()


def test_an_entry_is_active_through_its_expiry_day(tmp_path: Path) -> None:
    with capture_logs() as logs:
        rules = single(tmp_path, "expires: 2026-06-15")
    assert logs == []
    assert rules.expired == ()
    assert rules.match(evaluation(), {}) == Suppression("accepted", "mutelist.yaml entries[0]", date(2026, 6, 15))


def test_an_entry_expired_the_day_after_is_ignored_with_a_warning(tmp_path: Path) -> None:
    text = """
        entries:
          - reason: until yesterday
            expires: '2026-06-14'
          - reason: no expiry
            checks: [other]
        """
    with capture_logs() as logs:
        rules = mutelist(tmp_path, text)
    assert logs == [
        {
            "event": "mutelist entry expired",
            "entry": "mutelist.yaml entries[0]",
            "expired": "2026-06-14",
            "reason": "until yesterday",
            "log_level": "warning",
        }
    ]
    assert [entry.name for entry in rules.expired] == ["mutelist.yaml entries[0]"]
    assert [entry.name for entry in rules.entries] == ["mutelist.yaml entries[1]"]
    assert rules.match(evaluation(), {}) is None


def test_expiry_defaults_to_today_in_utc(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "entries:\n  - reason: long ago\n    expires: 2000-01-01\n  - reason: far off\n    expires: 2999-01-01\n"
    )
    with capture_logs():
        rules = load_mutelist(path)
    assert [entry.reason for entry in rules.expired] == ["long ago"]
    assert [entry.reason for entry in rules.entries] == ["far off"]


def test_the_reason_is_mandatory(tmp_path: Path) -> None:
    with pytest.raises(MutelistError) as raised:
        mutelist(tmp_path, "entries:\n  - checks: [x]\n")
    assert str(raised.value) == (
        f"mutelist {tmp_path / 'mutelist.yaml'}: entries[0]: no reason (every entry needs a non-empty reason)"
    )


def test_mutelist_errors_are_usage_errors() -> None:
    assert issubclass(MutelistError, UsageError)


ERRORS = [
    ("", "the file is empty (expected a mapping with an 'entries' list)"),
    ("# nothing yet\n", "the file is empty (expected a mapping with an 'entries' list)"),
    ("- reason: x\n", "expected a mapping with an 'entries' list, got a list"),
    ("just text\n", "expected a mapping with an 'entries' list, got a string ('just text')"),
    ("entires: []\n", "unknown top-level key 'entires' (did you mean 'entries'? expected: entries)"),
    ("entries: []\nversion: 1\n", "unknown top-level key 'version' (expected: entries)"),
    ("{}\n", "no 'entries' key (expected a mapping with an 'entries' list)"),
    ("entries: {reason: x}\n", "entries: expected a list, got a mapping"),
    ("entries:\n  - just a string\n", "entries[0]: expected a mapping, got a string ('just a string')"),
    (
        "entries:\n  - reason: x\n  - reason: y\n    resource: [a]\n",
        "entries[1]: unknown key 'resource' (did you mean 'resources'? "
        "expected: accounts, checks, regions, resources, tags, reason, expires)",
    ),
    (
        "entries:\n  - reason: x\n    severity: high\n",
        "entries[0]: unknown key 'severity' (expected: accounts, checks, regions, resources, tags, reason, expires)",
    ),
    ("entries:\n  - accounts: ['1']\n", "entries[0]: no reason (every entry needs a non-empty reason)"),
    ("entries:\n  - reason: '  '\n", "entries[0].reason: empty (every entry needs a non-empty reason)"),
    ("entries:\n  - reason:\n", "entries[0].reason: expected a string, got null"),
    ("entries:\n  - reason: [a]\n", "entries[0].reason: expected a string, got a list"),
    (
        "entries:\n  - reason: x\n    accounts: '1111*'\n",
        "entries[0].accounts: expected a list of globs, got a string ('1111*')",
    ),
    (
        "entries:\n  - reason: x\n    accounts: ['111122223333', 444455556666]\n",
        "entries[0].accounts[1]: expected a string, got a number (444455556666): quote account ids "
        "(YAML reads unquoted digits as a number, and a leading 0 as octal)",
    ),
    (
        "entries:\n  - reason: x\n    accounts: []\n",
        "entries[0].accounts: empty list (leave the key out to match every account)",
    ),
    ("entries:\n  - reason: x\n    checks: {a: b}\n", "entries[0].checks: expected a list of globs, got a mapping"),
    ("entries:\n  - reason: x\n    checks: [a, '']\n", "entries[0].checks[1]: empty string"),
    (
        "entries:\n  - reason: x\n    checks: []\n",
        "entries[0].checks: empty list (leave the key out to match every check)",
    ),
    (
        "entries:\n  - reason: x\n    regions: [true]\n",
        "entries[0].regions[0]: expected a string, got a boolean (true)",
    ),
    ("entries:\n  - reason: x\n    regions:\n", "entries[0].regions: expected a list of globs, got null"),
    (
        "entries:\n  - reason: x\n    resources: 'i-.*'\n",
        "entries[0].resources: expected a list of regexes, got a string ('i-.*')",
    ),
    (
        "entries:\n  - reason: x\n    resources: []\n",
        "entries[0].resources: empty list (leave the key out to match every resource)",
    ),
    (
        "entries:\n  - reason: x\n  - reason: y\n  - reason: z\n  - reason: w\n    resources: ['i-.*', '(abc']\n",
        "entries[3].resources[1]: invalid regex '(abc': missing ), unterminated subpattern at position 0",
    ),
    (
        "entries:\n  - reason: x\n    resources: ['*.log']\n",
        "entries[0].resources[0]: invalid regex '*.log': nothing to repeat at position 0",
    ),
    (
        "entries:\n  - reason: x\n    tags: [env]\n",
        "entries[0].tags: expected a mapping of tag key to value regex, got a list",
    ),
    ("entries:\n  - reason: x\n    tags: {}\n", "entries[0].tags: empty mapping (leave the key out to ignore tags)"),
    ("entries:\n  - reason: x\n    tags: {1: a}\n", "entries[0].tags: tag key '1' is a number (1), expected a string"),
    (
        "entries:\n  - reason: x\n    tags: {env: 1}\n",
        "entries[0].tags['env']: expected a string (a regex on the tag's value), got a number (1)",
    ),
    (
        "entries:\n  - reason: x\n    tags: {'aws:cloudformation:stack-name': '[a-'}\n",
        "entries[0].tags['aws:cloudformation:stack-name']: invalid regex '[a-': "
        "unterminated character set at position 0",
    ),
    ("entries:\n  - reason: x\n    expires: 2026-02-30\n", "entries[0].expires: not a date YYYY-MM-DD: '2026-02-30'"),
    ("entries:\n  - reason: x\n    expires: 31/12/2026\n", "entries[0].expires: not a date YYYY-MM-DD: '31/12/2026'"),
    (
        "entries:\n  - reason: x\n    expires: 20261231\n",
        "entries[0].expires: expected a date YYYY-MM-DD, got a number (20261231)",
    ),
    (
        "entries:\n  - reason: x\n    expires: 2026-12-31 10:00:00\n",
        "entries[0].expires: not a date YYYY-MM-DD: '2026-12-31 10:00:00'",
    ),
    ("entries:\n  - reason: x\n    reason: y\n", "not valid YAML: line 3, column 5: duplicate key 'reason'"),
    ("entries: []\nentries: []\n", "not valid YAML: line 2, column 1: duplicate key 'entries'"),
    (
        "entries:\n  - reason: x\n  checks: [a\n",
        "not valid YAML: line 3, column 3: expected <block end>, but found '?'",
    ),
    ("entries:\n  - reason: !!int x\n", "not valid YAML: invalid literal for int() with base 10: 'x'"),
    (
        "entries:\n  - reason: !!python/name:os.system x\n",
        "not valid YAML: line 2, column 13: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/name:os.system'",
    ),
]


@pytest.mark.parametrize(("text", "problem"), ERRORS)
def test_each_mistake_gets_one_clear_error(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "mutelist.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MutelistError) as raised:
        load_mutelist(path, today=TODAY)
    assert str(raised.value) == f"mutelist {path}: {problem}"


def test_a_yaml_merge_key_is_not_a_duplicate(tmp_path: Path) -> None:
    rules = mutelist(
        tmp_path,
        """
        entries:
          - &base
            reason: shared
            regions: ['eu-*']
          - <<: *base
            regions: ['us-*']
        """,
    )
    assert [entry.reason for entry in rules.entries] == ["shared", "shared"]
    assert rules.match(evaluation(region="us-east-1"), {}) == Suppression("shared", "mutelist.yaml entries[1]")


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(MutelistError) as raised:
        load_mutelist(path)
    assert str(raised.value) == f"mutelist {path}: cannot read: No such file or directory"


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("entries:\n  - reason: caf\xe9\n".encode("latin-1"))
    with pytest.raises(MutelistError) as raised:
        load_mutelist(path)
    assert str(raised.value) == f"mutelist {path}: cannot read: not UTF-8 text"


def test_matching_100k_evaluations_against_50_entries_works_out_scope_once_per_triple(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 49 entries that each match one account's instances by prefix and tag, then one that matches a check.
    lines = ["entries:"]
    for number in range(49):
        lines += [
            f"  - reason: entry {number}",
            f"    accounts: ['{number:012d}']",
            "    regions: ['us-*', 'eu-*']",
            "    checks: ['desired-*', 'ec2-*']",
            f"    resources: ['i-{number:02d}.*', 'arn:aws:ec2:.*:instance/i-{number:02d}.*']",
            "    tags: {env: 'dev|test'}",
        ]
    lines += ["  - reason: the last", "    checks: [iam-inactive-user]"]
    path = tmp_path / "big.yaml"
    path.write_text("\n".join(lines) + "\n")
    rules = load_mutelist(path, today=TODAY)
    assert len(rules.entries) == 50

    scope_checks = 0
    in_scope = MutelistEntry.in_scope

    def counting(entry: MutelistEntry, account_id: str, region: str, check: str) -> bool:
        nonlocal scope_checks
        scope_checks += 1
        return in_scope(entry, account_id, region, check)

    monkeypatch.setattr(MutelistEntry, "in_scope", counting)
    accounts = [f"{number:012d}" for number in range(50)]
    regions = ["us-east-1", "eu-west-1"]
    checks = ["desired-instance-type", "ec2-exposed-instance", "iam-inactive-user", "s3-bucket-logging"]
    dev, prod = {"env": "dev"}, {"env": "prod"}
    suppressed = 0
    total = 0
    for index in range(100_000):
        account = accounts[index % 50]
        item = evaluation(
            account_id=account,
            region=regions[index % 2],
            check=checks[(index // 2) % 4],
            resource_id=f"i-{index % 50:02d}{index:08x}" if index % 3 else f"i-99{index:08x}",
        )
        if rules.match(item, dev if index % 5 else prod) is not None:
            suppressed += 1
        total += 1
    assert total == 100_000
    # Each distinct (account, region, check) is put to every entry once, not each of the 100k evaluations.
    distinct = {(accounts[i % 50], regions[i % 2], checks[(i // 2) % 4]) for i in range(100_000)}
    assert scope_checks == 50 * len(distinct)
    expected = sum(
        1
        for index in range(100_000)
        if checks[(index // 2) % 4] == "iam-inactive-user"
        or (
            index % 50 < 49
            and checks[(index // 2) % 4] in ("desired-instance-type", "ec2-exposed-instance")
            and index % 3
            and index % 5
        )
    )
    assert suppressed == expected


# --- regexes run on RE2: linear time, whatever the pattern and the id ------------------------------------------------

BACKTRACKING = r"([a-z0-9-]+)+\.legacy"
# 29 characters that almost match: Python's backtracking `re` takes about 30 s to say no.
LONG_BUCKET = "my-company-data-bucket-archiv"


def _timed(rules: Mutelist, item: Evaluation, tags: Mapping[str, str]) -> tuple[Suppression | None, float]:
    import time

    started = time.perf_counter()
    suppression = rules.match(item, tags)
    return suppression, time.perf_counter() - started


def test_a_backtracking_resource_regex_answers_at_once(tmp_path: Path) -> None:
    assert len(LONG_BUCKET) == 29
    rules = single(tmp_path, f"resources: ['{BACKTRACKING}']")
    missed, seconds = _timed(rules, evaluation(resource_id=LONG_BUCKET), {})
    assert missed is None
    assert seconds < 2
    hit, seconds = _timed(rules, evaluation(resource_id=LONG_BUCKET + ".legacy"), {})
    assert hit == Suppression(reason="accepted", entry="mutelist.yaml entries[0]", expires=None)
    assert seconds < 2
    # --workers sends the mutelist pickled, and --state fingerprints the entries' repr: both keep the patterns.
    import pickle

    again = pickle.loads(pickle.dumps(rules))
    assert repr(again.entries) == repr(rules.entries)
    assert "0x" not in repr(rules.entries)
    assert _timed(again, evaluation(resource_id=LONG_BUCKET), {})[0] is None
    assert again.match(evaluation(resource_id="a.legacy"), {}) == hit


def test_a_backtracking_tag_regex_answers_at_once(tmp_path: Path) -> None:
    rules = single(tmp_path, f"tags: {{Name: '{BACKTRACKING}'}}")
    missed, seconds = _timed(rules, evaluation(), {"Name": LONG_BUCKET * 3})
    assert missed is None
    assert seconds < 2
    assert rules.match(evaluation(), {"Name": "old-site.legacy"}) is not None


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (r"(a)\1", "backreferences"),
        (r"(?P<n>a)(?P=n)", "backreferences"),
        (r"(?=i-)i-.*", "lookaround"),
        (r"(?!sg-)\S+", "lookaround"),
        (r"i-(?<=i-)0", "lookaround"),
        (r"(?<!x)i-.*", "lookaround"),
        (r"(?>i-.*)", "atomic groups"),
        (r"i-.*+", "possessive quantifiers"),
        (r"(a)?(?(1)b|c)", "conditionals"),
        (r"i-.*\Z", r"\Z"),
    ],
)
def test_a_regex_re2_cannot_run_is_refused_naming_the_entry(tmp_path: Path, pattern: str, why: str) -> None:
    path = tmp_path / "mutelist.yaml"
    entries = "".join(f"  - reason: r{index}\n" for index in range(3))
    path.write_text(f"entries:\n{entries}  - reason: x\n    resources: ['{pattern}']\n", encoding="utf-8")
    with pytest.raises(MutelistError) as raised:
        load_mutelist(path, today=TODAY)
    message = str(raised.value)
    assert message.startswith(f"mutelist {path}: entries[3].resources[0]: regex '{pattern}' is not supported: ")
    assert why in message
    assert "RE2" in message


def test_a_tag_regex_re2_cannot_run_is_refused_naming_the_tag(tmp_path: Path) -> None:
    path = tmp_path / "mutelist.yaml"
    path.write_text("entries:\n  - reason: x\n    tags: {env: '(dev)-\\1'}\n", encoding="utf-8")
    with pytest.raises(MutelistError) as raised:
        load_mutelist(path, today=TODAY)
    assert str(raised.value).startswith(f"mutelist {path}: entries[0].tags['env']: regex '(dev)-\\1' is not supported")


@pytest.mark.parametrize(
    ("pattern", "hint"),
    [("[[:alpha:]]+", "[a-zA-Z]"), ("i-0{,3}", "{0,3}")],
)
def test_a_regex_re2_would_read_otherwise_than_python_is_refused(tmp_path: Path, pattern: str, hint: str) -> None:
    path = tmp_path / "mutelist.yaml"
    path.write_text(f"entries:\n  - reason: x\n    resources: ['{pattern}']\n", encoding="utf-8")
    with pytest.raises(MutelistError) as raised:
        load_mutelist(path, today=TODAY)
    assert str(raised.value).startswith(f"mutelist {path}: entries[0].resources[0]: regex '{pattern}' ")
    assert hint in str(raised.value)


def test_an_alias_bomb_is_refused_with_a_short_message(tmp_path: Path) -> None:
    lol = '["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
    levels = [f"&a0 {lol}"] + [f"&a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 7)]
    path = tmp_path / "mutelist.yaml"
    path.write_text(f"entries:\n  - reason: x\n    resources: [[{', '.join(levels)}]]\n", encoding="utf-8")
    assert path.stat().st_size < 400
    with pytest.raises(MutelistError) as raised:
        load_mutelist(path, today=TODAY)
    assert str(raised.value).startswith(f"mutelist {path}: not valid YAML: line 3, column ")
    assert "aliases stand for more than 1,000,000 values" in str(raised.value)
    assert len(str(raised.value)) < 500


@pytest.mark.parametrize(
    "entry",
    [
        "'{long}'",
        "reason: x\n    resources: ['({long}']",
        "reason: x\n    expires: '{long}'",
        "reason: x\n    ? '{long}'\n    : 1",
        "reason: x\n    tags:\n      ? '{long}'\n      : [1]",
        "reason: x\n    accounts: '{long}'",
    ],
)
def test_an_error_quotes_at_most_a_few_hundred_characters_of_a_value(tmp_path: Path, entry: str) -> None:
    path = tmp_path / "mutelist.yaml"
    path.write_text("entries:\n  - " + entry.format(long="x" * 100_000) + "\n", encoding="utf-8")
    with pytest.raises(MutelistError) as raised:
        load_mutelist(path, today=TODAY)
    message = str(raised.value)
    assert message.startswith(f"mutelist {path}: entries[0]")
    assert "xxxxxxxxxx" in message
    assert re.search(r"… \(100,00[0-9] characters\)", message)
    assert len(message) < len(str(path)) + 500
