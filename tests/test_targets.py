"""Accounts files in c7n-org's form, filters, role ARNs, shards and their environment, region names."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import textwrap
from pathlib import Path

import pytest

from scanner.errors import UsageError
from scanner.scan.targets import (
    Account,
    filter_accounts,
    load_accounts_file,
    parse_tag_filter,
    partition_of_arn,
    role_arn,
    select_shard,
    shard_from_environment,
    shard_of,
    validate_regions,
)

C7N_ORG_FILE = """\
vars:
  default_tz: UTC
accounts:
- account_id: '012345678901'
  name: prod
  email: prod@example.com
  display_name: Production
  org_id: o-abc123
  role: arn:aws:iam::012345678901:role/CloudSweep
  external_id: s3cr3t-external
  regions:
  - us-east-1
  - eu-west-1
  tags:
  - type:prod
  - division:some division
  - partition:us
  vars:
    charge_code: xyz
- account_id: 123456789012
  name: dev
  role: CloudSweepAudit
  tags:
    type: dev
    team: payments
- account_id: 1234567890
  name: padded
  role: audit/CloudSweep
- account_id: 010101010101
  name: octal-looking
"""


def write(tmp_path: Path, text: str, name: str = "accounts.yml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str, name: str = "accounts.yml") -> str:
    path = write(tmp_path, text, name)
    with pytest.raises(UsageError) as caught:
        load_accounts_file(path)
    message = str(caught.value)
    assert str(path) in message
    return message


# --- the accounts file -----------------------------------------------------------------------------------------


def test_c7n_org_file_loads(tmp_path: Path) -> None:
    prod, dev, padded, octal = load_accounts_file(write(tmp_path, C7N_ORG_FILE))

    assert prod == Account(
        account_id="012345678901",
        name="prod",
        role="arn:aws:iam::012345678901:role/CloudSweep",
        external_id="s3cr3t-external",
        regions=("us-east-1", "eu-west-1"),
        tags={"type": "prod", "division": "some division", "partition": "us"},
    )
    assert dev.account_id == "123456789012"
    assert dev.role == "CloudSweepAudit"
    assert dict(dev.tags) == {"type": "dev", "team": "payments"}
    assert dev.regions is None
    assert dev.external_id is None
    # Numbers are zero-padded back to 12 digits.
    assert padded.account_id == "001234567890"
    assert padded.role == "audit/CloudSweep"
    assert padded.tags == {}
    # YAML 1.1 would read this as octal; the digits are kept as written.
    assert octal.account_id == "010101010101"
    assert octal.role is None


def test_json_file_loads(tmp_path: Path) -> None:
    document = {
        "accounts": [
            {"account_id": 12345678901, "name": "a", "role": "Audit", "tags": ["env:prod"], "regions": []},
            {"account_id": "210987654321", "tags": {"env": "dev"}},
        ]
    }
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    first, second = load_accounts_file(path)

    assert first.account_id == "012345678901"
    assert first.tags == {"env": "prod"}
    # An empty regions list means "the scan's regions", as in c7n-org.
    assert first.regions is None
    assert second.account_id == "210987654321"
    assert second.name is None


def test_empty_accounts_list_is_no_accounts(tmp_path: Path) -> None:
    assert load_accounts_file(write(tmp_path, "accounts: []\n")) == []


def test_external_id_is_not_in_repr() -> None:
    account = Account("123456789012", name="prod", role="Audit", external_id="very-secret-external-id")

    assert "very-secret-external-id" not in repr(account)
    assert "prod" in repr(account)


def test_account_is_immutable_and_hashable() -> None:
    tags = {"env": "prod"}
    account = Account("123456789012", regions=("us-east-1",), tags=tags)
    tags["env"] = "dev"

    assert account.tags == {"env": "prod"}
    with pytest.raises(TypeError):
        account.tags["env"] = "dev"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        account.name = "other"  # type: ignore[misc]
    assert len({account, Account("123456789012", regions=("us-east-1",), tags={"env": "prod"})}) == 1


@pytest.mark.parametrize("account_id", ["12345678901", "1234567890123", "12345678901a", "", "١٢٣٤٥٦٧٨٩٠١٢"])
def test_account_validates_its_id(account_id: str) -> None:
    with pytest.raises(UsageError, match="12 digits"):
        Account(account_id)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("accounts:\n- account_id: '123456789012'\n  name: [unclosed\n", "not valid YAML", id="yaml"),
        pytest.param("- account_id: '123456789012'\n", "must hold an `accounts:` list", id="not-a-mapping"),
        pytest.param("accounts: {}\n", "must hold an `accounts:` list", id="accounts-not-a-list"),
        pytest.param("", "must hold an `accounts:` list", id="empty-file"),
        pytest.param("accounts: []\npolicies: []\n", "unknown top-level key 'policies'", id="top-level-key"),
    ],
)
def test_file_errors(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in load_error(tmp_path, text)


def test_malformed_json_is_named(tmp_path: Path) -> None:
    assert "not valid JSON" in load_error(tmp_path, '{"accounts": [', name="accounts.json")


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"cannot read accounts file .*missing\.yml"):
        load_accounts_file(tmp_path / "missing.yml")


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        pytest.param("name: nameless\n  role: Audit", "entry 1 (name 'nameless'): no account_id", id="missing-id"),
        pytest.param("account_id: '12345'", "entry 1 (account 12345): account_id must be 12 digits", id="short-id"),
        pytest.param("account_id: 1234567890123", "account_id must be 12 digits, got 1234567890123", id="long-int"),
        pytest.param("account_id: true", "entry 1: account_id must be 12 digits, got True", id="bool-id"),
        pytest.param(
            "account_id: '222222222222'\n  tags: [novalue]",
            "entry 1 (account 222222222222): tag 'novalue' is not key:value",
            id="tag-without-value",
        ),
        pytest.param("account_id: '222222222222'\n  tags: [':x']", "tag ':x' is not key:value", id="tag-without-key"),
        pytest.param(
            "account_id: '222222222222'\n  tags: ['env:a', 'env:b']",
            "tag 'env' given twice, as 'a' and 'b'",
            id="tag-twice",
        ),
        pytest.param("account_id: '222222222222'\n  tags: env:prod", "tags must be a list", id="tags-string"),
        pytest.param("account_id: '222222222222'\n  tags: {env: null}", "tag 'env' must have a string", id="tag-null"),
        pytest.param("account_id: '222222222222'\n  regions: us-east-1", "regions must be a list", id="regions-string"),
        pytest.param(
            "account_id: '222222222222'\n  regoins: [us-east-1]",
            "entry 1 (account 222222222222): unknown key regoins (did you mean regions?)",
            id="unknown-key",
        ),
        pytest.param("account_id: '222222222222'\n  profile: dev", "profile is not supported", id="profile"),
        pytest.param(
            "account_id: '222222222222'\n  role: [arn:aws:iam::111111111111:role/A, B]",
            "role chains (a list of roles) are not supported",
            id="role-chain",
        ),
        pytest.param(
            "account_id: '222222222222'\n  role: arn:aws:iam::333333333333:role/Audit",
            "entry 1 (account 222222222222): role arn:aws:iam::333333333333:role/Audit is in account 333333333333",
            id="role-other-account",
        ),
        pytest.param(
            "account_id: '222222222222'\n  role: arn:aws:iam::222222222222:user/Audit",
            "is not an IAM role ARN",
            id="role-not-a-role",
        ),
        pytest.param(
            "account_id: '222222222222'\n  role: 'bad name!'", "neither a role ARN nor a role name", id="role"
        ),
        pytest.param("account_id: '222222222222'\n  name: ''", "name must be a non-empty string", id="empty-name"),
        pytest.param("just-a-string", "entry 1: an account must be an object", id="not-an-object"),
    ],
)
def test_entry_errors_name_the_file_and_the_entry(tmp_path: Path, entry: str, expected: str) -> None:
    text = f"accounts:\n- account_id: '111111111111'\n- {entry}\n"

    message = load_error(tmp_path, text)

    assert expected in message
    assert "entry 1" in message


def test_duplicate_account_ids_name_both_entries(tmp_path: Path) -> None:
    text = """\
        accounts:
        - account_id: '012345678901'
          name: first
        - account_id: '111111111111'
        - account_id: 12345678901
          name: again
    """

    message = load_error(tmp_path, text)

    assert "entry 2 (account 12345678901): duplicate account_id 012345678901, already at entry 0" in message


SECRET = "s3cr3t-Xq7-external"


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        pytest.param(f"[{SECRET}]", "a list of 1 item", id="list"),
        pytest.param(f"{{value: {SECRET}}}", "a mapping of 1 key", id="mapping"),
        pytest.param(f"!!binary {'czNjcjN0LVhxNy1leHRlcm5hbA=='}", "bytes", id="binary"),
        pytest.param("'   '", "a blank string of 3 characters", id="blank"),
    ],
)
def test_a_mistyped_external_id_is_refused_without_showing_it(tmp_path: Path, value: str, kind: str) -> None:
    message = load_error(
        tmp_path,
        f"""\
        accounts:
        - account_id: "111122223333"
          role: CloudSweep
          external_id: {value}
        """,
    )
    assert message.endswith(f"entry 0 (account 111122223333): external_id must be a non-empty string, got {kind}")
    assert "s3cr3t" not in message
    assert "czNjcjN0" not in message


def test_an_accounts_file_that_breaks_on_the_external_id_line_does_not_show_it(tmp_path: Path) -> None:
    message = load_error(
        tmp_path,
        f"""\
        accounts:
        - account_id: "111122223333"
          external_id: "{SECRET}
        """,
    )
    assert "is not valid YAML" in message
    assert "s3cr3t" not in message


def test_an_alias_bomb_in_an_accounts_file_is_refused_in_a_short_message(tmp_path: Path) -> None:
    lol = '["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
    levels = [f"&a0 {lol}"] + [f"&a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 7)]
    text = f'accounts:\n- account_id: "111122223333"\n  regions: [{", ".join(levels)}]\n'
    assert len(text) < 400
    message = load_error(tmp_path, text)
    assert "aliases stand for more than 1,000,000 values" in message
    assert len(message) < 800


@pytest.mark.parametrize(
    "entry",
    [
        "- account_id: '{long}'",
        "- account_id: '111122223333'\n  regions: '{long}'",
        "- account_id: '111122223333'\n  tags: ['{long}']",
        "- account_id: '111122223333'\n  role: '{long}'",
        "- '{long}'",
    ],
)
def test_an_accounts_file_error_quotes_at_most_a_few_hundred_characters(tmp_path: Path, entry: str) -> None:
    message = load_error(tmp_path, "accounts:\n" + entry.format(long="xxxxxxxxx " * 10_000) + "\n")
    assert "xxxxxxxxx xxxxxxxxx" in message
    assert len(message) < 600


@pytest.mark.parametrize("name", ["accounts.json", "accounts.yml"])
def test_a_deeply_nested_accounts_file_is_one_usage_error(tmp_path: Path, name: str) -> None:
    depth = 100_000
    text = '{"accounts": [{"account_id": "111122223333", "tags": ' + "[" * depth + "]" * depth + "}]}"
    message = load_error(tmp_path, text, name)
    assert "nested deeper than 100 levels" in message
    assert len(message) < 600


# --- filters -----------------------------------------------------------------------------------------------------


ACCOUNTS = [
    Account("111111111111", name="a", tags={"env": "prod", "team": "payments"}),
    Account("222222222222", name="b", tags={"env": "prod", "team": "search"}),
    Account("333333333333", name="c", tags={"env": "dev", "team": "payments"}),
    Account("444444444444", name="d"),
]


def test_parse_tag_filter() -> None:
    assert parse_tag_filter("env:prod") == ("env", "prod")
    assert parse_tag_filter("path:/root/ou:x") == ("path", "/root/ou:x")
    assert parse_tag_filter(" env : prod ") == ("env", "prod")


@pytest.mark.parametrize("text", ["novalue", ":prod", "", " :x"])
def test_parse_tag_filter_rejects_malformed(text: str) -> None:
    with pytest.raises(UsageError, match=r"--tag .*expected key:value"):
        parse_tag_filter(text)


def names(accounts: list[Account]) -> list[str | None]:
    return [account.name for account in accounts]


def test_filter_accounts_by_tags_and_exclusion() -> None:
    assert names(filter_accounts(ACCOUNTS)) == ["a", "b", "c", "d"]
    assert names(filter_accounts(ACCOUNTS, tags=[("env", "prod")])) == ["a", "b"]
    # Every tag filter must match.
    assert names(filter_accounts(ACCOUNTS, tags=[("env", "prod"), ("team", "payments")])) == ["a"]
    assert names(filter_accounts(ACCOUNTS, tags=[("env", "staging")])) == []
    assert names(filter_accounts(ACCOUNTS, exclude={"222222222222", "444444444444"})) == ["a", "c"]
    assert names(filter_accounts(ACCOUNTS, tags=[("team", "payments")], exclude=["111111111111"])) == ["c"]


def test_filter_accounts_rejects_malformed_exclusions() -> None:
    with pytest.raises(UsageError, match="--exclude 'prod': expected a 12-digit account id"):
        filter_accounts(ACCOUNTS, exclude=["prod"])


# --- roles -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_role_arn_from_a_bare_name(partition: str) -> None:
    assert role_arn("Audit", "012345678901", partition) == f"arn:{partition}:iam::012345678901:role/Audit"
    assert role_arn("ops/Audit", "012345678901", partition) == f"arn:{partition}:iam::012345678901:role/ops/Audit"
    assert role_arn("/ops/Audit", "012345678901", partition) == f"arn:{partition}:iam::012345678901:role/ops/Audit"


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_role_arn_keeps_an_arn(partition: str) -> None:
    arn = f"arn:{partition}:iam::012345678901:role/service-role/Audit"

    assert role_arn(arn, "012345678901", partition) == arn


def test_role_arn_in_another_account_is_refused() -> None:
    with pytest.raises(UsageError, match="is in account 999999999999, not in account 012345678901"):
        role_arn("arn:aws:iam::999999999999:role/Audit", "012345678901", "aws")


def test_role_arn_in_another_partition_is_refused() -> None:
    with pytest.raises(UsageError, match="is in partition aws, the credentials are in aws-cn"):
        role_arn("arn:aws:iam::012345678901:role/Audit", "012345678901", "aws-cn")


@pytest.mark.parametrize(
    ("role", "partition", "expected"),
    [
        ("Audit", "aws-iso", "unknown partition 'aws-iso'"),
        ("bad name", "aws", "neither a role ARN nor a role name"),
        ("", "aws", "neither a role ARN nor a role name"),
        ("arn:aws:iam::012345678901:user/Audit", "aws", "not an IAM role ARN"),
        ("arn:aws:sts::012345678901:role/Audit", "aws", "not an IAM role ARN"),
    ],
)
def test_role_arn_errors(role: str, partition: str, expected: str) -> None:
    with pytest.raises(UsageError, match=expected):
        role_arn(role, "012345678901", partition)


@pytest.mark.parametrize(
    ("arn", "partition"),
    [
        ("arn:aws:sts::123456789012:assumed-role/Audit/session", "aws"),
        ("arn:aws-cn:iam::123456789012:user/alice", "aws-cn"),
        ("arn:aws-us-gov:sts::123456789012:assumed-role/Audit/session", "aws-us-gov"),
    ],
)
def test_partition_of_arn(arn: str, partition: str) -> None:
    assert partition_of_arn(arn) == partition


@pytest.mark.parametrize("text", ["", "arn:aws", "not-an-arn:aws:sts::1:x", "arn::sts::123456789012:x"])
def test_partition_of_arn_rejects_non_arns(text: str) -> None:
    with pytest.raises(UsageError, match="not an ARN"):
        partition_of_arn(text)


# --- shards ------------------------------------------------------------------------------------------------------


def generated_accounts(count: int = 1000) -> list[Account]:
    generator = random.Random(20240601)
    ids = generator.sample(range(10**12), count)
    return [Account(f"{account_id:012d}") for account_id in ids]


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 13])
def test_shards_partition_the_accounts(count: int) -> None:
    accounts = generated_accounts()

    shards = [select_shard(accounts, index, count) for index in range(count)]

    ids = [account.account_id for shard in shards for account in shard]
    # Pairwise disjoint and covering: every account in exactly one shard.
    assert len(ids) == len(set(ids)) == len(accounts)
    assert set(ids) == {account.account_id for account in accounts}
    expected = len(accounts) / count
    for shard in shards:
        assert 0.6 * expected <= len(shard) <= 1.4 * expected
    for index, shard in enumerate(shards):
        assert all(shard_of(account.account_id, count) == index for account in shard)


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 13])
def test_one_more_shard_only_takes_accounts_into_the_new_shard(count: int) -> None:
    accounts = generated_accounts()

    before = {account.account_id: shard_of(account.account_id, count) for account in accounts}
    after = {account.account_id: shard_of(account.account_id, count + 1) for account in accounts}

    moved = {account_id for account_id in before if before[account_id] != after[account_id]}
    assert moved
    assert all(after[account_id] == count for account_id in moved)
    # The new shard gets roughly its share, nothing more.
    assert len(moved) <= 1.4 * len(accounts) / (count + 1)


def reference_shard(account_id: str, count: int) -> int:
    """The documented rule, spelled out: the highest blake2b weight wins, ties to the lower shard."""
    best, best_weight = 0, -1
    for shard in range(count):
        weight = int.from_bytes(hashlib.blake2b(f"{account_id}:{shard}".encode()).digest()[:8], "big")
        if weight > best_weight:
            best, best_weight = shard, weight
    return best


def test_shard_of_follows_the_documented_rule() -> None:
    for account in generated_accounts(200):
        for count in (1, 2, 3, 7):
            assert shard_of(account.account_id, count) == reference_shard(account.account_id, count)
    # Fixed values: every worker, on any machine and any release, must agree.
    assert [shard_of("123456789012", count) for count in (1, 2, 3, 5, 8, 13)] == [0, 0, 2, 2, 2, 8]
    assert [shard_of("000000000001", count) for count in (1, 2, 3, 5, 8, 13)] == [0, 0, 0, 4, 4, 4]


@pytest.mark.parametrize(("index", "count"), [(0, 0), (2, 2), (-1, 3)])
def test_select_shard_rejects_impossible_shards(index: int, count: int) -> None:
    with pytest.raises(UsageError, match="expected 0 <= index < count"):
        select_shard(ACCOUNTS, index, count)


def test_select_shard_keeps_order() -> None:
    accounts = generated_accounts(50)
    order = {account.account_id: position for position, account in enumerate(accounts)}

    for index in range(3):
        positions = [order[account.account_id] for account in select_shard(accounts, index, 3)]
        assert positions == sorted(positions)


@pytest.mark.parametrize(
    ("option", "environ", "expected"),
    [
        pytest.param(None, {}, None, id="nothing"),
        pytest.param("0/1", {}, (0, 1), id="option-single"),
        pytest.param("2/4", {}, (2, 4), id="option"),
        pytest.param(" 3 / 4 ", {}, (3, 4), id="option-spaces"),
        pytest.param(
            "1/2", {"JOB_COMPLETION_INDEX": "0", "CLOUDSWEEP_SHARD_COUNT": "8"}, (1, 2), id="option-wins-over-env"
        ),
        pytest.param("1/2", {"JOB_COMPLETION_INDEX": "0"}, (1, 2), id="option-wins-over-bad-env"),
        pytest.param(None, {"JOB_COMPLETION_INDEX": "3", "CLOUDSWEEP_SHARD_COUNT": "5"}, (3, 5), id="kubernetes"),
        pytest.param(None, {"AWS_BATCH_JOB_ARRAY_INDEX": "0", "CLOUDSWEEP_SHARD_COUNT": "2"}, (0, 2), id="batch"),
        pytest.param(
            None,
            {"JOB_COMPLETION_INDEX": "1", "AWS_BATCH_JOB_ARRAY_INDEX": "1", "CLOUDSWEEP_SHARD_COUNT": "2"},
            (1, 2),
            id="both-agree",
        ),
        pytest.param(None, {"JOB_COMPLETION_INDEX": "", "CLOUDSWEEP_SHARD_COUNT": ""}, None, id="empty-is-unset"),
        pytest.param(None, {"HOME": "/root"}, None, id="unrelated"),
    ],
)
def test_shard_from_environment(option: str | None, environ: dict[str, str], expected: tuple[int, int] | None) -> None:
    assert shard_from_environment(option, environ) == expected


@pytest.mark.parametrize(
    ("option", "environ", "expected"),
    [
        pytest.param("1", {}, "--shard '1': expected INDEX/COUNT", id="no-slash"),
        pytest.param("a/b", {}, "--shard 'a/b': expected INDEX/COUNT", id="not-numbers"),
        pytest.param("-1/2", {}, "--shard '-1/2': expected INDEX/COUNT", id="negative"),
        pytest.param("2/2", {}, "--shard '2/2': expected 0 <= INDEX < COUNT", id="index-too-big"),
        pytest.param("0/0", {}, "--shard '0/0': expected 0 <= INDEX < COUNT", id="zero-count"),
        pytest.param(
            None,
            {"JOB_COMPLETION_INDEX": "2"},
            "JOB_COMPLETION_INDEX is set but CLOUDSWEEP_SHARD_COUNT is not",
            id="index-without-count",
        ),
        pytest.param(
            None,
            {"AWS_BATCH_JOB_ARRAY_INDEX": "2"},
            "AWS_BATCH_JOB_ARRAY_INDEX is set but CLOUDSWEEP_SHARD_COUNT is not",
            id="batch-index-without-count",
        ),
        pytest.param(
            None,
            {"CLOUDSWEEP_SHARD_COUNT": "4"},
            "CLOUDSWEEP_SHARD_COUNT is set but no shard index is",
            id="count-without-index",
        ),
        pytest.param(
            None,
            {"JOB_COMPLETION_INDEX": "x", "CLOUDSWEEP_SHARD_COUNT": "4"},
            "JOB_COMPLETION_INDEX='x' is not a non-negative integer",
            id="malformed-index",
        ),
        pytest.param(
            None,
            {"JOB_COMPLETION_INDEX": "1", "CLOUDSWEEP_SHARD_COUNT": "four"},
            "CLOUDSWEEP_SHARD_COUNT='four' is not a non-negative integer",
            id="malformed-count",
        ),
        pytest.param(
            None,
            {"JOB_COMPLETION_INDEX": "4", "CLOUDSWEEP_SHARD_COUNT": "4"},
            "JOB_COMPLETION_INDEX=4 with CLOUDSWEEP_SHARD_COUNT=4: expected 0 <= index < count",
            id="index-out-of-range",
        ),
        pytest.param(
            None,
            {"JOB_COMPLETION_INDEX": "0", "CLOUDSWEEP_SHARD_COUNT": "0"},
            "expected 0 <= index < count",
            id="zero-count-env",
        ),
        pytest.param(
            None,
            {"JOB_COMPLETION_INDEX": "0", "AWS_BATCH_JOB_ARRAY_INDEX": "1", "CLOUDSWEEP_SHARD_COUNT": "2"},
            "conflicting shard indexes: JOB_COMPLETION_INDEX=0, AWS_BATCH_JOB_ARRAY_INDEX=1",
            id="conflicting-indexes",
        ),
    ],
)
def test_shard_from_environment_errors(option: str | None, environ: dict[str, str], expected: str) -> None:
    with pytest.raises(UsageError) as caught:
        shard_from_environment(option, environ)

    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("option", "environ", "expected"),
    [
        pytest.param("0/10001", {}, "--shard '0/10001': expected COUNT <= 10000", id="option"),
        pytest.param(
            "0/99999999999999999999", {}, "--shard '0/99999999999999999999': expected COUNT <= 10000", id="option-huge"
        ),
        pytest.param(
            None,
            {"JOB_COMPLETION_INDEX": "0", "CLOUDSWEEP_SHARD_COUNT": "10001"},
            "CLOUDSWEEP_SHARD_COUNT=10001: expected at most 10000 shards",
            id="kubernetes",
        ),
        pytest.param(
            None,
            {"AWS_BATCH_JOB_ARRAY_INDEX": "3", "CLOUDSWEEP_SHARD_COUNT": "999999999999999999"},
            "CLOUDSWEEP_SHARD_COUNT=999999999999999999: expected at most 10000 shards",
            id="batch",
        ),
    ],
)
def test_more_shards_than_an_organization_has_accounts_are_refused(
    option: str | None, environ: dict[str, str], expected: str
) -> None:
    with pytest.raises(UsageError) as caught:
        shard_from_environment(option, environ)
    assert str(caught.value).startswith(expected)
    with pytest.raises(UsageError, match="at most 10000"):
        select_shard(ACCOUNTS, 0, 10_001)
    # The bound itself is taken.
    assert shard_from_environment("9999/10000", {}) == (9999, 10_000)
    environment = {"AWS_BATCH_JOB_ARRAY_INDEX": "9999", "CLOUDSWEEP_SHARD_COUNT": "10000"}
    assert shard_from_environment(None, environment) == (9999, 10_000)


def test_selecting_a_shard_takes_time_in_the_accounts_not_in_the_shards() -> None:
    import time

    accounts = generated_accounts(2000)
    started = time.perf_counter()
    chosen = select_shard(accounts, 7, 10_000)
    assert time.perf_counter() - started < 2
    # Exactly the accounts whose highest weight is shard 7's: those chosen, and a sample of the others, checked in
    # full against the documented rule.
    assert all(reference_shard(account.account_id, 10_000) == 7 for account in chosen)
    chosen_ids = {account.account_id for account in chosen}
    others = [account for account in accounts if account.account_id not in chosen_ids]
    assert all(reference_shard(account.account_id, 10_000) != 7 for account in others[:40])
    # And for small counts, every shard's share is exactly shard_of's.
    for count in (2, 7, 64):
        owners = {account.account_id: shard_of(account.account_id, count) for account in accounts[:1000]}
        for index in range(count):
            expected = [account for account in accounts[:1000] if owners[account.account_id] == index]
            assert select_shard(accounts[:1000], index, count) == expected


# --- regions -----------------------------------------------------------------------------------------------------


KNOWN_REGIONS = frozenset({"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"})


def test_validate_regions() -> None:
    assert validate_regions(["eu-west-1", "us-east-1", "eu-west-1"], KNOWN_REGIONS) == ("eu-west-1", "us-east-1")
    assert validate_regions([], KNOWN_REGIONS) == ()


def test_validate_regions_lists_every_unknown_name() -> None:
    with pytest.raises(UsageError) as caught:
        validate_regions(["us-east-1", "us-est-1", "mars-north-1"], KNOWN_REGIONS)

    assert str(caught.value) == "unknown regions: us-est-1 (did you mean us-east-1?), mars-north-1"
