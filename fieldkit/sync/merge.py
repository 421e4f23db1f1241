"""Importing bundles: each file checked, then merged, held or refused, whole.

A file is read and checked completely first (fieldkit.sync.bundle): a bad signature, a version whose
id does not match its content, a version no valid seal vouches for, a size over the limits:
the file is refused and the store is exactly as before. Then trust decides (fieldkit.sync.devices):

- the sender or a device whose versions it carries is revoked (beyond what was kept): refused;
- the sender, or a device whose versions it carries, is not trusted here: the file is *held*.
  A copy is kept in ``<data dir>/held/`` and listed with the sender's card, so the office sees
  the new device and its fingerprint; once it is trusted the held file merges by itself;
- otherwise it is merged.

Merging: every version not held here yet is checked against its form exactly as ``add`` checks
(codes, ISO dates, numbers as numbers; the clean values must be the values sent) and joins its
record's versions (fieldkit.store.versions); one that fails is kept in ``rejected`` with the reasons.
The file's changes, seals, cards and trust decisions are written in one transaction. Merging
is a union of sets: importing a file twice, or files in any order, gives the same store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldkit.errors import FieldkitError, os_reason
from fieldkit.store.database import StoreError, history_key
from fieldkit.store.records import Record, now_iso
from fieldkit.store.storage import gc_paused
from fieldkit.store.versions import heads_of, in_conflict, join, write_heads
from fieldkit.sync import bundle as bundles
from fieldkit.sync import casenumbers, devices, formsync, gaps, held, keys
from fieldkit.sync.held import HELD
from fieldkit.sync.import_check import (
    Ahead,
    CheckAhead,
    ImportCheck,
    Verdicts,
    worth_checking_ahead,
)
from fieldkit.sync.seals import SEALS, seal_key

if TYPE_CHECKING:
    from fieldkit.workspace import Identity, Workspace

HELD_GONE = (
    "暂存的副本已不在本机（数据目录 held/ 中的文件被删除了），请{worker}重新导出全部记录"
    "（fieldkit export --all）后再导入"
)
Checked = Callable[[], Verdicts | None]  # a bundle's form verdicts, if checked elsewhere
REJECTED = gaps.REJECTED  # "<id>:<version>" -> {"record", "reasons", "file", "source", ...}


@dataclass
class Counts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    rejected: int = 0
    held: int = 0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


class Refused(Exception):
    """A file that trust refuses (a revoked device); the message is the Chinese reason."""


@dataclass
class Plan:
    """What merging one bundle changes; nothing is written until it is applied."""

    bundle: bundles.Bundle
    counts: Counts = field(default_factory=Counts)
    # record id -> (heads before, heads after, versions added)
    changes: dict[str, tuple[list[Record], list[Record], list[Record]]] = field(
        default_factory=dict
    )
    rejected: dict[str, dict[str, Any]] = field(default_factory=dict)
    decisions: list[dict[str, Any]] = field(default_factory=list)  # news for this data dir
    blocks: list[dict[str, Any]] = field(default_factory=list)  # case numbers from the office
    forms: dict[str, Any] | None = None  # the office's form files, newer than those in use
    held: dict[str, Any] | None = None  # the held-file entry, when the file is held
    untrusted: list[str] = field(default_factory=list)  # devices that made it held
    arrived: Counter[str] = field(default_factory=Counter)  # new records by form
    newer_forms: dict[str, int] = field(default_factory=dict)  # form -> a newer version seen


class Merger:
    """Merges bundles into one workspace, file after file.

    A dry run over several files keeps each plan's result in memory, so every file is counted
    as if the ones before it had been imported.
    """

    def __init__(self, ws: Workspace, *, dry_run: bool = False):
        self.ws = ws
        self.store = ws.store
        self.ident: Identity = ws.require_identity()
        self.dry_run = dry_run
        self.check = ImportCheck(ws.forms, ws.today())
        self.book = devices.trust_book(self.store, self.ident)
        self.trust_changed = False
        self._heads: dict[str, list[Record]] = {}  # record id -> heads, as the plans left them
        self._pending: dict[str, Record] = {}  # dry run: history key -> version planned
        self._rejected: set[str] = set(self.store.table_docs(REJECTED))

    @property
    def box_keys(self) -> list[Any]:
        return [self.ws.keys.box, *keys.legacy_box_keys(self.ws.root)]

    # -- trust --------------------------------------------------------------------------

    def judge(self, bundle: bundles.Bundle) -> Plan:
        """Learn the file's trust decisions and decide: a plan to merge, or to hold (raises
        Refused for a file that must not be taken)."""
        plan = Plan(bundle)
        book = devices.TrustBook(self.book.me, self.book.office, self.book.decisions)
        for decision in bundle.decisions:
            if self._valid_decision(decision, bundle) and book.learn(decision):
                plan.decisions.append(decision)
        m = bundle.manifest
        sender = book.standing(m.device, m.sender["sign_key"])
        who = f"{m.worker}（{m.grid}，设备 {devices.fingerprint(m.device)}）"
        if sender.state == devices.REVOKED:
            raise Refused(f"{who} 已停用，它此后导出的文件不再接收")
        untrusted = set() if sender.trusted else {m.device}
        for signer, seqs in bundle.signers.items():
            card = bundle.cards[signer]
            standing = book.standing(signer, card["sign_key"])
            if standing.trusted:
                continue
            if standing.state == devices.REVOKED:
                if any(not standing.accepts(s) for s in seqs if s is not None) or (
                    None in seqs and not self._legacy_known(bundle, signer)
                ):
                    name = f"{card['worker']}（设备 {devices.fingerprint(signer)}）"
                    raise Refused(f"含有已停用设备 {name} 停用后的变更")
                continue
            untrusted.add(signer)
        self.book = book  # what a merged or held file teaches stays learned
        self.trust_changed |= bool(plan.decisions)
        if untrusted:
            plan.untrusted = sorted(untrusted)
            plan.held = self._held_entry(bundle, plan.untrusted)
            plan.counts.held = m.records
        elif m.device == self.ident.office and book.follows_office():
            self._from_office(plan)
        return plan

    def _from_office(self, plan: Plan) -> None:
        """Take what only this data dir's office may give: case number blocks for this laptop,
        and its form files if this file is newer than the ones in use (checked: they load)."""
        bundle, me = plan.bundle, self.ident.device
        card = bundle.cards.get(self.ident.office) or devices.stored_card(
            self.store, self.ident.office
        )
        public = devices.sign_public(card)
        plan.blocks = [
            b
            for b in bundle.blocks
            if type(b) is dict
            and b.get("device") == me
            and casenumbers.block_problem(b, public) is None
        ]
        forms, office = bundle.forms, self.ident.office
        in_use = self.store.get_meta(formsync.FROM)
        if forms is not None and formsync.is_newer(in_use, office, forms["serial"]):
            try:
                formsync.check(forms["files"])
            except formsync.FormError as exc:
                raise Refused(f"街道发来的表单有错误，请联系街道（{exc}）") from None
            plan.forms = forms

    def _valid_decision(self, decision: Any, bundle: bundles.Bundle) -> bool:
        """Whether a decision in a file counts here: only this data dir's office's do. (This
        data dir's own decisions are made here, never taken from a file.)"""
        office = self.ident.office
        if type(decision) is not dict or decision.get("by") != office:
            return False
        if not self.book.follows_office():
            return False  # this data dir revoked its office: its word counts no more
        card = bundle.cards.get(office) or devices.stored_card(self.store, office)
        if card is None:
            return False
        return devices.decision_problem(decision, devices.sign_public(card)) is None

    def _legacy_known(self, bundle: bundles.Bundle, signer: str) -> bool:
        """A revoked device's legacy seal counts only if this data dir had it before."""
        return all(
            self.store.doc(SEALS, seal_key(s)) is not None
            for s in bundle.seals.seals
            if s["device"] == signer and s.get("legacy")
        )

    def _held_entry(self, bundle: bundles.Bundle, untrusted: list[str]) -> dict[str, Any]:
        m = bundle.manifest
        return {
            "file": bundle.path.name,
            "device": m.device,
            "worker": m.worker,
            "grid": m.grid,
            "created_at": m.created_at,
            "records": m.records,
            "versions": m.versions,
            "untrusted": untrusted,
            "received_at": now_iso(),
        }

    # -- merging ------------------------------------------------------------------------

    def take_forms(self, forms: dict[str, Any]) -> list[str]:
        """Use the office's form files from now on; what changed, as users read it."""
        ws, old = self.ws, self.ws.forms
        formsync.install(ws.root, forms["files"])
        with self.store.transaction() as tx:
            tx.set_meta(formsync.FROM, {"office": self.ident.office, "serial": forms["serial"]})
        ws.reload_forms()
        self.check = ImportCheck(ws.forms, ws.today())
        return formsync.changes(old, ws.forms)

    def heads(self, record_id: str) -> list[Record]:
        """A record's heads as the files so far left them."""
        found = self._heads.get(record_id)
        if found is None:
            found = self._heads[record_id] = heads_of(self.store, record_id)
        return found

    def known_copy(self, rec: Any) -> bool:
        """Whether this store holds an identical copy of `rec` (so its id matches its content:
        the copy was checked when it arrived)."""
        if type(rec) is not dict:
            return False
        rid, version = rec.get("id"), rec.get("version")
        if type(rid) is not str or type(version) is not str:
            return False
        stored = self.store.stored_version(rid, version)
        return stored is not None and stored == rec

    def _known(self, rec: Record, heads: list[Record]) -> bool:
        rid, version = rec["id"], rec["version"]
        for h in heads:  # the common case (a re-import): the version is the current one
            if h["version"] == version:
                return True
        if self.store.stored_version(rid, version) is not None:
            return True
        return self.dry_run and history_key(rid, version) in self._pending

    def plan(self, plan: Plan, checked: Checked | None = None) -> Plan:
        """Work out what a trusted bundle changes (counts, new heads, rejected versions).

        `checked` gives the form problems of its versions if they were checked already (by a
        CheckAhead), else None; it is called only if some version needs checking.
        """
        if not plan.bundle.fresh and not self.dry_run:  # every version is held: a re-import
            plan.counts.unchanged = len({rec["id"] for rec in plan.bundle.versions})
            return plan
        touched: dict[str, tuple[list[Record], list[Record], dict[str, Record]]] = {}
        verdicts: Verdicts | None = None
        for n, rec in enumerate(plan.bundle.versions):
            rid = rec["id"]
            entry = touched.get(rid)
            if entry is None:
                before = self.heads(rid)
                entry = touched[rid] = (before, before, {})
            if rec["version"] in entry[2] or self._known(rec, entry[1]):
                continue
            form = self.check.forms.get(rec["form"])
            if form is not None and rec["form_version"] > form.version:
                newer = plan.newer_forms
                newer[rec["form"]] = max(rec["form_version"], newer.get(rec["form"], 0))
            if checked is not None:  # the first version to check: were they checked ahead?
                verdicts, checked = checked(), None
            reasons = self.check.problems(rec) if verdicts is None else verdicts.get(n)
            if entry[1] and entry[1][0]["form"] != rec["form"]:
                reasons = [*(reasons or []), f"与这条记录此前的版本不是同一个表单（{rec['form']}）"]
            if reasons:
                self._reject(plan, rec, reasons)
                continue
            before, after, added = entry
            added[rec["version"]] = rec
            joined = join(after, rec) if after else [rec]
            if joined is not None:
                touched[rid] = (before, joined, added)
        for rid, (before, after, added) in touched.items():
            if added:
                plan.changes[rid] = (before, after, list(added.values()))
                if not before:
                    plan.arrived[after[0]["form"]] += 1
            _count(plan.counts, before, after)
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
        """Let the next plan see this one's result."""
        for rid, (_, after, added) in plan.changes.items():
            self._heads[rid] = after
            if self.dry_run:
                for rec in added:
                    self._pending[history_key(rid, rec["version"])] = rec
        self._rejected.update(plan.rejected)

    def apply(self, plan: Plan, *, from_held: str | None = None) -> None:
        """Write a plan in one durable transaction (all of it or, on any error, nothing)."""
        bundle, at = plan.bundle, now_iso()
        # The versions were parsed from the bundle and are not used after this: the store
        # keeps them as they are.
        with self.store.transaction(adopt=True) as tx:
            for card in bundle.cards.values():
                devices.remember_card(tx, card, at)
            for decision in plan.decisions:
                tx.put(
                    devices.TRUST, devices.trust_key(decision["by"], decision["device"]), decision
                )
            for block in plan.blocks:
                key = casenumbers.block_key(block["by"], block["device"], block["year"])
                tx.put(casenumbers.BLOCKS, key, block)
            if plan.held is not None:
                if self.store.doc(HELD, bundle.file_sha256) is None:
                    tx.put(HELD, bundle.file_sha256, plan.held)
                return
            for seal in bundle.seals.seals:
                key = seal_key(seal)
                if self.store.doc(SEALS, key) is None:
                    tx.put(SEALS, key, seal)
            for before, after, added in plan.changes.values():
                write_heads(tx, before, after, added)
            for key, doc in plan.rejected.items():
                tx.put(REJECTED, key, doc)
            devices.note_sender(tx, bundle.manifest)
            if from_held is not None:
                tx.remove(HELD, from_held)


def _count(counts: Counts, before: list[Record], after: list[Record]) -> None:
    """Count one record by its heads before and after the bundle (a record whose every version
    was rejected is counted among the rejected only)."""
    if not after:
        return
    if not before:
        counts.new += 1
    elif {h["version"] for h in after} == {h["version"] for h in before}:
        counts.unchanged += 1
    elif len(after) > 1 and in_conflict(after):
        counts.conflicts += 1
    else:
        counts.updated += 1


# -- importing files ---------------------------------------------------------------------


@dataclass
class FileResult:
    path: Path
    counts: Counts = field(default_factory=Counts)
    manifest: bundles.Manifest | None = None
    error: str | None = None  # why the file was refused (the store is untouched then)
    untrusted: list[str] = field(default_factory=list)  # held: the devices not trusted yet
    arrived: dict[str, int] = field(default_factory=dict)  # new records by form
    forms_changed: list[str] = field(default_factory=list)  # forms taken from the office
    newer_forms: dict[str, int] = field(default_factory=dict)  # form -> newer version it used
    from_held: bool = False  # a file held earlier, merged now
    held_name: str = ""  # the name it arrived with, for a held file

    @property
    def name(self) -> str:
        return self.held_name or self.path.name


@dataclass
class ImportReport:
    files: list[FileResult]
    dry_run: bool
    missing: list[dict[str, Any]] = field(default_factory=list)  # devices with changes missing
    new_devices: list[dict[str, Any]] = field(default_factory=list)  # to trust, with their cards
    moved: list[dict[str, Any]] = field(default_factory=list)  # trusted laptops now in another grid
    renumbered: list[casenumbers.Renumbered] = field(
        default_factory=list
    )  # see fieldkit.sync.intake
    combined: list[Record] = field(default_factory=list)  # see fieldkit.sync.intake

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
            "missing": self.missing,
            "untrusted": self.new_devices,
            "moved": self.moved,
            "combined": [r["id"] for r in self.combined],
            "renumbered": [
                {"record": r.record["id"], "old": r.old, "new": r.new} for r in self.renumbered
            ],
            "files": [
                {
                    "file": str(f.path),
                    "ok": f.error is None,
                    **({"error": f.error} if f.error else f.counts.as_dict()),
                    **({"held_for": f.untrusted} if f.untrusted else {}),
                    **({"arrived": f.arrived} if f.arrived else {}),
                    **({"forms_changed": f.forms_changed} if f.forms_changed else {}),
                    **({"newer_forms": f.newer_forms} if f.newer_forms else {}),
                }
                for f in self.files
            ],
        }


