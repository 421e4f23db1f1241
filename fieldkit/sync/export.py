"""Exporting: which versions leave this data dir in a bundle, sealed, signed and encrypted.

- A plain export carries this device's own versions made since its last export: what it
  changed, not what it received. A laptop's first export is written even when it holds nothing,
  so the office can trust the laptop before it sends any record.
- ``since=N`` carries this device's own versions numbered N and up again (the office says
  which numbers it is missing).
- ``everything`` carries every version held here, with the seals and cards that vouch for
  them: how a laptop sends again whatever may have been lost.
- At the office, ``grid=G`` carries grid G's persons and the records that belong to them (their
  follow-ups), every version of each, for the trusted laptops of grid G only; ``for_device``
  the same for one laptop (its grid). How a new or replaced laptop gets its grid's registry.

Own versions are sealed (fieldkit.sync.seals) before they leave. A laptop encrypts to its office;
the office encrypts to the laptops the file is for (and to itself). The office's files also carry
its trust decisions, the case number blocks it handed out (fieldkit.sync.casenumbers) and its form
and rule files (its data dir's forms/ folder), which its laptops take from then on.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldkit.errors import FieldkitError
from fieldkit.files.outfiles import PlainInDataDir, Target, inside, write_bytes
from fieldkit.forms import grids
from fieldkit.store.changes import SEQ
from fieldkit.store.database import META_TABLE
from fieldkit.store.records import Record
from fieldkit.store.versions import all_versions
from fieldkit.sync import bundle as bundles
from fieldkit.sync import casenumbers, devices, formsync, keys
from fieldkit.sync.seals import own_versions, seal_own, seals_covering

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
    kind: str  # "changes", "from", "all" or "grid"
    audience: str = ""  # who can open it, as people read it

    @property
    def everything(self) -> bool:
        return self.kind == "all"


@dataclass(frozen=True)
class ExportResult:
    path: Path | None  # None when there was nothing to export
    manifest: bundles.Manifest | None
    preview: Preview
    skipped_forms: list[str] = field(default_factory=list)  # office files not sent (bad names)


@dataclass(frozen=True)
class Outgoing:
    """What an export carries and for whom."""

    kind: str
    versions: list[Record]
    readers: list[dict[str, Any]]  # the cards of the devices the file is encrypted to
    grid: str = ""  # for a grid's laptops


def _choose(
    ws: Workspace,
    *,
    everything: bool = False,
    since: int | None = None,
    grid: str | None = None,
    for_device: str | None = None,
) -> Outgoing:
    ident = ws.require_identity()
    if grid is not None or for_device is not None:
        return _for_grid(ws, grid, for_device)
    if ident.role == "office" and not everything:
        raise FieldkitError(
            "街道电脑导出时请选择给谁：--grid 网格（该网格的电脑能打开）、--for 设备（一台电脑），"
            "或 --all（全部记录，所有已信任的网格员电脑都能打开）"
        )
    if everything or (since is None and ws.store.get_meta(EVERYTHING_NEXT)):
        kind, versions = "all", list(ws.store.all_documents())
    else:
        kind = "changes" if since is None else "from"
        after = ws.store.get_meta(EXPORTED, 0) if since is None else since - 1
        versions = own_versions(ws.store, ident.device, after)
    # A laptop encrypts to its office's box key alone (see _recipients).
    readers = _trusted_laptops(ws) if ident.role == "office" else []
    return Outgoing(kind, versions, readers)


def _trusted_laptops(ws: Workspace, grid: str | None = None) -> list[dict[str, Any]]:
    """The laptops this office trusts, as laptops of the grid they were trusted for (one whose
    card moved to another grid since counts for neither: it must be trusted again)."""
    ident = ws.require_identity()
    book = devices.trust_book(ws.store, ident)
    out = []
    for device, doc in sorted(ws.store.table_docs(devices.DEVICES).items()):
        card = doc.get("card")
        if device == ident.device or card is None or card["role"] == "office":
            continue
        standing = book.standing(device)
        if standing.trusted and standing.grid == card["grid"] and grid in (None, card["grid"]):
            out.append(card)
    return out


def _for_grid(ws: Workspace, grid: str | None, for_device: str | None) -> Outgoing:
    ident = ws.require_identity()
    if ident.role != "office":
        raise FieldkitError("只有街道电脑能按网格导出（本机是网格员电脑）")
    if for_device is not None:
        card = _trusted_card(ws, for_device)
        grid, readers = card["grid"], [card]
    else:
        _check_grid(ws, grid)
        readers = _trusted_laptops(ws, grid)
        if not readers:
            raise FieldkitError(
                f"还没有信任“{grid}”的电脑，文件没有人能打开。请让该网格的电脑先导出一次"
                "（第一次导出即使没有记录也会生成文件），在本机导入后核对指纹并信任"
                "（fieldkit devices trust 指纹），再按网格导出"
            )
    return Outgoing("grid", grid_versions(ws, grid), readers, grid)


def _trusted_card(ws: Workspace, query: str) -> dict[str, Any]:
    card = devices.find_card(ws.store, query)
    book = devices.trust_book(ws.store, ws.require_identity())
    if not book.standing(card["device"]).trusted or card["role"] == "office":
        raise FieldkitError(
            f"{card['worker']}（{card['grid']}，指纹 {devices.fingerprint(card['device'])}）"
            "不是已信任的网格员电脑，不能为它导出"
        )
    return card


def _check_grid(ws: Workspace, grid: str | None) -> None:
    if not grid:
        raise FieldkitError("请写要导出的网格")
    grids.require(ws.forms, grid)
    known = {c["grid"] for c in _trusted_laptops(ws)} | {
        str(p["data"].get(grids.FIELD)) for p in ws.store.current(grids.REGISTRY)
    }
    if not grids.names(ws.forms) and grid not in known:
        listed = "、".join(sorted(known, key=grids.sort_key(ws.forms))) or "（还没有）"
        raise FieldkitError(f"没有网格“{grid}”。本机知道的网格：{listed}")


def grid_versions(ws: Workspace, grid: str) -> list[Record]:
    """Every version of what belongs to grid `grid`: the persons that are or were in it (a
    person who moved away reaches the old grid's laptops too, saying where they went), the
    records pointing at them (follow-ups), and the records its laptops made (cases, events)."""
    store = ws.store
    laptops = {c["device"] for c in _trusted_laptops(ws, grid)}
    persons, made_here = set(), set()
    for v in store.all_documents():
        if v["form"] == grids.REGISTRY and v["data"].get(grids.FIELD) == grid:
            persons.add(v["id"])
        elif not v["parents"] and v["device"] in laptops:
            made_here.add(v["id"])
    linked = {
        r["id"]
        for form in ws.forms
        if (
            fields := [
                f.id for f in form.fields if f.type == "reference" and f.ref_form == grids.REGISTRY
            ]
        )
        for r in store.current(form.id, include_deleted=True)
        if any(r["data"].get(f) in persons for f in fields)
    }
    wanted = sorted(persons) + sorted((linked | made_here) - persons)
    return [v for rid in wanted for v in all_versions(store, rid)]


def targets(ws: Workspace) -> list[tuple[str, str]]:
    """At the office, whom it can export to besides everyone: (label, "grid:G") for each grid
    with a trusted laptop, and (label, "device:D") for each trusted laptop. Empty on a laptop."""
    if ws.require_identity().role != "office":
        return []
    laptops = _trusted_laptops(ws)
    grids_ = sorted({c["grid"] for c in laptops}, key=grids.sort_key(ws.forms))
    return [
        *((f"{g}（该网格的电脑能打开）", f"grid:{g}") for g in grids_),
        *(
            (
                f"{c['worker']}（{c['grid']}，{devices.fingerprint(c['device'])[:9]}）一台电脑",
                f"device:{c['device']}",
            )
            for c in laptops
        ),
    ]


def enrols(ws: Workspace) -> bool:
    """Whether the next plain export is written even with nothing in it: a laptop's first, so
    that the office can trust the laptop before it sends any record."""
    ident = ws.require_identity()
    return ident.role != "office" and ws.store.get_meta(LAST) is None


def _recipients(ws: Workspace, out: Outgoing) -> list[bytes]:
    """Who can open the file: the office (for a laptop), or the laptops it is for, and always
    the writer itself."""
    ident = ws.require_identity()
    if ident.role != "office":
        keys_ = [keys.unb64(ident.office_box, 32)] if ident.office_box else []
    else:
        keys_ = [devices.box_public(c) for c in out.readers]
    return [*keys_, ws.keys.box_public] if keys_ else []


def _audience(ws: Workspace, out: Outgoing) -> str:
    ident = ws.require_identity()
    if ident.role != "office":
        return "街道" if ident.encrypts else ""
    names = "、".join(f"{c['worker']}（{c['grid']}）" for c in out.readers)
    return names


def preview(
    ws: Workspace,
    *,
    everything: bool = False,
    since: int | None = None,
    grid: str | None = None,
    for_device: str | None = None,
) -> Preview:
    out = _choose(ws, everything=everything, since=since, grid=grid, for_device=for_device)
    return _preview(ws, out)


def _preview(ws: Workspace, out: Outgoing) -> Preview:
    current: dict[str, str] = {}
    for rec in out.versions:
        current[rec["id"]] = rec["form"]
    counts = Counter(current.values())
    by_form = {f.id: counts.pop(f.id) for f in ws.forms if f.id in counts}
    by_form.update(counts)  # forms this version does not know, kept and sent on
    encrypted = bool(_recipients(ws, out))
    return Preview(
        len(current), len(out.versions), by_form, encrypted, out.kind, _audience(ws, out)
    )


def export(
    ws: Workspace,
    folder: Path,
    *,
    everything: bool = False,
    since: int | None = None,
    grid: str | None = None,
    for_device: str | None = None,
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
    out = _choose(ws, everything=everything, since=since, grid=grid, for_device=for_device)
    office = ident.role == "office"
    forms_files, skipped = formsync.office_files(ws.root, ws.forms) if office else ({}, [])
    with store.transaction() as tx:
        seal_own(store, tx, ws.keys, at)
        forms_section = formsync.stamped(tx, forms_files) if office else None
        if office:
            for year in _years(now.date()):
                casenumbers.hand_out(ws, tx, [c["device"] for c in out.readers], year)
    out = _choose(ws, everything=everything, since=since, grid=grid, for_device=for_device)
    info = _preview(ws, out)
    if not out.versions and out.kind == "changes" and not enrols(ws):
        return ExportResult(None, None, info)
    recipients = _recipients(ws, out)
    if not recipients and ws.encrypted and inside(ws.root, Path(folder)):
        raise PlainInDataDir(
            "本机未配置街道公钥，导出文件不加密，不能放在加密的数据目录里：请另选保存位置"
            "（如 U 盘），或先配置街道公钥"
        )
    if ident.role == "office" and not recipients:
        raise FieldkitError(
            "本机还没有信任任何网格员电脑，导出的文件没有人能打开。请先导入各电脑的文件，"
            "核对指纹后信任（fieldkit devices trust 指纹）"
        )
    versions = out.versions
    mine = [r["seq"] for r in versions if r["device"] == ident.device and "seq" in r]
    own = None
    if (mine and out.kind in ("changes", "from")) or (out.kind == "all" and len(mine) == made):
        own = [min(mine), max(mine)] if mine else None
    seals, unsealed = seals_covering(store, versions)
    if unsealed:  # made under keys lost since: they cannot be vouched for (made again, if heads)
        left_out = {id(r) for r in unsealed}
        versions = [r for r in versions if id(r) not in left_out]
    data, manifest = bundles.build(
        versions,
        keys=ws.keys,
        card=devices.stored_card(store, ident.device),
        kind=out.kind,
        own=own,
        made=made,
        forms={f.id: f.version for f in ws.forms},
        seals=seals,
        cards=_cards(ws, seals),
        decisions=_decisions(ws),
        recipients=recipients,
        created_at=at,
        audience=out.grid,
        blocks=_blocks(ws, out) if office else None,
        forms_files=forms_section,
    )
    name_grid = out.grid or ident.grid
    name = bundles.bundle_name(ident.worker, name_grid, now)
    path = write_bytes(Target(Path(folder) / name), data)
    with store.transaction() as tx:
        if out.kind in ("changes", "all"):
            tx.set_meta(EXPORTED, made)
            tx.remove(META_TABLE, EVERYTHING_NEXT)
        tx.set_meta(LAST, {"file": str(path), "at": at, "records": info.records})
    return ExportResult(path, manifest, info, skipped)


def _blocks(ws: Workspace, out: Outgoing) -> list[dict[str, Any]]:
    """The case number blocks of the laptops the file is for."""
    readers = {c["device"] for c in out.readers}
    return [b for b in casenumbers.blocks_made_here(ws) if b["device"] in readers]


def _years(today: date) -> list[str]:
    """The years laptops need case numbers for: this one, and the next one in December."""
    return [str(today.year), *([str(today.year + 1)] if today.month == 12 else [])]


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
