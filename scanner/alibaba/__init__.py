"""Alibaba Cloud, the provider: Cloud Config's API seam with its retries and limits (`config_api`), its items
(`items`), example items and events (`examples`) and the rule tools of `cloudsweep event --cloud alibaba` (`tools`).

The rule backend is `scanner.rules.alibaba_config`; Function Compute's entry point is `scanner.function_compute`.
Importing this package stays cheap: `scanner.alibaba.examples` imports the item reader without the SDK.
"""
