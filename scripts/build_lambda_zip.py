"""Build dist/cloudsweep-lambda.zip: cloudsweep and its pinned dependencies for the Lambda python3.12 runtime on x86_64.

With --function-compute, dist/cloudsweep-fc.zip instead: the same build for Alibaba Cloud Function Compute's Python
3.12 runtime (x86_64, manylinux wheels too), plus an `index.py` so that the handler is Function Compute's usual
`index.handler` (it re-exports `scanner.function_compute.handler`).

The dependencies are the manylinux wheels that Lambda's Amazon Linux runs, not this machine's: pip is asked for
`--platform manylinux2014_x86_64 --implementation cp --python-version 3.12 --only-binary=:all:`, with the versions of
constraints.txt. boto3/botocore stay in the zip (the runtime's own copies are not the ones aiobotocore pins). The zip is
deterministic: sorted entries, fixed timestamps and modes, no bytecode, no console scripts.

It downloads from the package registry, so it is not part of `make test`. Run it with `make lambda-zip`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HANDLER = "scanner.lambda_handler.handler"
HANDLER_FILE = "scanner/lambda_handler.py"
RUNTIME = "python3.12"
FC_HANDLER = "index.handler"
FC_INDEX = '''"""Function Compute's entry point for Alibaba Cloud Config custom rules: handler `index.handler`."""

from scanner.function_compute import handler

