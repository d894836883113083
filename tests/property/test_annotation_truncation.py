"""Annotations: at most 256 characters whatever the text (multi-byte, emoji, combining marks), cut visibly, never
cut when they fit; and the PutEvaluations shape built from an evaluation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from scanner.model import (
    ANNOTATION_LIMIT,
    TRUNCATION_MARKER,
    Compliance,
    Evaluation,
    Suppression,
    truncate_annotation,
)
from tests.property.strategies import account_ids, regions

KEEP = ANNOTATION_LIMIT - len(TRUNCATION_MARKER)
# Characters that are more than one byte in UTF-8 (or two UTF-16 units): accents, CJK, emoji (with skin tones
# and ZWJ sequences), flags, combining marks.
MULTI_BYTE = [
    *("é", "ß", "中", "文", "😀", "👍🏽", "🇫🇷", "\u200b", "\U0010fffd"),
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # a family: three emoji joined by zero-width joiners
    *("e\u0301", "a\u0308\u0323"),  # combining marks
]
pieces = st.one_of(st.characters(codec="utf-8"), st.sampled_from(MULTI_BYTE), st.sampled_from(["a", " ", "z"]))
annotations = st.one_of(
    st.lists(pieces, max_size=400).map("".join),
    st.text(max_size=20),
    # Around the limit, where the cut happens.
    st.integers(ANNOTATION_LIMIT - 3, ANNOTATION_LIMIT + 3).flatmap(
        lambda size: st.text(st.characters(codec="utf-8"), min_size=size, max_size=size)
    ),
)


@given(annotations)
def test_an_annotation_is_at_most_256_characters_and_cut_visibly(text: str) -> None:
    result = truncate_annotation(text)
    if not text:
        assert result is None
        return
    assert result is not None
    assert len(result) <= ANNOTATION_LIMIT
    if len(text) <= ANNOTATION_LIMIT:
        assert result == text  # never cut what fits
    else:
        assert len(result) == ANNOTATION_LIMIT
        assert result.endswith(TRUNCATION_MARKER)
        assert result[:KEEP] == text[:KEEP]
        assert text.startswith(result.removesuffix(TRUNCATION_MARKER))
    # Still text AWS can carry: cutting between code points never leaves a broken UTF-8 sequence.
    assert result.encode("utf-8").decode("utf-8") == result
    # Truncating twice changes nothing.
    assert truncate_annotation(result) == result


utc_moments = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=7, minutes=30))]),
).map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))
evaluations = st.builds(
    Evaluation,
    account_id=account_ids,
    region=regions,
    check=st.sampled_from(["desired-instance-type", "restricted-ssh", "required-tags"]),
    resource_type=st.from_regex(r"AWS::[A-Za-z0-9]{1,10}::[A-Za-z0-9]{1,12}", fullmatch=True),
    resource_id=st.text(min_size=1, max_size=40),
    compliance=st.sampled_from(Compliance),
    annotation=st.one_of(st.none(), annotations),
    ordering_timestamp=utc_moments,
    suppression=st.one_of(
        st.none(),
        st.builds(
            Suppression,
            reason=st.text(min_size=1, max_size=30),
            entry=st.just("mutelist.yaml entries[0]"),
            expires=st.one_of(st.none(), st.dates()),
        ),
    ),
)


@given(evaluations, st.data())
def test_put_evaluation_has_the_shape_put_evaluations_takes(evaluation: Evaluation, data: st.DataObject) -> None:
    wire = evaluation.to_put_evaluation()
    required = {"ComplianceResourceType", "ComplianceResourceId", "ComplianceType", "OrderingTimestamp"}
    assert set(wire) == required | ({"Annotation"} if evaluation.annotation else set())
    assert wire["ComplianceResourceType"] == evaluation.resource_type
    assert wire["ComplianceResourceId"] == evaluation.resource_id
    assert wire["ComplianceType"] in ("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE")
    assert wire["ComplianceType"] == evaluation.compliance.value
    assert wire["OrderingTimestamp"] == evaluation.ordering_timestamp
    assert wire["OrderingTimestamp"].tzinfo is not None
    if "Annotation" in wire:
        assert 1 <= len(wire["Annotation"]) <= ANNOTATION_LIMIT


@given(evaluations)
def test_an_evaluation_truncates_its_annotation_and_round_trips_its_record(evaluation: Evaluation) -> None:
    assert evaluation.annotation is None or len(evaluation.annotation) <= ANNOTATION_LIMIT
    record = evaluation.to_record()
    assert record["annotation"] == evaluation.annotation
    assert record["ordering_timestamp"].endswith("Z")
    again = Evaluation.from_record(record)
    assert again == evaluation
    assert again.to_record() == record


@given(st.text(min_size=ANNOTATION_LIMIT + 1, max_size=ANNOTATION_LIMIT * 3), evaluations)
def test_an_evaluation_built_with_a_long_annotation_carries_the_cut_one(text: str, evaluation: Evaluation) -> None:
    built = Evaluation(
        evaluation.account_id,
        evaluation.region,
        evaluation.check,
        evaluation.resource_type,
        evaluation.resource_id,
        evaluation.compliance,
        text,
        evaluation.ordering_timestamp,
    )
    assert built.annotation == text[:KEEP] + TRUNCATION_MARKER
    assert built.to_put_evaluation()["Annotation"] == built.annotation
