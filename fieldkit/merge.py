"""Merging bundles into a store: per record, order-independent, all or nothing per file.

For every record id the store knows a set of *heads*: versions that no other known version
supersedes. The head that sorts last by (updated_at, device, version) is the current version
(in the store's records tables); the others are the record's open conflicts, kept whole in the
``conflicts`` table. An incoming version that is a head, or that a head supersedes, changes
nothing; otherwise it joins the heads and pushes out the heads it supersedes. The result only
depends on which versions have been seen, not on their order, so the same bundles imported in any
order, any number of times, give the same store; and no version that reached the store is dropped
unless a version that knew it replaced it.

Records that are well-formed but fail their form's checks are not applied: they are kept in the
``rejected`` table with their reasons.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from fieldkit import bundle as bundles
from fieldkit import keys
from fieldkit.errors import FieldkitError
from fieldkit.records import content_version, now_iso
from fieldkit.store import HISTORY_TABLE, StoreError, history_key
from fieldkit.validation import Context, validate

if TYPE_CHECKING:
    from fieldkit.workspace import Workspace

CONFLICTS = "conflicts"  # record id -> {"id", "form", "heads": [the other heads, whole]}
REJECTED = "rejected"  # "<id>:<version>" -> {"record", "reasons", "file", "source", "received_at"}

Record = dict[str, Any]


# -- ordering and supersession -----------------------------------------------------------


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    # A time without an offset is taken as UTC, so every machine orders it the same way.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def order_key(rec: Record) -> tuple[datetime, str, str, bytes]:
    """The deterministic order of versions: later updated_at, then device, then version.

    The whole record breaks the last ties (same content saved twice with other metadata).
    """
    return (
        _moment(rec["updated_at"]),
        rec["device"],
        rec["version"],
        orjson.dumps(rec, option=orjson.OPT_SORT_KEYS),
    )


def supersedes(a: Record, b: Record) -> bool:
    """Whether version `a` replaces version `b` (a was made from b, directly or later).

    A version made from b lists b and everything b lists (next_version keeps the history).
    Versions are content hashes, though, so an edit back to earlier content brings an old
    version number back. Two checks keep that from losing edits:

    - `a` must know all of b's history, not just b's version number: a record that names
      b's number but not what b was made from knows an older record with the same content,
      so the two stay side by side as a conflict;
    - when each lists the other (A → B → A), the record alone cannot tell which came last:
      the later updated_at wins, and within the same second neither replaces the other.
    """
    a_knows = a["ancestors"]
    if b["version"] not in a_knows:
        return False
    if len(b["ancestors"]) > 1 or (b["ancestors"] and b["ancestors"][0] not in a_knows):
        known = {*a_knows, a["version"]}
        if not known.issuperset(b["ancestors"]):
            return False
    if a["version"] not in b["ancestors"]:
        return True
    return _moment(a["updated_at"]) > _moment(b["updated_at"])


def current_of(heads: Sequence[Record]) -> Record:
    """The head shown as the record (the conflict's deterministic winner)."""
    return heads[0] if len(heads) == 1 else max(heads, key=order_key)


def add_version(heads: list[Record], incoming: Record) -> list[Record]:
    """The heads after seeing `incoming` (the same list object when nothing changes)."""
    same = next((h for h in heads if h["version"] == incoming["version"]), None)
    if same is not None:
        if same == incoming:
            return heads
        # Equal content reached along two histories: one record that knows both.
        both = same_content(same, incoming)
        if both == same:
            return heads
        candidates = [both if h is same else h for h in heads]
        return [h for h in candidates if not any(supersedes(o, h) for o in candidates)]
    if any(supersedes(h, incoming) for h in heads):
        return heads
    return [h for h in heads if not supersedes(incoming, h)] + [incoming]


def same_content(a: Record, b: Record) -> Record:
    """Two records of the same version as one: the later one, knowing both histories.

    A function of the pair alone (not of their order), so merging stays order-independent.
    """
    first, second = (a, b) if order_key(a) >= order_key(b) else (b, a)
    extra = set(second["ancestors"]).difference(first["ancestors"])
    if not extra:
        return first
    return {**first, "ancestors": [*first["ancestors"], *sorted(extra)]}


def ancestors_of_all(heads: Iterable[Record], exclude: str) -> list[str]:
    """The union of the heads' histories and versions, oldest first, without `exclude`."""
    seen: dict[str, None] = {}
    for h in sorted(heads, key=order_key):
        for v in [*h["ancestors"], h["version"]]:
            if v != exclude:
                seen[v] = None
    return list(seen)


def settle(heads: Sequence[Record]) -> list[Record]:
    """Stored heads as a merge would leave them, the current one first.

    A local edit of a record in conflict saves a new current version without looking at the
    other heads, so it may restore the content of one of them, or be older than one of them
    by the clock; merging and exporting always start from the settled set.
    """
    if len(heads) < 2:
        return list(heads)
    settled: list[Record] = []
    for h in heads:
        settled = add_version(settled, h)
    cur = current_of(settled)
    return [cur, *(h for h in settled if h is not cur)]


def heads_of(ws: Workspace, record_id: str) -> list[Record]:
    """The record's heads, settled: the current version first, then the versions it is in
    conflict with (empty if the record is unknown)."""
    cur = ws.store.get(record_id)
    if cur is None:
        return []
    doc = ws.store.table_docs(CONFLICTS).get(record_id)
    return settle([cur, *(doc["heads"] if doc else [])])


# -- checking incoming versions ----------------------------------------------------------


def _fast_version(rec: Record) -> str | None:
    try:
        text = orjson.dumps([rec["form"], rec["data"], rec["deleted"]], option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return None
    return hashlib.sha256(text).hexdigest()[:32]


class ImportCheck:
    """Checks a version arriving from another device, the same way on every machine.

    The result depends only on the record and the form definitions, never on what the store
    holds, so a version is accepted or rejected whatever the import order. Hence: no uniqueness
    check (same ID number twice is listed as a likely duplicate instead), and references may
    point at records not seen yet (they may come in another file).
    """

    def __init__(self, ws: Workspace):
        self.forms = ws.forms
        self.today = ws.today()

    def problems(self, rec: Record) -> list[str]:
        if (
            _fast_version(rec) != rec["version"]
            and content_version(rec["form"], rec["data"], rec["deleted"]) != rec["version"]
        ):
            return ["内容与版本号不符（记录可能被改动）"]
        form = self.forms.get(rec["form"])
        if form is None:
            return [f"没有表单“{rec['form']}”（可能来自更新版本的 fieldkit，请升级）"]
        if rec["deleted"]:
            return []  # a tombstone says nothing new about the content
        # The sender's clock decides what "today" was when it saved (not_future checks).
        today = max(self.today, _moment(rec["updated_at"]).date())
        outcome = validate(form, rec["data"], _context(today), keep_unknown=True)
        reasons = [str(p) for p in outcome.errors]
        if reasons and rec["form_version"] > form.version:
            reasons.append(
                f"该记录来自更新的表单版本 {rec['form_version']}（本机为 {form.version}），"
                "请升级 fieldkit 后重新导入"
            )
        return reasons


@cache
def _context(today: date) -> Context:
    return Context(today, _any_reference)


def _any_reference(form_id: str, value: Any) -> Record:
    # A stand-in for the referenced record: it may arrive later, in another bundle.
    return {"id": str(value), "form": form_id, "data": {}, "deleted": False}


# -- planning and applying ---------------------------------------------------------------


@dataclass
class Counts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    rejected: int = 0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass
class Plan:
    """What merging one bundle changes; nothing is written until it is applied."""

    bundle: bundles.Bundle
    counts: Counts = field(default_factory=Counts)
    heads: dict[str, list[Record]] = field(default_factory=dict)  # changed ids -> new heads
    rejected: dict[str, dict[str, Any]] = field(default_factory=dict)  # new rejected docs


class Merger:
    """Merges bundles into one workspace, file after file, keeping its view of the heads.

    The view starts from the store and follows every plan (applied or only previewed), so a
    dry run over several files counts each file as if the ones before it had been imported.
    """

    def __init__(self, ws: Workspace):
        self.ws = ws
        self.check = ImportCheck(ws)
        store = ws.store
        self._current: dict[str, Record] | None = None  # built on first use
        self._others: dict[str, list[Record]] = {
            rid: doc["heads"] for rid, doc in store.table_docs(CONFLICTS).items()
        }
        self._rejected: set[str] = set(store.table_docs(REJECTED))

    def _currents(self) -> dict[str, Record]:
        if self._current is None:
            store = self.ws.store
            self._current = {
                r["id"]: r for form in store.forms() for r in store.current(form, True)
            }
        return self._current

    def heads(self, record_id: str) -> list[Record]:
        """The heads as stored (not settled)."""
        cur = self._currents().get(record_id)
        if cur is None:
            return []
        return [cur, *self._others.get(record_id, ())]

    def plan(self, bundle: bundles.Bundle) -> Plan:
        """Work out what `bundle` changes (counts, new heads, rejected versions)."""
        plan = Plan(bundle)
        counts = plan.counts
        currents = self._currents()
        check = self.check
        pending: dict[str, list[Record]] = {}  # id -> heads after this bundle's versions
        same: set[str] = set()  # ids whose incoming version is exactly the current one
        for rec in bundle.records:
            rid = rec["id"]
            cur = currents.get(rid)
            if rid in pending:
                heads = pending[rid]
            elif cur is None:
                heads = []
            elif cur == rec and rid not in self._others:
                same.add(rid)  # the common case of a re-import, kept cheap
                continue
            else:
                heads = settle([cur, *self._others.get(rid, ())])
            after = add_version(heads, rec)
            if after is not heads:
                reasons = check.problems(rec)
                if reasons:
                    self._reject(plan, rec, reasons)
                    continue
            pending[rid] = after
        counts.unchanged += len(same - pending.keys())
        for rid, after in pending.items():
            before = self.heads(rid)
            if after == before:
                counts.unchanged += 1
                if len(after) > 1 and current_of(after) is not before[0]:
                    # A local edit of a record in conflict may have left an older head
                    # current (a clock behind); settle on the order every machine uses.
                    plan.heads[rid] = after
                continue
            plan.heads[rid] = after
            if {h["version"] for h in after} == {h["version"] for h in before}:
                counts.unchanged += 1  # the same content, with a later history (e.g. resolved)
            elif len(after) > 1:
                counts.conflicts += 1
            elif not before:
                counts.new += 1
            else:
                counts.updated += 1
        self._follow(plan)
        return plan

    def _reject(self, plan: Plan, rec: Record, reasons: list[str]) -> None:
        plan.counts.rejected += 1
        key = history_key(rec["id"], rec["version"])
        if key in self._rejected or key in plan.rejected:
            return
        m = plan.bundle.manifest
        plan.rejected[key] = {
            "record": rec,
            "reasons": reasons,
            "file": plan.bundle.path.name,
            "source": {"worker": m.worker, "grid": m.grid, "device": m.device},
            "received_at": now_iso(),
        }

    def _follow(self, plan: Plan) -> None:
        currents = self._currents()
        for rid, after in plan.heads.items():
            cur = current_of(after)
            currents[rid] = cur
            others = [h for h in after if h is not cur]
            if others:
                self._others[rid] = others
            else:
                self._others.pop(rid, None)
        self._rejected.update(plan.rejected)

    def apply(self, plan: Plan) -> None:
        """Write a plan in one durable transaction (all of it or, on any error, nothing)."""
        store = self.ws.store
        open_conflicts = store.table_docs(CONFLICTS)
        with store.transaction() as tx:
            for rid, after in plan.heads.items():
                cur = current_of(after)
                tx.save_record(cur)  # the replaced current version goes to history
                others = [h for h in after if h is not cur]
                if others:
                    tx.put(CONFLICTS, rid, {"id": rid, "form": cur["form"], "heads": others})
                if rid in open_conflicts:
                    if not others:
                        tx.remove(CONFLICTS, rid)
                    for h in open_conflicts[rid]["heads"]:
                        if h not in after:  # superseded: kept in the audit trail
                            tx.put(HISTORY_TABLE, history_key(rid, h["version"]), h)
            for key, doc in plan.rejected.items():
                tx.put(REJECTED, key, doc)


# -- importing files ---------------------------------------------------------------------


@dataclass
class FileResult:
    path: Path
    counts: Counts = field(default_factory=Counts)
    manifest: bundles.Manifest | None = None
    error: str | None = None  # why the file was refused (the store is untouched then)


@dataclass
class ImportReport:
    files: list[FileResult]
    dry_run: bool

    @property
    def totals(self) -> Counts:
        total = Counts()
        for f in self.files:
            total.add(f.counts)
        return total

    @property
    def refused(self) -> list[FileResult]:
        return [f for f in self.files if f.error]

    def as_json(self) -> dict[str, Any]:
        return {
            **self.totals.as_dict(),
            "dry_run": self.dry_run,
            "files": [
                {
                    "file": str(f.path),
                    "ok": f.error is None,
                    **({"error": f.error} if f.error else f.counts.as_dict()),
                }
                for f in self.files
            ],
        }


Progress = Callable[[int, int, Path], None]  # (files done, files in all, current file)


def bundle_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; a folder stands for the bundles in it (Windows shells don't expand *)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(p.glob(f"*{bundles.SUFFIX}")))
        else:
            out.append(p)
    return out


def import_files(
    ws: Workspace,
    paths: Iterable[Path],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import bundle files, each in one transaction; a bad file is refused and changes nothing.

    With dry_run nothing is written and the counts say what an import would do.
    """
    files = bundle_paths(paths)
    private = keys.private_keys(ws.root)
    merger = Merger(ws)
    results = []
    for n, path in enumerate(files):
        if progress:
            progress(n, len(files), path)
        result = FileResult(path)
        results.append(result)
        try:
            b = bundles.read(path, private)
        except bundles.BundleError as exc:
            result.error = exc.reason
            continue
        result.manifest = b.manifest
        plan = merger.plan(b)
        if not dry_run:
            try:
                merger.apply(plan)
            except (OSError, StoreError) as exc:
                done = f"此前的 {n} 个文件已导入；" if n else ""
                raise FieldkitError(
                    f"无法导入 {path}：写入数据目录失败（{exc}）。{done}本文件的数据未改变"
                ) from None
        result.counts = plan.counts
    if progress:
        progress(len(files), len(files), files[-1] if files else Path())
    return ImportReport(results, dry_run)
