"""A form's records as every list shows them: in one order, with the text a search matches.

The order, the same in `fieldkit list` and in the app: newest first by the form's date field as
stored (a date, or a date and time, so visits of one day come by their time), then by the time
of the last change, then by id, so that no two records tie.

The app builds a RecordIndex once in a thread worker (a 100k-record store has tens of thousands
per form), then keeps it current as records are saved, so a keystroke in a search box is a scan
over prepared strings.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fieldkit.forms import idnumber
from fieldkit.forms.definitions import CHOICE_TYPES, Form
from fieldkit.views import chinese

if TYPE_CHECKING:
    from fieldkit.workspace import Workspace

_UNSEARCHED = frozenset({"integer", "decimal"})


@dataclass(slots=True)
class Entry:
    id: str
    when: str  # the form's date field as stored: a date, or a date and time
    stamp: str  # updated_at
    key: str | None  # lower-case search text (None until prepared)
    record: dict[str, Any]

    @property
    def day(self) -> str:
        return self.when[:10]

    @property
    def order(self) -> tuple[str, str, str]:
        """The list order (see the module's docstring), ascending: lists show it reversed."""
        return (self.when, self.stamp, self.id)


def _entry(form: Form, record: dict[str, Any], key: str | None = None) -> Entry:
    when = str(record["data"].get(form.date_field) or "")
    return Entry(record["id"], when, record["updated_at"], key, record)


def reference_text(form: Form, data: dict[str, Any]) -> str:
    """What a search of the records pointing at a record matches: its title (a person's name)
    and its unique value (the ID number, with the birth date in it written out)."""
    parts = [str(data.get(form.title_field, ""))]
    if form.unique and data.get(form.unique):
        parts.append(str(data[form.unique]))
        if form.field(form.unique).type == "id_number":
            parts.append(birth_text(str(data[form.unique])))
    return "\n".join(p for p in parts if p)


def birth_text(id_number: str) -> str:
    """The birth date in an ID number as a date ('1949-12-31'), so a search by date finds it."""
    born = idnumber.birth_date(id_number)
    return born.isoformat() if born else ""


class SearchText:
    """The lower-case text a search of one form's records matches: text, numbers as typed,
    dates, choice labels, the birth date in an ID number, a referenced record's title and ID
    number (from `titles`: record id -> `reference_text`), and the pinyin initials of the
    record's title (a person's name, or the name of the person visited), so 'wjg' finds 王建国."""

    def __init__(self, form: Form, titles: dict[str, str]):
        self.form = form
        self.titles = titles
        # Choice labels from a table per field: this runs for tens of thousands of records.
        self.labels = {
            f.id: {c.code: c.label for c in f.all_choices()}
            for f in form.fields
            if f.type in CHOICE_TYPES
        }

    def of(self, data: dict[str, Any]) -> str:
        parts: list[str] = []
        for f in self.form.fields:
            value = data.get(f.id)
            if value is None or value == "" or value == [] or f.type in _UNSEARCHED:
                continue
            if f.type in CHOICE_TYPES:
                labels = self.labels[f.id]
                for v in value if isinstance(value, list) else (value,):
                    parts.append(labels.get(v) or str(v))
            elif f.type == "reference":
                parts.append(self.titles.get(str(value), ""))
            else:
                parts.append(str(value))
                if f.type == "id_number":
                    parts.append(birth_text(str(value)))
        key = "\n".join(p for p in parts if p).lower()
        spelled = chinese.initials(self.title(data))
        return key + "\n" + "\n".join(spelled) if spelled else key

    def title(self, data: dict[str, Any]) -> str:
        value = data.get(self.form.title_field)
        if value in (None, ""):
            return ""
        if self.form.field(self.form.title_field).type == "reference":
            return self.titles.get(str(value), str(value)).split("\n")[0]
        return str(value)


def titles(ws: Workspace, form_id: str) -> dict[str, str]:
    """Record id -> `reference_text`, for every live record of a form."""
    form = ws.form(form_id)
    return {r["id"]: reference_text(form, r["data"]) for r in ws.store.current(form_id)}


class RecordIndex:
    """The live records of one form in list order, with their search text.

    Built in two steps, both in a thread worker in the app: the ordered list first (enough to
    show the first page at once), then the search text of every record (`prepare`), which
    `matches` waits for when it has words to look for.
    """

    def __init__(self, form: Form, entries: list[Entry], search: SearchText):
        self.form = form
        self.entries = entries
        self.search = search
        self._prepared = threading.Lock()
        self.ready = False

    @classmethod
    def build(
        cls, ws: Workspace, form_id: str, lock: AbstractContextManager[Any] | None = None
    ) -> RecordIndex:
        """Read the records under `lock` (in the app the store may be written meanwhile)."""
        form = ws.form(form_id)
        with lock or nullcontext():
            rows = ws.store.current(form_id)
            known: dict[str, str] = {}
            for ref_form in {f.ref_form for f in form.fields if f.type == "reference"}:
                known.update(titles(ws, ref_form or ""))
        entries = [_entry(form, r) for r in rows]
        entries.sort(key=lambda e: e.order, reverse=True)
        return cls(form, entries, SearchText(form, known))

    def prepare(self) -> None:
        """Compute the search text of every record (once; blocks while another thread does)."""
        with self._prepared:
            if self.ready:
                return
            for e in list(self.entries):
                if e.key is None:
                    e.key = self.search.of(e.record["data"])
            self.ready = True

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

    def upsert(self, record: dict[str, Any]) -> None:
        """Put a saved record in its place (a tombstone leaves the list)."""
        self.remove(record["id"])
        if record.get("deleted"):
            return
        entry = _entry(self.form, record, self.search.of(record["data"]))
        at = next(
            (i for i, e in enumerate(self.entries) if e.order < entry.order), len(self.entries)
        )
        self.entries.insert(at, entry)


def newest_first(
    ws: Workspace, form_id: str, *, year: int | None = None, month: int | None = None
) -> list[dict[str, Any]]:
    """A form's live records in list order, optionally of one year (and month): what
    `fieldkit list` prints and the app's records list shows."""
    return [e.record for e in RecordIndex.build(ws, form_id).matches("", year, month)]
