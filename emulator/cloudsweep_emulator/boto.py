"""The emulator's own boto3 clients (the demo seed's, the recorder's), all from one isolated session."""

from __future__ import annotations

import functools
import os
import threading
from typing import Any

import boto3
import botocore.session

_lock = threading.Lock()


@functools.cache
def _session() -> boto3.Session:
    # One session for the whole process: it caches the service models that make the first client of a service
    # cost up to ~100 ms (EC2's), for the seed and the recorder alike. Cut off from the user's profile and config
    # files so an AWS_PROFILE in the shell cannot redirect or break the emulator.
    core = botocore.session.Session(
        session_vars={
            "profile": (None, None, None, None),
            "config_file": (None, None, os.devnull, None),
            "credentials_file": (None, None, os.devnull, None),
        }
    )
    return boto3.Session(botocore_session=core)


def create_client(service: str, **kwargs: Any) -> Any:
    """`boto3.Session.client`, safe to call from any thread: a botocore session creates one client at a time."""
    with _lock:
        return _session().client(service, **kwargs)
