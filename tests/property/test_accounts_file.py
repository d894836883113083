"""`load_accounts_file` (c7n-org's accounts.yml): valid files give their accounts, normalised; a broken entry gives one
`UsageError` naming the file and the entry (its index, and its account id when it has a readable one)."""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import assume, given
from hypothesis import strategies as st

from scanner.errors import UsageError
from scanner.scan.targets import PARTITIONS, Account, load_accounts_file
from tests.property.strategies import REGIONS, account_ids, json_scalars, json_values, not_account_ids, padding

role_words = st.from_regex(r"[A-Za-z0-9+=,.@_-]{1,20}", fullmatch=True)
role_names = st.builds(
    lambda path, name, lead, trail: lead + "".join(part + "/" for part in path) + name + trail,
    st.lists(role_words, max_size=2),
    role_words,
    st.sampled_from(["", "/"]),
    st.sampled_from(["", "/"]),
)
texts = st.text(alphabet=string.ascii_letters + string.digits + " -_.é", min_size=1, max_size=15).filter(str.strip)
tag_keys = st.text(alphabet=string.ascii_letters + "-_", min_size=1, max_size=8)
tag_values = st.text(alphabet=string.ascii_letters + string.digits + "-_:", max_size=8)


@st.composite
def accounts(draw: st.DrawFn, account_id: str) -> tuple[dict[str, Any], Account]:
    """One entry as a file spells it, and the Account it must load as."""
    entry: dict[str, Any] = {}
    spelled: Any = account_id
    if draw(st.booleans()):
        # Unquoted digits: YAML and JSON read a number; the loader puts leading zeros back.
        spelled = int(account_id)
    elif draw(st.booleans()):
        spelled = draw(padding) + account_id + draw(padding)
    entry["account_id"] = spelled
    fields: dict[str, Any] = {}
    if draw(st.booleans()):
        name = draw(st.one_of(texts, st.integers(0, 10**6)))
        entry["name"], fields["name"] = name, str(name).strip()
    if draw(st.booleans()):
        role = draw(
            st.one_of(
                role_names,
                st.tuples(st.sampled_from(PARTITIONS), role_names).map(
                    lambda pair: f"arn:{pair[0]}:iam::{account_id}:role/{pair[1].strip('/')}"
                ),
            )
        )
        entry["role"], fields["role"] = role, role
    if draw(st.booleans()):
        external = draw(st.one_of(texts, st.integers(0, 10**9)))
        entry["external_id"], fields["external_id"] = external, str(external).strip()
    if draw(st.booleans()):
        regions = draw(st.lists(st.sampled_from(REGIONS), max_size=4))
        entry["regions"] = [draw(padding) + region + draw(padding) for region in regions]
        fields["regions"] = tuple(dict.fromkeys(regions)) or None
    if draw(st.booleans()):
        tags = draw(st.dictionaries(tag_keys, tag_values, min_size=1, max_size=3))
        if draw(st.booleans()):
            entry["tags"] = [f"{key}:{value}" for key, value in tags.items()]
        else:
            entry["tags"] = {key: draw(st.sampled_from([value, f" {value} "])) for key, value in tags.items()}
        fields["tags"] = tags
    for ignored in draw(st.lists(st.sampled_from(["display_name", "email", "vars", "org_id"]), unique=True)):
        entry[ignored] = draw(json_scalars)
    return entry, Account(account_id, **fields)


@st.composite
def account_files(draw: st.DrawFn, min_size: int = 0) -> tuple[dict[str, Any], list[Account]]:
    ids = draw(st.lists(account_ids, min_size=min_size, max_size=5, unique=True))
    pairs = [draw(accounts(account_id)) for account_id in ids]
    document: dict[str, Any] = {"accounts": [entry for entry, _ in pairs]}
    if draw(st.booleans()):
        document["vars"] = {"charge_code": "xyz"}
    return document, [account for _, account in pairs]


def write(directory: Path, document: Any, style: str) -> Path:
    """The document as JSON, as YAML, or as YAML with every account id unquoted (`account_id: 012345670123`)."""
    if style == "json":
        path = directory / "accounts.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        return path
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    if style == "bare":
        text = re.sub(r"account_id: '([0-9]{12})'", r"account_id: \1", text)
    path = directory / "accounts.yml"
    path.write_text(text, encoding="utf-8")
    return path


styles = st.sampled_from(["json", "yaml", "bare"])


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("accounts")


@pytest.mark.slow
@given(account_files(), styles)
def test_a_valid_file_loads_its_accounts_normalised(
    directory: Path, case: tuple[dict[str, Any], list[Account]], style: str
) -> None:
    document, expected = case
    loaded = load_accounts_file(write(directory, document, style))
    assert loaded == expected
    assert [account.account_id for account in loaded] == [account.account_id for account in expected]
    for account in loaded:
        assert re.fullmatch(r"[0-9]{12}", account.account_id)


