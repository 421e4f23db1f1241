"""Benchmark: the office merge of 20 laptop bundles holding 100k records.

    python bench/bench_sync.py                       # 20 bundles x 5000 records, 3 runs
    python bench/bench_sync.py --bundles 4 --records 2500 --runs 1

Twenty real laptop data dirs (demo generator, one grid each, their own device keys) each export
everything twice: once plain and once encrypted to the office. The files and a template office
data dir that trusts the twenty laptops are made once and cached in $FIELDKIT_BENCH_CACHE or the
temp dir. Each run copies the office and imports into it:

- 20 encrypted bundles into an empty store (target ≤ 3 s), then the same 20 again: all
  unchanged (target ≤ 2 s);
- the 20 plain bundles into another empty office (for the cost of decryption);
- for scale: json.loads and orjson.loads of the same payload bytes.

Timed as `fieldkit import` does it: read each file, check its signature, hash and sizes,
decrypt, parse, check every version's id against its content and against its seal, check trust,
check the new versions against their forms (with two or more cores, in a second process for the
next files meanwhile), merge, one durable transaction per file. Opening and closing the data dir
(the closing snapshot write) are shown on their own rows. Prints a Markdown table with the
median of the runs.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import tempfile
import time
import zlib
from datetime import date
from pathlib import Path

import orjson

from fieldkit.demo import generator as demo
from fieldkit.sync import bundle, devices, roster
from fieldkit.sync.export import export
from fieldkit.sync.merge import import_files
from fieldkit.workspace import Workspace

YEAR = 2025
TODAY = date(2025, 12, 31)
TARGETS = {"empty": 3.0, "again": 2.0}


def make_bundles(folder: Path, bundles: int, per_bundle: int) -> tuple[list[Path], list[Path]]:
    """Plain and encrypted bundle files, and folder/office trusting their laptops (cached)."""
    plain_dir, secret_dir, office_dir = folder / "plain", folder / "encrypted", folder / "office"
    if office_dir.is_dir() and len(list(secret_dir.glob("*.fkb"))) == bundles:
        return sorted(plain_dir.glob("*.fkb")), sorted(secret_dir.glob("*.fkb"))
    shutil.rmtree(folder, ignore_errors=True)
    office = Workspace(office_dir, today=TODAY)
    office.set_identity(worker="街道管理员", grid="街道", org="东城街道办事处", role="office")
    card = devices.stored_card(office.store, office.identity.device)
    key = devices.parse_office_key(devices.office_key_text(card), "街道公钥")
    for n in range(1, bundles + 1):
        laptop = Workspace(folder / "laptops" / f"{n:02d}", today=TODAY)
        laptop.set_identity(worker=f"网格员{n:02d}", grid=f"第{n}网格", org="东城街道办事处")
        demo.fill(laptop, YEAR, seed=n, records=per_bundle)
        os.replace(export(laptop, plain_dir, everything=True).path, plain_dir / f"{n:02d}.fkb")
        laptop.set_identity(worker=f"网格员{n:02d}", grid=f"第{n}网格", office_key=key)
        os.replace(export(laptop, secret_dir, everything=True).path, secret_dir / f"{n:02d}.fkb")
        with office.store.transaction() as tx:
            devices.remember_card(tx, devices.stored_card(laptop.store, laptop.identity.device), "")
        roster.trust(office, laptop.identity.device)
        laptop.close()
    office.close()
    shutil.rmtree(folder / "laptops")
    return sorted(plain_dir.glob("*.fkb")), sorted(secret_dir.glob("*.fkb"))


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def one_run(plain: list[Path], secret: list[Path], template: Path, work: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    root = work / "secret"
    shutil.copytree(template, root, ignore=shutil.ignore_patterns("lock"))
    out["open"], ws = timed(lambda: Workspace(root, today=TODAY))
    out["empty"], report = timed(lambda: import_files(ws, secret))
    total = report.totals.new
    assert total and not report.refused and not report.totals.held and not report.totals.rejected
    out["again"], report = timed(lambda: import_files(ws, secret))
    assert report.totals.unchanged == total, report.totals
    out["close"], _ = timed(ws.close)

    root = work / "plain"
    shutil.copytree(template, root, ignore=shutil.ignore_patterns("lock"))
    ws = Workspace(root, today=TODAY)
    out["plain"], report = timed(lambda: import_files(ws, plain))
    assert report.totals.new == total and not report.refused
    ws.close()

    payloads = [zlib.decompress(p.read_bytes().split(b"\n", 3)[3], 31) for p in plain]
    gc.disable()  # as during an import, so the comparison is fair
    out["orjson"], _ = timed(lambda: [orjson.loads(p) for p in payloads])
    gc.enable()
    out["payload_mb"] = sum(map(len, payloads)) / 1e6
    out["records"] = total
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bundles", type=int, default=20)
    ap.add_argument("--records", type=int, default=5000, help="records per bundle")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cache", help="where the bundles are kept between runs")
    args = ap.parse_args()

    base = Path(args.cache or os.environ.get("FIELDKIT_BENCH_CACHE") or tempfile.gettempdir())
    folder = base / "fieldkit-bench" / f"sync4-{args.bundles}x{args.records}"
    t0 = time.perf_counter()
    plain, secret = make_bundles(folder, args.bundles, args.records)
    made = time.perf_counter() - t0
    versions = sum(bundle.read_manifest(p).versions for p in secret)

    runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(one_run(plain, secret, folder / "office", Path(tmp)))
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}

    size = sum(p.stat().st_size for p in secret) / 1e6
    print(
        f"{len(secret)} bundles, {int(med['records'])} records ({versions} versions), "
        f"{size:.1f} MB on disk ({med['payload_mb']:.0f} MB of JSON); {os.cpu_count()} cores; "
        f"median of {args.runs} run(s); bundles made in {made:.1f} s\n"
    )
    print("| step | seconds | target |")
    print("|---|---:|---:|")

    def row(name: str, key: str, target: str = "") -> None:
        print(f"| {name} | {med[key]:.2f} | {target} |")

    row("import 20 encrypted bundles into an empty store", "empty", f"≤ {TARGETS['empty']:.0f} s")
    row("import the same 20 again (all unchanged)", "again", f"≤ {TARGETS['again']:.0f} s")
    row("import the 20 plain bundles into an empty store", "plain")
    row("orjson.loads of the same payload bytes (for scale)", "orjson")
    row("open the office data dir", "open")
    row("close the data dir (snapshot of the merged store)", "close")


if __name__ == "__main__":
    main()
