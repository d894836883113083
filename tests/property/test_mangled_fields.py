"""Every check, AWS and Alibaba Cloud, on reference-shaped data with one field type-mangled: never a pass on data it
cannot read, never a crash.

Each seed (`tests/property/check_seeds.py`) is what one evaluation reads: items shaped like AWS Config's reference
examples (and Alibaba Cloud Config's), and the extra data an account check reads (credential report rows, trails, the
password policy). A mangled seed replaces one value anywhere in an item's `configuration` or
`supplementaryConfiguration`, or in a field of the extra data, with a value of another JSON type (string, number,
boolean, null, list, object). The check must then answer one of:

- NON_COMPLIANT or NOT_APPLICABLE, with an annotation;
- the documented bad-item error, `ItemError`, which the scanner records as a failure of that resource (parsing the
  item raises it for a configuration that is not an object);
- COMPLIANT only when the check does not rely on the mangled field.

"Relies on" is decided by reading, not by guessing: the item's configuration, supplementary configuration and the
extra data are handed to the check as dict and list subclasses that record every key and index the check looks up,
tests for or iterates over. A mangled value the check never looked at cannot have made it pass, so COMPLIANT is
allowed then, and only when the unmangled seed was COMPLIANT too. A mangled value the check did look at and still
passed is a pass on data it could not read, with two stated exceptions:

- null where null is a value the data records on purpose (`ALLOWED_NULL`: a bucket without a policy has
  `{"policyText": null}`), since that is a real value, not a mangled one;
- fields read only to name things in the annotation (`ANNOTATION_ONLY`: a policy statement's Sid, a trail's home
  region): a different name is not a different verdict.

Replacement values never mean something valid by accident: strings are not JSON (the model decodes supplementary
values that are), not "true"/"false" and not blank; lists hold no strings (a list of strings is a valid Action or
CIDR list) and objects have keys no reader knows. The sweep tries a fixed set of such values at every path of every
seed; the Hypothesis test draws others.

The extra data's containers are built by the scanner's own readers (a dict of credential report rows, each a dict
from csv.DictReader; a list of dicts of trails; a dict or None for the password policy), so what is mangled is what
AWS answered: every value inside those rows, trails and the policy.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, SupportsIndex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checks import BUILTIN
from checks import alibaba as alibaba_checks
from scanner.alibaba.items import parse_item
from scanner.model import Compliance, ConfigurationItem, ItemError
from scanner.registry import CheckScope, ExtraData, Result, Snapshot
from tests.property.check_seeds import NOW, SEEDS, Seed
from tests.property.strategies import json_scalars

Path = tuple[Any, ...]
ALL_CHECKS = [*BUILTIN, *alibaba_checks.BUILTIN]
# Containers the scanner builds (see the module docstring): their values are mangled, not they themselves.
EXTRA_DEPTH = {ExtraData.IAM_CREDENTIAL_REPORT: 2, ExtraData.CLOUDTRAIL_TRAILS: 2, ExtraData.IAM_PASSWORD_POLICY: 1}
# Checks that read nothing a mangling can reach: resource-count-max reads the scanner's own counts only.
NOTHING_TO_MANGLE = frozenset({"resource-count-max"})
# (check id or "*", the last key of a path) where null is a recorded value (see the module docstring).
ALLOWED_NULL = frozenset({("*", "policyText")})  # a bucket without a policy: {"policyText": null}
_STATEMENT_LABELS = (
    "s3-bucket-public-read-prohibited",
    "s3-bucket-public-write-prohibited",
    "s3-bucket-server-side-encryption-enabled",
    "s3-bucket-ssl-requests-only",
    "lambda-function-public-access-prohibited",
    "iam-policy-no-statements-with-admin-access",
)
_PUBLIC_ACCESS = ("s3-bucket-public-read-prohibited", "s3-bucket-public-write-prohibited")
_RISKY_PORTS = "ecs-security-group-risky-ports"
# (check id, the last key of a path): the value a check documents reading an unreadable one as, the one that passes
# least. A mangled value there must get the verdict that value gets (compliance alike, the annotation may differ).
WORST_CASE: dict[tuple[str, str], Any] = {
    # A block setting that is not a boolean true blocks nothing, so the ACL and the policy are judged.
    **{(check_id, "PublicAccessBlockConfiguration"): {} for check_id in _PUBLIC_ACCESS},
    **{(check_id, "ignorePublicAcls"): False for check_id in _PUBLIC_ACCESS},
    **{(check_id, "restrictPublicBuckets"): False for check_id in _PUBLIC_ACCESS},
    # A rule whose direction, policy, protocol or ports cannot be read accepts ingress on every port.
    (_RISKY_PORTS, "Direction"): "ingress",
    (_RISKY_PORTS, "Policy"): "Accept",
    (_RISKY_PORTS, "IpProtocol"): "ALL",
    (_RISKY_PORTS, "PortRange"): "-1/-1",
    # A group is exempt only when it says it is managed by a service.
    (_RISKY_PORTS, "ServiceManaged"): False,
}
# (check id, the last key of a path) read only for the annotation (see the module docstring).
ANNOTATION_ONLY = frozenset(
    {
        *((check_id, "Sid") for check_id in _STATEMENT_LABELS),
        # A trail is named by Name, else TrailARN; where it is at home only describes a multi-region trail.
        *(("cloudtrail-enabled", key) for key in ("Name", "TrailARN", "HomeRegion", "IsMultiRegionTrail")),
        ("ec2-volume-inuse-check", "instanceId"),
        ("iam-policy-no-statements-with-admin-access", "versionId"),
        ("s3-bucket-server-side-encryption-enabled", "kmsMasterKeyID"),
        ("ram-user-mfa-enabled", "UserName"),
    }
)


class RecordingDict(dict[Any, Any]):
    """A configuration object that records the path of every value a check reads."""

    def __init__(self, source: Mapping[Any, Any], path: Path, reads: set[Path]) -> None:
        super().__init__((key, recording(value, (*path, key), reads)) for key, value in source.items())
        self._path = path
        self._reads = reads

    def _read(self, key: Any) -> None:
        self._reads.add((*self._path, key))

    def _read_all(self) -> None:
        for key in self:  # iterating reads no value (see below)
            self._read(key)

    def __getitem__(self, key: Any) -> Any:
        self._read(key)
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._read(key)
        return super().get(key, default)

    # `in`, iterating and keys() look at which keys there are, not at a value: they read nothing mangleable.

    def values(self) -> Any:
        self._read_all()
        return super().values()

    def items(self) -> Any:
        self._read_all()
        return super().items()


class RecordingList(list[Any]):
    """A configuration list that records the path of every element a check reads."""

    def __init__(self, source: Sequence[Any], path: Path, reads: set[Path]) -> None:
        super().__init__(recording(value, (*path, index), reads) for index, value in enumerate(source))
        self._path = path
        self._reads = reads

    def _read_all(self) -> None:
        self._reads.update((*self._path, index) for index in range(len(self)))

    def __getitem__(self, index: SupportsIndex | slice) -> Any:
        if isinstance(index, slice):
            self._reads.update((*self._path, position) for position in range(len(self))[index])
        else:
            self._reads.add((*self._path, range(len(self))[index]))
        return super().__getitem__(index)

    def __iter__(self) -> Iterator[Any]:
        self._read_all()
        return super().__iter__()

    def __contains__(self, value: object) -> bool:
        self._read_all()
        return super().__contains__(value)


def recording(value: Any, path: Path, reads: set[Path]) -> Any:
    if isinstance(value, Mapping):
        return RecordingDict(value, path, reads)
    if isinstance(value, list | tuple):
        return RecordingList(value, path, reads)
    return value


@dataclasses.dataclass(frozen=True)
class Outcome:
    result: Result | None  # None: the documented bad-item error
    reads: frozenset[Path]
    bad_item: str | None = None


def _parse(seed: Seed, document: Mapping[str, Any]) -> ConfigurationItem:
    return parse_item(document) if seed.alibaba else ConfigurationItem.parse(document)


def evaluate(seed: Seed, documents: Sequence[dict[str, Any]], extra: Mapping[ExtraData, Any]) -> Outcome:
    """One evaluation as the scanner makes it, with every read of the mangleable data recorded."""
    reads: set[Path] = set()
    items: list[ConfigurationItem] = []
    try:
        for index, document in enumerate(documents):
            item = _parse(seed, document)
            prefix = ("documents", index)
            configuration = item.configuration
            items.append(
                dataclasses.replace(
                    item,
                    configuration=None
                    if configuration is None
                    else recording(configuration, (*prefix, "configuration"), reads),
                    supplementary=recording(item.supplementary, (*prefix, "supplementaryConfiguration"), reads),
                )
            )
        by_type: dict[str, list[ConfigurationItem]] = {}
        for item in items:
            by_type.setdefault(item.resource_type, []).append(item)
        snapshot = Snapshot(
            items[0].account_id if items else "123456789012",
            items[0].region if items else "us-east-1",
            NOW,
            items={resource_type: tuple(found) for resource_type, found in by_type.items()},
            counts=dict(seed.counts),
            extra={data: recording(value, ("extra", data.value), reads) for data, value in extra.items()},
        )
        params = seed.check.parameters.parse(seed.check.id, dict(seed.params))
        if seed.check.scope is CheckScope.ACCOUNT:
            result = seed.check.run_account(snapshot, params)
        else:
            result = seed.check.run_resource(items[0], params, snapshot)
    except ItemError as exc:
        return Outcome(None, frozenset(reads), str(exc))
    return Outcome(result, frozenset(reads))


@functools.cache
def original(seed: Seed) -> Outcome:
    return evaluate(seed, seed.documents, seed.extra)


def _nodes(value: Any, path: Path, min_depth: int = 0) -> Iterator[Path]:
    if len(path) >= min_depth:
        yield path
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield from _nodes(child, (*path, key), min_depth)
    elif isinstance(value, list | tuple):
        for index, child in enumerate(value):
            yield from _nodes(child, (*path, index), min_depth)


@functools.cache
def mangleable_paths(seed: Seed) -> tuple[Path, ...]:
    paths: list[Path] = []
    for index, document in enumerate(seed.documents):
        for key in ("configuration", "supplementaryConfiguration"):
            if key in document:
                paths.extend(_nodes(document[key], ("documents", index, key)))
    for data, value in seed.extra.items():
        paths.extend(_nodes(value, ("extra", data.value), 2 + EXTRA_DEPTH[data]))
    return tuple(paths)


def _root(documents: list[dict[str, Any]], extra: dict[ExtraData, Any], path: Path) -> tuple[Any, Path]:
    if path[0] == "documents":
        return documents[path[1]], path[2:]
    return extra, (ExtraData(path[1]), *path[2:])


def value_at(seed: Seed, path: Path) -> Any:
    node, rest = _root(list(seed.documents), dict(seed.extra), path)
    for key in rest:
        node = node[key]
    return node


_ABSENT: Any = object()


def mangled(seed: Seed, path: Path, replacement: Any) -> tuple[list[dict[str, Any]], dict[ExtraData, Any]]:
    """The seed's data with the value at `path` replaced (`_ABSENT`: its key removed)."""
    # Only the containers on the path are copied: the rest is shared with the seed, which nothing writes to.
    documents = list(seed.documents)
    extra = dict(seed.extra)
    if path[0] == "documents":
        documents[path[1]] = copy.copy(documents[path[1]])
    node, rest = _root(documents, extra, path)
    for key in rest[:-1]:
        node[key] = copy.copy(node[key])
        node = node[key]
    if replacement is _ABSENT:
        del node[rest[-1]]
    else:
        node[rest[-1]] = copy.deepcopy(replacement)
    return documents, extra


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, Mapping) else "list"


