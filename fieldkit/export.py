"""Exporting: which versions leave this data dir in a bundle, sealed, signed and encrypted.

- A plain export carries this device's own versions made since its last export: what it
  changed, not what it received. Its first export is written even when it holds nothing, so
  the office can trust the device before it sends any record.
- ``since=N`` carries this device's own versions numbered N and up again (the office says
  which numbers it is missing).
- ``everything`` carries every version held here, with the seals and cards that vouch for
  them: how changes reach other laptops through the office, and how a laptop sends again
  whatever may have been lost.

Own versions are sealed (fieldkit.seals) before they leave. A laptop encrypts to its office's
key when it has one; the office encrypts to the laptops it trusts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldkit import bundle as bundles
from fieldkit import devices, keys
from fieldkit.changes import SEQ
from fieldkit.errors import FieldkitError
from fieldkit.records import Record
from fieldkit.seals import own_versions, seal_own, seals_covering
from fieldkit.store import META_TABLE

if TYPE_CHECKING:
    from fieldkit.workspace import Workspace

EXPORTED = "export.upto"  # meta: the last own number a plain export carried
EVERYTHING_NEXT = "export.everything"  # meta: the next plain export carries everything
LAST = "export.last"  # meta: {"file", "at", "records"} of the last export


@dataclass(frozen=True)
class Preview:
    """What an export would include, for the app to show before writing."""

    records: int  # record ids
    versions: int
    by_form: dict[str, int]
    encrypted: bool
    kind: str  # "changes", "from" or "all"

    @property
    def everything(self) -> bool:
        return self.kind == "all"


@dataclass(frozen=True)
class ExportResult:
    path: Path | None  # None when there was nothing to export
    manifest: bundles.Manifest | None
    preview: Preview


def _kind(ws: Workspace, everything: bool, since: int | None) -> str:
    if everything or (since is None and ws.store.get_meta(EVERYTHING_NEXT)):
        return "all"
    return "changes" if since is None else "from"


def _outgoing(ws: Workspace, kind: str, since: int | None) -> list[Record]:
    store, me = ws.store, ws.require_identity().device
    if kind == "all":
        return list(store.all_documents())
    after = store.get_meta(EXPORTED, 0) if kind == "changes" else max(0, (since or 1) - 1)
    return own_versions(store, me, after)


def enrols(ws: Workspace) -> bool:
    """Whether the next plain export is written even with nothing in it: a laptop's first, so
    that the office can trust the laptop before it sends any record."""
    ident = ws.require_identity()
    return ident.role != "office" and ws.store.get_meta(LAST) is None


def _recipients(ws: Workspace) -> list[bytes]:
    """Who can open this data dir's files: the office, or at the office its trusted laptops."""
    ident = ws.require_identity()
    if ident.role != "office":
        return [keys.unb64(ident.office_box, 32)] if ident.office_box else []
    book = devices.trust_book(ws.store, ident)
    return [
        devices.box_public(doc["card"])
        for device, doc in sorted(ws.store.table_docs(devices.DEVICES).items())
        if device != ident.device and book.standing(device).trusted
    ]


def preview(ws: Workspace, *, everything: bool = False, since: int | None = None) -> Preview:
    kind = _kind(ws, everything, since)
    return _preview(ws, _outgoing(ws, kind, since), kind)


def _preview(ws: Workspace, versions: list[Record], kind: str) -> Preview:
    current: dict[str, str] = {}
    for rec in versions:
        current[rec["id"]] = rec["form"]
    counts = Counter(current.values())
    by_form = {f.id: counts.pop(f.id) for f in ws.forms if f.id in counts}
    by_form.update(counts)  # forms this version does not know, kept and sent on
    return Preview(len(current), len(versions), by_form, bool(_recipients(ws)), kind)


def export(
    ws: Workspace,
    folder: Path,
    *,
    everything: bool = False,
    since: int | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """Write a bundle into `folder` (see the module's doc for what goes in it).

    The file is written atomically; only once it is safely on disk is it remembered as sent.
    Nothing is written when nothing changed since the last export.
    """
    ident = ws.require_identity()
    now = now or datetime.now().astimezone()
    at = now.isoformat(timespec="seconds")
    store = ws.store
    made = store.get_meta(SEQ, 0)
    if since is not None and not 1 <= since <= made:
        raise FieldkitError(
            f"本机的变更编号是 1 到 {made}，没有第 {since} 号" if made else "本机还没有任何变更"
        )
    with store.transaction() as tx:
        seal_own(store, tx, ws.keys, at)
    kind = _kind(ws, everything, since)
    versions = _outgoing(ws, kind, since)
    info = _preview(ws, versions, kind)
    if not versions and kind == "changes" and not enrols(ws):
        return ExportResult(None, None, info)
    recipients = _recipients(ws)
    if ident.role == "office" and not recipients:
        raise FieldkitError(
            "本机还没有信任任何网格员电脑，导出的文件没有人能打开。请先导入各电脑的文件，"
            "核对指纹后信任（fieldkit devices trust 指纹）"
        )
    if recipients:
        recipients.append(ws.keys.box_public)  # the writer can always read its own file
    mine = [r["seq"] for r in versions if r["device"] == ident.device and "seq" in r]
    own = [min(mine), max(mine)] if mine and (kind != "all" or len(mine) == made) else None
    seals, unsealed = seals_covering(store, versions)
    if unsealed:  # made under keys lost since: they cannot be vouched for (made again, if heads)
        left_out = {id(r) for r in unsealed}
        versions = [r for r in versions if id(r) not in left_out]
    card = devices.stored_card(store, ident.device)
    data, manifest = bundles.build(
        versions,
        keys=ws.keys,
        card=card,
        kind=kind,
        own=own,
        made=made,
        forms={f.id: f.version for f in ws.forms},
        seals=seals,
        cards=_cards(ws, seals),
        decisions=_decisions(ws),
        recipients=recipients,
        created_at=at,
    )
    path = bundles.write_atomically(
        Path(folder), bundles.bundle_name(ident.worker, ident.grid, now), data
    )
    with store.transaction() as tx:
        if kind != "from":
            tx.set_meta(EXPORTED, made)
            tx.remove(META_TABLE, EVERYTHING_NEXT)
        tx.set_meta(LAST, {"file": str(path), "at": at, "records": info.records})
    return ExportResult(path, manifest, info)


def _cards(ws: Workspace, seals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cards of the devices whose seals are in the file (this one's too: the file may be
    passed on by another sender)."""
    wanted = sorted({s["device"] for s in seals})
    found = (devices.stored_card(ws.store, d) for d in wanted)
    return [c for c in found if c is not None]


def _decisions(ws: Workspace) -> list[dict[str, Any]]:
    """The trust decisions this file carries: the office's (its own, at the office; the ones a
    laptop learned from it otherwise), so that receivers know whom the office vouches for."""
    ident = ws.require_identity()
    office = ident.device if ident.role == "office" else ident.office
    if office is None:
        return []
    prefix = f"{office}:"
    return [
        d for k, d in sorted(ws.store.table_docs(devices.TRUST).items()) if k.startswith(prefix)
    ]
