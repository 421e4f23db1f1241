"""Rebuild the sample bundles in this folder (run from the repository root):

    python exports/samples/make_samples.py

Three demo laptops (demo generator seeds 1, 2, 3; 200 records each) and what happens on them:

- round 1: each laptop exports. 张敏 (第三网格) has the SAMPLE office public key configured,
  so her file is encrypted; the other two are not. 王强 registered 王芳 although 李娜 had
  already registered her (the same ID number: a likely duplicate for the office to join).
- between rounds: 王强 copied 李娜's round-1 file from the shared folder and imported it; then
  李娜 and 王强 both changed the same person (a conflict for the office to resolve).
- round 2: 李娜 and 王强 export what changed.

The SAMPLE office key pair is made anew each time: the private key file is named *.SAMPLE.pem
and says SAMPLE inside. It exists so that anyone can try an encrypted import; never use it for
real data.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from fieldkit import demo, keys
from fieldkit.export import export
from fieldkit.merge import import_files
from fieldkit.workspace import Workspace

HERE = Path(__file__).resolve().parent
TODAY = date(2026, 11, 20)
TZ = timezone(timedelta(hours=8))
SAMPLE_NOTE = (
    "SAMPLE KEY - for trying fieldkit's encrypted import only (exports/README.md).\n"
    "Everyone has this file: never use it for real data. 示例密钥，切勿用于真实数据。\n"
)


def main() -> None:
    for old in HERE.glob("*.fkb"):
        old.unlink()
    for old in HERE.glob("*.SAMPLE.pem"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pair = keys.generate(tmp / "office", tmp / "pub")
        private = HERE / pair.private_path.name.replace(".pem", ".SAMPLE.pem")
        private.write_text(SAMPLE_NOTE + pair.private_path.read_text())
        public = HERE / pair.public_path.name.replace(".pem", ".SAMPLE.pem")
        public.write_text(pair.public_path.read_text())

        laptops = []
        for seed, key in ((1, None), (2, None), (3, pair.public_path.read_text())):
            ws = Workspace(tmp / f"laptop{seed}", today=TODAY)
            worker, grid = demo.demo_identity(seed)
            ws.set_identity(worker=worker, grid=grid, org=demo.DEMO_ORG, abbr=demo.DEMO_ABBR)
            if key:
                ws.set_identity(worker=worker, grid=grid, office_key=key)
            demo.fill(ws, year=TODAY.year, seed=seed, records=200)
            laptops.append(ws)
        li_na, wang_qiang, _ = laptops

        # The same person registered on two laptops.
        person = next(
            p for p in li_na.store.current("person") if p["data"]["category"] == "released"
        )
        again = {k: v for k, v in person["data"].items() if k not in ("grid", "end_date")}
        wang_qiang.add("person", again)

        round1 = datetime(2026, 11, 20, 17, 30, tzinfo=TZ)
        files = [
            export(ws, HERE, now=round1 + timedelta(minutes=n)).path for n, ws in enumerate(laptops)
        ]

        # 王强 takes 李娜's file from the shared folder, then both edit the same (other) person.
        import_files(wang_qiang, [files[0]])
        shared = next(p for p in li_na.store.current("person") if p["id"] != person["id"])
        li_na.edit(shared["id"], {"phone": "13800138000"})
        wang_qiang.edit(shared["id"], {"phone": "13900139000", "address": "和平里街道 3 号楼"})

        round2 = datetime(2026, 11, 21, 17, 30, tzinfo=TZ)
        for n, ws in enumerate((li_na, wang_qiang)):
            export(ws, HERE, now=round2 + timedelta(minutes=n))
        for ws in laptops:
            ws.close()
        shutil.rmtree(tmp / "office")
    for path in sorted(HERE.iterdir()):
        print(path.name)


if __name__ == "__main__":
    main()