# IAM policy elements that are one value or a list of them: a string there is no other type than a list.
ONE_OR_MANY = frozenset({"Action", "NotAction", "Resource", "NotResource"})
# Fields whose documented form is either of two types: a principal is "*" or an object of principals, an ACL grantee
# a group's name or an object naming a user or a group's URI.
STRING_OR_OBJECT = frozenset({"Principal", "NotPrincipal", "grantee"})


def other_kinds(path: Path, value: Any) -> list[str]:
    """The JSON types the value at `path` may be mangled to: any but its own, and but its equivalents."""
    same = {kind(value)}
    in_condition = len(path) >= 3 and path[-3] == "Condition"
    in_principal = len(path) >= 2 and path[-2] in ("Principal", "NotPrincipal")
    if path[-1] in ONE_OR_MANY or in_condition or in_principal:
        same |= {"string", "list"}
    if in_condition:
        same |= {"boolean", "number"}  # condition values are strings, numbers or booleans alike ("true" and true)
    if path[-1] in STRING_OR_OBJECT:
        same |= {"string", "object"}
    return [name for name in JUNK if name not in same]


JUNK: dict[str, tuple[Any, ...]] = {
    "null": (None,),
    "boolean": (True, False),
    "number": (0, -7, 1.5),
    "string": ("mangled",),
    "list": ([None], [0, [1]]),
    "object": ({}, {"mangled": None}),
}


