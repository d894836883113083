"""ec2-imdsv2-check: an EC2 instance requires IMDSv2, metadataOptions.httpTokens "required" (EC2_IMDSV2_CHECK).

The managed rule is NON_COMPLIANT whenever HttpTokens is optional and documents no exception, so a disabled metadata
endpoint does not excuse optional tokens: IMDSv1 comes back the moment the endpoint is enabled again. The annotation
says the endpoint is disabled, so that case can be told apart.

Instance state: a stopped instance keeps its metadata options and is judged like a running one. A shutting-down or
terminated instance is not applicable: AWS Config records it as deleted, so the managed rule stops evaluating it.
"""

from __future__ import annotations

from collections.abc import Mapping

from checks.shared.common import UnreadableFieldError, cannot_judge
from checks.shared.ec2 import INSTANCE, ended_instance
from scanner.model import Compliance, ConfigurationItem
from scanner.registry import Check, CheckScope, ParameterValues, Result, Severity, Snapshot

REQUIRED = "required"


def evaluate(item: ConfigurationItem, params: ParameterValues, snapshot: Snapshot) -> Result:
    configuration = item.configuration
    if configuration is None:
        return Result(Compliance.NON_COMPLIANT, "the configuration item has no configuration, so it cannot be judged")
    try:
        ended = ended_instance(configuration)
    except UnreadableFieldError as error:
        return cannot_judge(error)
    if ended is not None:
        return ended
    options = configuration.get("metadataOptions")
    options = options if isinstance(options, Mapping) else {}
    tokens = options.get("httpTokens")
    if not isinstance(tokens, str) or not tokens:
        unjudged = "the configuration item has no metadataOptions.httpTokens, so it cannot be judged"
        return Result(Compliance.NON_COMPLIANT, unjudged)
    if tokens == REQUIRED:
        return Result(Compliance.COMPLIANT, "IMDSv2 is required (httpTokens is required)")
    disabled = "; the metadata endpoint is disabled" if options.get("httpEndpoint") == "disabled" else ""
    return Result(Compliance.NON_COMPLIANT, f"httpTokens is {tokens}, so IMDSv1 is allowed{disabled}")


CHECK = Check(
    id="ec2-imdsv2-check",
    title="EC2 instances require IMDSv2",
    description=(
        "Each EC2 instance's metadata options require session tokens (httpTokens required, IMDSv2 only), as in the "
        "managed rule EC2_IMDSV2_CHECK; optional tokens are not compliant even when the metadata endpoint is "
        "disabled. Shutting-down and terminated instances are not applicable."
    ),
    rationale=(
        "IMDSv1 answers plain GET requests, so a server-side request forgery flaw or an open proxy on the instance "
        "lets an attacker read the instance role's temporary credentials from the metadata service. IMDSv2's "
        "session tokens, obtained with a PUT request, block those requests."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Check the instance's software uses IMDSv2 (its MetadataNoToken CloudWatch metric should stay at 0), then set "
        "its metadata options to require session tokens. Make required tokens the account's default for new "
        "instances in each region."
    ),
    remediation_cli="aws ec2 modify-instance-metadata-options --instance-id INSTANCE_ID --http-tokens required",
    scope=CheckScope.RESOURCE,
    resource_types=(INSTANCE,),
    cis=("5.6",),
    evaluate_resource=evaluate,
)
