"""What ships: the product's wheel (what the Lambda zip and the container image install) holds cloudsweep and its
checks, and nothing of the emulator; the emulator is its own distribution. Built here, offline, from a clean copy."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from cloudsweep_emulator.server import Emulator

from checks import BUILTIN
from tests.support import client

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
def wheel_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The product wheel, built once for the module from the copy of the project the Lambda zip is built from."""
    scratch = tmp_path_factory.mktemp("wheel")
    source = build_lambda_zip.copy_project(scratch)
    wheel_of(source, scratch / "dist", "cloudsweep").close()
    (wheel,) = (scratch / "dist").glob("cloudsweep-*.whl")
    return wheel


@pytest.fixture(scope="module")
def product_wheel(wheel_file: Path) -> tuple[list[str], str]:
    """The product wheel's file names and its METADATA."""
    with zipfile.ZipFile(wheel_file) as wheel:
        names = sorted(wheel.namelist())
        (metadata,) = [name for name in names if name.endswith(".dist-info/METADATA")]
        return names, wheel.read(metadata).decode()


@pytest.fixture(scope="module")
def installed(wheel_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with the built wheel installed: its `bin/`. No checkout on its path, no emulator."""
    venv = tmp_path_factory.mktemp("installed") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=120, capture_output=True)
    (site_packages,) = venv.glob("lib/python*/site-packages")
    # The dependencies are this environment's, offline. A path in a .pth file is a plain path entry: the .pth files
    # in it (the editable installs of this checkout and of the emulator) are not read.
    (site_packages / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--quiet", "--no-deps",
         "--no-index", "--disable-pip-version-check", wheel_file],
        check=True, timeout=300, capture_output=True,
    )  # fmt: skip
    return venv / "bin"


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


@pytest.mark.slow
def test_the_installed_wheel_runs_its_checks_from_its_own_files(installed: Path, tmp_path: Path) -> None:
    probe = (
        "import importlib.util, json, scanner, checks\n"
        "from checks import BUILTIN\n"
        "print(json.dumps([scanner.__file__, checks.__file__, importlib.util.find_spec('cloudsweep_emulator') is None,"
        " len(list(BUILTIN))]))\n"
    )
    found = subprocess.run(
        [installed / "python", "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True
    )
    scanner_file, checks_file, no_emulator, count = json.loads(found.stdout)
    assert Path(scanner_file).is_relative_to(installed.parent)
    assert Path(checks_file).is_relative_to(installed.parent)
    assert no_emulator
    listed = subprocess.run(
        [installed / "cloudsweep", "checks", "list"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0, listed.stderr
    assert count == len(list(BUILTIN))
    assert all(check.id in listed.stdout for check in BUILTIN)


@pytest.mark.slow
def test_the_installed_wheel_scans_exactly_as_the_checkout_does(
    installed: Path, aws_env: Emulator, boto_session: Any, tmp_path: Path
) -> None:
    ec2 = client(boto_session, "ec2", aws_env.endpoint_url)
    for instance_type in ("t3.micro", "m5.large"):
        ec2.run_instances(ImageId="ami-0123456789abcdef0", MinCount=2, MaxCount=2, InstanceType=instance_type)
    arguments = [
        "scan", "--checks", "desired-instance-type,restricted-ssh",
        "--param", "desired-instance-type.desiredInstanceType=t3.micro", "--regions", "us-east-1",
    ]  # fmt: skip
    outputs = {}
    for name, command in {
        "installed": [installed / "cloudsweep"],
        "checkout": [sys.executable, "-m", "scanner"],
    }.items():
        output = tmp_path / f"{name}.jsonl"
        done = subprocess.run(
            [*command, *arguments, "--output", output], cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 1, done.stderr[-2000:]  # two instances of the wrong type
        outputs[name] = sorted(
            (record["check"], record["resource_id"], record["compliance"])
            for record in map(json.loads, output.read_text(encoding="utf-8").splitlines())
        )
    assert outputs["installed"] == outputs["checkout"]
    assert Counter(compliance for _, _, compliance in outputs["installed"]) == {"COMPLIANT": 3, "NON_COMPLIANT": 2}
