"""Account ids, role ARNs, regions, tag filters and shards: valid ones accepted and normalised, invalid ones one
`UsageError` that names what was given."""

from __future__ import annotations

import os
import string
from collections.abc import Callable
from unittest import mock

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from scanner.errors import UsageError
from scanner.scan.options import _account_id, account_source
from scanner.scan.request import known_regions, parse_regions
from scanner.scan.targets import (
    PARTITIONS,
    SHARD_COUNT_VARIABLE,
    SHARD_INDEX_VARIABLES,
    Account,
    parse_tag_filter,
    partition_of_arn,
    role_arn,
    select_shard,
    shard_from_environment,
    shard_of,
    validate_regions,
)
from tests.property.strategies import account_ids, not_account_ids, padding

KNOWN = sorted(known_regions())
known = st.sampled_from(KNOWN)
# Tokens of a comma-separated list that are not region names.
not_regions = (
    st.one_of(
        st.text(max_size=15),
        st.from_regex(r"[a-z]{2}-[a-z]{3,9}-[0-9]{1,2}", fullmatch=True),
        known.map(str.upper),
        known.map(lambda region: region.replace("-", "_")),
        known.map(lambda region: region + "a"),
    )
    .map(lambda text: text.replace(",", "").strip())
    .filter(lambda text: text != "" and text not in KNOWN)
)
role_words = st.from_regex(r"[A-Za-z0-9+=,.@_-]{1,20}", fullmatch=True)
role_names = st.builds(
    lambda path, name: "".join(part + "/" for part in path) + name,
    st.lists(role_words, max_size=2),
    role_words,
)
partitions = st.sampled_from(PARTITIONS)


def joined(parts: list[str], draw_padding: st.DataObject) -> str:
    return ",".join(draw_padding.draw(padding) + part + draw_padding.draw(padding) for part in parts)


# --- regions ---------------------------------------------------------------------------------------------------------


@given(st.lists(known, min_size=1, max_size=6), st.data())
def test_region_names_are_accepted_once_each_in_order(regions: list[str], data: st.DataObject) -> None:
    blanks = data.draw(st.lists(st.sampled_from(["", " "]), max_size=2))
    assert parse_regions(joined(regions + blanks, data)) == tuple(dict.fromkeys(regions))
    assert validate_regions(regions, KNOWN) == tuple(dict.fromkeys(regions))


@given(padding, padding)
def test_all_means_each_accounts_enabled_regions(before: str, after: str) -> None:
    assert parse_regions(f"{before}all{after}") is None


@given(st.one_of(st.none(), st.just("")), st.sampled_from(["AWS_REGION", "AWS_DEFAULT_REGION", None]), known)
def test_no_regions_means_the_ambient_one(value: str | None, variable: str | None, region: str) -> None:
    environment = {
        name: value for name, value in os.environ.items() if name not in ("AWS_REGION", "AWS_DEFAULT_REGION")
    }
    if variable is not None:
        environment[variable] = region
    with mock.patch.dict(os.environ, environment, clear=True):
        assert parse_regions(value) == ((region,) if variable else ("us-east-1",))


@given(st.lists(known, max_size=3), st.lists(not_regions, min_size=1, max_size=3), st.data())
def test_a_name_that_is_not_a_region_is_one_usage_error_naming_it(
    regions: list[str], wrong: list[str], data: st.DataObject
) -> None:
    parts = data.draw(st.permutations(regions + wrong))
    text = joined(parts, data)
    assume(text.strip() != "all")
    with pytest.raises(UsageError) as raised:
        parse_regions(text)
    message = str(raised.value)
    # The unknown names, in the order given, each once.
    listed = ", ".join(dict.fromkeys(part for part in parts if part in wrong))
    assert message.startswith(f"--regions: not region names: {listed!r}")
    with pytest.raises(UsageError) as raised:
        validate_regions(parts, KNOWN)
    assert str(raised.value).startswith("unknown region")
    assert all(name in str(raised.value) for name in wrong)


