"""Where the seed puts the deliberately bad things: the first draws from `random.Random(seed)`."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cloudsweep_emulator.seed.plan import (
    _BARE_BUCKET,
    _FORMER_CONTRACTOR,
    _LEGACY_ADMIN,
    _PUBLIC_BUCKET,
    _VIOLATING_GROUPS,
    DEMO_REGIONS,
    _GroupTemplate,
)


@dataclass(frozen=True)
class _Placements:
    """Where the seed put the deliberately bad things."""

    groups: Mapping[tuple[str, str], tuple[_GroupTemplate, ...]]  # (account label, region)
    bucket_kinds: Mapping[tuple[str, str], tuple[str, ...]]
    account_extras: Mapping[str, tuple[str, ...]]  # account label -> IAM extras

    def violating_groups(self, label: str, region: str) -> tuple[_GroupTemplate, ...]:
        return self.groups.get((label, region), ())


def _place_violations(rng: random.Random, labels: Sequence[str]) -> _Placements:
    account_regions = [(label, region) for label in labels for region in DEMO_REGIONS]
    groups: dict[tuple[str, str], list[_GroupTemplate]] = {}
    for template in _VIOLATING_GROUPS:
        for where in rng.sample(account_regions, k=rng.randint(1, 3)):
            groups.setdefault(where, []).append(template)
    bucket_kinds: dict[tuple[str, str], list[str]] = {}
    for kind in (_PUBLIC_BUCKET, _BARE_BUCKET):
        for where in rng.sample(account_regions, k=rng.randint(2, 3)):
            bucket_kinds.setdefault(where, []).append(kind)
    account_extras: dict[str, list[str]] = {}
    for extra in (_LEGACY_ADMIN, _FORMER_CONTRACTOR):
        for label in rng.sample(list(labels), k=2):
            account_extras.setdefault(label, []).append(extra)
    return _Placements(
        groups={where: _in_declared_order(found, _VIOLATING_GROUPS) for where, found in groups.items()},
        bucket_kinds={where: tuple(sorted(kinds)) for where, kinds in bucket_kinds.items()},
        account_extras={label: tuple(sorted(extras)) for label, extras in account_extras.items()},
    )


def _in_declared_order(found: list[_GroupTemplate], declared: Sequence[_GroupTemplate]) -> tuple[_GroupTemplate, ...]:
    return tuple(template for template in declared if template in found)
