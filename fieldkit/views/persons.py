"""Every registered person with their place on the visit schedule: the persons list, the due
list (overdue, due today, due soon) and supervision ends, for `fieldkit due` and the app.

The app builds a PersonIndex once in a thread worker (6k persons and 60k visits in the 100k
demo store take about a quarter of a second), then keeps it current person by person as persons
and visits are saved, so a keystroke in the persons or due list is a scan over prepared rows.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from fieldkit.forms import idnumber, schedule
from fieldkit.forms.rules import Rules
from fieldkit.views import chinese

if TYPE_CHECKING:
    from fieldkit.workspace import Workspace


def due_words(days_overdue: int) -> str:
    """Where a visit stands, as both the command line and the app say it."""
    if days_overdue > 0:
        return f"逾期{days_overdue}天"
    return "今天到期" if days_overdue == 0 else f"{-days_overdue}天后到期"


def supervision_end(rules: Rules, person: dict[str, Any]) -> date | None:
    """When a person's supervision ends: the end date registered, else the one the rules give
    for the category from the start date; None if it has no fixed end."""
    data = person["data"]
    if data.get("end_date"):
        return date.fromisoformat(data["end_date"])
    if not data.get("start_date"):
        return None
    start = date.fromisoformat(data["start_date"])
    return schedule.supervision_end(rules, data.get("category"), start)


def visits_of(ws: Workspace, person_id: str) -> list[dict[str, Any]]:
    """A person's live visits, newest first."""
    form = ws.forms.visit_form
    if form is None or form.visits is None:
        return []
    visits = ws.store.lookup(form.id, form.visits.person, person_id)
    return sorted(visits, key=lambda v: str(v["data"].get("date", "")), reverse=True)


@dataclass(frozen=True)
class DueCounts:
    overdue: int
    today: int
    soon: int  # due within soon_days, not today
    soon_days: int

    @classmethod
    def of(cls, dues: Iterable[schedule.Due], soon_days: int) -> DueCounts:
        days = [d.days_overdue for d in dues]
        return cls(
            overdue=sum(d > 0 for d in days),
            today=sum(d == 0 for d in days),
            soon=sum(d < 0 for d in days),
            soon_days=soon_days,
        )

    @property
    def total(self) -> int:
        return self.overdue + self.today + self.soon


@dataclass(slots=True)
class PersonRow:
    id: str
    record: dict[str, Any]
    name: str
    category: str
    status: str
    grid: str
    level: str | None  # effective: the last assessed risk level overrides the registered one
    last_visit: str  # day of the last visit, '' if never visited
    due: schedule.Due | None  # None: not under active supervision
    key: str  # lower-case search text: name, ID number, birth date, category label, initials

    @property
    def days_overdue(self) -> int | None:
        return self.due.days_overdue if self.due else None

    @property
    def joint(self) -> bool:
        return bool(self.due and self.due.joint)