def _meaningless_text(text: str) -> bool:
    if not text.strip() or text.strip().lower() in ("true", "false"):
        return False
    try:
        json.loads(text)
    except ValueError:
        return True
    return False


_not_strings = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False))
junk_values: dict[str, st.SearchStrategy[Any]] = {
    "null": st.none(),
    "boolean": st.booleans(),
    "number": st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False)),
    "string": st.text(min_size=1, max_size=12).filter(_meaningless_text),
    "list": st.lists(st.one_of(_not_strings, st.lists(_not_strings, max_size=2)), min_size=1, max_size=3),
    "object": st.dictionaries(st.text(min_size=1, max_size=8).map(lambda key: f"~{key}"), json_scalars, max_size=3),
}


def problem(seed: Seed, path: Path, replacement: Any) -> str | None:
    """What is wrong with the check's answer to the seed mangled at `path`, or None."""
    before = original(seed)
    documents, extra = mangled(seed, path, replacement)
    where = f"{seed} with {'.'.join(map(str, path))} = {replacement!r}"
    try:
        after = evaluate(seed, documents, extra)
    except Exception as exc:  # noqa: BLE001  (a crash is one of the problems listed, not the end of the sweep)
        return f"{where}: raised {type(exc).__name__}: {exc}"
    if after.result is None:
        return None
    # AWS Config writes null for a field that is not set, and the model reads a falsy supplementaryConfiguration as
    # none (tests/property/test_configuration_items.py): either read as the key's absence is no misreading.
    as_absent = replacement is None or (path[2:] == ("supplementaryConfiguration",) and not replacement)
    if as_absent and isinstance(path[-1], str) and evaluate(seed, *mangled(seed, path, _ABSENT)).result == after.result:
        return None
    if after.result.compliance is not Compliance.COMPLIANT:
        if not isinstance(after.result.annotation, str) or not after.result.annotation.strip():
            return f"{where}: {after.result.compliance.value} without an annotation"
        return None
    last = str(path[-1])
    if replacement is None and {(seed.check.id, last), ("*", last)} & ALLOWED_NULL:
        return None  # a recorded value, not a mangled one: another resource, judged as such
    worst = WORST_CASE.get((seed.check.id, last), _ABSENT)
    if worst is not _ABSENT:
        expected = evaluate(seed, *mangled(seed, path, worst)).result
        if expected is None or expected.compliance is not Compliance.COMPLIANT:
            return f"{where}: COMPLIANT ({after.result.annotation}), but {worst!r} there is not"
        return None
    assert before.result is not None
    if before.result.compliance is not Compliance.COMPLIANT:
        return f"{where}: COMPLIANT ({after.result.annotation}), but {before.result.compliance.value} unmangled"
    if path in after.reads and (seed.check.id, last) not in ANNOTATION_ONLY:
        return f"{where}: COMPLIANT ({after.result.annotation}) on a field it read"
    return None


