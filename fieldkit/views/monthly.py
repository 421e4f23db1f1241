"""Month-by-month figures for the dashboard: the annual report's counting (reports.figures),
over a copy of the store taken at one moment."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from fieldkit.reports import figures

if TYPE_CHECKING:
    from fieldkit.workspace import Workspace


def snapshot(ws: Workspace) -> dict[str, list[dict[str, Any]]]:
    """Every form's current records and tombstones (shallow copies): take it under the lock
    the store is written under, then count at leisure."""
    return {f.id: ws.store.current(f.id, include_deleted=True) for f in ws.forms}


def monthly_series(
    ws: Workspace,
    year: int,
    grid: str | None = None,
    lock: AbstractContextManager[Any] | None = None,
) -> dict[str, list[int]]:
    """Twelve values (January first) for each series in figures.MONTHLY_SERIES, of a grid or
    all; reads the store under `lock`."""
    with lock or nullcontext():
        records = snapshot(ws)
    return figures.monthly(records, ws.forms, year, grid=grid)
