"""How S3 buckets are reached, read from their AWS Config items: ACL grants, bucket policy statements and the
public access block, and the public-access verdict the S3 public read and write checks share.

Not a check (`checks/__init__.py` registers none here). The semantics are those documented in
`s3_bucket_public_read_prohibited`, whose reading of ACLs and policies this is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from checks.shared.common import UnreadableFieldError, checked_statements, fit_findings
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import Result

BUCKET = "AWS::S3::Bucket"
ACL = "AccessControlList"
POLICY = "BucketPolicy"
PUBLIC_ACCESS_BLOCK = "PublicAccessBlockConfiguration"
BLOCK_SETTINGS = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")
PUBLIC_GROUPS = ("AllUsers", "AuthenticatedUsers")

# Only these operators require the request to carry a matching value; a negated one, an IfExists form or
# ForAllValues also lets through a request without the key.
_PINNING_OPERATORS = frozenset({"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"})
_PINNING_KEYS = frozenset(
    {
        "aws:sourcearn",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceowner",
        "aws:sourceaccount",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principalorgid",
        "aws:userid",
        "s3:dataaccesspointarn",
        "s3:dataaccesspointaccount",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
    }
)
_SOURCE_IP = "aws:sourceip"


class UnreadableError(ValueError):
    """Supplementary data a check needs is missing or malformed, so the bucket cannot be judged."""


@dataclass(frozen=True)
class Access:
    """A kind of public access: the ACL permissions and the policy actions (lower case) that grant it."""

    name: str
    acl_permissions: frozenset[str]  # normalised: no underscores, lower case ("fullcontrol")
    action_prefixes: tuple[str, ...]  # every action starting so, e.g. "s3:get"
    actions: tuple[str, ...]  # single actions; also lets a pattern like "s3:*object" be recognised


READ = Access(
    name="read",
    acl_permissions=frozenset({"read", "fullcontrol"}),
    action_prefixes=("s3:get", "s3:list"),
    actions=(
        "s3:getobject",
        "s3:getobjectversion",
        "s3:getobjectacl",
        "s3:getbucketacl",
        "s3:getbucketpolicy",
        "s3:listbucket",
        "s3:listbucketversions",
        "s3:listbucketmultipartuploads",
        "s3:listmultipartuploadparts",
    ),
)


def as_list(value: Any) -> list[Any]:
    """A policy element that may be one value or a list of them."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def glob_match(text: str, pattern: str) -> bool:
    """IAM wildcard matching: '*' is any run of characters and '?' one character; nothing else is special."""
    regex = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.fullmatch(regex, text, re.DOTALL) is not None


def covers_all(pattern: str, prefix: str) -> bool:
    """Whether `pattern` matches every string that starts with `prefix` ("s3:*" covers "s3:get")."""
    if not pattern.endswith("*"):
        return False
    head = pattern[:-1]
    return any(glob_match(prefix[:end], head) for end in range(len(prefix) + 1))


def is_everyone(principal: Any) -> bool:
    """Principal "*" or a principal map with a "*" value: every caller, anonymous ones included."""
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any(value == "*" for values in principal.values() for value in as_list(values))
    return False


def _is_open_principal(principal: Any) -> bool:
    """Everyone, or a principal S3 counts as public: empty, or with a wildcard or a policy variable in a value."""
    if is_everyone(principal) or principal in (None, "", {}, []):
        return True
    if isinstance(principal, Mapping):
        values = [value for values in principal.values() for value in as_list(values)]
        return any(not isinstance(value, str) or "*" in value or "${" in value for value in values)
    return False


def bucket_arn(item: ConfigurationItem) -> str:
    """The bucket's ARN as the item records it (its partition may be aws-cn or aws-us-gov)."""
    if item.arn and item.arn.startswith("arn:"):
        return item.arn
    return f"arn:aws:s3:::{item.resource_name or item.resource_id}"