def test_every_check_has_seeds_that_pass_and_evaluate_cleanly() -> None:
    """The audit covers every check, and each has a COMPLIANT seed, so that a false pass can show."""
    seeded = {seed.check.id for seed in SEEDS}
    assert seeded == {check.id for check in ALL_CHECKS}
    for seed in SEEDS:
        outcome = original(seed)
        assert outcome.result is not None, f"{seed}: {outcome.bad_item}"
    passing = {seed.check.id for seed in SEEDS if _passes(seed)}
    assert passing == seeded, f"no COMPLIANT seed for {sorted(seeded - passing)}"
    reaching = {seed.check.id for seed in SEEDS if mangleable_paths(seed)}
    assert reaching == seeded - NOTHING_TO_MANGLE


def _passes(seed: Seed) -> bool:
    result = original(seed).result
    return result is not None and result.compliance is Compliance.COMPLIANT


def test_the_recording_mapping_sees_what_a_check_reads() -> None:
    reads: set[Path] = set()
    configuration = recording({"a": {"b": [1, {"c": 2}]}, "d": 3, "e": 4}, ("configuration",), reads)
    assert configuration.get("a")["b"][1]["c"] == 2
    assert "z" not in configuration
    assert "d" in configuration
    assert list(configuration) == ["a", "d", "e"]
    assert reads == {
        ("configuration", "a"),
        ("configuration", "a", "b"),
        ("configuration", "a", "b", 1),
        ("configuration", "a", "b", 1, "c"),
    }
    reads.clear()
    assert [key for key, _ in configuration.items()] == ["a", "d", "e"]
    assert list(configuration["a"]["b"]) == [1, {"c": 2}]
    assert ("configuration", "e") in reads
    assert ("configuration", "a", "b", 0) in reads


