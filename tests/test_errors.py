"""Error messages are scrubbed of credentials and keep their meaning."""

from __future__ import annotations

from scanner.errors import AwsError, scrub

SESSION_TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDx" + "A" * 300


def test_access_key_ids_are_masked() -> None:
    message = "The security token included in the request is invalid. AccessKeyId: ASIAIOSFODNN7EXAMPLE"
    assert scrub(message) == "The security token included in the request is invalid. AccessKeyId: ASIA****"


def test_expired_token_messages_keep_their_meaning() -> None:
    message = "The security token included in the request is expired"
    assert scrub(message) == message


def test_signature_errors_lose_their_credentials() -> None:
    message = (
        "The request signature we calculated does not match the signature you provided. "
        "Authorization=AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261123/us-east-1/config/aws4_request, "
        "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    )
    scrubbed = scrub(message)
    assert "AKIAIOSFODNN7EXAMPLE" not in scrubbed
    assert "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7" not in scrubbed
    assert scrubbed.startswith("The request signature we calculated does not match")


def test_tokens_and_secrets_are_removed() -> None:
    message = f"bad token {SESSION_TOKEN} and aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    scrubbed = scrub(message)
    assert SESSION_TOKEN[:40] not in scrubbed
    assert "wJalrXUtnFEMI" not in scrubbed
    assert scrubbed.startswith("bad token ****")


def test_aws_errors_scrub_their_message_and_keep_their_code() -> None:
    error = AwsError("sts", "assume_role", "InvalidClientTokenId", "key AKIAIOSFODNN7EXAMPLE is not valid")
    assert error.code == "InvalidClientTokenId"
    assert error.message == "key AKIA**** is not valid"
    assert "AKIAIOSFODNN7EXAMPLE" not in str(error)
    assert len(scrub("word " * 400)) == 500
