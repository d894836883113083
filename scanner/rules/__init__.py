"""Config rules, one runtime for every cloud: `runtime` (cloud-neutral: the dispatch, the NOT_APPLICABLE decisions,
the batched put, the summary) and one backend per cloud, `aws_config` (AWS Config on Lambda) and `alibaba_config`
(Alibaba Cloud Config on Function Compute). The entry points (`scanner.lambda_handler`, `scanner.function_compute`,
`cloudsweep invoke`) call a backend's `handle`.

Importing this package imports neither backend: Function Compute never loads aioboto3, nor Lambda the Alibaba SDK.
"""
