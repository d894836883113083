"""The check contract: metadata, typed parameters, and the registry that refuses duplicates.

A check is pure. The scanner reads what a check declares it needs (configuration items of some types,
counts of others, extra data such as the IAM credential report) into a `Snapshot` for one account and
region, and hands the check that snapshot plus its parsed parameters. No I/O, clients or logging inside.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from scanner.errors import CloudSweepError
from scanner.model import Compliance, ConfigurationItem

T = TypeVar("T")


class Severity(Enum):
    INFORMATIONAL = "informational"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Cloud(Enum):
    """Whose configuration items a check reads: its resource types' prefix and its remediation CLI say so."""

    AWS = "aws"
    ALIBABA = "alibaba"

    @property
    def type_prefix(self) -> str:
        return "AWS::" if self is Cloud.AWS else "ACS::"

    @property
    def cli(self) -> str:
        """The command line tool `remediation_cli` lines start with."""
        return "aws" if self is Cloud.AWS else "aliyun"

    @property
    def display_name(self) -> str:
        return "AWS" if self is Cloud.AWS else "Alibaba Cloud"

    @property
    def cli_name(self) -> str:
        return f"{self.display_name} CLI"

    @property
    def read_permissions(self) -> tuple[str, ...]:
        return CONFIG_READ_PERMISSIONS if self is Cloud.AWS else ALIBABA_CONFIG_READ_PERMISSIONS


class CheckScope(Enum):
    RESOURCE = "resource"  # one evaluation per configuration item
    ACCOUNT = "account"  # one evaluation per account and region, resource type AWS::::Account


class ExtraData(Enum):
    """Data beyond Config items that a check may ask for, with the IAM permissions reading it costs."""

    IAM_CREDENTIAL_REPORT = "iam_credential_report"
    IAM_PASSWORD_POLICY = "iam_password_policy"  # noqa: S105  (an enum member's name) the policy's fields, or None when the account has none
    # The region's trails as DescribeTrails lists them (multi-region trails of other home regions included), each
    # with GetTrailStatus's IsLogging.
    CLOUDTRAIL_TRAILS = "cloudtrail_trails"

    @property
    def permissions(self) -> tuple[str, ...]:
        return _EXTRA_DATA_PERMISSIONS[self]

    @property
    def is_global(self) -> bool:
        """Read once per account, in the global region (IAM's report is not a regional thing)."""
        return self in (ExtraData.IAM_CREDENTIAL_REPORT, ExtraData.IAM_PASSWORD_POLICY)


_EXTRA_DATA_PERMISSIONS = {
    ExtraData.IAM_CREDENTIAL_REPORT: ("iam:GenerateCredentialReport", "iam:GetCredentialReport"),
    ExtraData.IAM_PASSWORD_POLICY: ("iam:GetAccountPasswordPolicy",),
    ExtraData.CLOUDTRAIL_TRAILS: ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus"),
}
CONFIG_READ_PERMISSIONS = (
    "config:ListDiscoveredResources",
    "config:BatchGetResourceConfig",
    "config:GetResourceConfigHistory",
)
# Alibaba Cloud Config's RAM actions for what a periodic rule reads.
ALIBABA_CONFIG_READ_PERMISSIONS = (
    "config:ListDiscoveredResources",
    "config:GetDiscoveredResource",
)


class ParameterType(Enum):
    STRING = "string"
    INTEGER = "integer"
    BOOLEAN = "boolean"  # "true" or "false", as AWS Config passes it
    STRING_LIST = "string_list"  # comma-separated, blanks dropped
    PORT_RANGE = "port_range"  # "8080" or an inclusive "1-1024"
    RESOURCE_TYPE = "resource_type"  # an AWS Config type such as AWS::EC2::Instance


class ParameterError(CloudSweepError, ValueError):
    """A parameter that is missing or malformed, named with its check."""

    def __init__(self, check_id: str, parameter: str | None, message: str) -> None:
        where = f"check {check_id}" + (f", parameter {parameter}" if parameter else "")
        super().__init__(f"{where}: {message}")
        self.check_id = check_id
        self.parameter = parameter


@dataclass(frozen=True)
class PortRange:
    first: int
    last: int

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"

    def intersects(self, first: int, last: int) -> bool:
        return self.first <= last and first <= self.last


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


