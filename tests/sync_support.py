"""Shared pieces of the sync tests: laptops and an office as real data dirs."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

from conftest import TODAY

from fieldkit import bundle
from fieldkit.workspace import Workspace

PERSON = {
    "category": "严重精神障碍患者",
    "name": "王芳",
    "id_number": "11010519491231002X",
    "start_date": "2026-01-05",
    "level": "1级",
}
OTHER_PERSON = {
    **PERSON,
    "name": "张伟",
    "id_number": "110105198001010016",
    "category": "刑满释放人员",
    "level": "一般",
}
UTC_8 = timezone(timedelta(hours=8))
MEETING = {"date": "2026-05-01", "kind": "lecture", "title": "宪法讲座", "participants": 30}


class Clock:
    """A clock for the tests: every reading is one minute after the last (saves never tie)."""

    def __init__(self, start: datetime = datetime(2026, 11, 20, 8, 0, tzinfo=UTC_8)):
        self.now = start

    def __call__(self) -> str:
        self.now += timedelta(minutes=1)
        return self.now.isoformat(timespec="seconds")

    def install(self, monkeypatch) -> Clock:
        from fieldkit import records, review

        monkeypatch.setattr(records, "now_iso", self)
        monkeypatch.setattr(review, "now_iso", self)
        return self


def open_site(root: Path, worker: str, grid: str, office_key: str | None = None) -> Workspace:
    ws = Workspace(root, today=TODAY)
    ws.set_identity(
        worker=worker, grid=grid, org="东城街道办事处", abbr="东", office_key=office_key
    )
    return ws


def dir_digest(path: Path) -> dict[str, str]:
    """Every file under `path` (names and bytes), to show that nothing changed."""
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file() and p.name != "lock"
    }


def state(ws: Workspace) -> dict[str, tuple[dict, list[dict]]]:
    """Per record id: the current version and the other heads (sorted), as the store holds them."""
    from fieldkit.versions import CONFLICTS

    others = ws.store.table_docs(CONFLICTS)
    out = {}
    for form in ws.store.forms():
        for rec in ws.store.current(form, include_deleted=True):
            heads = sorted(others.get(rec["id"], {}).get("heads", []), key=lambda h: h["version"])
            out[rec["id"]] = (dict(rec), heads)
    return out


def hand_bundle(path: Path, records: list[dict]) -> Path:
    """A bundle file holding `records` as given (made by hand, from a device "dev-x")."""
    data, _ = bundle.build(
        records,
        device="dev-x",
        worker="某人",
        grid="第九网格",
        org="",
        forms={"meeting": 1},
        complete=False,
        office_key=None,
        created_at="2026-11-20T10:00:00+08:00",
    )
    path.write_bytes(data)
    return path
