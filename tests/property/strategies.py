"""Strategies shared by the property tests: JSON-like values, account ids, regions, names."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st

# JSON scalars as json.loads / yaml.safe_load return them (no NaN: it never equals itself, and JSON has none).
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)


def json_values(keys: st.SearchStrategy[str] | None = None, max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON document: scalars, lists and objects nested a few levels."""
    key_strategy = keys if keys is not None else st.text(max_size=10)
    return st.recursive(
        json_scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(key_strategy, children, max_size=4),
        ),
        max_leaves=max_leaves,
    )


json_objects = st.dictionaries(st.text(max_size=10), json_values(), max_size=5)

account_ids = st.text(alphabet=string.digits, min_size=12, max_size=12)
# Strings that are not 12 ASCII digits: wrong lengths, letters, other scripts' digits, padding.
not_account_ids = st.one_of(
    st.text(alphabet=string.digits, max_size=11),
    st.text(alphabet=string.digits, min_size=13, max_size=16),
    st.text(max_size=14),
    st.text(alphabet="٠١٢٣٤٥٦٧٨٩０１２３４５６７８９", min_size=12, max_size=12),
    account_ids.map(lambda digits: digits[:6] + "x" + digits[7:]),
).filter(lambda text: not (len(text) == 12 and all(char in string.digits for char in text)))

REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1")
regions = st.sampled_from(REGIONS)

# Padding the parsers strip: spaces and tabs.
padding = st.text(alphabet=" \t", max_size=2)
