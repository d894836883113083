"""Which accounts a scan covers: the accounts file (c7n-org's `accounts.yml`), filters, roles and shards.

Nothing here calls AWS. The accounts file is c7n-org's, so an organization that already runs c7n-org
points cloudsweep at the same file:

    accounts:
    - account_id: "012345678901"
      name: prod
      role: arn:aws:iam::012345678901:role/CloudSweep   # or a bare role name: CloudSweep, path/CloudSweep
      external_id: shared-secret
      regions: [us-east-1, eu-west-1]
      tags: ["env:prod", "team:payments"]               # or a mapping: {env: prod}

Shards split the accounts between the workers of one scan (a Kubernetes Indexed Job, an AWS Batch array
job) by rendezvous hashing: each worker computes its own share from the account ids alone, and growing
the worker count from N to N+1 only moves accounts into the new shard. At most MAX_SHARDS (10,000) shards.

Error messages quote at most a few hundred characters of a value, and never an external id (a shared secret).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from scanner.aws.clients import AwsClients, CallContext
from scanner.documents import BoundedLoader, load_json, load_yaml, shown, shown_text
from scanner.errors import UsageError, redact

PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
SHARD_INDEX_VARIABLES = ("JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX")
SHARD_COUNT_VARIABLE = "CLOUDSWEEP_SHARD_COUNT"
# AWS Batch's largest array job, and more workers than an organization has accounts to give them: a count beyond it is
# a mistake (or `0/99999999999999999999`, which rendezvous hashing would take minutes per account to honour).
MAX_SHARDS = 10_000

_ACCOUNT_ID = re.compile(r"[0-9]{12}")
# IAM's own character set for role names and path segments.
_ROLE_NAME = re.compile(r"(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}", re.ASCII)
_ROLE_ARN = re.compile(r"arn:(?P<partition>[a-z-]+):iam::(?P<account>[0-9]{12}):role/(?P<name>.+)", re.ASCII)
_SHARD = re.compile(r"\s*([0-9]+)\s*/\s*([0-9]+)\s*")

_ACCOUNT_KEYS = frozenset({"account_id", "name", "role", "external_id", "regions", "tags"})
# Keys c7n-org's schema knows that change nothing about how cloudsweep reaches or scans an account.
_IGNORED_ACCOUNT_KEYS = frozenset({"display_name", "org_id", "email", "vars"})
_TOP_LEVEL_KEYS = frozenset({"accounts", "vars", "subscriptions", "projects", "tenancies"})


def _check_account_id(value: object) -> str:
    if not isinstance(value, str) or not _ACCOUNT_ID.fullmatch(value):
        raise UsageError(f"account id must be 12 digits, got {shown(value)}")
    return value


def _with_hint(name: str, choices: Collection[str]) -> str:
    close = difflib.get_close_matches(name, sorted(choices), n=1)
    return f"{name} (did you mean {close[0]}?)" if close else name


def _frozen_tags(tags: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(tags))


@dataclass(frozen=True)
class Account:
    """One AWS account to scan, as the accounts file or the organization describes it."""

    account_id: str
    name: str | None = None
    # An IAM role ARN or a bare role name (optionally with a path); None: the ambient credentials.
    role: str | None = None
    external_id: str | None = field(default=None, repr=False)
    # None: the regions the scan was asked for.
    regions: tuple[str, ...] | None = None
    # Read-only; left out of the hash (a mapping has none), still compared.
    tags: Mapping[str, str] = field(default_factory=lambda: _frozen_tags({}), hash=False)

    def __post_init__(self) -> None:
        _check_account_id(self.account_id)
        if self.regions is not None:
            object.__setattr__(self, "regions", tuple(self.regions))
        object.__setattr__(self, "tags", _frozen_tags(self.tags))


# --- the accounts file -----------------------------------------------------------------------------------------


class _AccountsLoader(BoundedLoader):
    """YAML 1.1 reads an unquoted `012345670123` as an octal number: keep such digits as written instead."""


def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> int | str:
    if not isinstance(node, yaml.ScalarNode):
        raise yaml.constructor.ConstructorError(None, None, "expected a scalar", node.start_mark)
    text = loader.construct_scalar(node)
    if re.fullmatch(r"0[0-9_]+", text):
        return text
    return loader.construct_yaml_int(node)


_AccountsLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _read_document(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise UsageError(f"cannot read accounts file {path}: {reason}") from exc
    kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
    try:
        return load_json(text) if kind == "JSON" else load_yaml(text, _AccountsLoader)
    except yaml.MarkedYAMLError as exc:
        # What is wrong and where, never the snippet of the file around it: that line may hold an external id.
        raise UsageError(f"accounts file {path} is not valid YAML: {_yaml_problem(exc)}") from None
    except (ValueError, RecursionError, yaml.YAMLError) as exc:
        raise UsageError(f"accounts file {path} is not valid {kind}: {shown_text(redact(str(exc)))}") from None


def _yaml_problem(error: yaml.MarkedYAMLError) -> str:
    def at(mark: Any) -> str:
        return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""

    where = at(error.problem_mark)
    problem = f"{where}: {error.problem}" if where else str(error.problem)
    if error.context:
        context_at = at(error.context_mark)
        problem += f" ({error.context}{f' at {context_at}' if context_at else ''})"
    return shown_text(redact(problem))


def _entry_label(index: int, entry: Any) -> str:
    label = f"entry {index}"
    if isinstance(entry, Mapping):
        if isinstance(entry.get("account_id"), str | int) and not isinstance(entry.get("account_id"), bool):
            label += f" (account {shown_text(entry['account_id'], 40)})"
        elif isinstance(entry.get("name"), str):
            label += f" (name {shown(entry['name'])})"
    return label


def _account_id_of(value: Any) -> str:
    if value is None:
        raise UsageError("no account_id")
    if isinstance(value, int) and not isinstance(value, bool):
        # Numbers lose leading zeros in YAML and JSON alike: put them back.
        if not 0 <= value < 10**12:
            raise UsageError(f"account_id must be 12 digits, got {value}")
        return f"{value:012d}"
    if isinstance(value, str):
        if not _ACCOUNT_ID.fullmatch(value.strip()):
            raise UsageError(f"account_id must be 12 digits, got {shown(value)}")
        return value.strip()
    raise UsageError(f"account_id must be 12 digits, got {shown(value)}")


def _optional_string(entry: Mapping[str, Any], key: str, *, secret: bool = False) -> str | None:
    """The entry's string under `key`, stripped; None when absent. A `secret` value is never shown in the error."""
    value = entry.get(key)
    if value is None:
        return None
    # An unquoted number in YAML is still meant as text here (an external id like 123456).
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{key} must be a non-empty string, got {_kind_of_secret(value) if secret else shown(value)}")
    return value.strip()