@given(st.text(alphabet=", \t", min_size=1, max_size=5))
def test_a_list_of_nothing_is_one_usage_error(text: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_regions(text)
    assert str(raised.value).startswith("--regions: not region names")


# --- account ids -----------------------------------------------------------------------------------------------------


@given(account_ids)
def test_a_12_digit_account_id_is_accepted_as_is(account_id: str) -> None:
    assert Account(account_id).account_id == account_id
    assert _account_id(f" {account_id} ", "--security-hub-account") == account_id


@given(st.one_of(not_account_ids, st.integers(), st.none(), st.booleans()))
def test_anything_else_is_not_an_account_id(value: object) -> None:
    with pytest.raises(UsageError) as raised:
        Account(value)
    assert str(raised.value) == f"account id must be 12 digits, got {value!r}"


@given(st.lists(account_ids, max_size=5, unique=True), st.lists(account_ids, max_size=3, unique=True), st.data())
def test_listed_and_excluded_accounts_are_parsed_in_order(
    listed: list[str], excluded: list[str], data: st.DataObject
) -> None:
    source = account_source({"account_ids": joined(listed, data), "exclude_accounts": joined(excluded, data)}, {})
    assert source.accounts == tuple(Account(account_id) for account_id in listed)
    assert source.exclude == frozenset(excluded)
    assert source.shard is None


@given(
    st.lists(account_ids, max_size=3, unique=True),
    not_account_ids.map(lambda text: text.replace(",", "").strip()).filter(
        lambda text: text != "" and not (len(text) == 12 and all(char in string.digits for char in text))
    ),
    st.sampled_from([("account_ids", "--accounts"), ("exclude_accounts", "--exclude-accounts")]),
    st.data(),
)
def test_a_listed_id_that_is_not_12_digits_is_one_usage_error(
    good: list[str], bad: str, option: tuple[str, str], data: st.DataObject
) -> None:
    assume(not (bad.isascii() and bad.isdigit() and len(bad) == 12))
    parts = data.draw(st.permutations([*good, bad]))
    with pytest.raises(UsageError) as raised:
        account_source({option[0]: joined(parts, data)}, {})
    assert str(raised.value) == f"{option[1]}: {bad!r} is not a 12-digit account id"


@given(account_ids, st.data())
def test_an_account_listed_twice_is_one_usage_error(account_id: str, data: st.DataObject) -> None:
    with pytest.raises(UsageError) as raised:
        account_source({"account_ids": joined([account_id, account_id], data)}, {})
    assert "listed twice" in str(raised.value)


# Arabic-Indic 012345678901, fullwidth 111122223333.
@pytest.mark.parametrize(
    "digits", ["\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661", "\uff11" * 12]
)
@pytest.mark.parametrize("option", ["--exclude-accounts", "--security-hub-account"])
def test_other_scripts_digits_are_not_an_account_id(digits: str, option: str) -> None:
    parse: Callable[[], object] = (
        (lambda: account_source({"exclude_accounts": digits}, {}))
        if option == "--exclude-accounts"
        else (lambda: _account_id(digits, option))
    )
    with pytest.raises(UsageError):
        parse()


# --- role ARNs -------------------------------------------------------------------------------------------------------


@given(role_names, account_ids, partitions, st.sampled_from(["", "/"]), st.sampled_from(["", "/"]))
def test_a_role_name_becomes_the_arn_in_the_account_and_partition(
    name: str, account_id: str, partition: str, lead: str, trail: str
) -> None:
    arn = role_arn(lead + name + trail, account_id, partition)
    assert arn == f"arn:{partition}:iam::{account_id}:role/{name}"
    assert partition_of_arn(arn) == partition
    # An ARN is taken as given: building it again changes nothing.
    assert role_arn(arn, account_id, partition) == arn


@given(role_names, account_ids, account_ids, partitions)
def test_a_role_arn_of_another_account_is_one_usage_error(
    name: str, account_id: str, other: str, partition: str
) -> None:
    assume(other != account_id)
    with pytest.raises(UsageError) as raised:
        role_arn(f"arn:{partition}:iam::{other}:role/{name}", account_id, partition)
    assert f"is in account {other}, not in account {account_id}" in str(raised.value)


@given(role_names, account_ids, partitions, partitions)
def test_a_role_arn_of_another_partition_is_one_usage_error(
    name: str, account_id: str, partition: str, other: str
) -> None:
    assume(other != partition)
    with pytest.raises(UsageError) as raised:
        role_arn(f"arn:{other}:iam::{account_id}:role/{name}", account_id, partition)
    assert f"is in partition {other}, the credentials are in {partition}" in str(raised.value)


@given(role_names, not_account_ids, partitions)
def test_a_role_in_an_invalid_account_is_one_usage_error(name: str, account_id: str, partition: str) -> None:
    with pytest.raises(UsageError) as raised:
        role_arn(name, account_id, partition)
    assert str(raised.value) == f"account id must be 12 digits, got {account_id!r}"


@given(role_names, account_ids, st.text(max_size=10).filter(lambda text: text not in PARTITIONS))
def test_an_unknown_partition_is_one_usage_error(name: str, account_id: str, partition: str) -> None:
    with pytest.raises(UsageError) as raised:
        role_arn(name, account_id, partition)
    assert str(raised.value).startswith(f"unknown partition {partition!r}")


invalid_role_names = st.one_of(
    st.sampled_from(["", "/", "a//b", "bad role", "role!", "x" * 65, "p/" + "x" * 65, "ロール", "a\nb", " a"]),
    st.text(min_size=1, max_size=12).filter(
        lambda text: any(char not in string.ascii_letters + string.digits + "+=,.@_-/" for char in text)
    ),
).filter(lambda text: not text.startswith("arn:"))
invalid_role_arns = st.one_of(
    st.sampled_from(["arn:", "arn:aws", "arn:aws:iam::role/x", "arn:aws:s3:::bucket"]),
    st.tuples(partitions, account_ids).flatmap(
        lambda pair: st.sampled_from(
            [
                f"arn:{pair[0]}:iam::{pair[1]}:user/x",
                f"arn:{pair[0]}:iam::{pair[1]}:role/",
                f"arn:{pair[0]}:iam::{pair[1]}:role/bad role",
                f"arn:{pair[0]}:iam::{pair[1][:-1]}:role/x",
                f"arn:{pair[0]}:sts::{pair[1]}:role/x",
            ]
        )
    ),
)


@given(st.one_of(invalid_role_names, invalid_role_arns), account_ids, partitions)
def test_an_invalid_role_is_one_usage_error_naming_it(role: str, account_id: str, partition: str) -> None:
    with pytest.raises(UsageError) as raised:
        role_arn(role, account_id, partition)
    assert str(raised.value).startswith(f"role {role!r} is ")


@given(partitions, account_ids, st.text(max_size=20))
def test_the_partition_of_an_arn(partition: str, account_id: str, rest: str) -> None:
    assert partition_of_arn(f"arn:{partition}:sts::{account_id}:assumed-role/{rest}") == partition


@given(st.text(max_size=30))
def test_text_that_is_not_an_arn_is_one_usage_error(text: str) -> None:
    parts = text.split(":", 5)
    assume(not (len(parts) == 6 and parts[0] == "arn" and parts[1]))
    with pytest.raises(UsageError) as raised:
        partition_of_arn(text)
    assert str(raised.value) == f"not an ARN: {text!r}"


# --- tag filters -----------------------------------------------------------------------------------------------------

tag_keys = st.text(min_size=1, max_size=10).filter(lambda text: ":" not in text and text.strip() != "")


@given(tag_keys, st.text(max_size=15))
def test_a_tag_filter_is_key_and_everything_after_the_first_colon(key: str, value: str) -> None:
    assert parse_tag_filter(f"{key}:{value}") == (key.strip(), value.strip())


@given(
    st.one_of(
        st.text(max_size=15).filter(lambda text: ":" not in text),
        st.text(alphabet=" \t", max_size=3).map(lambda blank: blank + ":x"),
    )
)
def test_a_tag_filter_without_a_key_is_one_usage_error(text: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_tag_filter(text)
    assert str(raised.value) == f"--tag {text!r}: expected key:value, e.g. env:prod"


# --- shards ----------------------------------------------------------------------------------------------------------

shards = st.integers(1, 64).flatmap(lambda count: st.tuples(st.integers(0, count - 1), st.just(count)))


@given(shards, padding, padding, padding, padding)
def test_a_shard_option_is_index_and_count(shard: tuple[int, int], a: str, b: str, c: str, d: str) -> None:
    index, count = shard
    assert shard_from_environment(f"{a}{index}{b}/{c}{count}{d}", {}) == shard
    # The option wins over the environment.
    assert (
        shard_from_environment(f"{index}/{count}", {SHARD_INDEX_VARIABLES[0]: "0", SHARD_COUNT_VARIABLE: "1"}) == shard
    )


@given(
    st.one_of(
        st.integers(0, 64).flatmap(lambda count: st.integers(count, count + 5).map(lambda index: f"{index}/{count}")),
        st.sampled_from(
            ["", "/", "1", "1/", "/4", "-1/4", "1/-4", "1/4/5", "a/b", "1.0/4", "0x1/4", "1 / 4 x", "\uff11/\uff14"]
        ),
        st.text(max_size=8).filter(lambda text: "/" not in text),
    )
)
def test_a_bad_shard_option_is_one_usage_error_naming_it(option: str) -> None:
    with pytest.raises(UsageError) as raised:
        shard_from_environment(option, {})
    assert str(raised.value).startswith(f"--shard {option!r}: expected ")


@given(shards, st.sampled_from([*SHARD_INDEX_VARIABLES, "both"]), padding)
def test_a_shard_from_a_job_index_and_the_shard_count(shard: tuple[int, int], variable: str, pad: str) -> None:
    index, count = shard
    names = SHARD_INDEX_VARIABLES if variable == "both" else (variable,)
    environment = {name: f"{pad}{index}{pad}" for name in names} | {SHARD_COUNT_VARIABLE: str(count)}
    assert shard_from_environment(None, environment) == shard


@given(
    st.fixed_dictionaries(
        {},
        optional={
            SHARD_INDEX_VARIABLES[0]: st.one_of(st.integers(0, 9).map(str), st.text(max_size=3)),
            SHARD_INDEX_VARIABLES[1]: st.one_of(st.integers(0, 9).map(str), st.text(max_size=3)),
            SHARD_COUNT_VARIABLE: st.one_of(st.integers(0, 9).map(str), st.text(max_size=3)),
        },
    )
)
def test_any_shard_environment_is_a_shard_none_or_one_usage_error(environment: dict[str, str]) -> None:
    numbers = {}
    for name, value in environment.items():
        if value.strip():
            numbers[name] = int(value.strip()) if value.strip().isascii() and value.strip().isdigit() else None
    indexes = {numbers[name] for name in SHARD_INDEX_VARIABLES if name in numbers}
    count = numbers.get(SHARD_COUNT_VARIABLE)
    valid = (
        None not in numbers.values() and len(indexes) == 1 and count is not None and 0 <= next(iter(indexes)) < count
    )
    if valid:
        assert shard_from_environment(None, environment) == (next(iter(indexes)), count)
    elif not numbers:
        assert shard_from_environment(None, environment) is None
    else:
        with pytest.raises(UsageError) as raised:
            shard_from_environment(None, environment)
        assert any(name in str(raised.value) for name in (*SHARD_INDEX_VARIABLES, SHARD_COUNT_VARIABLE))


@given(st.lists(account_ids, max_size=12, unique=True), st.integers(1, 8))
def test_shards_partition_the_accounts_and_growing_moves_accounts_only_to_the_new_shard(
    ids: list[str], count: int
) -> None:
    accounts = [Account(account_id) for account_id in ids]
    shares = [select_shard(accounts, index, count) for index in range(count)]
    assert sorted(account.account_id for share in shares for account in share) == sorted(ids)
    for index, share in enumerate(shares):
        assert share == [account for account in accounts if shard_of(account.account_id, count) == index]
    for account_id in ids:
        assert shard_of(account_id, count + 1) in (shard_of(account_id, count), count)


@given(st.integers(-3, 5), st.integers(-3, 5))
def test_an_impossible_shard_is_one_usage_error(index: int, count: int) -> None:
    assume(count < 1 or not 0 <= index < count)
    with pytest.raises(UsageError) as raised:
        select_shard([], index, count)
    assert str(raised.value).startswith(f"shard {index}/{count}: expected")


@pytest.mark.parametrize("where", ["option", "environment"])
def test_a_shard_number_too_long_for_int_is_one_usage_error(where: str) -> None:
    huge = "9" * 5000
    option, environment = (
        (f"0/{huge}", {}) if where == "option" else (None, {SHARD_INDEX_VARIABLES[0]: "0", SHARD_COUNT_VARIABLE: huge})
    )
    with pytest.raises(UsageError):
        shard_from_environment(option, environment)
