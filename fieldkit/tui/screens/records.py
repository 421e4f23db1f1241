"""The records of one form: newest first, filtered as you type, by year and by month.

The list can hold tens of thousands of records; the table only ever holds the first pages of
the matches and grows as the cursor nears its end. Searching runs in a thread worker over the
prepared search text of the form's RecordIndex.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Input, Select, Static

from fieldkit.forms.definitions import Field
from fieldkit.tui import text
from fieldkit.tui.messages import OpenHistory, OpenRecord
from fieldkit.tui.safety import guarded
from fieldkit.tui.screens.dialogs import Answer, ChoiceDialog
from fieldkit.tui.widgets.footer import KeyFooter
from fieldkit.tui.widgets.search_list import Column, SearchListScreen, cell
from fieldkit.tui.widgets.typeahead import TypeAheadSelect
from fieldkit.views.records import Entry, RecordIndex

if TYPE_CHECKING:
    from fieldkit.tui.services import Services


SAMPLE = 200  # records measured for the widths of text columns


class RecordsScreen(SearchListScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", text.KEY_BACK, id="records.back", tooltip=text.KEY_BACK_TIP),
        Binding("n", "new", text.KEY_NEW, id="records.new", tooltip=text.KEY_NEW_TIP),
        Binding("e", "edit", text.KEY_EDIT, id="records.edit", tooltip=text.KEY_EDIT_TIP),
        Binding(
            "h", "history", text.KEY_HISTORY, id="records.history", tooltip=text.KEY_HISTORY_TIP
        ),
        Binding("d", "delete", text.KEY_DELETE, id="records.delete", tooltip=text.KEY_DELETE_TIP),
        Binding("/", "search", text.KEY_SEARCH, id="records.search", tooltip=text.KEY_SEARCH_TIP),
    ]

    def __init__(self, form_id: str):
        super().__init__(classes="records-screen")
        self.form_id = form_id
        self.index: RecordIndex | None = None
        self.hits: list[Entry] = []
        self.shown = 0
        self.seen_version = -1
        self.generation = 0  # bumps per search; a late result of an older one is dropped
        self.updated_at = 0.0  # perf_counter when the table last changed (benchmarks read it)
        self.typical: dict[str, int] = {}  # text column -> the width most values fit in

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        self.form = self.fk.ws.form(self.form_id)
        self.sub_title = text.RECORDS_TITLE.format(form=self.form.label)
        yield Header()
        with Horizontal(id="filters"):
            yield Input(
                placeholder=text.SEARCH_PLACEHOLDER,
                id="search",
                compact=True,
                select_on_focus=False,
            )
            yield TypeAheadSelect[int]([], prompt=text.ALL_YEARS, id="year", compact=True)
            yield TypeAheadSelect[int](
                [(text.MONTH.format(m=m), m) for m in range(1, 13)],
                prompt=text.ALL_MONTHS,
                id="month",
                compact=True,
            )
        yield Static(text.LOADING, id="count")
        yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def columns(self) -> list[Column]:
        # The form lists its most telling columns first: later ones go first when narrow.
        return [
            _column(self.form.field(fid), keep, self.typical.get(fid))
            for keep, fid in enumerate(self.form.list_columns)
        ]

    def _measure(self, index: RecordIndex) -> None:
        """How wide the text columns' values usually are, from the newest records (a case
        number is shown whole before the parties' names get more room)."""
        ws, form = self.fk.ws, self.form
        sample = index.entries[:SAMPLE]
        for fid in form.list_columns:
            f = form.field(fid)
            if f.type in ("text", "multiline", "reference") and sample:
                widths = sorted(cell_len(ws.shown(form, f, e.record)) for e in sample)
                self.typical[fid] = widths[int(len(widths) * 0.9)]  # most of them whole

    def row_cells(self, row: Entry) -> dict[str, Text]:
        ws, form = self.fk.ws, self.form
        return {fid: cell(ws.shown(form, form.field(fid), row.record)) for fid in form.list_columns}

    @guarded
    def on_mount(self) -> None:
        self.query_one("#table", DataTable).focus()
        self.load()

    @work(thread=True, exclusive=True, group="records-load")
    def load(self) -> None:
        index = self.fk.record_index(self.form_id)
        self.app.call_from_thread(self._loaded, index)
        index.prepare()  # the search text, while the user reads the first page

    def _loaded(self, index: RecordIndex) -> None:
        self.index = index
        self.seen_version = self.fk.data_version
        self._measure(index)
        self.fit_table(self.app.size.width)
        years = self.query_one("#year", Select)
        years.set_options([(text.YEAR.format(y=y), y) for y in index.years()])
        self.refilter()

    @guarded
    def on_screen_resume(self) -> None:
        if self.index is not None and self.seen_version != self.fk.data_version:
            self.seen_version = self.fk.data_version
            if self.fk.indexes.get(self.form_id) is not self.index:
                self.load()  # dropped (a record it shows was renamed): rebuild
            else:
                self.refilter(keep=self.current_id())

    # -- filtering -------------------------------------------------------------------------

    def _filters(self) -> tuple[str, int | None, int | None]:
        year = self.query_one("#year", Select).value
        month = self.query_one("#month", Select).value
        return (
            self.query_one("#search", Input).value,
            year if isinstance(year, int) else None,
            month if isinstance(month, int) else None,
        )

    @on(Input.Changed, "#search")
    @on(Select.Changed, "#year")
    @on(Select.Changed, "#month")
    @guarded
    def filters_changed(self) -> None:
        self.refilter()

    def refilter(self, keep: str | None = None) -> None:
        if self.index is None:
            return
        self.generation += 1
        self.search(self.index, *self._filters(), self.generation, keep)

    @work(thread=True, exclusive=True, group="records-search")
    def search(
        self,
        index: RecordIndex,
        query: str,
        year: int | None,
        month: int | None,
        generation: int,
        keep: str | None,
    ) -> None:
        hits = index.matches(query, year, month)
        self.app.call_from_thread(self._show, hits, generation, keep)

    def _count(self) -> None:
        total = len(self.hits)
        if not total:
            label = text.COUNT_NONE
        elif self.shown < total:
            label = text.COUNT_WINDOW.format(total=total, shown=self.shown)
        else:
            label = text.COUNT.format(total=total)
        self.query_one("#count", Static).update(label)

    # -- the highlighted record ----------------------------------------------------------------

    @on(DataTable.RowSelected, "#table")
    @guarded
    def open_detail(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.post_message(OpenRecord(event.row_key.value, fields_only=True))

    @guarded
    def action_new(self) -> None:
        self.fk.open_form(self.form_id)

    @guarded
    def action_edit(self) -> None:
        record_id = self._current_or_warn()
        if record_id:
            self.fk.open_form(self.form_id, self.fk.ws.get_live(record_id))

    @guarded
    def action_history(self) -> None:
        record_id = self._current_or_warn()
        if record_id:
            self.post_message(OpenHistory(record_id))

    @guarded
    def action_delete(self) -> None:
        record_id = self._current_or_warn()
        if record_id:
            confirm_delete(self.fk, record_id)

    @guarded
    def action_back(self) -> None:
        self.dismiss(None)


def confirm_delete(app: Services, record_id: str, done=None) -> None:
    """Ask, then delete (a tombstone version); `done()` runs after a deletion."""
    ws = app.ws
    record = ws.get_live(record_id)
    form = ws.form(record["form"])

    def answered(answer: str | None) -> None:
        if answer != "delete":
            return
        with app.ws_lock:
            tombstone = ws.delete(record_id)
        app.record_saved(tombstone)
        app.notify(text.DELETED)
        if done is not None:
            done()

    app.push_screen(
        ChoiceDialog(
            text.DELETE_TITLE,
            text.DELETE_BODY.format(title=app.describe(form, record)),
            [
                Answer("delete", text.DELETE_YES, "y", "error"),
                Answer("cancel", text.DELETE_NO, "", "default"),
            ],
            cancel="cancel",
            danger=True,
        ),
        answered,
    )


def _column(f: Field, keep: int, typical: int | None = None) -> Column:
    """A list column for a field, as wide as its values usually are (`typical`, measured for
    text); text takes what is left over."""
    if f.type in ("text", "multiline"):
        return Column(f.id, f.label, min(typical or 10, 40), keep=keep, grow=True, least=8)
    if f.is_choice:
        widest = max((cell_len(c.label) for c in f.all_choices()), default=4)
        if f.type == "select_multiple":
            widest = max(widest, 16)
        return Column(f.id, f.label, min(widest, 20), keep, least=min(widest, 8))
    if f.type == "reference":
        return Column(f.id, f.label, min(typical or 8, 20), keep, grow=True, least=6)
    widths = {"date": 10, "datetime": 16, "id_number": 18, "phone": 13}
    return Column(f.id, f.label, widths.get(f.type, 6), keep)