_RESOURCE_TYPE = re.compile(r"AWS::[A-Za-z0-9]+::[A-Za-z0-9]+")
# What a check may declare: either cloud's types (each check's own cloud is checked beside).
_DECLARED_TYPE = re.compile(r"(?:AWS|ACS)::[A-Za-z0-9]+::[A-Za-z0-9]+")
_PORT_RANGE = re.compile(r"^\s*([0-9]{1,5})\s*(?:-\s*([0-9]{1,5})\s*)?$")
# Plain decimal digits with an optional sign: int() would also take "1_000" and other scripts' digits ("١٢").
_INTEGER = re.compile(r"[+-]?[0-9]+")
# The most an INTEGER parameter may be when its check declares no maximum: as many days as a timedelta holds, so that
# no check turning it into days, or comparing with it, can overflow. The built-in checks all declare smaller ones.
INTEGER_CEILING = 999_999_999


def _shown(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 40 else text[:36] + "...'"


@dataclass(frozen=True)
class Parameter:
    name: str
    type: ParameterType
    description: str
    required: bool = False
    default: Any = None
    aliases: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None  # INTEGER only; INTEGER_CEILING when not given

    def convert(self, check_id: str, raw: Any) -> Any:
        """AWS Config passes every parameter as a string; a parameters file may pass typed values."""
        if self.type is ParameterType.STRING:
            if not isinstance(raw, str) or not raw.strip():
                raise ParameterError(check_id, self.name, f"expected a non-empty string, got {raw!r}")
            return raw.strip()
        if self.type is ParameterType.INTEGER:
            return self._integer(check_id, raw)
        if self.type is ParameterType.BOOLEAN:
            return self._boolean(check_id, raw)
        if self.type is ParameterType.RESOURCE_TYPE:
            if not isinstance(raw, str) or not _RESOURCE_TYPE.fullmatch(raw.strip()):
                raise ParameterError(
                    check_id, self.name, f"expected a resource type like AWS::EC2::Instance, got {raw!r}"
                )
            return raw.strip()
        if self.type is ParameterType.STRING_LIST:
            # A params file's `amiIds:` with no value is null, not the word "None".
            if not isinstance(raw, str | list) or (isinstance(raw, list) and not all(_scalar(v) for v in raw)):
                raise ParameterError(check_id, self.name, f"expected a comma-separated list, got {raw!r}")
            values = raw if isinstance(raw, list) else raw.split(",")
            items = tuple(str(value).strip() for value in values if str(value).strip())
            if not items:
                raise ParameterError(check_id, self.name, f"expected a comma-separated list, got {raw!r}")
            return items
        return self._port_range(check_id, raw)

    def _boolean(self, check_id: str, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        # Lower case only: AWS Config's managed rules read any other spelling ("True") as false.
        if isinstance(raw, str) and raw.strip() in ("true", "false"):
            return raw.strip() == "true"
        raise ParameterError(
            check_id, self.name, f'expected "true" or "false" (lower case, as AWS Config reads them), got {raw!r}'
        )

    @property
    def integer_bounds(self) -> tuple[int, int]:
        """The least and most an INTEGER parameter may be: as declared, else -INTEGER_CEILING and INTEGER_CEILING."""
        lowest = self.minimum if self.minimum is not None else -INTEGER_CEILING
        return lowest, self.maximum if self.maximum is not None else INTEGER_CEILING

    def _integer(self, check_id: str, raw: Any) -> int:
        """Decimal digits, as AWS Config passes them, or an int from a parameters file; padding is stripped. Never a
        float or its spelling ("1.5", "1e26"), and never beyond the parameter's bounds."""
        text = raw.strip() if isinstance(raw, str) else ""
        if isinstance(raw, bool) or not (isinstance(raw, int) or _INTEGER.fullmatch(text)):
            raise ParameterError(check_id, self.name, f"expected an integer, got {_shown(raw)}")
        lowest, highest = self.integer_bounds
        if isinstance(raw, int):
            value: int | None = raw
        else:
            # Longer than any bound is beyond it: int() refuses more than 4300 digits, and need not be asked.
            width = len(str(max(abs(lowest), abs(highest))))
            value = int(text) if len(text.lstrip("+-").lstrip("0")) <= width else None
        spelled = str(value) if value is not None else text
        got = spelled if len(spelled) <= 40 else spelled[:37] + "..."
        below = value < lowest if value is not None else text.startswith("-")
        if below:
            raise ParameterError(check_id, self.name, f"must be at least {lowest}, got {got}")
        if value is None or value > highest:
            raise ParameterError(check_id, self.name, f"must be at most {highest}, got {got}")
        return value

    def _port_range(self, check_id: str, raw: Any) -> PortRange:
        match = _PORT_RANGE.match(str(raw))
        if match is None or isinstance(raw, bool):
            raise ParameterError(check_id, self.name, f"expected a port like 8080 or a range like 1-1024, got {raw!r}")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if not 0 <= first <= last <= 65535:
            raise ParameterError(check_id, self.name, f"expected ports within 0-65535, low to high, got {raw!r}")
        return PortRange(first, last)


@dataclass(frozen=True)
class ParameterValues(Mapping[str, Any]):
    """Parsed, typed parameter values by canonical name (free-form names kept as given)."""

    by_name: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.by_name[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_name)

    def __len__(self) -> int:
        return len(self.by_name)


@dataclass(frozen=True)
class ParameterSchema:
    parameters: tuple[Parameter, ...] = ()
    # When set, any other name is a parameter of this kind (the sample ec2-exposed-instance's free port keys).
    free_form: Parameter | None = None
    min_free_form: int = 0

    def parse(self, check_id: str, raw: Mapping[str, Any] | str | None) -> ParameterValues:
        document = _parameters_document(check_id, raw)
        values: dict[str, Any] = {}
        known: dict[str, Parameter] = {}
        for parameter in self.parameters:
            for name in (parameter.name, *parameter.aliases):
                known[name] = parameter
        for name, raw_value in document.items():
            declared = known.get(name)
            if declared is not None:
                if declared.name in values:
                    raise ParameterError(check_id, declared.name, f"given twice (as {name!r} and an alias)")
                values[declared.name] = declared.convert(check_id, raw_value)
            elif self.free_form is not None:
                free = dataclasses.replace(self.free_form, name=name)
                values[name] = free.convert(check_id, raw_value)
            else:
                raise ParameterError(check_id, name, f"unknown parameter (known: {', '.join(sorted(known)) or 'none'})")
        for parameter in self.parameters:
            if parameter.name not in values:
                if parameter.required:
                    raise ParameterError(check_id, parameter.name, "is required")
                # A port default is declared as an int (describe() stays JSON) but reaches the check as given ones do.
                default = parameter.default
                if parameter.type is ParameterType.PORT_RANGE and isinstance(default, int):
                    default = PortRange(default, default)
                values[parameter.name] = default
        free_count = len(values) - len(self.parameters)
        if self.free_form is not None and free_count < self.min_free_form:
            raise ParameterError(check_id, None, f"needs at least {self.min_free_form} {self.free_form.description}")
        return ParameterValues(values)

    def canonical_name(self, name: str) -> str:
        """The declared name for an alias (so a later layer's alias overrides an earlier layer's name)."""
        for parameter in self.parameters:
            if name == parameter.name or name in parameter.aliases:
                return parameter.name
        return name

    def has_required(self) -> bool:
        return any(parameter.required for parameter in self.parameters) or self.min_free_form > 0


def _parameters_document(check_id: str, raw: Mapping[str, Any] | str | None) -> Mapping[str, Any]:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise ParameterError(check_id, None, f"parameters are not valid JSON: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise ParameterError(check_id, None, "parameters must be a JSON object of name to value")
    return raw


@dataclass(frozen=True)
class Result:
    compliance: Compliance
    annotation: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """What the scanner read for one account and region, as the checks need it."""

    account_id: str
    region: str
    now: datetime
    items: Mapping[str, Sequence[ConfigurationItem]] = field(default_factory=dict)
    counts: Mapping[str, int] = field(default_factory=dict)
    extra: Mapping[ExtraData, Any] = field(default_factory=dict)
    _index: dict[tuple[str, str], ConfigurationItem] = field(init=False, repr=False, compare=False)
    _derived: dict[Hashable, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Lookups (an instance's security groups) happen per evaluated item: index once, by id.
        index = {(item.resource_type, item.resource_id): item for items in self.items.values() for item in items}
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_derived", {})

    def item(self, resource_type: str, resource_id: str) -> ConfigurationItem | None:
        return self._index.get((resource_type, resource_id))

    def derived(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, once per snapshot for each `key`: what checks derive from a shared item (a security group's
        exposures, judged for each of its instances). The key names everything the value depends on besides this
        snapshot (the check, the item's id, the parameters). An exception is raised again on the next call, not kept.
        """
        try:
            value: T = self._derived[key]
        except KeyError:
            value = self._derived[key] = compute()
        return value


ResourceEvaluator = Callable[[ConfigurationItem, ParameterValues, Snapshot], Result]
AccountEvaluator = Callable[[Snapshot, ParameterValues], Result]


@dataclass(frozen=True)
class Needs:
    """What one check, with its parameters, needs the scanner to read."""

    item_types: frozenset[str] = frozenset()  # full configuration items
    count_types: frozenset[str] = frozenset()  # only how many resources are discovered
    extra: frozenset[ExtraData] = frozenset()


class CheckDefinitionError(CloudSweepError, ValueError):
    """A check whose metadata is incomplete or inconsistent: raised when it is defined, long before a scan."""


_CHECK_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_CIS_CONTROL = re.compile(r"\d+(\.\d+){1,2}")
_PARAMETER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_DEFAULT_TYPES: dict[ParameterType, type] = {
    ParameterType.STRING: str,
    ParameterType.INTEGER: int,
    ParameterType.BOOLEAN: bool,
    ParameterType.STRING_LIST: tuple,
    ParameterType.PORT_RANGE: int,  # a single port: describe() stays JSON
    ParameterType.RESOURCE_TYPE: str,
}
CIS_BENCHMARK = "CIS AWS Foundations Benchmark v3.0.0"


@dataclass(frozen=True, kw_only=True)
class Check:
    id: str
    title: str
    description: str
    rationale: str  # why it matters: the risk a violation carries
    severity: Severity
    remediation: str  # what to do, in words
    remediation_cli: str  # the fix as AWS CLI commands, one per line, placeholders in capitals
    scope: CheckScope
    cloud: Cloud = Cloud.AWS
    resource_types: tuple[str, ...] = ()  # the types evaluated (resource scope) or read
    lookup_types: tuple[str, ...] = ()  # types read only to look things up (an instance's security groups)
    parameters: ParameterSchema = ParameterSchema()
    extra_data: tuple[ExtraData, ...] = ()
    cis: tuple[str, ...] = ()  # CIS_BENCHMARK control ids the check answers (fully or in part)
    evaluate_resource: ResourceEvaluator | None = None
    evaluate_account: AccountEvaluator | None = None
    # For checks whose counted types come from parameters (resource-count-max).
    count_types: Callable[[ParameterValues], Iterable[str]] | None = None
    demo_parameters: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = _definition_problems(self)
        if problems:
            raise CheckDefinitionError(f"check {self.id!r}: " + "; ".join(problems))

    def run_resource(self, item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
        """Evaluate one item (a resource-scope check)."""
        if self.evaluate_resource is None:
            raise TypeError(f"check {self.id} evaluates accounts, not configuration items")
        return self.evaluate_resource(item, params, snapshot)

    def run_account(self, snapshot: Snapshot, params: ParameterValues) -> Result:
        """Evaluate one account and region (an account-scope check)."""
        if self.evaluate_account is None:
            raise TypeError(f"check {self.id} evaluates configuration items, not accounts")
        return self.evaluate_account(snapshot, params)

    def needs(self, params: ParameterValues) -> Needs:
        counted = frozenset(self.count_types(params)) if self.count_types else frozenset()
        return Needs(
            item_types=frozenset(self.resource_types) | frozenset(self.lookup_types),
            count_types=counted,
            extra=frozenset(self.extra_data),
        )

    @property
    def permissions(self) -> tuple[str, ...]:
        extra = [permission for data in self.extra_data for permission in data.permissions]
        return (*self.cloud.read_permissions, *extra)

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "rationale": self.rationale,
            "severity": self.severity.value,
            "scope": self.scope.value,
            "cloud": self.cloud.value,
            "resource_types": list(self.resource_types),
            "lookup_types": list(self.lookup_types),
            "parameters": [
                {
                    "name": parameter.name,
                    "type": parameter.type.value,
                    "required": parameter.required,
                    "default": parameter.default,
                    "aliases": list(parameter.aliases),
                    "description": _described(parameter),
                }
                for parameter in self.parameters.parameters
            ]
            + (
                [
                    {
                        "name": "<any name>",
                        "type": self.parameters.free_form.type.value,
                        "required": self.parameters.min_free_form > 0,
                        "default": None,
                        "aliases": [],
                        "description": self.parameters.free_form.description,
                    }
                ]
                if self.parameters.free_form
                else []
            ),
            "extra_data": [data.value for data in self.extra_data],
            "permissions": list(self.permissions),
            "remediation": self.remediation,
            "remediation_cli": self.remediation_cli,
            "cis": list(self.cis),
        }


def _described(parameter: Parameter) -> str:
    """The description, with an integer parameter's bounds (the parser refuses anything beyond them)."""
    if parameter.type is not ParameterType.INTEGER:
        return parameter.description
    lowest, highest = parameter.integer_bounds
    return f"{parameter.description}; an integer from {lowest} to {highest}"


class DuplicateCheckError(CloudSweepError, ValueError):
    pass


def _definition_problems(check: Check) -> list[str]:
    problems = []
    if not isinstance(check.id, str) or not _CHECK_ID.fullmatch(check.id):
        problems.append("the id must be lower-case words joined by '-'")
    texts = ("title", "description", "rationale", "remediation", "remediation_cli")
    wrong_types = [name for name in texts if not isinstance(getattr(check, name), str)]
    problems.extend(f"{name} must be a string" for name in wrong_types)
    sequences = ("resource_types", "lookup_types", "extra_data", "cis")
    not_tuples = [name for name in sequences if not isinstance(getattr(check, name), tuple)]
    problems.extend(
        f"{name} must be a tuple (one element needs a trailing comma: ({getattr(check, name)!r},))"
        for name in not_tuples
    )
    schema_ok = isinstance(check.parameters, ParameterSchema)
    if not schema_ok:
        problems.append("parameters must be a ParameterSchema")
    if wrong_types or not_tuples or not schema_ok:
        return problems  # the checks below read these fields
    for name in ("title", "description", "rationale", "remediation"):
        if not getattr(check, name).strip():
            problems.append(f"{name} is empty")
    if "\n" in check.title or len(check.title) > 100:
        problems.append("the title must be one line of at most 100 characters")
    if not isinstance(check.severity, Severity) or not isinstance(check.scope, CheckScope):
        problems.append("severity and scope must be Severity and CheckScope members")
    if not isinstance(check.cloud, Cloud):
        problems.append("cloud must be a Cloud member")
        return problems
    cli = check.cloud.cli
    commands = [line for line in check.remediation_cli.splitlines() if line.strip()]
    if not commands or not all(line.startswith(f"{cli} ") for line in commands):
        problems.append(
            f"remediation_cli must be {check.cloud.cli_name} commands, one per line, each starting with '{cli} '"
        )
    problems.extend(
        f"CIS control id {cis!r} is not like 1.4 or 2.1.1" for cis in check.cis if not _CIS_CONTROL.fullmatch(cis)
    )
    example = "AWS::EC2::Instance" if check.cloud is Cloud.AWS else "ACS::ECS::Instance"
    for resource_type in (*check.resource_types, *check.lookup_types):
        if not _DECLARED_TYPE.fullmatch(resource_type) or not resource_type.startswith(check.cloud.type_prefix):
            problems.append(f"resource type {resource_type!r} is not like {example}")
    resource_type_parameters = any(p.type is ParameterType.RESOURCE_TYPE for p in check.parameters.parameters)
    if check.cloud is not Cloud.AWS and (
        check.extra_data
        or check.cis
        or check.lookup_types
        or check.count_types
        or resource_type_parameters
        or check.scope is not CheckScope.RESOURCE
    ):
        # Extra data, lookups, counts and account snapshots are read by the AWS scanner; the CIS ids and the
        # resource-type parameter (AWS::... only) are AWS's.
        problems.append(
            f"{check.cloud.display_name} checks evaluate one resource at a time: no extra_data, lookups, counts, "
            "resource-type parameters or cis"
        )
    if (check.scope is CheckScope.RESOURCE) != (check.evaluate_resource is not None):
        problems.append("a resource-scope check has evaluate_resource, and only it")
    if (check.scope is CheckScope.ACCOUNT) != (check.evaluate_account is not None):
        problems.append("an account-scope check has evaluate_account, and only it")
    if check.scope is CheckScope.RESOURCE and not check.resource_types:
        problems.append("a resource-scope check names the resource types it evaluates")
    if not all(isinstance(data, ExtraData) for data in check.extra_data):
        problems.append("extra_data holds ExtraData members")
    problems.extend(_parameter_problems(check.parameters))
    return problems


def _parameter_problems(schema: ParameterSchema) -> list[str]:
    problems = []
    seen: set[str] = set()
    for parameter in schema.parameters:
        for name in (parameter.name, *parameter.aliases):
            if not _PARAMETER_NAME.fullmatch(name):
                problems.append(f"parameter name {name!r} is not an identifier")
            if name in seen:
                problems.append(f"parameter name {name!r} is declared twice")
            seen.add(name)
        if not parameter.description.strip():
            problems.append(f"parameter {parameter.name} has no description")
        if parameter.required and parameter.default is not None:
            problems.append(f"parameter {parameter.name} is required and has a default")
        expected = _DEFAULT_TYPES[parameter.type]
        if parameter.default is not None and (
            not isinstance(parameter.default, expected) or (expected is int and isinstance(parameter.default, bool))
        ):
            problems.append(
                f"parameter {parameter.name}'s default {parameter.default!r} is not a {expected.__name__} "
                f"({parameter.type.value})"
            )
        elif (
            isinstance(parameter.default, int)
            and parameter.minimum is not None
            and parameter.default < parameter.minimum
        ):
            problems.append(f"parameter {parameter.name}'s default {parameter.default} is below its minimum")
        elif parameter.type is ParameterType.INTEGER and isinstance(parameter.default, int):
            lowest, highest = parameter.integer_bounds
            if not lowest <= parameter.default <= highest:
                problems.append(
                    f"parameter {parameter.name}'s default {parameter.default} is beyond {lowest}..{highest}"
                )
        if parameter.maximum is not None and parameter.type is not ParameterType.INTEGER:
            problems.append(f"parameter {parameter.name} has a maximum, which only integer parameters take")
        if parameter.minimum is not None and parameter.maximum is not None and parameter.minimum > parameter.maximum:
            problems.append(f"parameter {parameter.name}'s minimum {parameter.minimum} is above its maximum")
    return problems


class UnknownCheckError(CloudSweepError, KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class Registry:
    """Checks by id. Registering an id twice is an error, never a silent overwrite."""

    def __init__(self, checks: Iterable[Check] = (), source: str = "built-in") -> None:
        self._checks: dict[str, Check] = {}
        self._sources: dict[str, str] = {}
        for check in checks:
            self.register(check, source)

    def register(self, check: Check, source: str = "built-in") -> Check:
        """Add a check; `source` (built-in, a file, an entry point) names where it came from in errors."""
        if check.id in self._checks:
            raise DuplicateCheckError(
                f"check id {check.id!r} is registered twice: from {self._sources[check.id]} and from {source}"
            )
        self._checks[check.id] = check
        self._sources[check.id] = source
        return check

    def source(self, check_id: str) -> str:
        self.get(check_id)
        return self._sources[check_id]

    def get(self, check_id: str) -> Check:
        try:
            return self._checks[check_id]
        except KeyError:
            known = ", ".join(sorted(self._checks))
            raise UnknownCheckError(f"unknown check {check_id!r} (known: {known})") from None

    def __iter__(self) -> Iterator[Check]:
        return iter(sorted(self._checks.values(), key=lambda check: check.id))

    def __len__(self) -> int:
        return len(self._checks)

    def __contains__(self, check_id: object) -> bool:
        return check_id in self._checks


@dataclass(frozen=True)
class SelectedCheck:
    """A check chosen for a scan or a rule, with its parsed parameters."""

    check: Check
    params: ParameterValues
