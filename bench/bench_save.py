"""Benchmark: a save on a laptop, as the app and the command line make it.

    python bench/bench_save.py                  # a 10k-record demo year, 300 saves of each kind
    python bench/bench_save.py --records 100000 --saves 100

Times `Workspace.add` (a new meeting record) and `Workspace.edit` (a person's phone changed,
then changed back: every edit is a new version) on a data dir filled with a demo year: the
form checks, the version (numbered in the device's run, hashed), the heads of the record and
one fsync'd journal line. Target: p50 ≤ 5 ms at 10k records. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from fieldkit.demo import generator as demo
from fieldkit.workspace import Workspace

TODAY = date(2025, 12, 31)
MEETING = {"date": "2025-05-01", "kind": "lecture", "title": "宪法讲座", "participants": 30}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--saves", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp) / "laptop", today=TODAY)
        ws.set_identity(worker="李娜", grid="第一网格", org="东城街道办事处")
        demo.fill(ws, 2025, seed=1, records=args.records)
        person = ws.store.current("person")[0]
        adds, edits = [], []
        for n in range(args.saves):
            start = time.perf_counter()
            ws.add("meeting", {**MEETING, "participants": n})
            adds.append(time.perf_counter() - start)
            start = time.perf_counter()
            ws.edit(person["id"], {"phone": "13800138000" if n % 2 else "13900139000"})
            edits.append(time.perf_counter() - start)
        ws.close()
    print(f"{args.records} demo records, {args.saves} saves of each kind\n")
    print("| save | p50 | p95 | target |")
    print("|---|---:|---:|---:|")
    for name, samples in (("add a record", adds), ("edit a record", edits)):
        p50, p95 = percentiles(samples)
        print(f"| {name} | {p50 * 1000:.2f} ms | {p95 * 1000:.2f} ms | p50 ≤ 5 ms |")


if __name__ == "__main__":
    main()
