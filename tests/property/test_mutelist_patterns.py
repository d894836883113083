"""`load_mutelist`: a generated file is either a `Mutelist` whose `match` agrees with fnmatch/re.fullmatch, or one
`MutelistError` naming the file and the entry at fault."""

from __future__ import annotations

import fnmatch
import re
import string
import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import event, given
from hypothesis import strategies as st

from scanner.model import Compliance, Evaluation
from scanner.mutelist import ENTRY_KEYS, Mutelist, MutelistError, load_mutelist
from tests.property.strategies import json_scalars, json_values

TODAY = date(2026, 6, 15)
MOMENT = datetime(2026, 6, 15, 12, tzinfo=UTC)
ACCOUNTS = ("111122223333", "444455556666", "012345678901")
CHECK_IDS = ("desired-instance-type", "restricted-ssh", "s3-bucket-versioning-enabled")
REGION_NAMES = ("us-east-1", "eu-west-1", "eu-central-1")
RESOURCE_IDS = ("i-0abc12", "i-0abd", "sg-1", "ab", "a", "b-a", "i-")
TAG_KEYS = ("env", "team", "Name")
TAG_VALUES = ("dev", "prod", "sandbox", "a", "")


def globs(pool: tuple[str, ...], alphabet: str) -> st.SearchStrategy[str]:
    """Globs that match some of the pool often: the names themselves, prefixes with '*', '?' and sets, and noise."""
    return st.one_of(
        st.just("*"),
        st.sampled_from(pool),
        st.sampled_from(pool).flatmap(lambda name: st.integers(0, len(name)).map(lambda cut: name[:cut] + "*")),
        st.sampled_from(pool).flatmap(
            lambda name: st.integers(0, len(name) - 1).map(lambda at: name[:at] + "?" + name[at + 1 :])
        ),
        st.sampled_from(pool).map(lambda name: f"[{name[0]}!]" + name[1:]),
        st.text(alphabet=alphabet + "*?[]!-", min_size=1, max_size=8),
    )


account_globs = globs(ACCOUNTS, string.digits)
check_globs = globs(CHECK_IDS, "desirt-")
region_globs = globs(REGION_NAMES, "euswt-1")
# Regexes valid by construction (no nested sets, which Python only warns about).
regex_atoms = st.sampled_from(["a", "b", "i", "-", "0", "[0-9a-f]", "[^-]", ".", r"\d", "(a|b)", "sg", "i-0ab"])
regex_quantifiers = st.sampled_from(["", "*", "+", "?", "{1,3}"])
regexes = st.one_of(
    st.just(".*"),
    st.sampled_from(RESOURCE_IDS + TAG_VALUES[:-1]).map(re.escape),
    st.lists(st.tuples(regex_atoms, regex_quantifiers).map("".join), min_size=1, max_size=4).map("".join),
)
INVALID_REGEXES = ("(", "[a", "*x", "a{2,1}", r"\q", "a(?i)b", "(?P<x>a)(?P<x>b)", "a**", ")")
reasons = st.text(alphabet=string.ascii_letters + string.digits + " -_()é中", min_size=1, max_size=30).filter(str.strip)
dates = st.integers(-30, 30).map(lambda days: (TODAY + timedelta(days=days)).isoformat())


@st.composite
def entries(draw: st.DrawFn) -> dict[str, Any]:
    entry: dict[str, Any] = {"reason": draw(reasons)}
    for key, strategy in (("accounts", account_globs), ("checks", check_globs), ("regions", region_globs)):
        if draw(st.booleans()):
            entry[key] = draw(st.lists(strategy, min_size=1, max_size=3))
    if draw(st.booleans()):
        entry["resources"] = draw(st.lists(regexes, min_size=1, max_size=3))
    if draw(st.booleans()):
        entry["tags"] = draw(st.dictionaries(st.sampled_from(TAG_KEYS), regexes, min_size=1, max_size=2))
    if draw(st.booleans()):
        entry["expires"] = draw(dates)
    return entry