def _kind_of_secret(value: Any) -> str:
    """What a value is, with nothing of what it says: how an external id that is not a string is described."""
    if isinstance(value, str):
        return f"a blank string of {len(value)} characters" if value else "an empty string"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, Mapping):
        return f"a mapping of {len(value)} key{'' if len(value) == 1 else 's'}"
    if isinstance(value, bytes):
        return "bytes"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float):
        return "a number"
    return f"a {type(value).__name__}"


def _regions_of(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(region, str) and region.strip() for region in value):
        raise UsageError(f"regions must be a list of region names, got {shown(value)}")
    regions = tuple(dict.fromkeys(region.strip() for region in value))
    # c7n-org treats an empty list as "no regions given": the run's regions apply.
    return regions or None


def _split_tag(text: str) -> tuple[str, str]:
    key, colon, value = text.partition(":")
    if not colon or not key.strip():
        raise UsageError(f"tag {shown(text)} is not key:value")
    return key.strip(), value.strip()


def _tags_of(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    pairs: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str) or not key.strip():
                raise UsageError(f"tag key {shown(key)} is not a non-empty string")
            if not isinstance(item, str | int | float) or isinstance(item, bool):
                raise UsageError(f"tag {shown(key)} must have a string value, got {shown(item)}")
            pairs.append((key.strip(), str(item).strip()))
    elif isinstance(value, list):
        for text in value:
            if not isinstance(text, str):
                raise UsageError(f"tag {shown(text)} is not a key:value string")
            pairs.append(_split_tag(text))
    else:
        raise UsageError(f"tags must be a list of key:value strings or a mapping, got {shown(value)}")
    tags: dict[str, str] = {}
    for key, item in pairs:
        if key in tags and tags[key] != item:
            raise UsageError(f"tag {shown(key)} given twice, as {shown(tags[key])} and {shown(item)}")
        tags[key] = item
    return tags


