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
    # Access key ids and session tokens never leave the process in a message.
    (re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{12,}\b"), r"\1****"),
    (re.compile(r"(?i)(security token|session token|signature)[^.,;]*"), r"\1 [redacted]"),
)


def scrub(message: str) -> str:
    """Strip credentials out of an AWS error message before it is logged or reported."""
    for pattern, replacement in _SECRETS:
        message = pattern.sub(replacement, message)
    return message[:500]
