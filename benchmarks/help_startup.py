"""Start-up time of `fieldledger --help` (the console script), against `python -c pass`.

Budget: median of the runs <= 0.3 s. Over budget, the slowest imports are listed
(`python -X importtime`).

    /tmp/venv/bin/python benchmarks/help_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import header, verdict

BUDGET_S = 0.3


def run_times(cmd: list[str], runs: int) -> list[float]:
    subprocess.run(cmd, check=True, capture_output=True)  # warm the file cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{cmd} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return times


def slowest_imports(script: Path, top: int = 12) -> list[tuple[int, int, str]]:
    """(cumulative us, self us, module) of the slowest imports of `script --help`."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(script), "--help"], capture_output=True, text=True
    )
    found = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, total, name = line.removeprefix("import time:").split("|")
        found.append((int(total), int(own), name.rstrip()))
    return sorted(found, reverse=True)[:top]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    header("help_startup")

    script = Path(sys.executable).with_name("fieldledger")
    if not script.exists():
        raise SystemExit(f"no console script at {script}: pip install -e . first")
    helps = run_times([str(script), "--help"], args.runs)
    peers = run_times([sys.executable, "-c", "pass"], args.runs)
    median, peer = statistics.median(helps), statistics.median(peers)
    print(f"fieldledger --help: median {median:.3f} s, min {min(helps):.3f} s ({args.runs} runs)")
    print(f"python -c pass:     median {peer:.3f} s, min {min(peers):.3f} s")
    print(f"ratio --help/pass (medians): {median / peer:.1f}")
    ok = verdict("--help <= 0.3 s (median)", median <= BUDGET_S, f"{median:.3f} s")
    if not ok:
        print("slowest imports (cumulative ms, self ms, module):")
        for total, own, name in slowest_imports(script):
            print(f"  {total / 1000:7.1f} {own / 1000:7.1f}  {name}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
