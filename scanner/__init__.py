"""cloudsweep: an asynchronous periodic compliance scanner for AWS Config custom rules."""

__version__ = "0.1.0"
