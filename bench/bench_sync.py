"""Benchmark: the office merge of 20 laptop bundles holding 100k records.

    python bench/bench_sync.py                       # 20 bundles x 5000 records, 3 runs
    python bench/bench_sync.py --bundles 4 --records 2500 --runs 1

Bundles come from the demo generator (fieldkit.demo), one grid per bundle (seed and device
differ), written once as plain and as encrypted files and cached in $FIELDKIT_BENCH_CACHE or
the temp dir. Each run imports into a fresh data dir:

- 20 plain bundles into an empty store (target ≤ 3 s), then the same 20 again: all unchanged
  (target ≤ 2 s);
- the 20 encrypted bundles into another empty store (target: ≤ +20 % over plain);
- for scale: json.loads and orjson.loads of the same payload bytes (the gunzipped JSON of every
  bundle), and the import's ratio to json.loads.

Timed as `fieldkit import` does it: read and check each file, decrypt, parse, check the records
against their forms, merge, one durable transaction per file. With two or more cores the form
checks of the next files run in a second process meanwhile (fieldkit.import_check); the header
says how many cores there were. Opening and closing the data dir
(the closing snapshot write) are shown on their own rows. Prints a Markdown table with the
median of the runs.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import orjson

from fieldkit import bundle, demo, keys
from fieldkit.forms import load_forms
from fieldkit.merge import import_files
from fieldkit.workspace import Workspace

YEAR = 2025
TODAY = date(2025, 12, 31)
TARGETS = {"empty": 3.0, "again": 2.0}


def make_bundles(folder: Path, bundles: int, per_bundle: int) -> tuple[list[Path], list[Path]]:
    """Plain and encrypted bundle files (cached); the office key pair sits in folder/office."""
    plain_dir, secret_dir = folder / "plain", folder / "encrypted"
    if plain_dir.is_dir() and len(list(secret_dir.glob("*.fkb"))) == bundles:
        return sorted(plain_dir.glob("*.fkb")), sorted(secret_dir.glob("*.fkb"))
    forms = load_forms()
    office = folder / "office"
    pair = keys.generate(office, folder / "pub")
    office_key = pair.public_path.read_text()
    for n in range(1, bundles + 1):
        worker, grid = f"网格员{n:02d}", f"第{n}网格"
        records = demo.generate(
            YEAR,
            seed=n,
            records=per_bundle,
            worker=worker,
            grid=grid,
            device=f"laptop{n:02d}",
            forms=forms,
            rules=forms.rules,
            today=TODAY,
            history=True,  # a laptop's bundle carries the earlier versions of edited records
        )
        for target, key in ((plain_dir, None), (secret_dir, office_key)):
            data, _ = bundle.build(
                records,
                device=f"laptop{n:02d}",
                worker=worker,
                grid=grid,
                org="东城街道办事处",
                forms={f.id: f.version for f in forms},
                complete=True,
                office_key=key,
                created_at=f"{TODAY.isoformat()}T18:00:00+08:00",
            )
            bundle.write_atomically(target, f"{n:02d}.fkb", data)
    return sorted(plain_dir.glob("*.fkb")), sorted(secret_dir.glob("*.fkb"))


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def one_run(plain: list[Path], secret: list[Path], office: Path, work: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    keys_dir = office / "keys"

    total = len({r["id"] for p in plain for r in bundle.read(p).records})
    root = work / "plain"
    out["open"], ws = timed(lambda: Workspace(root, today=TODAY))
    out["empty"], report = timed(lambda: import_files(ws, plain))
    assert report.totals.new == total, report.totals
    out["again"], report = timed(lambda: import_files(ws, plain))
    assert report.totals.unchanged == total, report.totals
    out["close"], _ = timed(ws.close)

    root = work / "secret"
    (root / "keys").mkdir(parents=True)
    for key_file in keys_dir.iterdir():
        (root / "keys" / key_file.name).write_bytes(key_file.read_bytes())
    ws = Workspace(root, today=TODAY)
    out["encrypted"], report = timed(lambda: import_files(ws, secret))
    assert report.totals.new and not report.refused
    ws.close()

    payloads = [gzip.decompress(p.read_bytes().split(b"\n", 2)[2]) for p in plain]
    gc.disable()  # as during an import, so the comparison is fair
    out["json"], _ = timed(lambda: [json.loads(p) for p in payloads])
    out["orjson"], _ = timed(lambda: [orjson.loads(p) for p in payloads])
    gc.enable()
    out["payload_mb"] = sum(map(len, payloads)) / 1e6
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bundles", type=int, default=20)
    ap.add_argument("--records", type=int, default=5000, help="records per bundle")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cache", help="where the bundles are kept between runs")
    args = ap.parse_args()

    base = Path(args.cache or os.environ.get("FIELDKIT_BENCH_CACHE") or tempfile.gettempdir())
    folder = base / "fieldkit-bench" / f"sync2-{args.bundles}x{args.records}"
    t0 = time.perf_counter()
    plain, secret = make_bundles(folder, args.bundles, args.records)
    made = time.perf_counter() - t0
    total = len({r["id"] for p in plain for r in bundle.read(p).records})
    versions = sum(bundle.read_manifest(p).records for p in plain)

    runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(one_run(plain, secret, folder / "office", Path(tmp)))
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}

    size = sum(p.stat().st_size for p in plain) / 1e6
    print(
        f"{len(plain)} bundles, {total} records ({versions} versions), {size:.1f} MB on disk "
        f"({med['payload_mb']:.0f} MB of JSON); {os.cpu_count()} cores; median of {args.runs} run(s); "
        f"bundles made in {made:.1f} s\n"
    )
    print("| step | seconds | target | vs json.loads |")
    print("|---|---:|---:|---:|")

    def row(name: str, key: str, target: str = "") -> None:
        print(f"| {name} | {med[key]:.2f} | {target} | {med[key] / med['json']:.1f}× |")

    row("import 20 plain bundles into an empty store", "empty", f"≤ {TARGETS['empty']:.0f} s")
    row("import the same 20 again (all unchanged)", "again", f"≤ {TARGETS['again']:.0f} s")
    extra = (med["encrypted"] / med["empty"] - 1) * 100
    row(f"import 20 encrypted bundles (+{extra:.0f} % over plain)", "encrypted", "≤ +20 %")
    row("json.loads of the same payload bytes", "json")
    row("orjson.loads of the same payload bytes", "orjson")
    row("open the empty data dir", "open")
    row("close the data dir (snapshot of the merged store)", "close")


if __name__ == "__main__":
    main()
