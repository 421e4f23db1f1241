"""An in-memory list of one form's records, newest first, with the text a search matches.

Built once in a thread worker (a 100k-record store has tens of thousands per form), then kept
current as records are saved, so a keystroke in a search box is a scan over prepared strings,
and the screen only ever draws the few rows that are visible.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from fieldkit.forms import Form
from fieldkit.workspace import Workspace


@dataclass(slots=True)
class Entry:
    id: str
    when: str  # the form's date field as stored: a date, or a date and time
    stamp: str  # updated_at: orders records of the same moment
    key: str  # lower-case search text
    record: dict[str, Any]

    @property
    def day(self) -> str:
        return self.when[:10]

    @property
    def order(self) -> tuple[str, str]:
        return (self.when, self.stamp)


def _entry(ws: Workspace, form: Form, record: dict[str, Any], titles=None) -> Entry:
    return Entry(
        record["id"],
        str(record["data"].get(form.date_field) or ""),
        record["updated_at"],
        ws.search_text(form, record["data"], titles),
        record,
    )


class RecordIndex:
    """The live records of one form, newest first."""

    def __init__(self, form_id: str, entries: list[Entry]):
        self.form_id = form_id
        self.entries = entries

    @classmethod
    def build(cls, ws: Workspace, form_id: str, lock: threading.RLock) -> RecordIndex:
        """Read the records under `lock` (the store may be written meanwhile), then prepare
        the search text without holding it."""
        form = ws.form(form_id)
        with lock:
            rows = ws.records(form_id)
            titles: dict[str, str] = {}
            for ref_form in {f.ref_form for f in form.fields if f.type == "reference"}:
                titles.update(ws.titles(ref_form or ""))
        entries = [_entry(ws, form, r, titles) for r in rows]
        # Newest first by the full date field: visits of one day by their time.
        entries.sort(key=lambda e: e.order, reverse=True)
        return cls(form_id, entries)

    def __len__(self) -> int:
        return len(self.entries)

    def years(self) -> list[int]:
        """Years that have records, newest first."""
        return sorted({int(e.day[:4]) for e in self.entries if e.day[:4].isdigit()}, reverse=True)

    def matches(
        self, query: str = "", year: int | None = None, month: int | None = None
    ) -> list[Entry]:
        """Entries whose text holds every word of `query`, filed in `year` and/or `month`."""
        entries = self.entries
        if year:
            prefix = f"{year:04d}-{month:02d}" if month else f"{year:04d}"
            entries = [e for e in entries if e.when.startswith(prefix)]
        elif month:
            mm = f"-{month:02d}-"
            entries = [e for e in entries if e.when[4:8] == mm]
        for word in query.lower().split():
            entries = [e for e in entries if word in e.key]
        return entries

    def remove(self, record_id: str) -> None:
        self.entries = [e for e in self.entries if e.id != record_id]

    def upsert(self, ws: Workspace, record: dict[str, Any]) -> None:
        """Put a saved record in its place (a tombstone leaves the list)."""
        self.remove(record["id"])
        if record.get("deleted"):
            return
        entry = _entry(ws, ws.form(self.form_id), record)
        at = next(
            (i for i, e in enumerate(self.entries) if e.order < entry.order), len(self.entries)
        )
        self.entries.insert(at, entry)
