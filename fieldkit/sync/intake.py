"""Importing as users do it: the merge (fieldkit.sync.merge), then, at the office, what a merge
leaves to settle: conflicts whose versions changed different fields are combined
(fieldkit.sync.review.merge_disjoint), and cases that came without a case number, or with one another
case has, are numbered (fieldkit.sync.casenumbers). Both make ordinary versions that travel back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fieldkit.store.records import Record
from fieldkit.sync import casenumbers, merge, review

if TYPE_CHECKING:
    from fieldkit.workspace import Workspace


@dataclass(frozen=True)
class Settled:
    combined: list[Record] = field(default_factory=list)  # conflicts closed by combining
    renumbered: list[casenumbers.Renumbered] = field(default_factory=list)


def settle(ws: Workspace) -> Settled:
    """The office's steps after a merge (nothing on a laptop)."""
    if ws.require_identity().role != "office":
        return Settled()
    return Settled(review.merge_disjoint(ws), casenumbers.confirm(ws))


def import_files(
    ws: Workspace,
    paths: Iterable[Path],
    *,
    dry_run: bool = False,
    progress: merge.Progress | None = None,
) -> merge.ImportReport:
    """fieldkit.sync.merge.import_files, then (unless a dry run) settle."""
    report = merge.import_files(ws, paths, dry_run=dry_run, progress=progress)
    if not dry_run:
        settled = settle(ws)
        report.combined, report.renumbered = settled.combined, settled.renumbered
    return report