class PersonIndex:
    """Persons and their visits; rows in list order (next due first, then by name)."""

    def __init__(self, ws: Workspace, today: date):
        self.today = today
        self.rules = ws.forms.rules
        self.rows: dict[str, PersonRow] = {}
        self.visits: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.visit_owner: dict[str, str] = {}  # visit id -> person id
        self.ordered: list[PersonRow] = []
        self.by_urgency: list[PersonRow] = []
        self.soon_days = self.rules.soon_days
        # The forms of the schedule, as the forms name them ([visits] in the visit form).
        persons, visits = ws.forms.person_form, ws.forms.visit_form
        self.person_form = persons.id if persons else ""
        self.visit_form = visits.id if visits else ""
        self.person_ref = visits.visits.person if visits and visits.visits else ""
        category = persons.field("category") if persons and persons.has("category") else None
        self.category_labels = {c.code: c.label for c in category.all_choices()} if category else {}
        self._lock = threading.Lock()

    @classmethod
    def build(cls, ws: Workspace, lock: AbstractContextManager[Any] | None = None) -> PersonIndex:
        """Read persons and visits under `lock` (in the app the store may be written meanwhile)."""
        index = cls(ws, ws.today())
        with lock or nullcontext():
            persons = ws.store.current(index.person_form) if index.person_form else []
            visits = ws.store.current(index.visit_form) if index.visit_form else []
        for visit in visits:
            person_id = str(visit["data"].get(index.person_ref, ""))
            index.visits[person_id].append(visit)
            index.visit_owner[visit["id"]] = person_id
        for person in persons:
            index.rows[person["id"]] = index._row(person)
        index._sort()
        return index

    def _row(self, person: dict[str, Any]) -> PersonRow:
        data = person["data"]
        visits = self.visits.get(person["id"], [])
        last = schedule.last_visit(visits)
        category = self.category_labels.get(data.get("category"), "")
        name, number = str(data.get("name", "")), str(data.get("id_number", ""))
        born = idnumber.birth_date(number)
        words = [name, number, born.isoformat() if born else "", category]
        words += [*chinese.initials(name), *chinese.initials(category)]
        return PersonRow(
            id=person["id"],
            record=person,
            name=name,
            category=str(data.get("category") or ""),
            status=str(data.get("status") or ""),
            grid=str(data.get("grid") or ""),
            level=schedule.effective_level(person, last),
            last_visit=str(last["data"]["date"])[:10] if last else "",
            due=schedule.schedule(self.rules, person, visits, self.today),
            key="\n".join(w for w in words if w).lower(),
        )

    def _sort(self) -> None:
        rows = list(self.rows.values())
        far = date.max
        rows.sort(key=lambda r: (r.due is None, r.due.next_due if r.due else far, r.name))
        self.ordered = rows
        urgent = [r for r in rows if r.due is not None]
        urgent.sort(key=lambda r: (-r.due.days_overdue, r.name))  # type: ignore[union-attr]
        self.by_urgency = urgent

    def __len__(self) -> int:
        return len(self.rows)

    def grids(self) -> list[str]:
        """The grids persons belong to, in natural order (第二网格 before 第十网格)."""
        return sorted({r.grid for r in self.rows.values() if r.grid}, key=chinese.natural_key)

    def due(self, grid: str | None = None, within_days: int | None = None) -> list[PersonRow]:
        """The due list: persons overdue, due today or due within `within_days` (default
        `soon_days`), of a grid or all, most overdue first (then by name)."""
        horizon = -(self.soon_days if within_days is None else within_days)
        rows = [r for r in self.by_urgency if r.due.days_overdue >= horizon]  # type: ignore[union-attr]
        return [r for r in rows if r.grid == grid] if grid else rows

    def matches(
        self,
        query: str = "",
        *,
        category: str | None = None,
        status: str | None = None,
        grid: str | None = None,
        due_only: bool = False,
    ) -> list[PersonRow]:
        """Rows holding every word of `query`, of the category, status and grid given.
        `due_only`: the due list (see `due`)."""
        rows = self.due(grid) if due_only else self.ordered
        if category:
            rows = [r for r in rows if r.category == category]
        if status:
            rows = [r for r in rows if r.status == status]
        if grid:
            rows = [r for r in rows if r.grid == grid]
        for word in query.lower().split():
            rows = [r for r in rows if word in r.key]
        return rows

    def due_counts(self, grid: str | None) -> DueCounts:
        """How many persons of a grid are overdue, due today and due within `soon_days`."""
        dues = [r.due for r in self.due(grid) if r.due]
        return DueCounts.of(dues, self.soon_days)

    def in_management(self, grid: str | None = None) -> int:
        """Persons under management today (schedule.managed_on), in a grid or all."""
        return sum(
            1
            for r in self.rows.values()
            if (not grid or r.grid == grid)
            and schedule.managed_on(r.record, self.today, self.today)
        )

    def update(self, record: dict[str, Any]) -> None:
        """Bring the index in step with a saved person or visit (tombstones included)."""
        with self._lock:
            if record["form"] == self.person_form:
                if record.get("deleted"):
                    self.rows.pop(record["id"], None)
                else:
                    self.rows[record["id"]] = self._row(record)
            elif record["form"] == self.visit_form:
                person_id = str(record["data"].get(self.person_ref, ""))
                touched = {person_id}
                old = self.visit_owner.pop(record["id"], None)
                if old is not None:
                    touched.add(old)
                    self.visits[old] = [v for v in self.visits[old] if v["id"] != record["id"]]
                if not record.get("deleted"):
                    self.visits[person_id].append(record)
                    self.visit_owner[record["id"]] = person_id
                for pid in touched:
                    if pid in self.rows:
                        self.rows[pid] = self._row(self.rows[pid].record)
            else:
                return
            self._sort()