def _replace(key: str, values: st.SearchStrategy[Any], problem: str) -> Callable[[dict[str, Any], st.DataObject], str]:
    def mutate(entry: dict[str, Any], data: st.DataObject) -> str:
        entry[key] = data.draw(values, key)
        return problem

    return mutate


def _missing_account_id(entry: dict[str, Any], data: st.DataObject) -> str:
    del entry["account_id"]
    return "no account_id"


def _unknown_key(entry: dict[str, Any], data: st.DataObject) -> str:
    key = data.draw(st.sampled_from(["acount_id", "accountid", "roles", "region", "tag", "externalid", "foo"]))
    entry[key] = data.draw(json_scalars)
    return f"unknown key {key}"


def _profile(entry: dict[str, Any], data: st.DataObject) -> str:
    entry["profile"] = data.draw(st.sampled_from(["default", "prod"]))
    return "profile is not supported"


def _role_elsewhere(entry: dict[str, Any], data: st.DataObject) -> str:
    other = data.draw(account_ids.filter(lambda other: other != str(entry["account_id"]).strip().zfill(12)))
    entry["role"] = f"arn:aws:iam::{other}:role/CloudSweep"
    return f"is in account {other}, not in account"


def _duplicate_tag(entry: dict[str, Any], data: st.DataObject) -> str:
    key = data.draw(tag_keys)
    entry["tags"] = [f"{key}:a", f"{key}:b"]
    return f"tag {key!r} given twice"


TOP_LEVEL_KEYS = ("accounts", "vars", "subscriptions", "projects", "tenancies")
scalar_non_strings = st.one_of(
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), min_size=1, max_size=1),
)
not_strings = st.one_of(
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), min_size=1, max_size=1),
)
MUTATIONS: dict[str, Callable[[dict[str, Any], st.DataObject], str]] = {
    "no account_id": _missing_account_id,
    "account_id not 12 digits": _replace(
        "account_id",
        not_account_ids.filter(lambda text: not re.fullmatch(r"[0-9]{12}", text.strip())),
        "account_id must be 12 digits",
    ),
    "account_id a number out of range": _replace(
        "account_id", st.one_of(st.integers(max_value=-1), st.integers(min_value=10**12)), "account_id must be"
    ),
    "account_id another type": _replace("account_id", not_strings, "account_id must be 12 digits"),
    "unknown key": _unknown_key,
    "profile": _profile,
    "role chain": _replace("role", st.lists(role_names, min_size=1, max_size=2), "role chains"),
    "role not a name": _replace(
        "role",
        st.one_of(
            st.sampled_from(["bad role", "a//b", "role!", "x" * 65, "p/" + "x" * 65, "ロール", "a\nb"]),
            st.text(min_size=1, max_size=10).filter(
                lambda text: text.strip() != "" and not re.fullmatch(r"[\w+=,.@/-]+", text.strip(), re.ASCII)
            ),
        ).filter(lambda text: not text.strip().startswith("arn:")),
        "is neither a role ARN nor a role name",
    ),
    "role ARN malformed": _replace(
        "role",
        st.sampled_from(
            [
                "arn:aws:iam::12345:role/x",
                "arn:aws:s3:::bucket",
                "arn:aws:iam::111122223333:user/x",
                "arn:aws:iam::111122223333:role/",
                "arn:AWS:iam::111122223333:role/x",
                "arn:",
            ]
        ),
        "is not an IAM role ARN",
    ),
    "role blank or not a string": _replace(
        "role",
        st.one_of(st.sampled_from(["", " ", "\t"]), scalar_non_strings),
        "role must be a non-empty string",
    ),
    "name blank or not a string": _replace(
        "name", st.one_of(st.sampled_from(["", "  "]), not_strings), "name must be a non-empty string"
    ),
    "external_id blank or not a string": _replace(
        "external_id", st.one_of(st.sampled_from(["", "  "]), not_strings), "external_id must be a non-empty string"
    ),
    "regions not a list of names": _replace(
        "regions",
        st.one_of(
            st.text(min_size=1, max_size=10),
            st.integers(),
            st.dictionaries(st.text(max_size=3), st.text(max_size=3), min_size=1, max_size=1),
            st.lists(st.one_of(st.integers(), st.sampled_from(["", " "]), st.none()), min_size=1, max_size=2),
        ),
        "regions must be a list of region names",
    ),
    "tags neither list nor mapping": _replace(
        "tags", st.one_of(st.text(min_size=1, max_size=8), st.integers(), st.booleans()), "tags must be a list"
    ),
    "tag not a string": _replace(
        "tags",
        st.lists(st.one_of(st.integers(), st.none(), st.booleans()), min_size=1, max_size=2),
        "is not a key:value string",
    ),
    "tag not key:value": _replace(
        "tags", st.sampled_from([["novalue"], [":value"], [" :value"], ["env:prod", "x"]]), "is not key:value"
    ),
    "tag key not a string": _replace(
        # JSON object keys are strings: the number and boolean keys are YAML's (the test writes those as YAML).
        "tags",
        st.sampled_from([{1: "a"}, {"": "a"}, {" ": "a"}, {True: "a"}]),
        "is not a non-empty string",
    ),
    "tag value not a string": _replace(
        "tags",
        st.one_of(st.none(), st.booleans(), st.lists(st.text(max_size=2), max_size=1)).map(
            lambda value: {"env": value}
        ),
        "must have a string value",
    ),
    "tag given twice": _duplicate_tag,
    "role ARN in another account": _role_elsewhere,
}


