"""Benchmark of the command line's JSON output: `fieldkit list followup --json` on a 100k demo.

    python bench/bench_json.py [--data-dir /tmp/d100k] [--runs 5]

Times the whole command as a user runs it (a fresh process: Python starting, the store opening,
the records sorted and written), its output to a file. Target: <= 1.5 s. The demo data dir is
made once (`fieldkit --data-dir DIR demo --records 100000`) if it does not exist. Prints a
Markdown table: wall-clock time (best and median of the runs) and the CPU time of the process
(user + system), which other work on the machine does not inflate.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.5
COMMANDS = {
    "list followup --json": ["list", "followup", "--json"],
    "list person --json": ["list", "person", "--json"],
    "due --json": ["due", "--json"],
}


def fieldkit(root: Path, *args: str, out=subprocess.DEVNULL) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "gbk"}  # a Chinese Windows console's code page
    return subprocess.run(
        [sys.executable, "-m", "fieldkit.cli.main", "--data-dir", str(root), *args],
        stdout=out,
        stderr=subprocess.PIPE,
        env=env,
        check=True,
    )


def _cpu_of_children() -> float:
    try:
        import resource  # not on Windows
    except ImportError:
        return float("nan")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(root: Path, args: list[str], runs: int) -> tuple[list[float], list[float], int]:
    walls, cpus, lines = [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "out.jsonl"
        for _ in range(runs):
            before = _cpu_of_children()
            started = time.perf_counter()
            with open(target, "wb") as out:
                fieldkit(root, *args, out=out)
            walls.append(time.perf_counter() - started)
            cpus.append(_cpu_of_children() - before)
        with open(target, "rb") as fh:
            for raw in fh:
                json.loads(raw)  # every line is one JSON object, UTF-8
                lines += 1
    return walls, cpus, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "d100k"))
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = Path(args.data_dir)
    if not (root / "store").exists():
        print(f"making a {args.records}-record demo in {root} (once) ...", file=sys.stderr)
        fieldkit(root, "demo", "--records", str(args.records))
    print(f"`fieldkit --data-dir {root} ...`, output to a file, {args.runs} runs\n")
    print("| command | lines | wall best (s) | wall median (s) | CPU best (s) | target |")
    print("|---|---:|---:|---:|---:|---|")
    failed = False
    for name, command in COMMANDS.items():
        walls, cpus, lines = measure(root, command, args.runs)
        best = min(walls)
        ok = best <= TARGET
        failed |= not ok and name == "list followup --json"
        print(
            f"| {name} | {lines} | {best:.2f} | {statistics.median(walls):.2f} "
            f"| {min(cpus):.2f} | {'≤' if ok else '>'} {TARGET} |"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
