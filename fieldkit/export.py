"""Exporting: which versions leave this store in a bundle, and remembering what was sent.

A bundle carries, for each record it includes, every head (the current version and the versions
of its open conflicts), so a conflict travels until someone resolves it. Incremental exports
send the records whose heads changed since this store's last export, whether the change was
made here or arrived in an import; `everything` sends all records. Exporting twice, or importing
both bundles, is harmless.

What was sent is remembered per record as a short fingerprint of its heads (meta
``export.sent``), not as a time: laptop clocks are often wrong, and a clock set back would
otherwise hide edits from the next export.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldkit import bundle as bundles
from fieldkit.merge import CONFLICTS, settle

if TYPE_CHECKING:
    from fieldkit.workspace import Workspace

SENT = "export.sent"  # meta: {record id: fingerprint of its heads at the last export}
LAST = "export.last"  # meta: {"file", "at", "records"} of the last export


@dataclass(frozen=True)
class Preview:
    """What an export would include, for the app to show before writing."""

    records: int  # record ids
    versions: int  # versions (a record in conflict travels with all its versions)
    by_form: dict[str, int]
    encrypted: bool
    everything: bool


@dataclass(frozen=True)
class ExportResult:
    path: Path | None  # None when there was nothing to export
    manifest: bundles.Manifest | None
    preview: Preview


def _fingerprint(heads: list[dict[str, Any]]) -> str:
    if len(heads) == 1:
        return heads[0]["version"][:16]
    return "+".join(sorted(h["version"][:16] for h in heads))


def _outgoing(ws: Workspace, everything: bool):
    """The heads to send, grouped by record, and the fingerprints to remember afterwards."""
    store = ws.store
    others = {rid: doc["heads"] for rid, doc in store.table_docs(CONFLICTS).items()}
    sent: dict[str, str] = {} if everything else store.get_meta(SENT, {})
    groups: list[list[dict[str, Any]]] = []
    fingerprints: dict[str, str] = dict(sent)
    for form in store.forms():
        for cur in store.current(form, include_deleted=True):
            heads = settle([cur, *others[cur["id"]]]) if cur["id"] in others else [cur]
            mark = _fingerprint(heads)
            if sent.get(cur["id"]) == mark:
                continue
            fingerprints[cur["id"]] = mark
            groups.append(heads)
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
