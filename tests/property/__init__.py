"""Property-based tests (Hypothesis): bad input gives one clear error of cloudsweep's own types, good input round-trips.

The profile keeps the whole directory well under a minute on a 2-core machine; `CLOUDSWEEP_HYPOTHESIS=thorough`
runs twenty times as many examples. Nothing is written to the work tree: no example database, and Hypothesis's own
caches go to the temporary directory.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "cloudsweep-hypothesis")

settings.register_profile(
    "cloudsweep",
    database=None,
    deadline=None,
    max_examples=150,
    # CI runs the same examples every time (a failure there reproduces); a developer's runs explore new ones.
    derandomize=bool(os.environ.get("CI")),
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("thorough", settings.get_profile("cloudsweep"), max_examples=3000)
settings.load_profile(os.environ.get("CLOUDSWEEP_HYPOTHESIS", "cloudsweep"))
