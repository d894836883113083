"""The built-in AWS checks, one module per check. Importing this package builds their registry.

A duplicate id among them raises `DuplicateCheckError` here, at import.
"""

from __future__ import annotations

from checks.aws import (
    access_keys_rotated,
    approved_amis_by_id,
    cloudtrail_enabled,
    desired_instance_type,
    ec2_exposed_instance,
    ec2_imdsv2_check,
    ec2_instance_no_public_ip,
    ec2_volume_inuse_check,
    encrypted_volumes,
    iam_inactive_user,
    iam_password_policy,
    iam_policy_no_statements_with_admin_access,
    iam_root_access_key_check,
    iam_user_mfa_enabled,
    iam_user_no_policies_check,
    iam_user_unused_credentials_check,
    lambda_function_public_access_prohibited,
    rds_instance_public_access_check,
    rds_storage_encrypted,
    required_tags,
    resource_count_max,
    restricted_common_ports,
    restricted_ssh,
    root_account_mfa_enabled,
    s3_bucket_level_public_access_prohibited,
    s3_bucket_public_read_prohibited,
    s3_bucket_public_write_prohibited,
    s3_bucket_server_side_encryption_enabled,
    s3_bucket_ssl_requests_only,
    s3_bucket_versioning_enabled,
    vpc_default_security_group_closed,
)
from scanner.registry import Registry

BUILTIN = Registry(
    [
        access_keys_rotated.CHECK,
        approved_amis_by_id.CHECK,
        cloudtrail_enabled.CHECK,
        desired_instance_type.CHECK,
        ec2_exposed_instance.CHECK,
        ec2_imdsv2_check.CHECK,
        ec2_instance_no_public_ip.CHECK,
        ec2_volume_inuse_check.CHECK,
        encrypted_volumes.CHECK,
        iam_inactive_user.CHECK,
        iam_password_policy.CHECK,
        iam_policy_no_statements_with_admin_access.CHECK,
        iam_root_access_key_check.CHECK,
        iam_user_mfa_enabled.CHECK,
        iam_user_no_policies_check.CHECK,
        iam_user_unused_credentials_check.CHECK,
        lambda_function_public_access_prohibited.CHECK,
        rds_instance_public_access_check.CHECK,
        rds_storage_encrypted.CHECK,
        required_tags.CHECK,
        resource_count_max.CHECK,
        restricted_common_ports.CHECK,
        restricted_ssh.CHECK,
        root_account_mfa_enabled.CHECK,
        s3_bucket_level_public_access_prohibited.CHECK,
        s3_bucket_public_read_prohibited.CHECK,
        s3_bucket_public_write_prohibited.CHECK,
        s3_bucket_server_side_encryption_enabled.CHECK,
        s3_bucket_ssl_requests_only.CHECK,
        s3_bucket_versioning_enabled.CHECK,
        vpc_default_security_group_closed.CHECK,
    ]
)