def dump(document: Any, *, bare_dates: bool = False) -> str:
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    if bare_dates:
        # As people write them: `expires: 2026-12-31`, which plain YAML would read as a date.
        text = re.sub(r"expires: '(\d{4}-\d{2}-\d{2})'", r"expires: \1", text)
    return text


def write(directory: Path, text: str) -> Path:
    path = directory / "mutelist.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def reference_match(
    raw_entries: list[dict[str, Any]], account: str, region: str, check: str, resource_id: str, tags: dict[str, str]
) -> int | None:
    """The index of the first active entry matching, by the documented rules, with fnmatch and re.fullmatch."""
    for index, entry in enumerate(raw_entries):
        if "expires" in entry and date.fromisoformat(entry["expires"]) < TODAY:
            continue
        scoped = all(
            any(fnmatch.fnmatchcase(value, pattern) for pattern in entry[key])
            for key, value in (("accounts", account), ("regions", region), ("checks", check))
            if key in entry
        )
        if not scoped:
            continue
        if "resources" in entry and not any(re.fullmatch(pattern, resource_id) for pattern in entry["resources"]):
            continue
        if any(
            key not in tags or not re.fullmatch(pattern, tags[key]) for key, pattern in entry.get("tags", {}).items()
        ):
            continue
        return index
    return None


evaluated = st.tuples(
    st.sampled_from(ACCOUNTS),
    st.sampled_from(REGION_NAMES),
    st.sampled_from(CHECK_IDS),
    st.sampled_from(RESOURCE_IDS),
    st.dictionaries(st.sampled_from(TAG_KEYS), st.sampled_from(TAG_VALUES), max_size=3),
)


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mutelist")


@pytest.mark.slow
@given(st.lists(entries(), max_size=5), st.lists(evaluated, min_size=1, max_size=6), st.booleans())
def test_valid_entries_match_as_fnmatch_and_fullmatch_say(
    directory: Path,
    raw_entries: list[dict[str, Any]],
    evaluations: list[tuple[str, str, str, str, dict[str, str]]],
    bare_dates: bool,
) -> None:
    document = {"entries": raw_entries}
    text = dump(document, bare_dates=bare_dates)
    path = write(directory, text)
    mutelist = load_mutelist(path, today=TODAY)
    assert isinstance(mutelist, Mutelist)
    expired = [index for index, entry in enumerate(raw_entries) if "expires" in entry and entry["expires"] < str(TODAY)]
    assert [entry.index for entry in mutelist.expired] == expired
    assert [entry.index for entry in mutelist.entries] == [i for i in range(len(raw_entries)) if i not in expired]
    for account, region, check, resource_id, tags in evaluations:
        evaluation = Evaluation(
            account, region, check, "AWS::EC2::Instance", resource_id, Compliance.NON_COMPLIANT, None, MOMENT
        )
        suppression = mutelist.match(evaluation, tags)
        index = reference_match(raw_entries, account, region, check, resource_id, tags)
        event("suppressed" if index is not None else "not suppressed")
        if index is None:
            assert suppression is None
            continue
        assert suppression is not None
        assert suppression.reason == raw_entries[index]["reason"]
        assert suppression.entry == f"mutelist.yaml entries[{index}]"
        expires = raw_entries[index].get("expires")
        assert suppression.expires == (date.fromisoformat(expires) if expires else None)


def _bad_reason(entry: dict[str, Any], data: st.DataObject) -> tuple[str, str]:
    choice = data.draw(st.sampled_from(["missing", "blank", "not a string"]))
    if choice == "missing":
        del entry["reason"]
        return "", "no reason"
    if choice == "blank":
        entry["reason"] = data.draw(st.sampled_from(["", " ", "\t "]))
        return ".reason", "empty"
    entry["reason"] = data.draw(st.one_of(st.integers(), st.booleans(), st.none(), st.lists(st.text(), min_size=1)))
    return ".reason", "expected a string"