@pytest.mark.slow
@given(account_files(), st.sampled_from(sorted(MUTATIONS)), styles, st.data())
def test_one_broken_entry_is_one_usage_error_naming_it(
    directory: Path, case: tuple[dict[str, Any], list[Account]], mutation: str, style: str, data: st.DataObject
) -> None:
    document, expected = case
    account_id = data.draw(account_ids, "account id")
    assume(account_id not in [account.account_id for account in expected])
    entry, _ = data.draw(accounts(account_id), "entry")
    problem = MUTATIONS[mutation](entry, data)
    if mutation == "tag key not a string":
        style = "yaml"
    index = data.draw(st.integers(0, len(document["accounts"])), "index")
    document["accounts"].insert(index, entry)
    path = write(directory, document, style)
    with pytest.raises(UsageError) as raised:
        load_accounts_file(path)
    message = str(raised.value)
    assert message.startswith(f"accounts file {path}, entry {index}"), message
    assert problem in message
    spelled = entry.get("account_id")
    if isinstance(spelled, str) and re.fullmatch(r"\s*[0-9]{12}\s*", spelled):
        assert f"(account {spelled})" in message


@pytest.mark.slow
@given(account_files(min_size=1), styles, st.data())
def test_a_repeated_account_is_one_usage_error_naming_both_entries(
    directory: Path, case: tuple[dict[str, Any], list[Account]], style: str, data: st.DataObject
) -> None:
    document, expected = case
    first = data.draw(st.integers(0, len(expected) - 1), "first")
    entry, _ = data.draw(accounts(expected[first].account_id), "repeat")
    index = data.draw(st.integers(first + 1, len(expected)), "index")
    document["accounts"].insert(index, entry)
    path = write(directory, document, style)
    with pytest.raises(UsageError) as raised:
        load_accounts_file(path)
    assert str(raised.value).startswith(f"accounts file {path}, entry {index}")
    assert f"duplicate account_id {expected[first].account_id}, already at entry {first}" in str(raised.value)


@pytest.mark.slow
@given(account_files(), st.one_of(json_scalars, st.lists(json_scalars, max_size=2)), styles, st.data())
def test_an_entry_that_is_not_an_object_is_one_usage_error(
    directory: Path, case: tuple[dict[str, Any], list[Account]], entry: Any, style: str, data: st.DataObject
) -> None:
    document, _ = case
    index = data.draw(st.integers(0, len(document["accounts"])), "index")
    document["accounts"].insert(index, entry)
    path = write(directory, document, style)
    with pytest.raises(UsageError) as raised:
        load_accounts_file(path)
    assert str(raised.value).startswith(f"accounts file {path}, entry {index}: an account must be an object")


@pytest.mark.slow
@given(
    st.one_of(
        json_values().filter(lambda value: not isinstance(value, dict)),
        st.dictionaries(st.text(max_size=6), json_values(), max_size=3).filter(
            lambda document: not isinstance(document.get("accounts"), list)
        ),
        st.dictionaries(
            st.text(max_size=6).filter(lambda key: key not in TOP_LEVEL_KEYS), json_scalars, min_size=1
        ).map(lambda extra: {"accounts": [], **extra}),
    ),
    styles,
)
def test_a_malformed_document_is_one_usage_error(directory: Path, document: Any, style: str) -> None:
    path = write(directory, document, style)
    with pytest.raises(UsageError) as raised:
        load_accounts_file(path)
    assert str(raised.value).startswith(f"accounts file {path}")


@given(st.text(max_size=200), st.sampled_from(["accounts.yml", "accounts.json"]))
def test_arbitrary_text_is_accounts_or_one_usage_error(directory: Path, text: str, name: str) -> None:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    try:
        loaded = load_accounts_file(path)
    except UsageError as error:
        assert_names_the_file(error, path)
        return
    assert all(isinstance(account, Account) for account in loaded)


def assert_names_the_file(error: UsageError, path: Path) -> None:
    assert f"accounts file {path}" in str(error)


@pytest.mark.parametrize("name", ["accounts.yml", "accounts.json"])
def test_deeply_nested_accounts_file_is_a_usage_error(directory: Path, name: str) -> None:
    path = directory / name
    path.write_text('{"accounts": ' + "[" * 100_000, encoding="utf-8")
    with pytest.raises(UsageError):
        load_accounts_file(path)