def statement_label(statement: Mapping[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return sid if isinstance(sid, str) and sid else f"#{index}"


def _document(value: Any, what: str) -> Any:
    """A JSON document that may still be a string, or doubly encoded (the API model nests JSON in JSON)."""
    for _ in range(3):
        if not isinstance(value, str):
            return value
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise UnreadableError(f"the {what} is not valid JSON") from exc
    return value


def bucket_policy_statements(item: ConfigurationItem) -> tuple[Mapping[str, Any], ...] | None:
    """The bucket policy's statements, or None when the bucket has no policy; every statement is checked to have the
    policy grammar's types (see `checks.common.checked_statement`)."""
    if POLICY not in item.supplementary:
        raise UnreadableError(f"the configuration item has no {POLICY}")
    policy = _document(item.supplementary[POLICY], POLICY)
    if not isinstance(policy, Mapping) or "policyText" not in policy:
        raise UnreadableError(f"the {POLICY} has no policyText")
    if policy["policyText"] in (None, ""):
        return None
    document = _document(policy["policyText"], "bucket policy")
    if not isinstance(document, Mapping):
        raise UnreadableError("the bucket policy is not a JSON object")
    try:
        return tuple(checked_statements(document, "the bucket policy"))
    except UnreadableFieldError as exc:
        raise UnreadableError(str(exc)) from None


def blocks(item: ConfigurationItem, setting: str) -> bool:
    """Whether a bucket-level block setting is on. A setting that is absent or not a boolean true blocks nothing (nor
    does a PublicAccessBlockConfiguration that is not an object): unreadable, it excuses nothing."""
    block = item.supplementary.get(PUBLIC_ACCESS_BLOCK)
    return isinstance(block, Mapping) and block.get(setting) is True


def _public_group(grantee: Any, where: str) -> str | None:
    """AllUsers or AuthenticatedUsers for a grant to that group, by name or URI; None for anyone else."""
    if isinstance(grantee, str):
        names = [grantee]
    elif isinstance(grantee, Mapping):
        # A canonical user's displayName is free text: only a group's URI identifies a group.
        names = [grantee[key] for key in grantee if str(key).lower() in ("uri", "identifier")]
    else:
        raise UnreadableFieldError(where, grantee, "a grantee", source=f"the {ACL}")
    for name in names:
        if not isinstance(name, str):
            raise UnreadableFieldError(f"{where} URI", name, "a string", source=f"the {ACL}")
        group = name.strip().rstrip("/").rsplit("/", 1)[-1]
        if group in PUBLIC_GROUPS:
            return group
    return None


def public_acl_grants(item: ConfigurationItem, access: Access) -> list[str]:
    """The ACL's grants of `access` to a public group, as "Read to AllUsers"."""
    if ACL not in item.supplementary:
        raise UnreadableError(f"the configuration item has no {ACL}")
    acl = _document(item.supplementary[ACL], ACL)
    if not isinstance(acl, Mapping):
        raise UnreadableError(f"the {ACL} is not a JSON object")
    lists = {name: acl.get(name) for name in ("grantList", "grantSet")}
    if all(grants is None for grants in lists.values()):
        raise UnreadableError(f"the {ACL} has no grantList")
    found: list[str] = []
    try:
        for name, grants in lists.items():
            if grants is not None and not isinstance(grants, list):
                raise UnreadableFieldError(name, grants, "a list", source=f"the {ACL}")
            for index, grant in enumerate(grants or ()):
                where = f"{name}[{index}]"
                if not isinstance(grant, Mapping):
                    raise UnreadableFieldError(where, grant, "an object", source=f"the {ACL}")
                group = _public_group(grant.get("grantee"), f"{where}.grantee")
                permission = grant.get("permission")
                if not isinstance(permission, str):
                    raise UnreadableFieldError(f"{where}.permission", permission, "a permission", source=f"the {ACL}")
                if group is not None and permission.replace("_", "").lower() in access.acl_permissions:
                    found.append(f"{permission} to {group}")
    except UnreadableFieldError as exc:
        raise UnreadableError(str(exc)) from None
    return list(dict.fromkeys(found))


def _names_access(pattern: str, access: Access) -> bool:
    """Whether an Action pattern names at least one action of `access`."""
    action = pattern.lower()
    return any(action.startswith(prefix) or covers_all(action, prefix) for prefix in access.action_prefixes) or any(
        glob_match(known, action) for known in access.actions
    )


def _excludes_all(patterns: Sequence[str], access: Access) -> bool:
    """Whether NotAction patterns leave out every action of `access`."""
    lowered = [pattern.lower() for pattern in patterns]
    return all(any(covers_all(pattern, prefix) for pattern in lowered) for prefix in access.action_prefixes) and all(
        any(glob_match(known, pattern) for pattern in lowered) for known in access.actions
    )


def _action_patterns(statement: Mapping[str, Any], element: str, label: str) -> list[str]:
    patterns = as_list(statement[element])
    if not patterns or not all(isinstance(pattern, str) for pattern in patterns):
        raise UnreadableError(f"bucket policy statement {label} has an {element} that is not a list of strings")
    return patterns


def _grants(statement: Mapping[str, Any], access: Access, label: str) -> bool:
    if "Action" in statement:
        return any(_names_access(pattern, access) for pattern in _action_patterns(statement, "Action", label))
    if "NotAction" in statement:
        return not _excludes_all(_action_patterns(statement, "NotAction", label), access)
    raise UnreadableError(f"bucket policy statement {label} has neither Action nor NotAction")


def _is_fixed(value: Any, key: str) -> bool:
    if not isinstance(value, str) or not value.strip():
        return False
    if key == _SOURCE_IP:
        return not value.strip().endswith("/0")
    return not any(mark in value for mark in ("*", "?", "${"))


def _pins_callers(condition: Any) -> bool:
    """Whether a Condition limits a statement to fixed callers, so that it is not public."""
    if not isinstance(condition, Mapping):
        return False
    for operator, block in condition.items():
        if not isinstance(operator, str) or not isinstance(block, Mapping):
            continue
        name = operator.lower().removeprefix("foranyvalue:")
        for key, values in block.items():
            key_name = str(key).lower()
            pinning = (name == "ipaddress" and key_name == _SOURCE_IP) or (
                name in _PINNING_OPERATORS and key_name in _PINNING_KEYS
            )
            listed = as_list(values)
            if pinning and listed and all(_is_fixed(value, key_name) for value in listed):
                return True
    return False


def public_policy_statements(statements: Sequence[Mapping[str, Any]], access: Access) -> list[str]:
    """Labels of the Allow statements that grant `access` to everyone without pinning the caller."""
    found: list[str] = []
    for index, statement in enumerate(statements, start=1):
        label = statement_label(statement, index)
        if statement.get("Effect") != "Allow":
            continue
        if "NotPrincipal" not in statement and not _is_open_principal(statement.get("Principal")):
            continue
        if _grants(statement, access, label) and not _pins_callers(statement.get("Condition")):
            found.append(label)
    return found


def _acl_part(item: ConfigurationItem, access: Access) -> tuple[str | None, str]:
    """(what makes the ACL public, or None; why it is not)."""
    if blocks(item, "ignorePublicAcls"):
        return None, "public ACLs are ignored (ignorePublicAcls)"
    grants = public_acl_grants(item, access)
    if grants:
        return f"the bucket ACL grants {', '.join(grants)}", ""
    return None, f"the bucket ACL grants no public {access.name}"


def _policy_part(item: ConfigurationItem, access: Access) -> tuple[str | None, str]:
    if blocks(item, "restrictPublicBuckets"):
        return None, "public policies are restricted (restrictPublicBuckets)"
    statements = bucket_policy_statements(item)
    if statements is None:
        return None, "the bucket has no policy"
    public = public_policy_statements(statements, access)
    if public:
        noun = "statement" if len(public) == 1 else "statements"
        return f"the bucket policy allows public {access.name} ({noun} {', '.join(public)})", ""
    return None, f"the bucket policy allows no public {access.name}"


def evaluate_public_access(item: ConfigurationItem, access: Access) -> Result:
    """Whether the ACL or the policy gives the public `access`, as the public read and write checks judge it."""
    findings: list[str] = []
    reasons: list[str] = []
    unjudged: list[str] = []
    parts: tuple[Callable[[ConfigurationItem, Access], tuple[str | None, str]], ...] = (
        _acl_part,
        _policy_part,
    )
    for part in parts:
        try:
            finding, reason = part(item, access)
        except UnreadableError as exc:
            unjudged.append(str(exc))
            continue
        if finding is None:
            reasons.append(reason)
        else:
            findings.append(finding)
    if findings:
        return Result(Compliance.NON_COMPLIANT, fit_findings(findings))
    if unjudged:
        unknown = "; ".join(unjudged)
        return Result(Compliance.NON_COMPLIANT, f"public {access.name} access could not be judged: {unknown}")
    return Result(Compliance.COMPLIANT, "; ".join(reasons))
