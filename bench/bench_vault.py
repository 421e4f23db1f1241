"""Benchmark: what a passphrase costs (the data dir encrypted at rest), against the same work on
an unencrypted data dir, in one run.

    python bench/bench_vault.py                  # 100k records, 3 runs of each
    python bench/bench_vault.py --records 20000 --runs 1

- unlock: the KDF (Argon2id, or scrypt where OpenSSL lacks it) with the settings new vaults get;
- open a store of N records ready to query (``Store(dir)`` + ``current()``, a fresh process
  each time, as bench_store.py), plain and encrypted (the key given: the KDF aside);
- save one record: p50 and p95 of 200 durable single-record saves into that store;
- import 100k records: the 20 encrypted bundles of bench_sync.py (made once, cached) into an
  empty office data dir, plain and with a passphrase; the closing snapshot on a row of its own.

Target: each encrypted figure within 1.3x of the plain one; unlocking about 0.3-0.5 s. Prints a
Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import EDITOR, RUNS, make_record
from bench_sync import TODAY, make_bundles

from fieldkit.store import vault
from fieldkit.store.database import Store
from fieldkit.store.records import next_version
from fieldkit.sync.merge import import_files
from fieldkit.workspace import Workspace

SAVES = 200
CONTEXT = b"bench-vault-id!!"  # a vault's id (16 bytes)
PASSPHRASE = "基准测试用的口令 benchmark"


def cipher_of(key: str | None) -> vault.Cipher | None:
    return vault.Cipher(bytes.fromhex(key), CONTEXT) if key else None


def cpu() -> float:
    """CPU seconds of this process and of its finished children (the import's checking one):
    on a shared machine wall time swings with the load, CPU time much less."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def child_open(directory: Path, key: str | None) -> None:
    start, cpu_start = time.perf_counter(), cpu()
    store = Store(directory, cipher=cipher_of(key))
    records = store.current("followup")
    ready, used = time.perf_counter() - start, cpu() - cpu_start
    store.close()
    print(json.dumps({"ready": ready, "cpu": used, "count": len(records)}))


def run_child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def prefill(directory: Path, n: int, key: str | None) -> list[dict]:
    rng = random.Random(7)
    records = [make_record(rng) for _ in range(n)]
    with Store(directory, cipher=cipher_of(key)) as store, store.transaction() as tx:
        for record in records:
            tx.save_record(record)
    return records[:: max(1, n // 1000)]


def time_saves(directory: Path, sample: list[dict], key: str | None) -> list[float]:
    rng = random.Random(8)
    times = []
    with Store(directory, cipher=cipher_of(key)) as store:
        for i in range(SAVES):
            if i % 2:
                prev = store.get(rng.choice(sample)["id"])
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


def time_unlock(root: Path, runs: int) -> tuple[float, float, dict]:
    vault.create(root, PASSPHRASE)
    times, used = [], []
    for _ in range(runs):
        vault.forget(root)
        start, cpu_start = time.perf_counter(), cpu()
        vault.unlock(root, PASSPHRASE)
        times.append(time.perf_counter() - start)
        used.append(cpu() - cpu_start)
    return statistics.median(times), statistics.median(used), vault.unlocked(root).doc["kdf"]


def time_import(template: Path, bundles: list[Path], work: Path, encrypted: bool) -> dict:
    root = work / ("secret" if encrypted else "plain")
    shutil.copytree(template, root, ignore=shutil.ignore_patterns("lock"))
    if encrypted:  # the office with a passphrase (made before the clock starts)
        with Workspace(root, today=TODAY) as ws:
            ws.encrypt(PASSPHRASE)
    ws = Workspace(root, today=TODAY)
    assert ws.encrypted == encrypted
    start, cpu_start = time.perf_counter(), cpu()
    report = import_files(ws, bundles)
    imported, used = time.perf_counter() - start, cpu() - cpu_start
    assert report.totals.new and not report.refused and not report.totals.held
    start = time.perf_counter()
    ws.close()
    closed = time.perf_counter() - start
    vault.forget(root)
    return {"import": imported, "import_cpu": used, "close": closed, "records": report.totals.new}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cache", help="where bench_sync.py keeps its bundles")
    ap.add_argument("--_open", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._open:
        child_open(Path(args._open[0]), None if args._open[1] == "-" else args._open[1])
        return

    key = os.urandom(32).hex()
    rows: list[tuple[str, float, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="fieldkit-bench-vault-") as tmp:
        work = Path(tmp)
        unlock, unlock_cpu, kdf = time_unlock(work / "unlock", max(args.runs, 5))

        kinds = {"plain": None, "encrypted": key}
        samples = {
            name: prefill(work / f"store-{name}", args.records, k) for name, k in kinds.items()
        }
        opens: dict[str, list[dict]] = {"plain": [], "encrypted": []}
        for _ in range(max(args.runs, 5)):  # interleaved: both see the same machine load
            for name, k in kinds.items():
                opens[name].append(run_child("--_open", str(work / f"store-{name}"), k or "-"))
        assert all(r["count"] == args.records for runs in opens.values() for r in runs)
        saves = {
            name: sorted(time_saves(work / f"store-{name}", samples[name], k))
            for name, k in kinds.items()
        }
        for what, label in (("ready", "wall"), ("cpu", "CPU")):
            rows.append(
                (
                    f"open a {args.records:,}-record store + current() ({label})",
                    statistics.median(r[what] for r in opens["plain"]),
                    statistics.median(r[what] for r in opens["encrypted"]),
                    "s",
                )
            )
        p50 = {n: statistics.median(v) for n, v in saves.items()}
        p95 = {n: v[int(len(v) * 0.95) - 1] for n, v in saves.items()}
        rows.append(("save one record, p50", p50["plain"], p50["encrypted"], "ms"))
        rows.append(("save one record, p95", p95["plain"], p95["encrypted"], "ms"))

        base = Path(args.cache or os.environ.get("FIELDKIT_BENCH_CACHE") or tempfile.gettempdir())
        folder = base / "fieldkit-bench" / "sync4-20x5000"
        _, secret = make_bundles(folder, 20, 5000)
        imports: dict[str, list[dict]] = {"plain": [], "encrypted": []}
        for n in range(args.runs):
            for name in ("plain", "encrypted") if n % 2 == 0 else ("encrypted", "plain"):
                run_dir = work / f"import-{n}-{name}"
                run_dir.mkdir()
                imports[name].append(
                    time_import(folder / "office", secret, run_dir, name == "encrypted")
                )
                shutil.rmtree(run_dir)
        records = imports["plain"][0]["records"]
        for what, label in (
            ("import", f"import {records:,} records (20 bundles, wall)"),
            ("import_cpu", f"import {records:,} records (CPU, both processes)"),
            ("close", "close after the import (snapshot)"),
        ):
            rows.append(
                (
                    label,
                    statistics.median(r[what] for r in imports["plain"]),
                    statistics.median(r[what] for r in imports["encrypted"]),
                    "s",
                )
            )

    print(
        f"Python {sys.version.split()[0]}, {sys.platform}, {os.cpu_count()} cores; median of "
        f"{args.runs} run(s) (opens: {max(args.runs, 5)}); load average {os.getloadavg()[0]:.1f}; KDF {kdf['name']} "
        + ", ".join(f"{k}={v}" for k, v in kdf.items() if k not in ("name", "salt"))
        + "\n"
    )
    print(
        f"unlock (the KDF, once per start): {unlock:.3f} s wall, {unlock_cpu:.3f} s CPU "
        "(target about 0.3–0.5 s)\n"
    )
    print("| step | plain | encrypted | ratio | target |")
    print("|---|---:|---:|---:|---:|")
    for label, plain, secret_t, unit in rows:
        shown = (
            (ms(plain), ms(secret_t)) if unit == "ms" else (f"{plain:.2f} s", f"{secret_t:.2f} s")
        )
        target = "" if label.startswith("close") or "p95" in label else "≤ 1.3×"
        print(f"| {label} | {shown[0]} | {shown[1]} | {secret_t / plain:.2f}× | {target} |")


if __name__ == "__main__":
    main()
