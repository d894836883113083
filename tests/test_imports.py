"""The scanner never imports moto: the emulator is an optional extra."""

from __future__ import annotations

import subprocess
import sys


def test_scanner_modules_do_not_import_moto() -> None:
    probe = (
        "import sys, scanner.cli, scanner.runner, scanner.scan.engine, scanner.scan.orchestrator\n"
        "import scanner.scan.inventory, checks\n"
        "loaded = sorted(name for name in sys.modules if name == 'moto' or name.startswith('moto.'))\n"
        "print(len(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "0"
