"""cloudsweep's errors: one tree, every error cloudsweep raises on purpose under `CloudSweepError`. Cloud errors are
translated once, at each cloud's seam. Where an error is also a standard one (ValueError, KeyError), it stays one,
so `except ValueError` in older code keeps working.

    CloudSweepError
    ├── UsageError                  bad input from the user: options, files (exit 2)
    │   ├── MutelistError           (scanner.mutelist)
    │   ├── CheckLoadError          a --checks-dir file or entry point (scanner.plugins)
    │   └── DiffError               an input of `cloudsweep diff` (scanner.diff)
    ├── EventError, ValueError      a malformed rule event, naming the field
    ├── DocumentError, ValueError   a JSON/YAML document too deep or too big (scanner.documents)
    ├── ItemError, ValueError       a configuration item that cannot be read (scanner.model)
    ├── ParameterError, ValueError  a check parameter (scanner.registry)
    ├── CheckDefinitionError, ValueError / DuplicateCheckError, ValueError   a check's own definition
    ├── UnknownCheckError, KeyError a check id nobody registered
    ├── OutputError                 an output that could not be written whole (exit 3)
    ├── RuleRuntimeError            a rule invocation that could not finish
    ├── AwsError                    an AWS call that failed after its retries (scanner.aws)
    ├── AlibabaError                an Alibaba Cloud call that failed after its retries (scanner.alibaba)
    ├── UnexpectedAnswer            inside the Alibaba seam only: a 200 it cannot read, retried, then an AlibabaError
    │   └── EvaluationsNotAccepted  PutEvaluations answered without Result true
    └── NoAccountsError             a scan whose selection holds no account (scanner.scan.engine)
"""

from __future__ import annotations

import re


class CloudSweepError(Exception):
    """Base of every error cloudsweep raises on purpose."""


class UsageError(CloudSweepError):
    """Bad input from the user: options, parameter files, events. Exit code 2."""


