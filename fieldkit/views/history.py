"""A record's history as people read it: every version held, oldest first, with who made it,
on which device, when, and what it changed from the version it was made from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fieldkit.errors import FieldkitError
from fieldkit.store.records import Record
from fieldkit.store.versions import all_versions, heads_of, moment
from fieldkit.sync import devices

if TYPE_CHECKING:
    from fieldkit.workspace import Workspace


@dataclass(frozen=True)
class Step:
    version: Record
    kind: str  # "created", "edited", "deleted", "restored", "resolved" or "partial"
    changes: list[tuple[str, str, str]]  # (label, before, after) against `base`
    base: Record | None  # the parent it is compared with (None: first version, or not held)
    device: str  # who the device is, as people read it
    head: bool  # a head of the record (the current version or one it conflicts with)
    current: bool


def device_label(ws: Workspace, device: str) -> str:
    """李娜（第一网格，1A2B 3C4D …）; a device from before device keys by its old id."""
    card = devices.stored_card(ws.store, device)
    if card is None:
        return f"设备 {device}"
    return f"{card['worker']}（{card['grid']}，{devices.fingerprint(device)}）"


def record_history(ws: Workspace, record_id: str) -> list[Step]:
    """Every version of a record held here, parents before children, oldest first."""
    versions = all_versions(ws.store, record_id)
    if not versions:
        raise FieldkitError(f"找不到记录 {record_id}")
    heads = heads_of(ws.store, record_id)
    head_ids = {h["version"] for h in heads}
    by_id = {v["version"]: v for v in versions}
    # A version has more ancestors than any of its parents: a topological order.
    versions.sort(key=lambda v: (len(v["ancestors"]), moment(v["updated_at"]), v["version"]))
    form = ws.form(versions[0]["form"])
    labels: dict[str, str] = {}
    out = []
    for v in versions:
        kind, base = _kind(v, _base(v, by_id))
        changes = [] if base is None else ws.describe_changes(form, base["data"], v["data"])
        if v["device"] not in labels:
            labels[v["device"]] = device_label(ws, v["device"])
        out.append(
            Step(
                v, kind, changes, base, labels[v["device"]],
                v["version"] in head_ids, v["version"] == heads[0]["version"],
            )
        )  # fmt: skip
    return out


def _base(v: Record, by_id: dict[str, Record]) -> tuple[Record | None, bool]:
    """The version `v` is compared with: its latest parent held here or, when none is, its
    latest ancestor held here; and whether that is a parent."""
    parents = [by_id[p] for p in v["parents"] if p in by_id]
    if parents:
        return max(parents, key=lambda p: moment(p["updated_at"])), True
    older = [by_id[a] for a in v["ancestors"] if a in by_id]
    return max(older, key=lambda p: moment(p["updated_at"]), default=None), False


def _kind(v: Record, found: tuple[Record | None, bool]) -> tuple[str, Record | None]:
    base, is_parent = found
    if not v["parents"]:
        return "created", None
    if not is_parent:
        return "partial", base  # made from versions that never reached this data dir
    if len(v["parents"]) > 1:
        return "resolved", base
    if v["deleted"] and not base["deleted"]:
        return "deleted", base
    if base["deleted"] and not v["deleted"]:
        return "restored", base
    return "edited", base


def as_json(step: Step) -> dict[str, Any]:
    """One version for `fieldkit history --json`."""
    v = step.version
    return {
        "version": v["version"],
        "parents": v["parents"],
        "device": v["device"],
        "seq": v.get("seq"),
        "author": v["updated_by"],
        "at": v["updated_at"],
        "deleted": v["deleted"],
        "kind": step.kind,
        "current": step.current,
        "head": step.head,
        "data": v["data"],
        "changes": [{"field": f, "before": b, "after": a} for f, b, a in step.changes],
    }
