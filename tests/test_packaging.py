"""What ships: the product's wheel (what the Lambda zip and the container image install) holds cloudsweep and its
checks, and nothing of the emulator; the emulator is its own distribution. Built here, offline, from a clean copy."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
build_lambda_zip = importlib.import_module("build_lambda_zip")


def wheel_of(source: Path, wheelhouse: Path, name: str) -> zipfile.ZipFile:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            wheelhouse,
            source,
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (wheel,) = wheelhouse.glob(f"{name}-*.whl")
    return zipfile.ZipFile(wheel)


@pytest.fixture(scope="module")
def product_wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], str]:
    """The product wheel's file names and its METADATA, built once for the module."""
    scratch = tmp_path_factory.mktemp("wheel")
    # The same copy of the project the Lambda zip is built from.
    source = build_lambda_zip.copy_project(scratch)
    with wheel_of(source, scratch / "dist", "cloudsweep") as wheel:
        names = sorted(wheel.namelist())
        (metadata,) = [name for name in names if name.endswith(".dist-info/METADATA")]
        return names, wheel.read(metadata).decode()


@pytest.mark.slow
def test_the_product_wheel_holds_cloudsweep_and_its_checks_only(product_wheel: tuple[list[str], str]) -> None:
    names, _ = product_wheel
    top_level = {name.split("/", 1)[0] for name in names}
    (dist_info,) = {name for name in top_level if name.endswith(".dist-info")}
    assert top_level == {"scanner", "checks", dist_info}
    packages = sorted({name.rsplit("/", 1)[0] for name in names if name.endswith(".py")})
    print("\nthe wheel's packages:", ", ".join(packages))
    assert "scanner/scan" in packages
    assert "scanner/aws" in packages
    assert not [name for name in names if "emulator" in name or name.startswith("moto")]
    assert "scanner/lambda_handler.py" in names


def test_the_product_wheel_requires_no_emulator(product_wheel: tuple[list[str], str]) -> None:
    _, metadata = product_wheel
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist")]
    assert requires
    assert not [line for line in requires if any(part in line for part in ("moto", "werkzeug", "flask"))]


def test_the_lambda_zip_copies_no_emulator_and_refuses_one() -> None:
    assert build_lambda_zip.PROJECT_PACKAGES == ("scanner", "checks")
    assert {"moto", "cloudsweep_emulator"} <= set(build_lambda_zip.FORBIDDEN_TOP_LEVEL)
    assert not (ROOT / "scanner" / "emulator").exists()


def test_the_emulator_is_a_distribution_of_its_own(tmp_path: Path) -> None:
    source = tmp_path / "emulator"
    shutil.copytree(ROOT / "emulator", source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    with wheel_of(source, tmp_path / "dist", "cloudsweep_emulator") as wheel:
        names = wheel.namelist()
        (entry_points,) = [name for name in names if name.endswith(".dist-info/entry_points.txt")]
        assert "cloudsweep_emulator.pytest_plugin" in wheel.read(entry_points).decode()
    assert {name.split("/", 1)[0] for name in names if not name.endswith((".dist-info", "/"))} >= {
        "cloudsweep_emulator"
    }
    assert "cloudsweep_emulator/server.py" in names
    assert not [name for name in names if name.startswith(("scanner/", "checks/"))]


@pytest.mark.parametrize("command", [["demo"], ["emulator"], ["emulator", "--cloud", "alibaba"]], ids=" ".join)
def test_without_the_emulator_its_commands_say_how_to_install_it(command: list[str]) -> None:
    probe = (
        "import sys\n"
        "sys.modules['cloudsweep_emulator'] = None  # as if not installed\n"
        "from scanner.cli import main\n"
        f"sys.argv = ['cloudsweep', *{command!r}]\n"
        "main()\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2, result.stderr
    assert "the emulator is not installed" in result.stderr
    assert "pip install ./emulator" in result.stderr