def _check_role(role: str, account_id: str) -> None:
    if role.startswith("arn:"):
        _parse_role_arn(role, account_id)
    elif not _ROLE_NAME.fullmatch(role.strip("/")):
        raise UsageError(f"role {shown(role)} is neither a role ARN nor a role name")


def _account_of(entry: Any) -> Account:
    if not isinstance(entry, Mapping):
        raise UsageError(f"an account must be an object, got {shown_text(redact(shown(entry)))}")
    unknown = sorted(shown_text(key, 80) for key in entry if key not in _ACCOUNT_KEYS | _IGNORED_ACCOUNT_KEYS)
    if "profile" in unknown:
        raise UsageError("profile is not supported: give a role to assume instead")
    if unknown:
        described = ", ".join(_with_hint(key, _ACCOUNT_KEYS) for key in unknown)
        raise UsageError(f"unknown key {described}; known keys: {', '.join(sorted(_ACCOUNT_KEYS))}")
    account_id = _account_id_of(entry.get("account_id"))
    if isinstance(entry.get("role"), list):
        raise UsageError("role chains (a list of roles) are not supported: give one role")
    role = _optional_string(entry, "role")
    if role is not None:
        _check_role(role, account_id)
    return Account(
        account_id=account_id,
        name=_optional_string(entry, "name"),
        role=role,
        external_id=_optional_string(entry, "external_id", secret=True),
        regions=_regions_of(entry.get("regions")),
        tags=_tags_of(entry.get("tags")),
    )


def load_accounts_file(path: Path) -> list[Account]:
    """The accounts of a c7n-org accounts file (YAML, or JSON by its `.json` suffix), in file order.

    Every error is a UsageError naming the file and the entry.
    """
    document = _read_document(path)
    if not isinstance(document, Mapping) or not isinstance(document.get("accounts"), list):
        raise UsageError(f"accounts file {path} must hold an `accounts:` list")
    unknown = sorted(str(key) for key in document if key not in _TOP_LEVEL_KEYS)
    if unknown:
        raise UsageError(f"accounts file {path}: unknown top-level key {shown_text(', '.join(map(shown, unknown)))}")
    accounts: list[Account] = []
    first_seen: dict[str, int] = {}
    for index, entry in enumerate(document["accounts"]):
        try:
            account = _account_of(entry)
        except UsageError as exc:
            raise UsageError(f"accounts file {path}, {_entry_label(index, entry)}: {exc}") from exc
        if account.account_id in first_seen:
            raise UsageError(
                f"accounts file {path}, {_entry_label(index, entry)}: duplicate account_id {account.account_id}, "
                f"already at entry {first_seen[account.account_id]}"
            )
        first_seen[account.account_id] = index
        accounts.append(account)
    return accounts


# --- filters -----------------------------------------------------------------------------------------------------


def parse_tag_filter(text: str) -> tuple[str, str]:
    """`--tag key:value`: the value is everything after the first colon."""
    try:
        return _split_tag(text)
    except UsageError as exc:
        raise UsageError(f"--tag {shown(text)}: expected key:value, e.g. env:prod") from exc


def filter_accounts(
    accounts: Sequence[Account],
    *,
    tags: Sequence[tuple[str, str]] = (),
    exclude: Collection[str] = (),
) -> list[Account]:
    """The accounts carrying every one of `tags` and not excluded by id, in their order."""
    for account_id in exclude:
        if not _ACCOUNT_ID.fullmatch(account_id):
            raise UsageError(f"--exclude {shown(account_id)}: expected a 12-digit account id")
    excluded = frozenset(exclude)
    return [
        account
        for account in accounts
        if account.account_id not in excluded and all(account.tags.get(key) == value for key, value in tags)
    ]


# --- roles -------------------------------------------------------------------------------------------------------


def _check_partition(partition: str) -> None:
    if partition not in PARTITIONS:
        raise UsageError(f"unknown partition {shown(partition)}: expected one of {', '.join(PARTITIONS)}")


def _parse_role_arn(arn: str, account_id: str) -> str:
    """The ARN's partition, once the ARN is known to name a role in `account_id`."""
    match = _ROLE_ARN.fullmatch(arn)
    if not match or not _ROLE_NAME.fullmatch(match["name"]):
        raise UsageError(f"role {shown(arn)} is not an IAM role ARN (arn:PARTITION:iam::ACCOUNT:role/NAME)")
    if match["account"] != account_id:
        raise UsageError(f"role {shown_text(arn)} is in account {match['account']}, not in account {account_id}")
    return match["partition"]


