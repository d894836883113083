"""IAM credential report rows as the report writes them, for the checks that read it (every real column)."""

from __future__ import annotations

from datetime import UTC, datetime

ACCOUNT = "112233445566"
NAME = "johndoe"


def iso(moment: datetime) -> str:
    """As the credential report writes times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def row(name: str = NAME, **columns: str) -> dict[str, str]:
    """Every column of a credential report row: a user without password, keys or MFA, unless `columns` say else."""
    base = {
        "user": name,
        "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "user_creation_time": "2016-09-22T05:55:07+00:00",
        "password_enabled": "false",
        "password_last_used": "N/A",
        "password_last_changed": "N/A",
        "password_next_rotation": "N/A",
        "mfa_active": "false",
        "access_key_1_active": "false",
        "access_key_1_last_rotated": "N/A",
        "access_key_1_last_used_date": "N/A",
        "access_key_1_last_used_region": "N/A",
        "access_key_1_last_used_service": "N/A",
        "access_key_2_active": "false",
        "access_key_2_last_rotated": "N/A",
        "access_key_2_last_used_date": "N/A",
        "access_key_2_last_used_region": "N/A",
        "access_key_2_last_used_service": "N/A",
        "cert_1_active": "false",
        "cert_1_last_rotated": "N/A",
        "cert_2_active": "false",
        "cert_2_last_rotated": "N/A",
    }
    assert set(columns) <= set(base), f"not credential report columns: {sorted(set(columns) - set(base))}"
    return base | columns


def root_row(**columns: str) -> dict[str, str]:
    """Every column of the root user's row, as IAM writes it: a root user who signs in with MFA, no keys."""
    root = {
        "arn": f"arn:aws:iam::{ACCOUNT}:root",
        "user_creation_time": "2016-09-01T10:12:44+00:00",
        "password_enabled": "not_supported",
        "password_last_used": "2026-02-20T08:15:03+00:00",
        "password_last_changed": "not_supported",
        "password_next_rotation": "not_supported",
        "mfa_active": "true",
    }
    return row("<root_account>", **(root | columns))
