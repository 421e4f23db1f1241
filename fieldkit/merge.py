"""Merging bundles into a store: per record, order-independent, all or nothing per file.

Each incoming version joins the record's set of known versions (fieldkit.versions); the heads of
that set decide the current version and the open conflicts. A version already known changes
nothing, so importing a file twice, or files in any order, gives the same store. Per record the
counts say: new (unknown id), updated (one head now, a different one), conflicts (several heads
now, changed), unchanged.

A file is checked whole before anything is written (fieldkit.bundle), and its changes are written
in one transaction. Incoming versions that are well-formed but fail their form's checks are not
applied: they are kept in the ``rejected`` table with their reasons.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldkit import bundle as bundles
from fieldkit import keys
from fieldkit.errors import FieldkitError
from fieldkit.import_check import (
    CheckAhead,
    ImportCheck,
    Verdicts,
    tampered,
    worth_checking_ahead,
)
from fieldkit.records import now_iso
from fieldkit.store import StoreError, history_key
from fieldkit.versions import (
    CONFLICTS,
    Record,
    Versions,
    add,
    heads_among,
    stored,
    write_heads,
)

if TYPE_CHECKING:
    from fieldkit.workspace import Workspace

Checked = Callable[[], Verdicts | None]  # a bundle's verdicts, if checked elsewhere
REJECTED = "rejected"  # "<id>:<version>" -> {"record", "reasons", "file", "source", "received_at"}
_IN_STORE: Record = {}  # marks a current version that was just written: read it from the store


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
    # record id -> (its versions after the bundle, its heads, the versions new or changed)
    changes: dict[str, tuple[Versions, list[Record], set[str]]] = field(default_factory=dict)
    rejected: dict[str, dict[str, Any]] = field(default_factory=dict)  # new rejected docs


class Merger:
    """Merges bundles into one workspace, file after file.

    A dry run over several files keeps each plan's result in memory, so every file is counted
    as if the ones before it had been imported.
    """

    def __init__(self, ws: Workspace, *, dry_run: bool = False):
        self.ws = ws
        self.store = ws.store
        self.dry_run = dry_run
        self.check = ImportCheck(ws.forms, ws.today())
        self._current: dict[str, Record] | None = None  # id -> current version, built once
        self._conflicted = set(self.store.table_docs(CONFLICTS))
        self._rejected: set[str] = set(self.store.table_docs(REJECTED))
        self._pending: dict[str, Versions] = {}  # dry run: versions as the plans left them

    def _currents(self) -> dict[str, Record]:
        if self._current is None:
            store = self.store
            self._current = {
                r["id"]: r for form in store.forms() for r in store.current(form, True)
            }
        return self._current

    def current(self, record_id: str) -> Record | None:
        cur = self._currents().get(record_id)
        if cur is _IN_STORE:
            cur = self._current[record_id] = self.store.get(record_id)  # type: ignore[index]
        return cur

    def versions(self, record_id: str, cur: Record | None) -> Versions:
        """The record's known versions (a fresh dict; the records themselves are shared);
        `cur` is its current version."""
        if record_id in self._pending:
            return dict(self._pending[record_id])
        return {} if cur is None else stored(self.store, cur)

    def plan(self, bundle: bundles.Bundle, checked: Checked | None = None) -> Plan:
        """Work out what `bundle` changes (counts, new heads, rejected versions).

        `checked` gives the problems of its records if they were checked already (by a
        CheckAhead), else None; it is called only if some record needs checking.
        """
        plan = Plan(bundle)
        touched, same = self._gather(plan, checked)
        dirty_ids = set()
        for rid, (cur, versions, dirty) in touched.items():
            if not dirty:
                if versions:
                    same.add(rid)
                    self._settle(plan, rid, versions)
                continue
            dirty_ids.add(rid)
            before = self._heads_before(rid, cur)
            after = heads_among(versions)
            plan.changes[rid] = (versions, after, dirty)
            _count(plan.counts, before, after)
        plan.counts.unchanged += len(same - dirty_ids)
        self._follow(plan)
        return plan

    def _gather(
        self, plan: Plan, checked: Checked | None
    ) -> tuple[dict[str, tuple[Record | None, Versions, set[str]]], set[str]]:
        """Per record of the bundle: (its current version, its versions with the bundle's
        added, the versions new or changed); and the ids whose incoming version is exactly
        the current one."""
        touched: dict[str, tuple[Record | None, Versions, set[str]]] = {}
        same: set[str] = set()
        verdicts: Verdicts | None = None
        for n, rec in enumerate(plan.bundle.records):
            rid = rec["id"]
            entry = touched.get(rid)
            if entry is None:
                cur = self.current(rid)
                if cur is not None and cur == rec and rid not in self._conflicted:
                    same.add(rid)  # the common case of a re-import, kept cheap
                    continue
                entry = touched[rid] = (cur, self.versions(rid, cur), set())
            _, versions, dirty = entry
            if rec["version"] not in versions:
                if checked is not None:  # the first record to check: are they checked?
                    verdicts, checked = checked(), None
                if verdicts is None:
                    reasons = self.check.problems(rec)
                else:
                    reasons = tampered(rec) or verdicts.get(n)
                if reasons:
                    self._reject(plan, rec, reasons)
                    continue
            if add(versions, rec):
                dirty.add(rec["version"])
        return touched, same

    def _settle(self, plan: Plan, rid: str, versions: Versions) -> None:
        """Nothing new for a record in conflict, but a local edit may have left its stored
        heads other than its versions say (it restored content a head knows, or has a clock
        behind): store them as every other machine does."""
        if rid not in self._conflicted or rid in self._pending:
            return
        heads = heads_among(versions)
        doc = self.store.table(CONFLICTS).get(doc_id=rid)
        stored_others = {h["version"] for h in doc["heads"]} if doc else set()
        current = self.current(rid)
        if (
            current is None
            or heads[0]["version"] != current["version"]
            or {h["version"] for h in heads[1:]} != stored_others
        ):
            plan.changes[rid] = (versions, heads, set())

    def _heads_before(self, rid: str, cur: Record | None) -> list[Record]:
        if cur is None:
            return []
        if rid not in self._conflicted:
            return [cur]
        return heads_among(self.versions(rid, cur))

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
        """Let the next plan see this one's result."""
        currents = self._currents()
        for rid, (versions, heads, _) in plan.changes.items():
            currents[rid] = heads[0]
            if len(heads) > 1:
                self._conflicted.add(rid)
            else:
                self._conflicted.discard(rid)
            if self.dry_run:
                self._pending[rid] = versions
        self._rejected.update(plan.rejected)

    def apply(self, plan: Plan) -> None:
        """Write a plan in one durable transaction (all of it or, on any error, nothing)."""
        store = self.store
        had_conflict = set(store.table_docs(CONFLICTS))
        # The records were parsed from the bundle and are not used after this: the store
        # keeps them as they are.
        with store.transaction(adopt=True) as tx:
            for rid, (versions, heads, dirty) in plan.changes.items():
                write_heads(tx, versions, heads, dirty, rid in had_conflict)
            for key, doc in plan.rejected.items():
                tx.put(REJECTED, key, doc)
        # The store holds the records now: let the bundle's copies go (read back if needed).
        currents = self._currents()
        for rid in plan.changes:
            currents[rid] = _IN_STORE


