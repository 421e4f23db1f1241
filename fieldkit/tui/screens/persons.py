"""The persons list and the due-visits list: who is under supervision, when they were last
visited and when the next visit is due.

Both read the app's PersonIndex (fieldkit.views.persons, built once in a thread worker). The
table holds only the first pages of the matches and grows as the cursor nears its end; overdue
rows are red, rows due within `[due] soon_days` yellow, and a rule that asks for a joint visit
is marked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Input, Select, Static

from fieldkit.forms import idnumber
from fieldkit.forms.schedule import Due
from fieldkit.tui import text
from fieldkit.tui.messages import OpenRecord
from fieldkit.tui.safety import guarded
from fieldkit.tui.widgets.footer import KeyFooter
from fieldkit.tui.widgets.search_list import Column, SearchListScreen, cell
from fieldkit.tui.widgets.typeahead import TypeAheadSelect
from fieldkit.views.persons import DueCounts, PersonIndex, PersonRow, due_words

if TYPE_CHECKING:
    from fieldkit.tui.services import Services


def due_state(due: Due | None, soon_days: int) -> tuple[str, str]:
    """('逾期3天', style) for a place on the schedule; ('', '') if not due soon."""
    if due is None:
        return "", ""
    days = due.days_overdue
    joint = f" · {text.DUE_JOINT}" if due.joint else ""
    if days > 0:
        return due_words(days) + joint, "bold red"
    if days == 0:
        return due_words(days) + joint, "bold yellow"
    if -days <= soon_days:
        return due_words(days) + joint, "yellow"
    return joint.removeprefix(" · "), ""


class PersonsScreen(SearchListScreen):
    """Every registered person; filter by category, status and grid, search by name or ID."""

    due_only = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", text.KEY_BACK, id="persons.back", tooltip=text.KEY_BACK_TIP),
        Binding("enter", "open", text.KEY_OPEN, id="persons.open", tooltip=text.KEY_OPEN_TIP),
        Binding(
            "f",
            "followup",
            text.KEY_FOLLOWUP,
            id="persons.followup",
            tooltip=text.KEY_FOLLOWUP_TIP,
        ),
        Binding(
            "n", "register", text.KEY_REGISTER, id="persons.register", tooltip=text.KEY_REGISTER_TIP
        ),
        Binding("/", "search", text.KEY_SEARCH, id="persons.search", tooltip=text.KEY_SEARCH_TIP),
    ]

    def __init__(self) -> None:
        super().__init__(classes="records-screen persons-screen")
        self.index: PersonIndex | None = None
        self.hits: list[PersonRow] = []
        self.shown = 0
        self.seen_version = -1
        self.generation = 0
        self.updated_at = 0.0  # perf_counter when the table last changed (benchmarks read it)

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    def columns(self) -> list[Column]:
        # What a worker looks for first: who, how urgent, when; then what kind of case.
        return [
            Column("name", text.COL_NAME, 8, keep=0, grow=True, least=6),
            Column("state", text.COL_DUE_STATE, 16, keep=0),
            Column("next", text.COL_NEXT_DUE, 10, keep=1),
            Column("category", text.COL_CATEGORY, 16, keep=2, least=8),
            Column("level", text.COL_LEVEL, 4, keep=3),
            Column("status", text.COL_STATUS, 4, keep=5),
            Column("last", text.COL_LAST_VISIT, 10, keep=4),
            Column("id", text.COL_ID_NUMBER, 18, keep=6),
        ]

    def compose(self) -> ComposeResult:
        ws = self.fk.ws
        self.person_form, self.visit_form, self.person_ref = ws.forms.schedule_forms()
        self.soon_days = ws.forms.rules.soon_days
        self.sub_title = text.DUE_TITLE if self.due_only else text.PERSONS_TITLE
        yield Header()
        with Horizontal(id="filters"):
            yield Input(
                placeholder=text.PERSON_SEARCH, id="search", compact=True, select_on_focus=False
            )
            categories = [(c.label, c.code) for c in self.person_form.field("category").choices]
            yield TypeAheadSelect[str](
                categories, prompt=text.ALL_CATEGORIES, id="category", compact=True
            )
            if not self.due_only:
                statuses = [(c.label, c.code) for c in self.person_form.field("status").choices]
                yield TypeAheadSelect[str](
                    statuses, prompt=text.ALL_STATUSES, id="status", compact=True
                )
                yield TypeAheadSelect[str]([], prompt=text.ALL_GRIDS, id="grid", compact=True)
        yield Static(text.LOADING, id="count")
        yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    @guarded
    def on_mount(self) -> None:
        self.query_one("#table", DataTable).focus()
        self.load()

    @work(thread=True, exclusive=True, group="persons-load")
    def load(self) -> None:
        index = self.fk.person_index()
        self.app.call_from_thread(self._loaded, index)

    def _loaded(self, index: PersonIndex) -> None:
        self.index = index
        self.seen_version = self.fk.data_version
        if not self.due_only:
            grids = self.query_one("#grid", Select)
            grids.set_options([(g, g) for g in index.grids()])
        self.refilter()

    @guarded
    def on_screen_resume(self) -> None:
        if self.index is not None and self.seen_version != self.fk.data_version:
            self.seen_version = self.fk.data_version
            if self.fk.built_person_index is not self.index:
                self.load()  # replaced (an import, a join): read anew
            else:
                self.refilter(keep=self.current_id())

    # -- filtering -------------------------------------------------------------------------

    def _select(self, selector: str) -> str | None:
        found = self.query(selector)
        if not found:
            return None
        value = found.first(Select).value
        return value if isinstance(value, str) else None

    def _grid(self) -> str | None:
        if self.due_only:
            return self.fk.own_grid()
        return self._select("#grid")

    @on(Input.Changed, "#search")
    @on(Select.Changed)
    @guarded
    def filters_changed(self) -> None:
        self.refilter()

    def refilter(self, keep: str | None = None) -> None:
        if self.index is None:
            return
        self.generation += 1
        self.search(
            self.index,
            self.query_one("#search", Input).value,
            self._select("#category"),
            self._select("#status"),
            self._grid(),
            self.generation,
            keep,
        )

    @work(thread=True, exclusive=True, group="persons-search")
    def search(
        self,
        index: PersonIndex,
        query: str,
        category: str | None,
        status: str | None,
        grid: str | None,
        generation: int,
        keep: str | None,
    ) -> None:
        hits = index.matches(
            query, category=category, status=status, grid=grid, due_only=self.due_only
        )
        self.app.call_from_thread(self._show, hits, generation, keep)

    def row_cells(self, row: PersonRow) -> dict[str, Text]:
        ws = self.fk.ws
        form = self.person_form
        data = row.record["data"]
        state, style = due_state(row.due, self.soon_days)
        level = form.field("level").label_of(row.level, data) if row.level else ""
        values = {
            "name": row.name,
            "state": state,
            "next": row.due.next_due.isoformat() if row.due else text.NOT_SCHEDULED,
            "category": ws.display(form, form.field("category"), data),
            "level": level,
            "status": ws.display(form, form.field("status"), data),
            "last": row.last_visit or (text.NEVER_VISITED if row.due else ""),
            "id": idnumber.mask(str(data.get("id_number", ""))),
        }
        return {k: cell(v, style) for k, v in values.items()}

    def _count(self) -> None:
        total = len(self.hits)
        if self.due_only:
            if not total:
                label = text.DUE_NONE
            else:
                counts = DueCounts.of((r.due for r in self.hits if r.due), self.soon_days)
                label = text.DUE_COUNT.format(counts=text.due_summary(counts))
                if self.shown < total:
                    label += text.COUNT_MORE.format(shown=self.shown)
        elif not total:
            label = text.PERSONS_NONE
        elif self.shown < total:
            label = text.PERSONS_COUNT_WINDOW.format(total=total, shown=self.shown)
        else:
            label = text.PERSONS_COUNT.format(total=total)
        self.query_one("#count", Static).update(label)

    # -- the highlighted person ----------------------------------------------------------------

    @on(DataTable.RowSelected, "#table")
    @guarded
    def row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    @guarded
    def action_open(self) -> None:
        person_id = self._current_or_warn()
        if person_id:
            self.post_message(OpenRecord(person_id))

    @guarded
    def action_followup(self) -> None:
        person_id = self._current_or_warn()
        if person_id:
            self.fk.open_form(self.visit_form.id, prefill={self.person_ref: person_id})

    @guarded
    def action_register(self) -> None:
        self.fk.open_form(self.person_form.id)

    @guarded
    def action_back(self) -> None:
        self.dismiss(None)


class DueScreen(PersonsScreen):
    """Persons of this worker's grid overdue, due today or due within `soon_days`, most
    overdue first (the office sees every grid)."""

    due_only = True

    def columns(self) -> list[Column]:
        # Every row here is 在管: no status column.
        return [c for c in super().columns() if c.key != "status"]


def open_persons(app: Services) -> None:
    app.push_screen(PersonsScreen())


def open_due(app: Services) -> None:
    app.push_screen(DueScreen())
