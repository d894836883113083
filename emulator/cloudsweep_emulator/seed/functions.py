"""Lambda in the accounts and regions the plan names: functions, some with a resource policy, one of them public."""

from __future__ import annotations

import functools
import io
import zipfile

from cloudsweep_emulator.seed.api import _AccountContext
from cloudsweep_emulator.seed.expected import LAMBDA_FUNCTION, _Inventory, _ref
from cloudsweep_emulator.seed.plan import (
    _ACCOUNT_ACCESS,
    _FUNCTIONS,
    _LAMBDA_ROLE,
    _PUBLIC_ACCESS,
    _bucket_name,
    _FunctionPlan,
    _tags,
)


@functools.cache
def _function_code() -> bytes:
    """A deployment package that is the same bytes every time, so the functions' CodeSha256 repeats too."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        entry = zipfile.ZipInfo("handler.py", date_time=(2024, 1, 1, 0, 0, 0))
        archive.writestr(entry, "def handle(event, context):\n    return {'statusCode': 200}\n")
    return buffer.getvalue()


def _seed_functions(context: _AccountContext, region: str, inventory: _Inventory) -> None:
    for function in _FUNCTIONS:
        if (function.account, function.region) == (context.plan.label, region):
            _create_function(context, function, inventory)


def _create_function(context: _AccountContext, function: _FunctionPlan, inventory: _Inventory) -> None:
    functions = context.api("lambda", function.region)
    name = f"{context.plan.label}-{function.name}"
    functions(
        "create_function",
        FunctionName=name,
        Runtime="python3.12",
        Role=f"arn:aws:iam::{context.account_id}:role/{_LAMBDA_ROLE}",
        Handler="handler.handle",
        Code={"ZipFile": _function_code()},
        Tags={tag["Key"]: tag["Value"] for tag in _tags(context.plan, None, "team-backend")},
    )
    inventory.add(context.account_id, function.region, LAMBDA_FUNCTION)
    ref = _ref(context, function.region, LAMBDA_FUNCTION, name, name)
    if function.access == _PUBLIC_ACCESS:
        # No source condition: any account, anyone's, may invoke it.
        functions(
            "add_permission",
            FunctionName=name,
            StatementId="public-invoke",
            Action="lambda:InvokeFunction",
            Principal="*",
        )
        inventory.public_functions.append(ref)
        return
    if function.access == _ACCOUNT_ACCESS:
        bucket = _bucket_name(context.plan, "data", function.region)
        functions(
            "add_permission",
            FunctionName=name,
            StatementId="s3-invoke",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
            SourceAccount=context.account_id,
            SourceArn=f"arn:aws:s3:::{bucket}",
        )
    inventory.private_functions.append(ref)
