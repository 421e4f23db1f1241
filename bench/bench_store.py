"""Benchmark of the record store: durable saves, opening a big store, memory.

    python bench/bench_store.py [--sizes 10000 100000] [--baseline-sizes 10000 20000]

For each size N: prefill a store with N realistic follow-up records (about 15 data
fields with Chinese text, ~700 bytes of JSON each) in one transaction and close it;
time opening it ready to query (``Store(dir)`` + ``current("followup")``) and the peak
RSS of that, in a fresh process; then time 200 single-record durable saves (half new
records, half edits of existing ones). Baseline: stock TinyDB ``JSONStorage`` inserts.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fieldkit.store import storage as storage_module
from fieldkit.store.database import Store
from fieldkit.store.records import first_version, next_version

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红玉梅"
PHRASES = [
    "本人情绪稳定",
    "按时服药",
    "家属配合良好",
    "近期无异常",
    "已落实监护责任",
    "告知相关法律规定",
    "生活状况一般",
    "需持续关注",
    "矫正期间表现良好",
    "经济困难已申请救助",
    "与邻里关系和睦",
    "已就业",
    "参加公益活动",
]
ROADS = ["幸福", "和平", "建设", "人民", "解放", "中山", "新华", "文化"]
SAVES = 200
BASELINE_INSERTS = 20
EDITOR = "bench"  # the device that makes the timed edits

# Each device numbers the versions it makes, 1, 2, 3, ...
RUNS: defaultdict[str, itertools.count[int]] = defaultdict(lambda: itertools.count(1))


def followup_data(rng: random.Random) -> dict[str, Any]:
    """One follow-up visit's fields, shaped like the real form's."""

    def name() -> str:
        return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))

    return {
        "person": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "person_name": name(),
        "id_number": f"{rng.randrange(10**16, 10**17)}{rng.choice('0123456789X')}",
        "phone": f"1{rng.randrange(10**10):010d}",
        "category": rng.choice(["community_correction", "released", "mental", "drug"]),
        "risk_level": rng.choice(["low", "medium", "high"]),
        "visit_date": f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
        "method": rng.choice(["home", "phone", "office", "video"]),
        "place": f"{rng.choice(ROADS)}路{rng.randrange(1, 300)}号",
        "situation": "，".join(rng.sample(PHRASES, 3)) + "。",
        "measures": rng.choice(PHRASES) + "。",
        "next_visit": f"2025-{rng.randrange(1, 13):02d}-15",
        "grid": f"第{rng.randrange(1, 40)}网格",
        "visitors": rng.randrange(1, 4),
        "note": rng.choice(["无", "", "家属不在家，电话联系", "已报告社区民警"]),
    }


def make_record(rng: random.Random) -> dict[str, Any]:
    worker = rng.choice(SURNAMES) + rng.choice(GIVEN)
    device = f"laptop-{rng.randrange(30):02d}"
    return first_version(
        "followup",
        1,
        followup_data(rng),
        author=worker,
        device=device,
        seq=next(RUNS[device]),
        at=f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T09:30:00+08:00",
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def peak_rss_mb() -> float | None:
    # VmHWM is this process image's own peak; ru_maxrss on Linux also counts the parent's
    # memory that the child had before exec, which would inflate the figure.
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


# Child processes: a fresh interpreter for honest open time and peak memory -------------


def child_open(directory: Path) -> None:
    start = time.perf_counter()
    store = Store(directory)
    opened = time.perf_counter()
    records = store.current("followup")
    done = time.perf_counter()
    result = {
        "open": opened - start,
        "ready": done - start,
        "count": len(records),
        "rss": peak_rss_mb(),
    }
    # Leave without compacting: nothing was written.
    store.close()
    print(json.dumps(result))


def child_parse(directory: Path, codec: str) -> None:
    if codec == "json":
        storage_module._loads = json.loads  # type: ignore[assignment]
    start = time.perf_counter()
    storage = storage_module.JournalStorage(directory)
    elapsed = time.perf_counter() - start
    print(json.dumps({"load": elapsed, "rss": peak_rss_mb()}))
    storage._close_journal()


def run_child(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# Scenarios ----------------------------------------------------------------------------


def prefill(directory: Path, n: int, seed: int) -> tuple[float, list[dict[str, Any]]]:
    rng = random.Random(seed)
    records = [make_record(rng) for _ in range(n)]
    start = time.perf_counter()
    with Store(directory) as store, store.transaction() as tx:
        for record in records:
            tx.save_record(record)
    # Includes close(), which folds the journal into the snapshot.
    return time.perf_counter() - start, records[:: max(1, n // 1000)]


def time_saves(directory: Path, sample: list[dict[str, Any]], seed: int) -> list[float]:
    rng = random.Random(seed + 1)
    times = []
    with Store(directory) as store:
        for i in range(SAVES):
            if i % 2:
                prev = store.get(rng.choice(sample)["id"])
                assert prev is not None
                data = {**prev["data"], "note": f"第{i}次修改"}
                record = next_version(
                    [prev], data, author="测试员", device=EDITOR, seq=next(RUNS[EDITOR])
                )
            else:
                record = make_record(rng)
            start = time.perf_counter()
            store.save([record])
            times.append(time.perf_counter() - start)
    return times


def time_raw_fsync(directory: Path) -> float:
    """p50 of a bare 800-byte append + fdatasync: the floor for a durable save."""
    sync = getattr(os, "fdatasync", os.fsync)
    path = directory / "raw.log"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0))
    times = []
    try:
        for _ in range(100):
            start = time.perf_counter()
            os.write(fd, b"x" * 799 + b"\n")
            sync(fd)
            times.append(time.perf_counter() - start)
    finally:
        os.close(fd)
        path.unlink()
    return statistics.median(times)


def baseline_tinydb(directory: Path, n: int, seed: int) -> float:
    """p50 of stock TinyDB JSONStorage inserts into a table of ``n`` records."""
    from tinydb import TinyDB

    rng = random.Random(seed)
    path = directory / f"stock-{n}.json"
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"_default": {str(i + 1): make_record(rng) for i in range(n)}}, f)
    times = []
    with TinyDB(path, encoding="utf-8") as db:
        for _ in range(BASELINE_INSERTS):
            record = make_record(rng)
            start = time.perf_counter()
            db.insert(record)
            times.append(time.perf_counter() - start)
    path.unlink()
    return statistics.median(times)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--baseline-sizes", type=int, nargs="*", default=[10_000, 20_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--_open", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--_parse", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._open:
        child_open(args._open)
        return
    if args._parse:
        child_parse(Path(args._parse[0]), args._parse[1])
        return

    rows = []
    codec_rows = []
    with tempfile.TemporaryDirectory(prefix="fieldkit-bench-") as tmp:
        root = Path(tmp)
        raw = time_raw_fsync(root)
        for n in args.sizes:
            directory = root / f"store-{n}"
            fill, sample = prefill(directory, n, args.seed)
            size_mb = (directory / "snapshot.json").stat().st_size / 2**20
            opens = [run_child("--_open", str(directory)) for _ in range(3)]
            assert all(o["count"] == n for o in opens)
            ready = statistics.median(o["ready"] for o in opens)
            rss = max(o["rss"] or 0 for o in opens)
            saves = time_saves(directory, sample, args.seed)
            rows.append(
                f"| {n:,} | {fill:.2f} s | {size_mb:.0f} MB | {ms(statistics.median(saves))} "
                f"| {ms(percentile(saves, 0.95))} | {ready:.2f} s | {rss:.0f} MB |"
            )
            if n == max(args.sizes):
                for codec in ("json", "orjson"):
                    runs = [run_child("--_parse", str(directory), codec) for _ in range(3)]
                    codec_rows.append(
                        f"| {codec} | {n:,} | {statistics.median(r['load'] for r in runs):.2f} s "
                        f"| {max(r['rss'] or 0 for r in runs):.0f} MB |"
                    )
        baseline = [(n, baseline_tinydb(root, n, args.seed)) for n in args.baseline_sizes]

    print(
        f"Python {sys.version.split()[0]}, {sys.platform}; bare 800-byte append+fsync p50 "
        f"{ms(raw)}\n"
    )
    print(
        "| records | prefill (1 tx + close) | snapshot | save p50 | save p95 "
        "| open + current() | peak RSS at open |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    if codec_rows:
        print("\nSnapshot load (JournalStorage open) by JSON parser, fresh process:\n")
        print("| parser | records | load | peak RSS |")
        print("|---|---:|---:|---:|")
        print("\n".join(codec_rows))
    if baseline:
        print(f"\nBaseline, stock TinyDB JSONStorage, p50 of {BASELINE_INSERTS} inserts:\n")
        print("| records | insert p50 |")
        print("|---:|---:|")
        for n, p50 in baseline:
            print(f"| {n:,} | {ms(p50)} |")


if __name__ == "__main__":
    main()