def _unknown_key(entry: dict[str, Any], data: st.DataObject) -> tuple[str, str]:
    key = data.draw(st.sampled_from(["acounts", "check", "region", "resource", "expiry", "Reason", "tag", "notes"]))
    entry[key] = data.draw(json_scalars)
    return "", f"unknown key '{key}'"


def _bad_list(entry: dict[str, Any], data: st.DataObject) -> tuple[str, str]:
    key = data.draw(st.sampled_from(["accounts", "checks", "regions", "resources"]))
    choice = data.draw(st.sampled_from(["not a list", "empty", "not a string", "empty string"]))
    if choice == "not a list":
        entry[key] = data.draw(st.one_of(st.text(), st.integers(), st.dictionaries(st.text(), st.text(), max_size=1)))
        return f".{key}", "expected a list"
    if choice == "empty":
        entry[key] = []
        return f".{key}", "empty list"
    good = data.draw(st.lists(st.sampled_from(["*", "x"]), max_size=2))
    bad: Any = "" if choice == "empty string" else data.draw(st.one_of(st.integers(), st.booleans(), st.none()))
    entry[key] = [*good, bad]
    if choice == "empty string":
        return f".{key}[{len(good)}]", "empty string"
    if key == "accounts" and isinstance(bad, int) and not isinstance(bad, bool):
        return f".{key}[{len(good)}]", "quote account ids"
    return f".{key}[{len(good)}]", "expected a string"


def _bad_regex(entry: dict[str, Any], data: st.DataObject) -> tuple[str, str]:
    good = data.draw(st.lists(regexes, max_size=2))
    entry["resources"] = [*good, data.draw(st.sampled_from(INVALID_REGEXES))]
    return f".resources[{len(good)}]", "invalid regex"


def _bad_tags(entry: dict[str, Any], data: st.DataObject) -> tuple[str, str]:
    choice = data.draw(st.sampled_from(["not a mapping", "empty", "key", "value", "regex"]))
    if choice == "not a mapping":
        entry["tags"] = data.draw(st.one_of(st.text(), st.lists(st.text(), max_size=2), st.integers()))
        return ".tags", "expected a mapping"
    if choice == "empty":
        entry["tags"] = {}
        return ".tags", "empty mapping"
    if choice == "key":
        entry["tags"] = {data.draw(st.integers()): "dev"}
        return ".tags", "expected a string"
    bad: Any = (
        data.draw(st.one_of(st.integers(), st.booleans(), st.none(), st.lists(st.text(), max_size=1)))
        if choice == "value"
        else data.draw(st.sampled_from(INVALID_REGEXES))
    )
    entry["tags"] = {"env": bad}
    return ".tags['env']", "expected a string" if choice == "value" else "invalid regex"


def _bad_expiry(entry: dict[str, Any], data: st.DataObject) -> tuple[str, str]:
    bad = data.draw(
        st.one_of(
            st.sampled_from(["2026-02-30", "2026-1-1", "26-01-01", "tomorrow", "2026-13-01", "2026/12/31", ""]),
            st.integers(),
            st.booleans(),
        )
    )
    entry["expires"] = bad
    return ".expires", "not a date" if isinstance(bad, str) else "expected a date"


BREAKERS: dict[str, Callable[[dict[str, Any], st.DataObject], tuple[str, str]]] = {
    "reason": _bad_reason,
    "unknown key": _unknown_key,
    "list": _bad_list,
    "regex": _bad_regex,
    "tags": _bad_tags,
    "expires": _bad_expiry,
}


