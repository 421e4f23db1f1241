"""An in-memory list of one form's records, newest first, with the text a search matches.

Built once in a thread worker (a 100k-record store has tens of thousands per form), then kept
current as records are saved, so a keystroke in a search box is a scan over prepared strings,
and the screen only ever draws the few rows that are visible.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from fieldkit.forms.definitions import Form
from fieldkit.tui.widgets import chinese
from fieldkit.workspace import Workspace


@dataclass(slots=True)
class Entry:
    id: str
    when: str  # the form's date field as stored: a date, or a date and time
    stamp: str  # updated_at: orders records of the same moment
    key: str | None  # lower-case search text (None until prepared)
    record: dict[str, Any]

    @property
    def day(self) -> str:
        return self.when[:10]

    @property
    def order(self) -> tuple[str, str]:
        return (self.when, self.stamp)


def _entry(form: Form, record: dict[str, Any], key: str | None = None) -> Entry:
    when = str(record["data"].get(form.date_field) or "")
    return Entry(record["id"], when, record["updated_at"], key, record)


class RecordIndex:
    """The live records of one form, newest first.

    Built in two steps, both in a thread worker: the ordered list first (enough to show the
    first page at once), then the search text of every record (`prepare`), which `matches`
    waits for when it has words to look for.
    """

    def __init__(self, ws: Workspace, form_id: str, entries: list[Entry], titles: dict[str, str]):
        self.ws = ws
        self.form_id = form_id
        self.entries = entries
        self._titles = titles
        self._prepared = threading.Lock()
        self.ready = False

    @classmethod
    def build(cls, ws: Workspace, form_id: str, lock: threading.RLock) -> RecordIndex:
        """Read the records under `lock` (the store may be written meanwhile)."""
        form = ws.form(form_id)
        with lock:
            rows = ws.store.current(form_id)
            titles: dict[str, str] = {}
            for ref_form in {f.ref_form for f in form.fields if f.type == "reference"}:
                titles.update(ws.titles(ref_form or ""))
        entries = [_entry(form, r) for r in rows]
        # Newest first by the full date field: visits of one day by their time.
        entries.sort(key=lambda e: e.order, reverse=True)
        return cls(ws, form_id, entries, titles)

    def prepare(self) -> None:
        """Compute the search text of every record (once; blocks while another thread does)."""
        with self._prepared:
            if self.ready:
                return
            form = self.ws.form(self.form_id)
            for e in list(self.entries):
                if e.key is None:
                    e.key = self._search_key(form, e.record["data"], self._titles)
            self.ready = True

    def _search_key(
        self, form: Form, data: dict[str, Any], titles: dict[str, str] | None = None
    ) -> str:
        """The record's search text and the pinyin initials of its title (a person's name, or
        the name of the person visited), so that 'wjg' finds 王建国. `titles` as for
        `Workspace.search_text` (None: look the referenced records up)."""
        key = self.ws.search_text(form, data, titles)
        value = data.get(form.title_field)
        if value in (None, ""):
            return key
        if form.field(form.title_field).type == "reference":
            found = titles.get(str(value)) if titles is not None else None
            title = (
                found.split("\n")[0]
                if found
                else self.ws.display(form, form.field(form.title_field), data)
            )
        else:
            title = str(value)
        spelled = chinese.initials(title)
        return key + "\n" + "\n".join(spelled) if spelled else key

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
        words = query.lower().split()
        if words:
            self.prepare()
        for word in words:
            entries = [e for e in entries if word in e.key]  # type: ignore[operator]
        return entries

    def remove(self, record_id: str) -> None:
        self.entries = [e for e in self.entries if e.id != record_id]

    def upsert(self, ws: Workspace, record: dict[str, Any]) -> None:
        """Put a saved record in its place (a tombstone leaves the list)."""
        self.remove(record["id"])
        if record.get("deleted"):
            return
        form = ws.form(self.form_id)
        entry = _entry(form, record, self._search_key(form, record["data"]))
        at = next(
            (i for i, e in enumerate(self.entries) if e.order < entry.order), len(self.entries)
        )
        self.entries.insert(at, entry)
