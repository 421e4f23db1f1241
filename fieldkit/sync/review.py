"""What the office reviews after a merge: conflicts, likely duplicate persons, rejected records.

Every action here makes ordinary new versions, saved in one transaction, so it travels in the
next bundle and has the same effect wherever it is imported:

- resolving a conflict makes a version made from every head, so it supersedes all of them and
  closes the conflict on every machine that imports it;
- joining two persons makes a new version of each follow-up pointing at the kept person and a
  tombstone of the dropped one that says where it went (``merged_into``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fieldkit.errors import FieldkitError
from fieldkit.forms.validation import ValidationFailed
from fieldkit.store.versions import CONFLICTS, all_versions, heads_of, in_conflict
from fieldkit.sync.merge import REJECTED

if TYPE_CHECKING:
    from fieldkit.workspace import Workspace

Record = dict[str, Any]
DELETED = "__deleted__"  # pseudo field: whether the version is a deletion


# -- conflicts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    record_id: str
    form: str
    heads: list[Record]  # the current version (the deterministic winner) first

    @property
    def fields(self) -> list[str]:
        """Fields whose values differ between the versions (DELETED if one is a deletion)."""
        keys: dict[str, None] = {}
        for h in self.heads:
            keys.update(dict.fromkeys(h["data"]))
        out = [k for k in keys if len({repr(h["data"].get(k)) for h in self.heads}) > 1]
        if len({h["deleted"] for h in self.heads}) > 1:
            out.append(DELETED)
        return out


def conflicts(ws: Workspace) -> list[Conflict]:
    """Open conflicts, oldest change first."""
    out = []
    for rid in ws.store.table_docs(CONFLICTS):
        heads = heads_of(ws.store, rid)
        if len(heads) > 1 and in_conflict(heads):
            out.append(Conflict(rid, heads[0]["form"], heads))
    out.sort(key=lambda c: min(h["updated_at"] for h in c.heads))
    return out


def resolve(
    ws: Workspace,
    record_id: str,
    *,
    whole: int | None = None,
    picks: dict[str, int] | None = None,
) -> Record:
    """Close a conflict with a new version made from all its versions.

    `whole`: take version number `whole` (0 is the current one) as it is. `picks`: start from
    the current version and take each named field from the version numbered in the pick (the
    pseudo field DELETED picks deletion or not). The result is checked like an edit.
    """
    heads = heads_of(ws.store, record_id)
    if len(heads) < 2:
        raise FieldkitError(f"记录 {record_id} 没有待处理的冲突")
    try:
        base = heads[whole if whole is not None else 0]
        data, deleted = dict(base["data"]), base["deleted"]
        for name, index in (picks or {}).items():
            source = heads[index]
            if name == DELETED:
                deleted = source["deleted"]
            elif name in source["data"]:
                data[name] = source["data"][name]
            else:
                data.pop(name, None)
    except IndexError:
        raise FieldkitError("所选版本不存在") from None
    form = ws.form(base["form"])
    if not deleted:
        outcome = ws.check(form.id, data, record_id=record_id)
        if not outcome.ok:
            raise ValidationFailed(form, outcome)
        data = outcome.data
    with ws.changes() as c:
        return c.resolve(heads, data, deleted)


def merge_disjoint(ws: Workspace) -> list[Record]:
    """Close the conflicts whose versions changed different fields of the version they all come
    from (one laptop closed a case while the office numbered it): the fields are combined,
    checked like an edit, and saved as a resolution. The resolutions made."""
    out = []
    for conflict in conflicts(ws):
        data = _combined(ws, conflict)
        if data is None:
            continue
        form = ws.form(conflict.form)
        outcome = ws.check(form.id, data, record_id=conflict.record_id)
        if not outcome.ok:
            continue  # combined, the fields break a rule: people decide
        with ws.changes() as c:
            out.append(c.resolve(conflict.heads, outcome.data, False))
    return out


def _combined(ws: Workspace, conflict: Conflict) -> dict[str, Any] | None:
    """The heads' changes applied together to their latest common version, or None when two
    heads changed the same field, one is a deletion, or no common version is held here."""
    heads = conflict.heads
    if any(h["deleted"] for h in heads):
        return None
    common = set(heads[0]["ancestors"]).intersection(*(h["ancestors"] for h in heads[1:]))
    held = [v for v in all_versions(ws.store, conflict.record_id) if v["version"] in common]
    if not held:
        return None
    base = max(held, key=lambda v: len(v["ancestors"]))
    if any(v is not base and v["version"] not in base["ancestors"] for v in held):
        return None  # no single latest common version (criss-crossed edits): people decide
    data, changed = dict(base["data"]), set()
    for h in heads:
        fields = {
            k
            for k in h["data"].keys() | base["data"].keys()
            if h["data"].get(k) != base["data"].get(k)
        }
        if fields & changed:
            return None
        changed |= fields
        for k in fields:
            if k in h["data"]:
                data[k] = h["data"][k]
            else:
                data.pop(k, None)
    return data


# -- likely duplicates -------------------------------------------------------------------


@dataclass(frozen=True)
class Duplicate:
    form: str
    field: str  # the form's unique field, e.g. id_number
    value: Any
    records: list[Record]  # oldest first
    references: dict[str, int]  # record id -> how many live records point at it


def duplicates(ws: Workspace) -> list[Duplicate]:
    """Live records of a form with a unique field (persons: ID number) sharing that value."""
    out = []
    for form in ws.forms:
        if not form.unique:
            continue
        groups: dict[Any, list[Record]] = defaultdict(list)
        for rec in ws.store.current(form.id):
            value = rec["data"].get(form.unique)
            if value not in (None, ""):
                groups[repr(value)].append(rec)
        dupes = [g for g in groups.values() if len(g) > 1]
        if not dupes:
            continue
        counts = _reference_counts(ws, form.id)
        for group in dupes:
            group.sort(key=lambda r: (r["created_at"], r["id"]))
            out.append(
                Duplicate(
                    form.id,
                    form.unique,
                    group[0]["data"][form.unique],
                    group,
                    {r["id"]: counts.get(r["id"], 0) for r in group},
                )
            )
    return out


def _reference_fields(ws: Workspace, target_form: str) -> list[tuple[str, list[str]]]:
    """(form, its reference fields) for every form that can point at `target_form`."""
    return [
        (form.id, fields)
        for form in ws.forms
        if (
            fields := [
                f.id for f in form.fields if f.type == "reference" and f.ref_form == target_form
            ]
        )
    ]


def _reference_counts(ws: Workspace, target_form: str) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for form_id, fields in _reference_fields(ws, target_form):
        for rec in ws.store.current(form_id):
            for f in fields:
                if rec["data"].get(f):
                    counts[rec["data"][f]] += 1
    return counts


@dataclass(frozen=True)
class JoinResult:
    kept: Record
    dropped: Record  # the tombstone
    repointed: int  # follow-ups (and other referring records) moved to the kept record


def join(
    ws: Workspace, keep_id: str, drop_id: str, *, data: dict[str, Any] | None = None
) -> JoinResult:
    """Keep one of two duplicate records: every record pointing at the other now points at the
    kept one, and the other becomes a tombstone noting `merged_into`. The kept record takes
    `data` (what the user chose field by field, checked like an edit) or, without it, keeps
    its values with the empty ones filled from the other. One transaction; every change is a
    version that syncs."""
    if keep_id == drop_id:
        raise FieldkitError("要合并的是同一条记录")
    keep, drop = ws.get_live(keep_id), ws.get_live(drop_id)
    if keep["form"] != drop["form"]:
        raise FieldkitError("只能合并同一表单的两条记录")
    if data is None:
        filled = {k: v for k, v in drop["data"].items() if v not in (None, "", [])}
        filled.update({k: v for k, v in keep["data"].items() if v not in (None, "", [])})
    else:
        outcome = ws.check(keep["form"], data, record_id=keep_id)
        if not outcome.ok:
            raise ValidationFailed(ws.form(keep["form"]), outcome)
        filled = outcome.data
    moves = _repointing(ws, keep["form"], {drop_id: keep_id})
    with ws.changes() as c:
        kept = c.edit(keep_id, filled) or keep
        for rid, data in moves:
            c.edit(rid, data)
        tomb = c.edit(drop_id, drop["data"], deleted=True, extra={"merged_into": keep_id})
    assert tomb is not None  # drop is live, so its tombstone is a new version
    return JoinResult(kept, tomb, len(moves))


def _repointing(
    ws: Workspace, target_form: str, moves: dict[str, str]
) -> list[tuple[str, dict[str, Any]]]:
    """(record id, new data) for the live records pointing at a key of `moves`, pointing at
    its value instead."""
    out = []
    for form_id, fields in _reference_fields(ws, target_form):
        for rec in ws.store.current(form_id):
            data = rec["data"]
            if not any(data.get(f) in moves for f in fields):
                continue
            new_data = {k: (moves[v] if k in fields and v in moves else v) for k, v in data.items()}
            if new_data != data:
                out.append((rec["id"], new_data))
    return out


def _merge_targets(ws: Workspace, form_id: str) -> dict[str, str]:
    """Joined-away records of a form -> the record they were merged into (chains followed)."""
    moved = {
        r["id"]: r["merged_into"]
        for r in ws.store.current(form_id, include_deleted=True)
        if r.get("deleted") and r.get("merged_into")
    }
    out = {}
    for start, target in moved.items():
        seen = {start}
        while target in moved and target not in seen:
            seen.add(target)
            target = moved[target]
        out[start] = target
    return out


def stale_references(ws: Workspace) -> list[Record]:
    """Live records still pointing at a person that was joined into another.

    They arrive from laptops that made them before they received the join.
    """
    out = []
    for form in ws.forms:
        if not form.unique:
            continue
        targets = _merge_targets(ws, form.id)
        for form_id, fields in _reference_fields(ws, form.id) if targets else []:
            out.extend(
                r
                for r in ws.store.current(form_id)
                if any(r["data"].get(f) in targets for f in fields)
            )
    return out


def follow_joins(ws: Workspace) -> int:
    """Re-point every stale reference at the record it was joined into; how many changed."""
    changed = []
    for form in ws.forms:
        if form.unique and (targets := _merge_targets(ws, form.id)):
            changed.extend(_repointing(ws, form.id, targets))
    if changed:
        with ws.changes() as c:
            for rid, data in changed:
                c.edit(rid, data)
    return len(changed)


# -- rejected ----------------------------------------------------------------------------


def rejected(ws: Workspace) -> list[dict[str, Any]]:
    """Versions held back at import with their reasons, newest first."""
    docs = list(ws.store.table_docs(REJECTED).values())
    docs.sort(key=lambda d: d.get("received_at", ""), reverse=True)
    return docs
