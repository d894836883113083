"""iam-password-policy: the account's IAM password policy meets the given requirements (managed rule
IAM_PASSWORD_POLICY, with its parameter names and defaults).

Account scope, run once per account in the global region, from GetAccountPasswordPolicy. An account without a
password policy is NON_COMPLIANT (IAM's defaults then apply, which require none of this). A policy complies when it
requires every character class whose parameter is true, its MinimumPasswordLength is at least the parameter's, its
PasswordReusePrevention is at least the parameter's, and its passwords expire after at most MaxPasswordAge days.
The managed rule's defaults (true, true, true, true, 14, 24, 90) apply to a parameter not given. Beyond the managed
rule: a requirement is switched off with "false" (character classes) or 0 (PasswordReusePrevention, MaxPasswordAge),
and a boolean spelled other than "true"/"false" in lower case is refused (AWS reads "True" as false). NOT_APPLICABLE
cannot occur: every account has a policy or none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checks.shared.common import declared_extra, fit_findings
from checks.shared.credential_report import MAX_DAYS
from scanner.model import Compliance
from scanner.registry import (
    Check,
    CheckScope,
    ExtraData,
    Parameter,
    ParameterSchema,
    ParameterType,
    ParameterValues,
    Result,
    Severity,
    Snapshot,
)

CHECK_ID = "iam-password-policy"
# (parameter, the policy field that must be true, what it requires)
CHARACTER_CLASSES = (
    ("RequireUppercaseCharacters", "RequireUppercaseCharacters", "uppercase letters"),
    ("RequireLowercaseCharacters", "RequireLowercaseCharacters", "lowercase letters"),
    ("RequireSymbols", "RequireSymbols", "symbols"),
    ("RequireNumbers", "RequireNumbers", "numbers"),
)
_NOT_MET = "the password policy falls short: "
# IAM's own limits: a policy can require at most 128 characters and remember at most 24 passwords, so a parameter
# beyond them could never be met. Password ages are days, bounded as the credential checks bound theirs.
IAM_MAX_PASSWORD_LENGTH = 128
IAM_MAX_REMEMBERED = 24


def _count(value: Any) -> int | None:
    """A count in the policy; None for anything else (true is no length, though Python counts it as 1)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def evaluate(snapshot: Snapshot, params: ParameterValues) -> Result:
    policy: Mapping[str, Any] | None = declared_extra(
        snapshot, ExtraData.IAM_PASSWORD_POLICY, CHECK_ID, "IAM password policy"
    )
    if policy is None:
        return Result(Compliance.NON_COMPLIANT, "the account has no IAM password policy")
    missing = [
        what for parameter, field, what in CHARACTER_CLASSES if params[parameter] and policy.get(field) is not True
    ]
    shortfalls = [f"does not require {', '.join(missing)}"] if missing else []
    length = _count(policy.get("MinimumPasswordLength"))
    if length is None or length < params["MinimumPasswordLength"]:
        shortfalls.append(f"minimum length {length} < {params['MinimumPasswordLength']}")
    # Read only when required: a setting not asked for cannot fall short, whatever it holds.
    reuse = _count(policy.get("PasswordReusePrevention")) if params["PasswordReusePrevention"] else None
    if params["PasswordReusePrevention"] and (reuse is None or reuse < params["PasswordReusePrevention"]):
        remembered = f"remembers {reuse}" if reuse is not None else "allows reuse"
        shortfalls.append(f"{remembered}, not the last {params['PasswordReusePrevention']} passwords")
    max_age = _count(policy.get("MaxPasswordAge")) if params["MaxPasswordAge"] else None
    if params["MaxPasswordAge"] and (max_age is None or max_age > params["MaxPasswordAge"]):
        expiry = f"passwords expire after {max_age} days" if max_age is not None else "passwords never expire"
        shortfalls.append(f"{expiry}, not within {params['MaxPasswordAge']}")
    if shortfalls:
        return Result(Compliance.NON_COMPLIANT, _NOT_MET + fit_findings(shortfalls, 256 - len(_NOT_MET)))
    return Result(Compliance.COMPLIANT, f"the password policy meets every requirement (minimum length {length})")


def _class_parameter(name: str, what: str) -> Parameter:
    return Parameter(name, ParameterType.BOOLEAN, f'"true" (the default) to require {what} in passwords', default=True)


CHECK = Check(
    id=CHECK_ID,
    title="The IAM password policy meets the requirements",
    description=(
        "The account has an IAM password policy that requires each enabled character class, a minimum length, "
        "remembers enough earlier passwords and expires passwords, as in the managed rule IAM_PASSWORD_POLICY. "
        "Read with GetAccountPasswordPolicy, once per account in the global region."
    ),
    rationale=(
        "Short, simple, reused or never-changing console passwords are what credential stuffing and brute force "
        "succeed against; the password policy is the only account-wide control over IAM users' passwords."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Set the account's password policy to at least the required values (IAM console, Account settings, or the "
        "CLI below); it applies to each user's next password change. UpdateAccountPasswordPolicy replaces the whole "
        "policy: a setting left out reverts to its default (users may no longer change their own passwords, no hard "
        "expiry), so give every setting you keep."
    ),
    remediation_cli=(
        "aws iam update-account-password-policy --minimum-password-length 14 --require-symbols --require-numbers "
        "--require-uppercase-characters --require-lowercase-characters --password-reuse-prevention 24 "
        "--max-password-age 90 --allow-users-to-change-password"
    ),
    scope=CheckScope.ACCOUNT,
    parameters=ParameterSchema(
        (
            *(_class_parameter(parameter, what) for parameter, _, what in CHARACTER_CLASSES),
            Parameter(
                "MinimumPasswordLength",
                ParameterType.INTEGER,
                "the shortest password allowed must be at least this long (default 14)",
                default=14,
                minimum=6,
                maximum=IAM_MAX_PASSWORD_LENGTH,
            ),
            Parameter(
                "PasswordReusePrevention",
                ParameterType.INTEGER,
                "the policy must remember at least this many earlier passwords (default 24; 0: not required)",
                default=24,
                minimum=0,
                maximum=IAM_MAX_REMEMBERED,
            ),
            Parameter(
                "MaxPasswordAge",
                ParameterType.INTEGER,
                "passwords must expire within this many days (default 90; 0: not required)",
                default=90,
                minimum=0,
                maximum=MAX_DAYS,
            ),
        )
    ),
    extra_data=(ExtraData.IAM_PASSWORD_POLICY,),
    cis=("1.8", "1.9"),
    evaluate_account=evaluate,
)
