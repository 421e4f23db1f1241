"""Exporting: which versions leave this store in a bundle, and remembering what was sent.

A bundle carries, for each record it includes, every version this store knows of it (current,
open conflicts, history), so a conflict travels until someone resolves it and every store that
imports the same files knows the same versions (fieldkit.versions). Incremental exports send the
records whose known versions changed since this store's last export, whether the change was
made here or arrived in an import; `everything` sends all records. Exporting twice, or importing
both bundles, is harmless.

What was sent is remembered per record as a short fingerprint of its versions (meta
``export.sent``), not as a time: laptop clocks are often wrong, and a clock set back would
otherwise hide edits from the next export.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldkit import bundle as bundles
from fieldkit.versions import CONFLICTS, REPLACES, Versions, knows, stored

if TYPE_CHECKING:
    from fieldkit.workspace import Workspace

SENT = "export.sent"  # meta: {record id: fingerprint of its versions at the last export}
LAST = "export.last"  # meta: {"file", "at", "records"} of the last export


@dataclass(frozen=True)
class Preview:
    """What an export would include, for the app to show before writing."""

    records: int  # record ids
    versions: int  # versions (a record travels with its history and conflicting versions)
    by_form: dict[str, int]
    encrypted: bool
    everything: bool


@dataclass(frozen=True)
class ExportResult:
    path: Path | None  # None when there was nothing to export
    manifest: bundles.Manifest | None
    preview: Preview


def _fingerprint(versions: Versions) -> str:
    if len(versions) == 1:
        return next(iter(versions))[:16]
    # Known versions only ever grow, each by what it knows: number and count say it all.
    text = ",".join(sorted(f"{v}:{len(knows(r))}" for v, r in versions.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _outgoing(ws: Workspace, everything: bool):
    """The versions to send, grouped by record (current first), and the fingerprints to
    remember afterwards."""
    store = ws.store
    conflicted = set(store.table_docs(CONFLICTS))
    sent: dict[str, str] = {} if everything else store.get_meta(SENT, {})
    groups: list[list[dict[str, Any]]] = []
    fingerprints: dict[str, str] = dict(sent)
    for form in store.forms():
        for cur in store.current(form, include_deleted=True):
            rid = cur["id"]
            if cur["ancestors"] or REPLACES in cur or rid in conflicted:
                versions = stored(store, cur)
            else:
                versions = {cur["version"]: cur}  # never edited: the common case, kept cheap
            mark = _fingerprint(versions)
            if sent.get(rid) == mark:
                continue
            fingerprints[rid] = mark
            groups.append([cur, *(r for v, r in versions.items() if v != cur["version"])])
    return groups, fingerprints


def preview(ws: Workspace, *, everything: bool = False) -> Preview:
    groups, _ = _outgoing(ws, everything)
    return _preview(ws, groups, everything)


def _preview(ws: Workspace, groups: list[list[dict[str, Any]]], everything: bool) -> Preview:
    counts = Counter(heads[0]["form"] for heads in groups)
    by_form = {f.id: counts.pop(f.id) for f in ws.forms if f.id in counts}
    by_form.update(counts)  # forms this version does not know, kept and sent on
    ident = ws.identity
    return Preview(
        records=len(groups),
        versions=sum(len(h) for h in groups),
        by_form=by_form,
        encrypted=bool(ident and ident.office_key),
        everything=everything,
    )


def export(
    ws: Workspace, folder: Path, *, everything: bool = False, now: datetime | None = None
) -> ExportResult:
    """Write a bundle of what changed since the last export (or of everything) into `folder`.

    The file is written atomically; only once it is safely on disk is it remembered as sent.
    Nothing is written when nothing changed.
    """
    ident = ws.require_identity()
    groups, fingerprints = _outgoing(ws, everything)
    info = _preview(ws, groups, everything)
    if not groups:
        return ExportResult(None, None, info)
    now = now or datetime.now().astimezone()
    data, manifest = bundles.build(
        (rec for heads in groups for rec in heads),
        device=ident.device,
        worker=ident.worker,
        grid=ident.grid,
        org=ident.org,
        forms={f.id: f.version for f in ws.forms},
        complete=everything,
        office_key=ident.office_key,
        created_at=now.isoformat(timespec="seconds"),
    )
    path = bundles.write_atomically(
        Path(folder), bundles.bundle_name(ident.worker, ident.grid, now), data
    )
    with ws.store.transaction() as tx:
        tx.set_meta(SENT, fingerprints)
        tx.set_meta(LAST, {"file": str(path), "at": manifest.created_at, "records": info.records})
    return ExportResult(path, manifest, info)
