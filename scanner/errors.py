"""cloudsweep's errors: one small flat hierarchy. AWS errors are translated once, at the AWS seam."""

from __future__ import annotations

import re


class CloudSweepError(Exception):
    """Base of every error cloudsweep raises on purpose."""


class UsageError(CloudSweepError):
    """Bad input from the user: options, parameter files, events. Exit code 2."""


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


_SECRETS = (
    # Access key ids (AWS's SignatureDoesNotMatch and InvalidClientTokenId messages quote them): keep the prefix.
    (re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{12,}\b"), r"\1****"),
    # Request signatures and credential scopes quoted back in signature errors.
    (re.compile(r"(Signature=)[0-9a-f]{16,}"), r"\1****"),
    (re.compile(r"(Credential=)[^,\s]+"), r"\1****"),
    # Session tokens and secret keys: long base64 runs never belong in a message.
    (re.compile(r"[A-Za-z0-9+/=]{100,}"), "****"),
    (
        re.compile(r"(?i)(aws_secret_access_key|secretaccesskey|sessiontoken|x-amz-security-token)([\s:=\"']+)\S+"),
        r"\1\2****",
    ),
)
MESSAGE_LIMIT = 500


def scrub(message: str) -> str:
    """Strip credentials out of an AWS error message before it is logged or reported; keep what it says."""
    for pattern, replacement in _SECRETS:
        message = pattern.sub(replacement, message)
    return message[:MESSAGE_LIMIT]
