"""Benchmark: the annual report draft and the ledgers for a 100k-record year.

    python bench/bench_report.py                  # 100k records, year 2025, 3 runs
    python bench/bench_report.py --records 10000 --runs 5

The demo store is built once with the demo generator (fieldkit.demo.generator) and cached in
$FIELDKIT_BENCH_CACHE or the temp dir; later runs reuse it. Measured two ways:

- in process, on an open workspace: figures, draft, ledgers (the work itself);
- as a user runs it: `fieldkit report` and `fieldkit ledger` as subprocesses (interpreter start,
  imports, opening the store included), with the peak memory (RSS) of each.

Targets (DESIGN.md): draft and ledgers ≤ 3 s each for a 100k-record year, memory ≤ 400 MB.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fieldkit.demo import generator as demo
from fieldkit.reports import annual as report
from fieldkit.reports import figures, ledger
from fieldkit.views.records import newest_first
from fieldkit.workspace import Workspace

TARGET_SECONDS = 3.0
TARGET_RSS_MB = 400


def store_dir(records: int, year: int, cache: str | None) -> Path:
    base = Path(cache or os.environ.get("FIELDKIT_BENCH_CACHE") or tempfile.gettempdir())
    return base / "fieldkit-bench" / f"report-{records}-{year}-seed1"


def build(root: Path, records: int, year: int) -> None:
    marker = root / "bench-ready"
    if marker.exists():
        return
    if root.exists():
        raise SystemExit(f"{root} exists but is incomplete: remove it and run again")
    print(f"building a {records}-record demo year in {root} (once) ...", file=sys.stderr)
    start = time.perf_counter()
    with Workspace(root) as ws:
        demo.fill(ws, year, seed=1, records=records)
    marker.write_text("ok\n")
    print(f"built in {time.perf_counter() - start:.1f} s", file=sys.stderr)


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def run_cli(root: Path, *args: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `fieldkit` command."""
    cmd = [sys.executable, "-m", "fieldkit.cli.main", "--data-dir", str(root), *args]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.read().decode()}")
    proc.stderr.close()
    rss_mb = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 2**20
    return elapsed, rss_mb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache", help="where the demo store is kept between runs")
    args = parser.parse_args()

    root = store_dir(args.records, args.year, args.cache)
    build(root, args.records, args.year)
    out = Path(tempfile.mkdtemp(prefix="fieldkit-bench-out-"))
    rows: list[tuple[str, list[float], str]] = []
    cli_rows: list[tuple[str, list[float], str]] = []

    # The commands first: a child forked from a process holding the store would report the
    # parent's memory as its own peak.
    rss: dict[str, float] = {}
    for label, cmd in (
        (
            "`fieldkit report` (whole command)",
            ["report", "--year", str(args.year), "-o", str(out / "c.docx"), "--force"],
        ),
        (
            "`fieldkit ledger` (whole command)",
            ["ledger", "--year", str(args.year), "-o", str(out / "c.xlsx"), "--force"],
        ),
    ):
        results = [run_cli(root, *cmd) for _ in range(args.runs)]
        cli_rows.append((label, [t for t, _ in results], f"≤ {TARGET_SECONDS:g} s"))
        rss[label] = max(m for _, m in results)

    opened = time.perf_counter()
    with Workspace(root) as ws:
        open_s = time.perf_counter() - opened
        year_records = sum(len(newest_first(ws, f.id, year=args.year)) for f in ws.forms)
        rows.append(("open the store (once)", [open_s], "≤ 1 s"))
        rows.append(
            (
                "figures of the year",
                timed(
                    lambda: figures.compute(
                        figures.workspace_records(ws), ws.forms, args.year, today=ws.today()
                    ),
                    args.runs,
                ),
                "",
            )
        )
        rows.append(
            (
                "draft .docx (in process)",
                timed(
                    lambda: report.write_report(ws, args.year, output=out / "r.docx", force=True),
                    args.runs,
                ),
                f"≤ {TARGET_SECONDS:g} s",
            )
        )
        rows.append(
            (
                "ledgers .xlsx (in process)",
                timed(
                    lambda: ledger.write_ledger(ws, args.year, output=out / "l.xlsx", force=True),
                    args.runs,
                ),
                f"≤ {TARGET_SECONDS:g} s",
            )
        )

    rows += cli_rows
    size_docx = (out / "c.docx").stat().st_size / 1024
    size_xlsx = (out / "c.xlsx").stat().st_size / 2**20
    print(
        f"\n{year_records} records in {args.year} ({args.records} generated); {args.runs} runs; "
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n"
    )
    print("| step | median (s) | best (s) | target | peak RSS |")
    print("|---|---:|---:|---|---:|")
    for label, times, target in rows:
        mem = f"{rss[label]:.0f} MB" if label in rss else ""
        print(f"| {label} | {statistics.median(times):.2f} | {min(times):.2f} | {target} | {mem} |")
    print(f"\ndraft {size_docx:.0f} KB, ledgers {size_xlsx:.1f} MB, written to {out}")
    over = [
        label
        for label, times, target in rows
        if target.startswith(f"≤ {TARGET_SECONDS:g}") and statistics.median(times) > TARGET_SECONDS
    ]
    over += [label for label, m in rss.items() if m > TARGET_RSS_MB]
    if over:
        print("over target: " + "; ".join(over))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
