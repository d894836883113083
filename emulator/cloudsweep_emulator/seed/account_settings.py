"""Each account's settings, as its posture plans them: its root user, its password policy, then its trails."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudsweep_emulator.seed.api import ROOT_USER_CONTROL_PATH, _AccountContext, _control
from cloudsweep_emulator.seed.cloudtrail import _seed_trails
from cloudsweep_emulator.seed.expected import _Inventory
from cloudsweep_emulator.seed.plan import _CIS_PASSWORD_POLICY


def _seed_account_settings(context: _AccountContext, inventory: _Inventory) -> None:
    posture = context.plan.posture
    root = _set_root_user(context, posture.root_user)
    if not root["password_enabled"]:
        inventory.root_without_credentials.append(context.account_id)
    elif not root["mfa_active"]:
        inventory.root_without_mfa.append(context.account_id)
    if root["access_keys"]:
        inventory.root_access_keys.append(context.account_id)

    iam = context.api("iam")
    if posture.password_policy is None:
        inventory.no_password_policy.append(context.account_id)
    else:
        iam("update_account_password_policy", **posture.password_policy)
        strong = posture.password_policy == _CIS_PASSWORD_POLICY
        (inventory.strong_password_policies if strong else inventory.weak_password_policies).append(context.account_id)

    _seed_trails(context, inventory)


def _set_root_user(context: _AccountContext, root_user: Mapping[str, Any]) -> dict[str, Any]:
    """Set the account's root user; return it as the emulator now has it (every field, not only those set).

    No AWS API changes the root user's MFA or access keys: the emulator's own control does.
    """
    return _control(context, f"{ROOT_USER_CONTROL_PATH}/{context.account_id}", "PUT", root_user)
