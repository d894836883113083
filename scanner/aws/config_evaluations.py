"""Evaluations back to AWS Config: PutEvaluations in each scanned account and region, 100 at a time.

`ConfigEvaluationsSink` streams: a batch goes out as soon as 100 evaluations of one (account, region, result
token) are made, on the scan's own clients (signed as that account, under the same rate limits, caps and retry
policy), and the rest when the target finishes. A result token names the rule the evaluations are for, so each
check can have its own; evaluations of a check without a token are not put. What AWS Config refuses
(`FailedEvaluations`) is sent again, then reported as a failure of the target, never dropped in silence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import structlog

from scanner.aws.clients import AMBIENT, AwsClients, CallContext
from scanner.errors import AwsError, UsageError, token_for_logs
from scanner.model import Evaluation, Target
from scanner.results import Failure

log = structlog.get_logger("cloudsweep.config")

PUT_BATCH = 100
_CHECK_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
FAILED_EVALUATION_ROUNDS = 3


@dataclass(frozen=True)
class ResultTokens:
    """Which rule's result token each check's evaluations are put with: one for all, or one per check."""

    default: str | None = field(default=None, repr=False)
    by_check: Mapping[str, str] = field(default_factory=dict, repr=False)
    test_mode: bool = False

    @classmethod
    def parse(cls, values: Sequence[str], known_checks: Sequence[str], test_mode: bool = False) -> ResultTokens:
        """`TOKEN` (every check) or `CHECK=TOKEN`, as `--result-token` takes them."""
        default: str | None = None
        by_check: dict[str, str] = {}
        for value in values:
            check, separator, token = value.partition("=")
            if separator and check in known_checks:
                if check in by_check:
                    raise UsageError(f"--result-token: {check} is given twice")
                by_check[check] = _non_empty(token, check)
            elif separator and _CHECK_ID.match(check):
                # Tokens are long mixed-case base64: a short lowercase name before "=" is a mistyped check id.
                raise UsageError(f"--result-token: {check} is not a selected check")
            else:
                if default is not None:
                    raise UsageError("--result-token: give one token for every check, or CHECK=TOKEN per check")
                default = _non_empty(value, "every check")
        return cls(default, by_check, test_mode)

    def __bool__(self) -> bool:
        return self.default is not None or bool(self.by_check)

    def token_for(self, check: str) -> str | None:
        return self.by_check.get(check, self.default)


def _non_empty(token: str, what: str) -> str:
    if not token.strip():
        raise UsageError(f"--result-token: the token for {what} is empty")
    return token


async def put_evaluation_batch(
    clients: AwsClients,
    context: CallContext,
    evaluations: Sequence[Evaluation],
    token: str,
    *,
    test_mode: bool = False,
) -> list[Evaluation]:
    """One PutEvaluations of at most 100; what AWS Config still refuses after the retries is returned."""
    if context.region is None or len(evaluations) > PUT_BATCH:
        raise ValueError("PutEvaluations takes at most 100 evaluations of one account and region")
    config = await clients.client("config", context.region, account=context.account_id or AMBIENT)
    pending = list(evaluations)
    for round_number in range(FAILED_EVALUATION_ROUNDS):
        if round_number:
            await clients.settings.retry.backoff(round_number)
        response = await clients.call(
            config,
            "put_evaluations",
            context=context,
            Evaluations=[evaluation.to_put_evaluation() for evaluation in pending],
            ResultToken=token,
            TestMode=test_mode,
        )
        failed = {
            (item["ComplianceResourceType"], item["ComplianceResourceId"])
            for item in response.get("FailedEvaluations", [])
        }
        if not failed:
            return []
        pending = [e for e in pending if (e.resource_type, e.resource_id) in failed]
        log.warning(
            "evaluations refused, retrying",
            account_id=context.account_id,
            region=context.region,
            count=len(pending),
            result_token=token_for_logs(token),
        )
    return pending


@dataclass
class _TargetBatches:
    pending: dict[str, list[Evaluation]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    put: int = 0


class ConfigEvaluationsSink:
    """Streams evaluations to PutEvaluations per (account, region, token); see the module docstring."""

    def __init__(self, clients: AwsClients, tokens: ResultTokens) -> None:
        self._clients = clients
        self._tokens = tokens
        self._targets: dict[Target, _TargetBatches] = {}
        self.put_total = 0

    async def put(self, evaluation: Evaluation) -> None:
        token = self._tokens.token_for(evaluation.check)
        if token is None:
            return
        target = Target(evaluation.account_id, evaluation.region)
        batches = self._targets.setdefault(target, _TargetBatches())
        batch = batches.pending.setdefault(token, [])
        batch.append(evaluation)
        if len(batch) == PUT_BATCH:
            del batches.pending[token]
            await self._send(target, batches, token, batch)

    async def finish_target(self, target: Target) -> list[Failure]:
        """Put what is left of the target's evaluations; every evaluation that could not be put, as failures."""
        batches = self._targets.get(target)
        if batches is None:
            return []
        while batches.pending:
            token, batch = batches.pending.popitem()
            await self._send(target, batches, token, batch)
        del self._targets[target]
        if batches.put:
            log.debug("evaluations put", account_id=target.account_id, region=target.region, evaluations=batches.put)
        return batches.failures

    async def _send(self, target: Target, batches: _TargetBatches, token: str, batch: list[Evaluation]) -> None:
        context = CallContext(target.account_id, target.region)
        try:
            refused = await put_evaluation_batch(self._clients, context, batch, token, test_mode=self._tokens.test_mode)
        except AwsError as error:
            batches.failures.append(_failure(target, batch, error.code, error.message))
            return
        except anyio.get_cancelled_exc_class():
            # The page that filled the batch was cancelled (another page of its type failed): the batch holds
            # other checks' evaluations too, and must not vanish without a word.
            batches.failures.append(_failure(target, batch, "Cancelled", "cancelled before AWS Config answered"))
            raise
        if refused:
            ids = ", ".join(evaluation.resource_id for evaluation in refused[:5])
            message = f"AWS Config refused {len(refused)} evaluations after {FAILED_EVALUATION_ROUNDS} tries: {ids}"
            batches.failures.append(_failure(target, refused, "FailedEvaluations", message))
        batches.put += len(batch) - len(refused)
        self.put_total += len(batch) - len(refused)


def _failure(target: Target, lost: Sequence[Evaluation], code: str, message: str) -> Failure:
    checks: dict[str, Any] = dict.fromkeys(evaluation.check for evaluation in lost)
    return Failure(
        target.account_id,
        target.region,
        f"put {len(lost)} evaluations",
        code,
        message,
        tuple(sorted(checks)),
    )
