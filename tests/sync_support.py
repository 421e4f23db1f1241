"""Shared pieces of the sync tests: laptops and an office as real data dirs, with keys and trust."""

from __future__ import annotations

import gzip
import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
from conftest import TODAY

from fieldkit.sync import bundle, devices, roster
from fieldkit.sync.export import export
from fieldkit.sync.keys import b64
from fieldkit.sync.merge import import_files
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
        from fieldkit.store import records

        monkeypatch.setattr(records, "now_iso", self)
        return self


def open_site(
    root: Path,
    worker: str,
    grid: str,
    office: Workspace | None = None,
    *,
    role: str | None = None,
) -> Workspace:
    """A data dir with an identity; a laptop of `office` when one is given."""
    ws = Workspace(root, today=TODAY)
    key = office_key(office) if office is not None else None
    ws.set_identity(
        worker=worker, grid=grid, org="东城街道办事处", abbr="东", office_key=key, role=role
    )
    return ws


def open_office(root: Path) -> Workspace:
    return open_site(root, "街道管理员", "街道", role="office")


def office_key(office: Workspace) -> devices.OfficeKey:
    """What a laptop is given at `init --office-key`, read back as a laptop reads the file."""
    card = devices.stored_card(office.store, office.identity.device)
    return devices.parse_office_key(devices.office_key_text(card), "街道公钥")


def card_of(ws: Workspace) -> dict:
    return devices.stored_card(ws.store, ws.identity.device)


def introduce(office: Workspace, *laptops: Workspace) -> None:
    """The office trusts laptops (as after importing their first files and comparing
    fingerprints): it learns each card, then `devices trust` runs."""
    for laptop in laptops:
        with office.store.transaction() as tx:
            devices.remember_card(tx, card_of(laptop), "2026-11-20T08:00:00+08:00")
        roster.trust(office, laptop.identity.device)


def send(src: Workspace, dst: Workspace, folder: Path, **kwargs):
    """src exports, dst imports; the import report."""
    path = export(src, folder, **kwargs).path
    assert path is not None
    return import_files(dst, [path])


def dir_digest(path: Path) -> dict[str, str]:
    """Every file under `path` (names and bytes), to show that nothing changed."""
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file() and p.name != "lock"
    }


def parts(path: Path) -> tuple[dict, bytes, dict]:
    """A plain bundle's manifest, signature line and payload document."""
    _, manifest, sig, payload = path.read_bytes().split(b"\n", 3)
    return orjson.loads(manifest), sig, orjson.loads(gzip.decompress(payload))


def rebuild(path: Path, manifest: dict, payload: dict, *, signer=None, sig: bytes | None = None):
    """Write `path` again from its parts: payload hash fixed up; re-signed by `signer` (keys)
    or with the signature line `sig` kept as it was."""
    body = gzip.compress(orjson.dumps(payload))
    manifest = {**manifest, "payload_bytes": len(body)}
    manifest["payload_sha256"] = hashlib.sha256(body).hexdigest()
    head = bundle.HEADER + orjson.dumps(manifest) + b"\n"
    if signer is not None:
        sig = b64(signer.sign.sign(b"fieldkit-bundle-v2\n" + head)).encode()
    path.write_bytes(head + sig + b"\n" + body)
    return path


def state(ws: Workspace) -> dict[str, tuple[dict, list[str]]]:
    """Per record id: the current version and the other heads' ids, as the store holds them."""
    from fieldkit.store.versions import CONFLICTS

    others = ws.store.table_docs(CONFLICTS)
    out = {}
    for form in ws.store.forms():
        for rec in ws.store.current(form, include_deleted=True):
            heads = sorted(others.get(rec["id"], {}).get("heads", []))
            out[rec["id"]] = (dict(rec), heads)
    return out
