"""How long `cloudsweep emulator` takes from process start to its `endpoint:` line (run: `make bench-emulator`).

Each figure is the median of several fresh processes, so imports are included, as a user meets them.
The target (issue: skeleton and emulator) is under 3 s.
"""

from __future__ import annotations

import signal
import statistics
import subprocess
import sys
import time


def time_to_endpoint(seed: str) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "scanner", "emulator", "--seed", seed],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = time.perf_counter() - started
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    if not line.startswith("endpoint: "):
        raise SystemExit(f"the emulator did not print its endpoint: {line!r}")
    return elapsed


def main(rounds: int = 3) -> None:
    for seed in ("none", "demo"):
        times = [time_to_endpoint(seed) for _ in range(rounds)]
        print(f"seed={seed:<5} median {statistics.median(times):.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times)})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
