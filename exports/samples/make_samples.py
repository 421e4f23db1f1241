"""Rebuild the sample bundles in this folder (run from the repository root):

    python exports/samples/make_samples.py

A SAMPLE street office and three demo laptops (demo generator seeds 1, 2, 3; 200 records each):

- round 1: each laptop exports. 张敏 (第三网格) has the office key configured, so her file is
  encrypted to the office; 李娜 and 王强 have not (plain files). 王强 registered 董振斌 although
  李娜 had already registered him (the same ID number: a likely duplicate for the office).
- the office (the SAMPLE keys in 街道示例密钥.SAMPLE/) merges round 1, trusts the three laptops
  and exports everything for them (encrypted to the three laptops and itself; in 街道发给网格员/).
- round 2: 李娜 and 王强 import the office's file, then both change the same person (a conflict
  for the office) and export. 李娜 then records a meeting and exports it to a USB stick that is
  "lost" (it is in 后来找到的U盘/), records an outreach event and exports again: the office sees
  that 李娜's changes in between have not arrived.

Everything is made anew each time, keys included (so the fingerprints change: the script prints
them for exports/README.md). The SAMPLE office keys exist so that anyone can try the office's
side; never use them for real data.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from fieldkit.demo import generator as demo
from fieldkit.sync import devices, keys, roster
from fieldkit.sync.export import export
from fieldkit.sync.merge import import_files
from fieldkit.workspace import Workspace

HERE = Path(__file__).resolve().parent
OFFICE_KEYS = HERE / "街道示例密钥.SAMPLE"
LOST = HERE / "后来找到的U盘"
FOR_LAPTOPS = HERE / "街道发给网格员"
TODAY = date(2026, 11, 21)
TZ = timezone(timedelta(hours=8))
MEETING = {
    "date": "2026-11-20",
    "kind": "理论学习中心组学法",
    "title": "学习民法典婚姻家庭编",
    "participants": 12,
}
EVENT = {
    "date": "2026-11-21",
    "title": "反电诈进小区",
    "venue_type": "进小区",
    "location": "幸福小区广场",
    "theme": "日常",
    "laws": ["反电信网络诈骗法"],
    "activities": ["现场咨询", "发放资料"],
    "participants": 60,
    "materials": 200,
}
SAMPLE_NOTE = (
    "SAMPLE KEY - for trying fieldkit's office side only (exports/README.md).\n"
    "Everyone has this file: never use it for real data. 示例密钥，切勿用于真实数据。\n"
)


def main() -> None:
    for old in HERE.glob("*.fkb"):
        old.unlink()
    shutil.rmtree(OFFICE_KEYS, ignore_errors=True)
    shutil.rmtree(LOST, ignore_errors=True)
    shutil.rmtree(FOR_LAPTOPS, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        office = Workspace(tmp / "office", today=TODAY)
        office.set_identity(
            worker="街道管理员", grid="街道", org=demo.DEMO_ORG, abbr=demo.DEMO_ABBR, role="office"
        )
        card = devices.stored_card(office.store, office.identity.device)
        office_key = devices.parse_office_key(devices.office_key_text(card), "街道公钥")

        laptops = []
        for seed in (1, 2, 3):
            ws = Workspace(tmp / f"laptop{seed}", today=TODAY)
            worker, grid = demo.demo_identity(seed)
            key = office_key if seed == 3 else None
            ws.set_identity(
                worker=worker, grid=grid, org=demo.DEMO_ORG, abbr=demo.DEMO_ABBR, office_key=key
            )
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

        # The office merges round 1, trusts the laptops and sends everything back.
        for ws in laptops:
            with office.store.transaction() as tx:
                devices.remember_card(tx, devices.stored_card(ws.store, ws.identity.device), "")
            roster.trust(office, ws.identity.device)
        import_files(office, files)
        back = export(office, FOR_LAPTOPS, everything=True, now=round1 + timedelta(hours=1)).path
        for ws in (li_na, wang_qiang):
            ws.set_identity(worker=ws.identity.worker, grid=ws.identity.grid, office_key=office_key)
            import_files(ws, [back])

        # Both change the same (other) person.
        shared = next(p for p in li_na.store.current("person") if p["id"] != person["id"])
        li_na.edit(shared["id"], {"phone": "13800138000"})
        wang_qiang.edit(shared["id"], {"phone": "13900139000", "address": "和平里街道 3 号楼"})
        round2 = datetime(2026, 11, 21, 17, 30, tzinfo=TZ)
        for n, ws in enumerate((li_na, wang_qiang)):
            export(ws, HERE, now=round2 + timedelta(minutes=n))

        # 李娜's next file never reaches the office (until it is found); her last one does.
        li_na.add("meeting", MEETING)
        export(li_na, LOST, now=round2 + timedelta(hours=1))
        li_na.add("outreach", EVENT)
        export(li_na, HERE, now=round2 + timedelta(hours=2))

        for ws in (*laptops, office):
            print(
                f"{ws.identity.worker}（{ws.identity.grid}）指纹 {devices.fingerprint(ws.identity.device)}"
            )
        for ws in laptops:
            ws.close()
        office.close()
        OFFICE_KEYS.mkdir()
        for name in (keys.SIGN_FILE, keys.BOX_FILE):
            (OFFICE_KEYS / name).write_text(
                SAMPLE_NOTE + (tmp / "office" / "keys" / name).read_text()
            )
    for path in sorted([*HERE.iterdir(), *LOST.iterdir(), *FOR_LAPTOPS.iterdir()]):
        print(path.relative_to(HERE))


if __name__ == "__main__":
    main()