def role_arn(role: str, account_id: str, partition: str) -> str:
    """The role to assume in `account_id`: an ARN as given, a bare name (`Name`, `path/Name`) made into one."""
    _check_partition(partition)
    _check_account_id(account_id)
    if role.startswith("arn:"):
        arn_partition = _parse_role_arn(role, account_id)
        if arn_partition != partition:
            # A role cannot be assumed across partitions: fail here rather than at AssumeRole.
            raise UsageError(
                f"role {shown_text(role)} is in partition {arn_partition}, the credentials are in {partition}"
            )
        return role
    name = role.strip("/")
    if not _ROLE_NAME.fullmatch(name):
        raise UsageError(f"role {shown(role)} is neither a role ARN nor a role name")
    return f"arn:{partition}:iam::{account_id}:role/{name}"


def partition_of_arn(arn: str) -> str:
    """The partition of an ARN, e.g. of the caller identity `arn:aws-cn:sts::123456789012:assumed-role/...`."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1]:
        raise UsageError(f"not an ARN: {shown(arn)}")
    return parts[1]


# --- shards ------------------------------------------------------------------------------------------------------


def _check_shard(index: int, count: int) -> None:
    if count < 1 or not 0 <= index < count:
        raise UsageError(f"shard {index}/{count}: expected 0 <= index < count, count >= 1")
    if count > MAX_SHARDS:
        raise UsageError(f"shard {index}/{count}: expected at most {MAX_SHARDS} shards")


def _weight(account_id: str, shard: int) -> int:
    return int.from_bytes(hashlib.blake2b(f"{account_id}:{shard}".encode()).digest()[:8], "big")


def shard_of(account_id: str, count: int) -> int:
    """The shard (0-based, of `count`) an account belongs to: rendezvous hashing, ties to the lower shard."""
    _check_shard(0, count)
    return max(range(count), key=lambda shard: (_weight(account_id, shard), -shard))


def _in_shard(account_id: str, index: int, count: int) -> bool:
    """Whether `shard_of(account_id, count) == index`, stopping at the first shard that outweighs `index`.

    For an account of another shard that comes after a handful of weights on average (about ln(count)); only the
    account's own shard's accounts (1/count of them) need every weight. So a worker's share of A accounts costs
    about A * ln(count) hashes instead of A * count.
    """
    own = _weight(account_id, index)
    for shard in range(count):
        if shard == index:
            continue
        weight = _weight(account_id, shard)
        # Ties go to the lower shard.
        if weight > own or (weight == own and shard < index):
            return False
    return True


def select_shard(accounts: Sequence[Account], index: int, count: int) -> list[Account]:
    """The accounts of shard `index` of `count`, in their order."""
    _check_shard(index, count)
    return [account for account in accounts if _in_shard(account.account_id, index, count)]


def _parse_shard_option(option: str) -> tuple[int, int]:
    match = _SHARD.fullmatch(option)
    if not match:
        raise UsageError(f"--shard {option!r}: expected INDEX/COUNT, 0-based, e.g. 0/4")
    try:
        index, count = int(match[1]), int(match[2])
    except ValueError as exc:  # beyond Python's 4300-digit limit for int()
        raise UsageError(f"--shard {option!r}: the numbers are too long") from exc
    if count < 1 or index >= count:
        raise UsageError(f"--shard {option!r}: expected 0 <= INDEX < COUNT, e.g. 0/4 to 3/4")
    if count > MAX_SHARDS:
        raise UsageError(f"--shard {option!r}: expected COUNT <= {MAX_SHARDS} (AWS Batch's largest array job)")
    return index, count


def _environment_number(environ: Mapping[str, str], name: str) -> int | None:
    value = environ.get(name, "").strip()
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise UsageError(f"{name}={value[:40]!r} is not a non-negative integer (at most 18 digits)")
    return int(value)


def shard_from_environment(option: str | None, environ: Mapping[str, str]) -> tuple[int, int] | None:
    """(index, count) from `--shard I/N`, else from a Kubernetes Indexed Job or an AWS Batch array job.

    Neither runtime tells a worker how many workers there are: CLOUDSWEEP_SHARD_COUNT does.
    """
    if option is not None:
        return _parse_shard_option(option)
    indexes = {name: _environment_number(environ, name) for name in SHARD_INDEX_VARIABLES}
    given = {name: value for name, value in indexes.items() if value is not None}
    count = _environment_number(environ, SHARD_COUNT_VARIABLE)
    if len(set(given.values())) > 1:
        described = ", ".join(f"{name}={value}" for name, value in given.items())
        raise UsageError(f"conflicting shard indexes: {described}")
    if not given:
        if count is not None:
            raise UsageError(
                f"{SHARD_COUNT_VARIABLE} is set but no shard index is: run as a Kubernetes Indexed Job "
                f"({SHARD_INDEX_VARIABLES[0]}) or an AWS Batch array job ({SHARD_INDEX_VARIABLES[1]}), or use --shard"
            )
        return None
    name, index = next(iter(given.items()))
    if count is None:
        raise UsageError(
            f"{name} is set but {SHARD_COUNT_VARIABLE} is not: set it to the number of workers "
            "(the job's completions or array size)"
        )
    if count > MAX_SHARDS:
        raise UsageError(
            f"{SHARD_COUNT_VARIABLE}={count}: expected at most {MAX_SHARDS} shards (AWS Batch's largest array job)"
        )
    if count < 1 or index >= count:
        raise UsageError(f"{name}={index} with {SHARD_COUNT_VARIABLE}={count}: expected 0 <= index < count")
    return index, count


# --- regions -----------------------------------------------------------------------------------------------------


def validate_regions(regions: Sequence[str], known: Collection[str]) -> tuple[str, ...]:
    """The regions, duplicates dropped, once every one is known."""
    unknown = [region for region in dict.fromkeys(regions) if region not in known]
    if unknown:
        described = ", ".join(_with_hint(region, known) for region in unknown)
        raise UsageError(f"unknown region{'s' if len(unknown) > 1 else ''}: {described}")
    return tuple(dict.fromkeys(regions))


# --- from AWS: the organization's accounts, an account's regions ------------------------------------


async def organization_accounts(clients: AwsClients, context: CallContext, ou: str | None = None) -> list[Account]:
    """The organization's ACTIVE accounts, every page; with `ou`, only those in that OU's subtree."""
    organizations = await clients.control_client("organizations", context.region or "us-east-1")
    if ou is None:
        listed = await _pages(clients, organizations, "list_accounts", "Accounts", context)
    else:
        listed = []
        parents = [ou]
        while parents:
            parent = parents.pop()
            listed += await _pages(
                clients, organizations, "list_accounts_for_parent", "Accounts", context, ParentId=parent
            )
            children = await _pages(
                clients,
                organizations,
                "list_children",
                "Children",
                context,
                ParentId=parent,
                ChildType="ORGANIZATIONAL_UNIT",
            )
            parents += [child["Id"] for child in children]
    return [
        Account(account_id=entry["Id"], name=entry.get("Name"))
        for entry in sorted(listed, key=lambda entry: entry["Id"])
        if entry.get("Status", "ACTIVE") == "ACTIVE"
    ]


async def account_tags(clients: AwsClients, context: CallContext, account: Account) -> Account:
    """The account with its Organizations tags (read only when a --tag filter needs them)."""
    organizations = await clients.control_client("organizations", context.region or "us-east-1")
    tags = await _pages(
        clients, organizations, "list_tags_for_resource", "Tags", context, ResourceId=account.account_id
    )
    return Account(
        account_id=account.account_id,
        name=account.name,
        role=account.role,
        external_id=account.external_id,
        regions=account.regions,
        tags={tag["Key"]: tag["Value"] for tag in tags},
    )


async def enabled_regions(clients: AwsClients, context: CallContext, account: str) -> tuple[str, ...]:
    """The regions enabled for one account (DescribeRegions lists opted-in and opt-in-free regions only)."""
    ec2 = await clients.client("ec2", context.region or "us-east-1", account=account)
    response = await clients.call(ec2, "describe_regions", context=context)
    return tuple(sorted(region["RegionName"] for region in response.get("Regions", [])))


async def _pages(
    clients: AwsClients, client: Any, operation: str, key: str, context: CallContext, **arguments: Any
) -> list[Any]:
    items: list[Any] = []
    token: str | None = None
    while True:
        paging: dict[str, Any] = {"NextToken": token} if token else {}
        page = await clients.call(client, operation, context=context, **arguments, **paging)
        items += page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return items