class EventError(CloudSweepError, ValueError):
    """A malformed rule event or rule configuration (AWS Config or Alibaba Cloud Config), naming the field at fault."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


class RuleRuntimeError(CloudSweepError):
    """A rule invocation that failed loudly (so the function's retry and the logs see it)."""


class OutputError(CloudSweepError):
    """An output file that could not be written whole (a full disk, a quota): the previous file is kept. Exit 3."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def token_for_logs(token: str) -> str:
    """Enough of a result token to tell two apart, never the whole of it."""
    return token[:8] + "…" if len(token) > 8 else "…"


class AwsError(CloudSweepError):
    """An AWS call that failed for good (after any retries), with what is safe to show."""

    def __init__(
        self,
        service: str,
        operation: str,
        code: str,
        message: str,
        *,
        account_id: str | None = None,
        region: str | None = None,
    ) -> None:
        self.service = service
        self.operation = operation
        self.code = code
        self.message = scrub(message)
        self.account_id = account_id
        self.region = region
        super().__init__(f"{service}:{operation} failed with {code}: {self.message}")


class AlibabaError(CloudSweepError):
    """An Alibaba Cloud API call that failed for good (after any retries), with what is safe to show."""

    def __init__(self, service: str, operation: str, code: str, message: str) -> None:
        self.service = service
        self.operation = operation
        self.code = code
        self.message = scrub(message)
        super().__init__(f"{service}:{operation} failed with {code}: {self.message}")


# Credentials as they show up in text: AWS error messages, exception text, tracebacks, request dumps. One set of
# patterns for `scrub` (error messages) and `redact` (every string a log event carries, `scanner.logs`). Order matters:
# named values and signatures first, then long base64 runs, so that a key id inside a secret key or a token is
# never masked alone while the rest of the secret stays.
REDACTED = "****"
_BASE64 = "A-Za-z0-9+/"
# One character of a base64 run as text carries it: itself, URL-encoded (`%2B`, `%2F`, `%3D`, in either case, and
# encoded again: `%252F`, as in a presigned URL inside a URL), or a JSON-escaped slash (`\/`).
_BASE64_UNIT = rf"(?:[{_BASE64}=]|%(?:25)*(?:2[BbFf]|3[Dd])|\\/)"
# `=` or `:` after a name, plain or URL-encoded (`X-Amz-Security-Token%3D...` in an encoded redirect URL).
_EQUALS = r"(?:=|%(?:25)*3[Dd])"
_ASSIGN = r"(?:[:=]|%(?:25)*3[AaDd])"
# A value runs to a delimiter, or to an URL-encoded `&` (the next parameter of an encoded query string).
_NOT_ENCODED_AMPERSAND = r"(?!%(?:25)*26)"
_SECRETS: tuple[tuple[re.Pattern[str], str], ...] = (
    # A value after a credential's name (`aws_secret_access_key=`, `"SessionToken": "`, `X-Amz-Security-Token=`,
    # `ExternalId=` in an AssumeRole body, `password:`), however short: the name says what it is. "The security
    # token included in the request is invalid" (no `:` or `=` after the name) is prose and stays.
    (
        re.compile(
            r"(?i)(secret[-_]?access[-_]?key|access[-_]?key[-_]?secret|session[-_]?token|security[-_]?token|external[-_]?id|password)"
            rf"([\"']?\s*{_ASSIGN}\s*[\"']?)(?:{_NOT_ENCODED_AMPERSAND}[^\s\"'&,;<>(){{}}\[\]])+"
        ),
        rf"\1\2{REDACTED}",
    ),
    # SigV4 (and SigV2) signatures and credential scopes, in Authorization headers and presigned URLs
    # (`X-Amz-Signature=`, `X-Amz-Credential=`), as signature errors quote them back.
    (re.compile(rf"(Signature{_EQUALS})(?:{_NOT_ENCODED_AMPERSAND}[^\s\"'&,;<>])+"), rf"\1{REDACTED}"),
    (re.compile(rf"(Credential{_EQUALS})(?:{_NOT_ENCODED_AMPERSAND}[^\s\"'&,;<>])+"), rf"\1{REDACTED}"),
    # Session tokens and AWS Config result tokens: base64 runs of 100 characters or more never belong in text, nor
    # do they URL-encoded (a presigned URL's `X-Amz-Security-Token`, however it is quoted) or JSON-escaped.
    (re.compile(rf"{_BASE64_UNIT}{{100,}}"), REDACTED),
    # Secret access keys: exactly 40 base64 characters with both cases (a hex digest, an all-caps id or a
    # path of words is not one), standing alone.
    (
        re.compile(
            rf"(?<![{_BASE64}])(?=[{_BASE64}]{{0,39}}[A-Z])(?=[{_BASE64}]{{0,39}}[a-z])[{_BASE64}]{{40}}(?![{_BASE64}])"
        ),
        REDACTED,
    ),
    # Access key ids (long-term AKIA, temporary ASIA, and the rarer ABIA/ACCA): keep the prefix, which tells a
    # user's key from a role session's, and nothing that identifies the key.
    (re.compile(r"(?<![A-Za-z0-9])(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{12,}(?![A-Za-z0-9])"), rf"\1{REDACTED}"),
    # Alibaba Cloud AccessKey ids, prefix kept like AWS's: long-term LTAI..., and temporary STS.... ones (which carry
    # digits: "STS.GetCallerIdentity" is an API name). Their secrets have no shape of their own (30 letters and
    # digits look like a CloudFormation logical id): they are masked only when named (access_key_secret=...).
    (re.compile(r"(?<![A-Za-z0-9.])LTAI[A-Za-z0-9]{12,}(?![A-Za-z0-9])"), f"LTAI{REDACTED}"),
    (re.compile(r"(?<![A-Za-z0-9.])STS\.(?=[A-Za-z]{0,40}[0-9])[A-Za-z0-9]{16,}(?![A-Za-z0-9])"), f"STS.{REDACTED}"),
)
# No pattern above can match a shorter string ("password=x"), nor one without this (every pattern needs an `=`,
# a name before a `:`, or a run of 16 base64 characters): most strings a scan logs (timestamps, account ids,
# regions, messages) are passed over with one search.
_SHORTEST_SECRET = 10
_MAY_HOLD_SECRET = re.compile(rf"(?i)=|%(?:25)*3[ad]|[{_BASE64}]{{16}}|(?:key|token|id|password|secret)[\"']?\s*:")
MESSAGE_LIMIT = 500


def redact(text: str) -> str:
    """`text` with every credential the patterns know masked, and nothing else changed."""
    if len(text) < _SHORTEST_SECRET or _MAY_HOLD_SECRET.search(text) is None:
        return text
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def scrub(message: str) -> str:
    """Strip credentials out of an AWS error message before it is logged or reported; keep what it says."""
    return redact(message)[:MESSAGE_LIMIT]