@pytest.mark.slow
@given(st.lists(entries(), max_size=4), st.sampled_from(sorted(BREAKERS)), st.data())
def test_one_bad_entry_is_one_mutelist_error_naming_it(
    directory: Path, raw_entries: list[dict[str, Any]], breaker: str, data: st.DataObject
) -> None:
    position = data.draw(st.integers(0, len(raw_entries)), "position")
    entry = data.draw(entries(), "entry")
    where, problem = BREAKERS[breaker](entry, data)
    raw_entries.insert(position, entry)
    path = write(directory, dump({"entries": raw_entries}, bare_dates=data.draw(st.booleans(), "bare dates")))
    with pytest.raises(MutelistError) as raised:
        load_mutelist(path, today=TODAY)
    message = str(raised.value)
    assert message.startswith(f"mutelist {path}: entries[{position}]{where}: "), message
    assert problem in message


@pytest.mark.slow
@given(st.lists(entries(), max_size=3), st.integers(0, 2), st.data())
def test_a_not_a_mapping_entry_is_one_mutelist_error_naming_it(
    directory: Path, raw_entries: list[dict[str, Any]], position: int, data: st.DataObject
) -> None:
    position = min(position, len(raw_entries))
    raw_entries.insert(position, data.draw(st.one_of(json_scalars, st.lists(json_scalars, max_size=2))))
    path = write(directory, dump({"entries": raw_entries}))
    with pytest.raises(MutelistError) as raised:
        load_mutelist(path, today=TODAY)
    assert str(raised.value).startswith(f"mutelist {path}: entries[{position}]: expected a mapping")


@given(st.sampled_from(ENTRY_KEYS))
def test_a_duplicate_key_is_one_mutelist_error_naming_the_line(directory: Path, key: str) -> None:
    text = f"entries:\n  - reason: first\n  - reason: second\n    {key}: x\n    {key}: y\n"
    path = write(directory, text)
    with pytest.raises(MutelistError) as raised:
        load_mutelist(path, today=TODAY)
    assert str(raised.value).startswith(f"mutelist {path}: not valid YAML: line ")
    assert f"duplicate key '{key}'" in str(raised.value)


entry_like = st.dictionaries(
    st.one_of(st.sampled_from(ENTRY_KEYS), st.text(max_size=5)),
    st.one_of(json_values(), st.lists(st.text(max_size=6), min_size=1, max_size=2)),
    max_size=4,
)
documents = st.one_of(
    json_values(),
    st.dictionaries(st.one_of(st.just("entries"), st.text(max_size=5)), json_values(), max_size=2),
    st.lists(entry_like, max_size=3).map(lambda items: {"entries": items}),
)


def assert_names_the_file(error: MutelistError, path: Path) -> None:
    assert str(error).startswith(f"mutelist {path}: ")
    assert len(str(error)) > len(f"mutelist {path}: ")


def load_quietly(path: Path) -> Mutelist:
    # A pattern like "[[:alpha:]]" makes re warn (FutureWarning: possible nested set) and pytest turns warnings into
    # errors; in a run it is a warning, not a crash, so it is not what this test is about.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return load_mutelist(path, today=TODAY)


@given(documents)
def test_an_arbitrary_document_is_a_mutelist_or_one_mutelist_error(directory: Path, document: Any) -> None:
    path = write(directory, dump(document))
    try:
        mutelist = load_quietly(path)
    except MutelistError as error:
        assert_names_the_file(error, path)
        return
    assert isinstance(document, dict)
    assert len(mutelist.entries) + len(mutelist.expired) == len(document["entries"] or [])


@given(st.text(max_size=200))
def test_arbitrary_text_is_a_mutelist_or_one_mutelist_error(directory: Path, text: str) -> None:
    path = write(directory, text)
    try:
        load_quietly(path)
    except MutelistError as error:
        assert_names_the_file(error, path)


def test_deeply_nested_yaml_is_a_mutelist_error(directory: Path) -> None:
    path = write(directory, "entries: " + "[" * 5_000)
    with pytest.raises(MutelistError):
        load_mutelist(path, today=TODAY)