Progress = Callable[[int, int, Path], None]  # (files done, files in all, current file)


def bundle_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; a folder stands for the bundles in it (Windows shells don't expand *)."""
    out: dict[Path, Path] = {}  # each file once, however it was named
    for p in map(Path, paths):
        for f in sorted(p.glob(f"*{bundles.SUFFIX}")) if p.is_dir() else [p]:
            out.setdefault(f.absolute(), f)
    return list(out.values())


def import_files(
    ws: Workspace,
    paths: Iterable[Path],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import bundle files, each in one transaction; a bad file is refused and changes nothing.

    With dry_run nothing is written and the counts say what an import would do. Files held
    earlier merge too once what they wait for is trusted (a decision this import brought).
    """
    files = bundle_paths(paths)
    with gc_paused():
        merger = Merger(ws, dry_run=dry_run)
        results = _import(merger, files, progress)
        if merger.trust_changed and not dry_run:
            results += retry_held(merger)
    book = merger.book
    return ImportReport(
        results,
        dry_run,
        gaps.missing_changes(ws.store, book),
        held.waiting_devices(ws.store, book),
        moved=devices.moved(ws.store, book),
    )


def retry_held(merger: Merger) -> list[FileResult]:
    """Merge the held files whose devices are trusted now; drop those now refused."""
    results = []
    waiting = held.entries(merger.store).items()
    for digest, entry in sorted(waiting, key=lambda d: (d[1]["created_at"], d[1]["file"])):
        standings = [merger.book.standing(d) for d in entry["untrusted"]]
        if not (
            all(s.trusted for s in standings) or any(s.state == devices.REVOKED for s in standings)
        ):
            continue  # still waiting: no need to read it again
        path = held.held_path(merger.ws.root, digest)
        try:
            raw = held.read_copy(merger.ws.root, digest)
        except FieldkitError as exc:  # a sealed copy that was changed: refused like a bad file
            raw, error = None, str(exc)
        else:
            error = None if raw is not None else HELD_GONE.format(worker=entry["worker"])
        if error is not None:
            result = FileResult(path, error=error)
            result.from_held, result.held_name = True, entry["file"]
            results.append(result)
            _drop_held(merger, digest)
            continue
        result = _one_file(merger, path, None, from_held=digest, raw=raw)
        if result.untrusted:
            continue  # still waiting: no news
        result.from_held, result.held_name = True, entry["file"]
        results.append(result)
        if result.error is not None:
            _drop_held(merger, digest)
        else:
            path.unlink(missing_ok=True)
    return results


def _drop_held(merger: Merger, digest: str) -> None:
    with merger.store.transaction() as tx:
        tx.remove(HELD, digest)
    held.held_path(merger.ws.root, digest).unlink(missing_ok=True)


def _import(merger: Merger, files: list[Path], progress: Progress | None) -> list[FileResult]:
    results = []
    ahead = None
    if worth_checking_ahead(files):
        ahead = CheckAhead(files, merger.check, merger.ws.root)
    with ahead or nullcontext():
        for n, path in enumerate(files):
            if progress:
                progress(n, len(files), path)
            results.append(_one_file(merger, path, ahead and partial(ahead.result, n), number=n))
    if progress:
        progress(len(files), len(files), files[-1] if files else Path())
    return results


def _one_file(
    merger: Merger,
    path: Path,
    ahead: Callable[[str], Ahead | None] | None,
    *,
    number: int = 0,
    from_held: str | None = None,
    raw: bytes | None = None,
) -> FileResult:
    """Read, judge, plan and (unless a dry run) apply one file; `ahead(payload sha256)` is what
    the checking process found for it, if one runs."""
    result = FileResult(path)

    def shared(sha: str) -> Callable[[int], bool] | None:
        found = ahead(sha) if ahead else None
        return found.checked if found else None

    try:
        b = bundles.read(path, merger.box_keys, merger.known_copy, shared, raw)
    except bundles.BundleError as exc:
        result.error = exc.reason
        return result
    except Exception as exc:  # a hostile file that found a way past the checks: refused
        result.error = f"内容无法处理（{type(exc).__name__}）：文件已损坏或被改动"
        return result
    result.manifest = b.manifest
    try:
        plan = merger.judge(b)
    except Refused as exc:
        result.error = str(exc)
        return result
    if plan.held is None:

        def verdicts() -> Verdicts | None:
            found = ahead(b.digest) if ahead else None
            return found.verdicts if found else None

        merger.plan(plan, verdicts)
    result.untrusted = plan.untrusted
    result.counts = plan.counts
    result.arrived = dict(plan.arrived)
    result.newer_forms = plan.newer_forms
    if not merger.dry_run:
        if plan.held is not None:
            held.keep_copy(merger.ws.root, b)
        _apply(merger, plan, number, from_held)
        if plan.forms is not None:
            result.forms_changed = merger.take_forms(plan.forms)
            result.newer_forms = {  # what the new forms cover is no longer newer than here
                f: v
                for f, v in result.newer_forms.items()
                if merger.ws.forms.get(f) is None or v > merger.ws.forms[f].version
            }
    return result


def _apply(merger: Merger, plan: Plan, n: int, from_held: str | None) -> None:
    try:
        merger.apply(plan, from_held=from_held)
    except (OSError, StoreError) as exc:
        done = f"此前的 {n} 个文件已导入；" if n else ""
        why = os_reason(exc) if isinstance(exc, OSError) else str(exc)
        raise FieldkitError(
            f"无法导入 {plan.bundle.path}：写入数据目录失败（{why}）。{done}本文件的数据未改变"
        ) from None