def _count(counts: Counts, before: list[Record], after: list[Record]) -> None:
    """Count one changed record by its heads before and after the bundle."""
    if not before and len(after) == 1:
        counts.new += 1  # the common case, first
    elif {h["version"] for h in after} == {h["version"] for h in before}:
        counts.unchanged += 1  # the same content, with more history
    elif len(after) > 1:
        counts.conflicts += 1
    elif not before:
        counts.new += 1
    else:
        counts.updated += 1


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
    with _gc_paused():
        results = _import(ws, files, private, dry_run, progress)
    return ImportReport(results, dry_run)


@contextmanager
def _gc_paused() -> Iterator[None]:
    # An import parses and stores millions of small objects, none in a cycle; with a large
    # store open the cyclic collector would rescan all of it over and over (most of the time).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import(ws, files, private, dry_run, progress) -> list[FileResult]:
    merger = Merger(ws, dry_run=dry_run)
    results = []
    ahead = CheckAhead(files, merger.check, ws.root) if worth_checking_ahead(files) else None
    with ahead or nullcontext():
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
            plan = merger.plan(b, partial(ahead.verdicts, n, b) if ahead else None)
            if not dry_run:
                _apply(merger, plan, n)
            result.counts = plan.counts
    if progress:
        progress(len(files), len(files), files[-1] if files else Path())
    return results


def _apply(merger: Merger, plan: Plan, n: int) -> None:
    try:
        merger.apply(plan)
    except (OSError, StoreError) as exc:
        done = f"此前的 {n} 个文件已导入；" if n else ""
        raise FieldkitError(
            f"无法导入 {plan.bundle.path}：写入数据目录失败（{exc}）。{done}本文件的数据未改变"
        ) from None
