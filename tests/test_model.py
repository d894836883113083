"""Configuration items in both AWS models, reference files, annotations and evaluation records."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from scanner.model import (
    ANNOTATION_LIMIT,
    TRUNCATION_MARKER,
    Compliance,
    ConfigurationItem,
    Evaluation,
    ItemError,
    Relationship,
    load_item_file,
    truncate_annotation,
)
from tests.support import REFERENCE_ITEMS

REFERENCE = REFERENCE_ITEMS
INVALID_JSON_FILES = ("AWS_EC2_NetworkInterface.json", "AWS_SSM_ManagedInstanceInventory_Linux.json")
# Valid JSON, but their times are Python reprs ("datetime.datetime(2020, ..., tzinfo=tzlocal())"): unreadable.
UNREADABLE_TIME_FILES = {
    "AWS_ACM_Certificate.json": "configurationItemCaptureTime",
    "AWS_CloudFormation_Stack.json": "resourceCreationTime",
}
# A supplementary value that is a plain string, not JSON: a real item that must still load.
PLAIN_SUPPLEMENTARY_FILE = "AWS_EC2_CapacityReservation.json"
VALID_FILES = sorted(
    path.name
    for path in REFERENCE.glob("*.json")
    if path.name not in INVALID_JSON_FILES and path.name not in UNREADABLE_TIME_FILES
)
OUR_TYPES = {
    "AWS::EC2::Instance": "AWS_EC2_Instance.json",
    "AWS::EC2::SecurityGroup": "AWS_EC2_SecurityGroup.json",
    "AWS::IAM::User": "AWS_IAM_User.json",
}
API_TO_INVOCATION = {
    "accountId": "awsAccountId",
    "arn": "ARN",
    "configurationItemMD5Hash": "configurationStateMd5Hash",
    "version": "configurationItemVersion",
}
INVOCATION_TO_API = {value: key for key, value in API_TO_INVOCATION.items()}

# Real invoking events from the walkthrough (its account ids masked as there).
DELETED_INSTANCE_EVENT: dict[str, Any] = {
    "relationships": [],
    "configurationItemCaptureTime": "2018-07-04T01:54:02.810Z",
    "availabilityZone": None,
    "configurationStateMd5Hash": "",
    "tags": {},
    "resourceType": "AWS::EC2::Instance",
    "configurationItemVersion": "1.3",
    "configurationStateId": 1530669242810,
    "relatedEvents": [],
    "awsRegion": "ap-northeast-1",
    "ARN": "arn:aws:ec2:ap-northeast-1:xxxxxxxxxxxxxx:instance/i-05888074e384774ef",
    "supplementaryConfiguration": {},
    "resourceName": None,
    "configuration": None,
    "resourceId": "i-05888074e384774ef",
    "resourceCreationTime": None,
    "configurationItemStatus": "ResourceDeleted",
    "awsAccountId": "xxxxxxxxxxxxxxx",
}
USER_EVENT: dict[str, Any] = {
    "relationships": [
        {
            "resourceType": "AWS::IAM::Policy",
            "resourceId": "ANPAJUAZCQRMVSYFQNJPI",
            "name": "Is attached to CustomerManagedPolicy",
            "resourceName": "trainexpenser-codecommit-readonly",
        }
    ],
    "configurationItemCaptureTime": "2018-07-05T15:22:21.203Z",
    "availabilityZone": "Not Applicable",
    "configurationStateMd5Hash": "",
    "tags": {},
    "resourceType": "AWS::IAM::User",
    "configurationItemVersion": "1.3",
    "configurationStateId": 1530804141203,
    "relatedEvents": [],
    "awsRegion": "global",
    "ARN": "arn:aws:iam::xxxxxxxxxxxx:user/trainexpenser-codecommit-readonly",
    "supplementaryConfiguration": {},
    "resourceName": "trainexpenser-codecommit-readonly",
    "configuration": {
        "userName": "trainexpenser-codecommit-readonly",
        "groupList": [],
        "createDate": "2017-12-01T05:01:21.000Z",
        "userId": "AIDAIKBNZFI2LJRYEOI3G",
        "userPolicyList": None,
        "path": "/",
        "attachedManagedPolicies": [],
        "arn": "arn:aws:iam::xxxxxxxxxxxxx:user/trainexpenser-codecommit-readonly",
    },
    "resourceId": "AIDAIKBNZFI2LJRYEOI3G",
    "resourceCreationTime": "2017-12-01T05:01:21.000Z",
    "configurationItemStatus": "ResourceDiscovered",
    "awsAccountId": "xxxxxxxxxxxx",
}


def reference(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((REFERENCE / name).read_text())
    return document


def respelled(raw: dict[str, Any], spelling: dict[str, str]) -> dict[str, Any]:
    return {spelling.get(key, key): value for key, value in raw.items()}


class TestBothSpellings:
    @pytest.mark.parametrize("resource_type", sorted(OUR_TYPES))
    def test_a_reference_item_reads_the_same_in_the_api_and_invocation_models(self, resource_type: str) -> None:
        raw = reference(OUR_TYPES[resource_type])
        api = ConfigurationItem.parse(respelled(raw, INVOCATION_TO_API))
        invocation = ConfigurationItem.parse(respelled(raw, API_TO_INVOCATION))
        assert api == invocation == ConfigurationItem.parse(raw)
        assert api.resource_type == resource_type
        assert api.account_id == (raw.get("accountId") or raw["awsAccountId"])
        assert api.arn == (raw.get("arn") or raw["ARN"])
        assert api.version == (raw.get("version") or raw["configurationItemVersion"])
        assert api.resource_id == raw["resourceId"]
        assert api.region == raw["awsRegion"]
        assert api.configuration == raw["configuration"]
        assert not api.deleted

    def test_the_instance_reference_fields(self) -> None:
        item = ConfigurationItem.parse(reference("AWS_EC2_Instance.json"))
        assert item.capture_time == datetime(2017, 4, 5, 22, 23, 11, 677000, tzinfo=UTC)
        assert item.creation_time == datetime(2017, 4, 5, 22, 15, 53, tzinfo=UTC)
        assert item.status == "ResourceDiscovered"
        assert item.availability_zone == "us-east-1b"
        assert Relationship("AWS::EC2::SecurityGroup", "sg-fd215482", "Is associated with SecurityGroup") in (
            item.relationships
        )
        assert item.tags == {}
        assert item.configuration is not None
        assert item.configuration["securityGroups"] == [{"groupName": "launch-wizard-2", "groupId": "sg-fd215482"}]

    def test_the_user_reference_in_the_invocation_spelling(self) -> None:
        item = ConfigurationItem.parse(reference("AWS_IAM_User.json"))
        assert item.account_id == "112233445566"
        assert item.arn == "arn:aws:iam::112233445566:user/johndoe"
        assert item.version == "1.3"
        assert item.resource_name == "johndoe"
        assert item.region == "global"
        assert item.relationships[0] == Relationship(
            "AWS::IAM::Group", "AGPAJNIBGFRSRIKL7VAD6", "Is attached to Group", "MyTestGroup"
        )

    def test_a_deleted_instance_event_has_no_configuration(self) -> None:
        item = ConfigurationItem.parse(DELETED_INSTANCE_EVENT)
        assert item.deleted
        assert item.configuration is None
        assert item.resource_name is None
        assert item.creation_time is None
        assert item.account_id == "xxxxxxxxxxxxxxx"
        assert item.arn == DELETED_INSTANCE_EVENT["ARN"]

    def test_a_user_event_reads_relationship_name_in_the_invocation_spelling(self) -> None:
        item = ConfigurationItem.parse(USER_EVENT)
        assert item.relationships == (
            Relationship(
                "AWS::IAM::Policy",
                "ANPAJUAZCQRMVSYFQNJPI",
                "Is attached to CustomerManagedPolicy",
                "trainexpenser-codecommit-readonly",
            ),
        )
        assert item.version == "1.3"
        assert item.capture_time == datetime(2018, 7, 5, 15, 22, 21, 203000, tzinfo=UTC)


class TestConfigurationDocument:
    @pytest.mark.parametrize("resource_type", sorted(OUR_TYPES))
    def test_configuration_as_a_json_string_reads_as_the_object(self, resource_type: str) -> None:
        # BatchGetResourceConfig and GetResourceConfigHistory return `configuration` as a JSON string.
        raw = respelled(reference(OUR_TYPES[resource_type]), INVOCATION_TO_API)
        as_string = copy.deepcopy(raw)
        as_string["configuration"] = json.dumps(raw["configuration"])
        assert ConfigurationItem.parse(as_string) == ConfigurationItem.parse(raw)

    def test_supplementary_values_as_json_strings_are_decoded(self) -> None:
        raw = reference("AWS_EC2_SecurityGroup.json")
        raw["supplementaryConfiguration"] = {"Policy": '{"a": 1}', "Plain": {"b": 2}}
        assert ConfigurationItem.parse(raw).supplementary == {"Policy": {"a": 1}, "Plain": {"b": 2}}

    def test_configuration_that_is_a_string_but_not_json_names_the_field(self) -> None:
        raw = reference("AWS_EC2_SecurityGroup.json")
        raw["configuration"] = '{"groupId": '
        with pytest.raises(ItemError, match="configuration is a string but not JSON"):
            ConfigurationItem.parse(raw)

    def test_configuration_that_is_not_an_object_is_refused(self) -> None:
        raw = reference("AWS_EC2_SecurityGroup.json")
        raw["configuration"] = "[1, 2]"
        with pytest.raises(ItemError, match="configuration must be a JSON object"):
            ConfigurationItem.parse(raw)

    @pytest.mark.parametrize("missing", ["resourceType", "resourceId"])
    def test_an_item_without_identity_names_the_field(self, missing: str) -> None:
        raw = reference("AWS_EC2_Instance.json")
        del raw[missing]
        with pytest.raises(ItemError, match=f"configuration item has no {missing}"):
            ConfigurationItem.parse(raw)

    def test_a_malformed_time_names_the_field(self) -> None:
        raw = reference("AWS_EC2_Instance.json")
        raw["configurationItemCaptureTime"] = "yesterday"
        with pytest.raises(ItemError, match="configurationItemCaptureTime is not an ISO-8601 time: 'yesterday'"):
            ConfigurationItem.parse(raw)

    def test_sdk_datetimes_and_epoch_numbers_are_utc(self) -> None:
        raw = reference("AWS_EC2_Instance.json")
        raw["configurationItemCaptureTime"] = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=9)))
        raw["resourceCreationTime"] = 1_700_000_000
        item = ConfigurationItem.parse(raw)
        assert item.capture_time == datetime(2024, 1, 1, 18, 4, 5, tzinfo=UTC)
        assert item.creation_time == datetime.fromtimestamp(1_700_000_000, UTC)

    def test_a_non_object_is_refused(self) -> None:
        with pytest.raises(ItemError, match="must be a JSON object, got list"):
            ConfigurationItem.parse([])  # type: ignore[arg-type]


class TestLoadItemFile:
    @pytest.mark.parametrize(
        "name",
        VALID_FILES,
    )
    def test_every_valid_reference_file_loads(self, name: str) -> None:
        item = load_item_file(REFERENCE / name)
        assert item.resource_type.startswith("AWS::")
        assert item.resource_id

    def test_all_reference_files_are_covered(self) -> None:
        every = len(list(REFERENCE.glob("*.json")))
        assert len(VALID_FILES) + len(INVALID_JSON_FILES) + len(UNREADABLE_TIME_FILES) == every
        assert set(OUR_TYPES.values()) <= set(VALID_FILES)

    @pytest.mark.parametrize(("name", "field"), sorted(UNREADABLE_TIME_FILES.items()))
    def test_a_reference_file_with_unreadable_times_fails_naming_file_and_field(self, name: str, field: str) -> None:
        with pytest.raises(ItemError, match=f"{field} is not an ISO-8601 time: 'datetime.datetime") as info:
            load_item_file(REFERENCE / name)
        assert str(info.value).startswith(f"configuration item file {REFERENCE / name}: ")

    @pytest.mark.parametrize("name", INVALID_JSON_FILES)
    def test_a_reference_file_that_is_not_json_fails_naming_the_file(self, name: str) -> None:
        with pytest.raises(ItemError, match="is not valid JSON") as info:
            load_item_file(REFERENCE / name)
        assert str(REFERENCE / name) in str(info.value)
        assert "line " in str(info.value)

    def test_a_list_of_one_item_and_an_invoking_event_are_unwrapped(self) -> None:
        assert load_item_file(REFERENCE / "AWS_LAMBDA_FUNCTION.json").resource_type == "AWS::Lambda::Function"
        wrapped = load_item_file(REFERENCE / "AWS_SSM_ManagedInstanceInventory.json")
        assert (wrapped.resource_type, wrapped.resource_id) == (
            "AWS::SSM::ManagedInstanceInventory",
            "i-07f6b44c44bab9e8e",
        )

    def test_a_string_path_works(self) -> None:
        assert load_item_file(str(REFERENCE / "AWS_IAM_User.json")).resource_name == "johndoe"

    def test_a_list_of_several_items_fails_naming_the_file(self, tmp_path: Path) -> None:
        path = tmp_path / "two.json"
        path.write_text(json.dumps([reference("AWS_EC2_Instance.json")] * 2))
        with pytest.raises(ItemError, match="holds 2 items, expected one") as info:
            load_item_file(path)
        assert str(path) in str(info.value)

    def test_an_invalid_item_fails_naming_the_file_and_the_field(self, tmp_path: Path) -> None:
        path = tmp_path / "no-type.json"
        raw = reference("AWS_EC2_Instance.json")
        del raw["resourceType"]
        path.write_text(json.dumps(raw))
        with pytest.raises(ItemError, match=f"configuration item file {path}: configuration item has no resourceType"):
            load_item_file(path)

    def test_a_missing_file_fails_naming_it(self, tmp_path: Path) -> None:
        path = tmp_path / "absent.json"
        with pytest.raises(ItemError, match="cannot read configuration item file") as info:
            load_item_file(path)
        assert str(path) in str(info.value)

    def test_a_file_that_is_not_utf8_fails_naming_it(self, tmp_path: Path) -> None:
        path = tmp_path / "latin1.json"
        path.write_bytes(b'{"resourceType": "\xff"}')
        with pytest.raises(ItemError, match="cannot read configuration item file") as info:
            load_item_file(path)
        assert str(path) in str(info.value)


class TestAnnotation:
    def test_text_within_the_limit_is_kept(self) -> None:
        text = "x" * ANNOTATION_LIMIT
        assert truncate_annotation(text) == text

    def test_longer_text_is_cut_to_the_limit_with_a_visible_marker(self) -> None:
        text = "abc " * 100
        cut = truncate_annotation(text)
        assert cut is not None
        assert len(cut) == ANNOTATION_LIMIT == 256
        assert cut.endswith(TRUNCATION_MARKER)
        assert cut == text[: ANNOTATION_LIMIT - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER

    def test_one_over_the_limit_is_cut(self) -> None:
        cut = truncate_annotation("y" * (ANNOTATION_LIMIT + 1))
        assert cut is not None
        assert len(cut) == ANNOTATION_LIMIT
        assert cut.endswith(" [truncated]")

    @pytest.mark.parametrize("empty", ["", None])
    def test_empty_text_is_no_annotation(self, empty: str | None) -> None:
        assert truncate_annotation(empty) is None

    def test_an_evaluation_truncates_its_annotation(self) -> None:
        evaluation = evaluation_with(annotation="z" * 1000)
        assert evaluation.annotation is not None
        assert len(evaluation.annotation) == ANNOTATION_LIMIT
        assert evaluation.to_record()["annotation"] == evaluation.annotation


def evaluation_with(
    annotation: str | None = "sg-1 allows tcp 22 from 0.0.0.0/0 (forbidden 22)",
    timestamp: datetime = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
) -> Evaluation:
    return Evaluation(
        account_id="111122223333",
        region="eu-west-1",
        check="ec2-exposed-instance",
        resource_type="AWS::EC2::Instance",
        resource_id="i-0abc",
        compliance=Compliance.NON_COMPLIANT,
        annotation=annotation,
        ordering_timestamp=timestamp,
    )


class TestEvaluationRecord:
    def test_exact_keys_in_order_and_values(self) -> None:
        record = evaluation_with().to_record()
        assert list(record) == [
            "account_id",
            "region",
            "check",
            "resource_type",
            "resource_id",
            "compliance",
            "annotation",
            "ordering_timestamp",
        ]
        assert record == {
            "account_id": "111122223333",
            "region": "eu-west-1",
            "check": "ec2-exposed-instance",
            "resource_type": "AWS::EC2::Instance",
            "resource_id": "i-0abc",
            "compliance": "NON_COMPLIANT",
            "annotation": "sg-1 allows tcp 22 from 0.0.0.0/0 (forbidden 22)",
            "ordering_timestamp": "2026-01-02T03:04:05.678Z",
        }

    def test_a_timestamp_in_another_zone_is_written_in_utc(self) -> None:
        tokyo = datetime(2026, 1, 2, 9, 0, 0, tzinfo=timezone(timedelta(hours=9)))
        assert evaluation_with(timestamp=tokyo).to_record()["ordering_timestamp"] == "2026-01-02T00:00:00.000Z"
        parsed = datetime.fromisoformat(evaluation_with(timestamp=tokyo).to_record()["ordering_timestamp"])
        assert parsed == tokyo

    def test_no_annotation_is_null(self) -> None:
        assert evaluation_with(annotation="").to_record()["annotation"] is None

    def test_the_json_line_is_compact_and_round_trips(self) -> None:
        evaluation = evaluation_with()
        line = evaluation.to_json_line()
        assert "\n" not in line
        assert ", " not in line.replace("0.0.0.0/0 (forbidden", "")
        assert json.loads(line) == evaluation.to_record()


def test_a_plain_string_supplementary_value_is_kept_as_is() -> None:
    item = load_item_file(REFERENCE / PLAIN_SUPPLEMENTARY_FILE)
    raw = json.loads((REFERENCE / PLAIN_SUPPLEMENTARY_FILE).read_text())
    assert item.supplementary["Arn"] == raw["supplementaryConfiguration"]["Arn"]
    assert item.supplementary["Arn"].startswith("arn:aws:ec2:")


def test_a_suppressed_evaluation_survives_its_record_whole() -> None:
    """Workers hand their evaluations back as records: the suppression, its expiry included, must come back."""
    from datetime import date

    from scanner.model import Suppression

    evaluation = Evaluation(
        "123456789012", "us-east-1", "restricted-ssh", "AWS::EC2::SecurityGroup", "sg-1", Compliance.NON_COMPLIANT,
        "open", datetime(2026, 11, 24, 4, 0, tzinfo=UTC),
        Suppression("bastion", "mute.yaml entries[0]", date(2027, 1, 31)),
    )  # fmt: skip
    record = evaluation.to_record()
    assert (record["suppressed"], record["suppression_expires"]) == (True, "2027-01-31")
    assert Evaluation.from_record(record) == evaluation
    plain = Evaluation(
        "123456789012", "us-east-1", "restricted-ssh", "AWS::EC2::SecurityGroup", "sg-1", Compliance.COMPLIANT,
        None, datetime(2026, 11, 24, 4, 0, tzinfo=UTC),
    )  # fmt: skip
    assert "suppressed" not in plain.to_record()
    assert Evaluation.from_record(plain.to_record()) == plain