@pytest.mark.slow
def test_every_field_of_every_seed_mangled_to_every_other_type() -> None:
    """The sweep: each fixed junk value of another JSON type at each path of each seed."""
    seeds_before = [repr((seed.documents, seed.extra)) for seed in SEEDS]
    problems = [
        found
        for seed in SEEDS
        for path in mangleable_paths(seed)
        for junk_kind in other_kinds(path, value_at(seed, path))
        for replacement in JUNK[junk_kind]
        if (found := problem(seed, path, replacement)) is not None
    ]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])
    # The manglings share what they leave alone with the seeds: nothing may have written to them.
    assert [repr((seed.documents, seed.extra)) for seed in SEEDS] == seeds_before


MANGLEABLE = sorted({seed.check.id for seed in SEEDS} - NOTHING_TO_MANGLE)


@pytest.mark.parametrize("check_id", MANGLEABLE)
@given(data=st.data())
def test_a_field_mangled_to_any_value_of_another_type(check_id: str, data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from([seed for seed in SEEDS if seed.check.id == check_id and mangleable_paths(seed)]))
    path = data.draw(st.sampled_from(mangleable_paths(seed)))
    kinds = other_kinds(path, value_at(seed, path))
    replacement = data.draw(st.sampled_from(kinds).flatmap(junk_values.__getitem__))
    assert problem(seed, path, replacement) is None