__all__ = ["handler"]
'''

ARCHITECTURE = "x86_64"
PIP_TARGET = ("--platform", "manylinux2014_x86_64", "--implementation", "cp", "--python-version", "3.12")
# What `pip wheel` needs of the project; the same set the Dockerfile copies.
PROJECT_FILES = ("pyproject.toml", "README.md")
PROJECT_PACKAGES = ("scanner", "checks")
# The alibaba extra's packages published as source only (pure Python): built into a wheel here first, since a
# cross-platform install takes wheels.
SOURCE_ONLY = ("alibabacloud-tea",)
# Never in the function: the emulator and the development tools are not runtime dependencies.
FORBIDDEN_TOP_LEVEL = ("moto", "cloudsweep_emulator", "pytest", "mypy", "ruff", "flask", "werkzeug")
# Lambda's limits: 50 MB for a zip uploaded directly (larger ones go through S3), 250 MB unzipped in all.
DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024
UNZIPPED_LIMIT = 250 * 1024 * 1024
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ELF_MAGIC = b"\x7fELF"
ELF_MACHINE_X86_64 = 0x3E
CPYTHON_SO_TAG = ".cpython-312-x86_64-linux-gnu.so"


class BuildError(Exception):
    """The zip cannot be built, or what was built is not for the Lambda runtime."""


def run(*args: str | Path) -> None:
    command = [str(arg) for arg in args]
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True)  # noqa: S603  (pip, with arguments of our own)


def pip(*args: str | Path) -> None:
    run(sys.executable, "-m", "pip", "--disable-pip-version-check", *args)


def copy_project(destination: Path) -> Path:
    """A clean copy of the project sources: no stale build/ or egg-info, no bytecode."""
    source = destination / "cloudsweep"
    source.mkdir()
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, source / name)
    for name in PROJECT_PACKAGES:
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return source


def build_project_wheel(source: Path, wheelhouse: Path) -> Path:
    pip("wheel", "--quiet", "--no-deps", "--wheel-dir", wheelhouse, source)
    wheels = sorted(wheelhouse.glob("cloudsweep-*.whl"))
    if len(wheels) != 1:
        raise BuildError(f"expected one cloudsweep wheel in {wheelhouse}, found {[w.name for w in wheels]}")
    return wheels[0]


def install_for_lambda(wheel: Path, constraints: Path, target: Path, *, function_compute: bool = False) -> None:
    wheelhouse = wheel.parent
    requirement = f"cloudsweep[alibaba] @ {wheel.as_uri()}" if function_compute else str(wheel)
    if function_compute:
        pip("wheel", "--quiet", "--no-deps", "--wheel-dir", wheelhouse, "--constraint", constraints, *SOURCE_ONLY)
    pip(
        "install",
        "--quiet",
        "--no-compile",
        *PIP_TARGET,
        "--only-binary=:all:",
        "--find-links",
        wheelhouse,
        "--target",
        target,
        "--constraint",
        constraints,
        requirement,
    )
    # Console scripts carry this machine's interpreter in their shebang: of no use on Lambda.
    shutil.rmtree(target / "bin", ignore_errors=True)
    for cache in sorted(target.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)
    tidy_metadata(target)


def tidy_metadata(target: Path) -> None:
    """Drop what names this build's scratch directory (the project wheel's direct_url.json) or was removed (the
    console scripts) from the installed metadata, so that the same pins give the same zip, byte for byte."""
    for direct_url in target.glob("*.dist-info/direct_url.json"):
        direct_url.unlink()
    for record in target.glob("*.dist-info/RECORD"):
        lines = record.read_text().splitlines()
        kept = [
            line
            for line in lines
            if not line.startswith(("../", "bin/")) and line.split(",", 1)[0].rsplit("/", 1)[-1] != "direct_url.json"
        ]
        if kept != lines:
            record.write_text("".join(f"{line}\n" for line in kept))


def wheel_tags(dist_info: Path) -> list[str]:
    wheel_file = dist_info / "WHEEL"
    if not wheel_file.is_file():
        return []
    return [line.split(":", 1)[1].strip() for line in wheel_file.read_text().splitlines() if line.startswith("Tag:")]


def _stable_abi_fits(interpreter: str) -> bool:
    # An abi3 wheel built for CPython 3.N runs on every later CPython 3 (cryptography ships cp311-abi3).
    minor = interpreter.removeprefix("cp3")
    return interpreter.startswith("cp3") and minor.isdigit() and int(minor) <= 12


def tag_fits_lambda(tag: str) -> bool:
    interpreters, abi, platforms = tag.split("-")
    abis = abi.split(".")
    python_ok = any(
        i in ("py3", "cp312") or i.startswith("py3") or ("abi3" in abis and _stable_abi_fits(i))
        for i in interpreters.split(".")
    )
    abi_ok = any(a in ("none", "abi3", "cp312") for a in abis)
    platform_ok = any(p == "any" or (p.startswith("manylinux") and p.endswith("_x86_64")) for p in platforms.split("."))
    return python_ok and abi_ok and platform_ok


def elf_machine(path: Path) -> int | None:
    """e_machine of a 64-bit little-endian ELF file, None for anything else."""
    with path.open("rb") as handle:
        header = handle.read(20)
    if len(header) < 20 or header[:4] != ELF_MAGIC or header[4] != 2 or header[5] != 1:
        return None
    return int.from_bytes(header[18:20], "little")


def check_build(target: Path) -> None:
    problems: list[str] = []
    top_level = {entry.name.lower() for entry in target.iterdir()}
    distributions = {entry.split("-", 1)[0] for entry in top_level if entry.endswith(".dist-info")}
    for name in FORBIDDEN_TOP_LEVEL:
        if name in top_level or name in distributions:
            problems.append(f"{name} must not be in the zip")
    for dist_info in sorted(target.glob("*.dist-info")):
        tags = wheel_tags(dist_info)
        if not tags or not any(tag_fits_lambda(tag) for tag in tags):
            problems.append(f"{dist_info.name}: wheel tags {tags} are not for cp312 manylinux x86_64")
    for library in sorted(target.rglob("*.so*")):
        if not library.is_file() or not (library.name.endswith(".so") or ".so." in library.name):
            continue
        relative = library.relative_to(target)
        machine = elf_machine(library)
        if machine != ELF_MACHINE_X86_64:
            problems.append(f"{relative}: not an x86_64 ELF shared object (e_machine {machine})")
        if ".cpython-" in library.name and not library.name.endswith(CPYTHON_SO_TAG):
            problems.append(f"{relative}: extension module for another interpreter or platform")
    if not (target / HANDLER_FILE).is_file():
        print(f"warning: {HANDLER_FILE} is not in the build: the handler {HANDLER} will not import", file=sys.stderr)
    if problems:
        raise BuildError("the build is not for the Lambda python3.12 x86_64 runtime:\n  " + "\n  ".join(problems))


def write_zip(target: Path, output: Path) -> int:
    """Zip target in a fixed order with fixed timestamps and modes; return the number of files."""
    entries = sorted(target.rglob("*"), key=lambda path: path.relative_to(target).as_posix())
    files = 0
    partial = output.with_name(output.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in entries:
            name = path.relative_to(target).as_posix()
            if path.is_dir():
                info = zipfile.ZipInfo(name + "/", date_time=ZIP_DATE)
                info.external_attr = (0o40755 << 16) | 0x10
                archive.writestr(info, b"")
                continue
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            archive.writestr(info, data, compresslevel=9)
            files += 1
    partial.replace(output)
    return files


def mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, help="default: dist/cloudsweep-lambda.zip (or -fc.zip)")
    parser.add_argument("--constraints", type=Path, default=ROOT / "constraints.txt")
    parser.add_argument("--function-compute", action="store_true", help="for Alibaba Cloud Function Compute")
    args = parser.parse_args(argv)
    function_compute: bool = args.function_compute
    default_name = "cloudsweep-fc.zip" if function_compute else "cloudsweep-lambda.zip"
    output: Path = (args.output or ROOT / "dist" / default_name).resolve()
    constraints: Path = args.constraints.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="cloudsweep-lambda-") as scratch:
        work = Path(scratch)
        wheelhouse = work / "wheels"
        target = work / "package"
        wheel = build_project_wheel(copy_project(work), wheelhouse)
        install_for_lambda(wheel, constraints, target, function_compute=function_compute)
        if function_compute:
            (target / "index.py").write_text(FC_INDEX, encoding="utf-8")
        check_build(target)
        unzipped = sum(path.stat().st_size for path in target.rglob("*") if path.is_file())
        if unzipped > UNZIPPED_LIMIT:
            raise BuildError(f"unzipped size {mib(unzipped)} exceeds Lambda's 250 MB limit")
        files = write_zip(target, output)
        top_level = sorted(entry.name for entry in target.iterdir() if not entry.name.endswith((".dist-info", ".data")))

    size = output.stat().st_size
    print(f"zip: {output}")
    print(f"size: {size} bytes ({mib(size)}); unzipped {unzipped} bytes ({mib(unzipped)}) in {files} files")
    print(f"runtime: {RUNTIME}, architecture: {ARCHITECTURE}")
    print(f"handler: {FC_HANDLER if function_compute else HANDLER}")
    print(f"top level: {' '.join(top_level)}")
    if size > DIRECT_UPLOAD_LIMIT:
        print("note: over 50 MB, so upload it through S3 rather than directly", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (BuildError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
