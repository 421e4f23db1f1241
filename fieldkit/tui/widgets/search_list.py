"""What the searchable list screens share (records, persons, due visits): a search box over a
table shown a page at a time, typing that goes to the search box, the highlighted row, and
columns fitted to the window (the ones that matter most kept, the rest dropped, never cut)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual import events, on
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Input

from fieldkit.tui import text
from fieldkit.tui.safety import guarded

SCROLLBAR = 2  # cells the table's scroll bar takes
OPTIONAL = 3  # columns with this `keep` or more are dropped rather than others narrowed


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int  # cells its values need
    keep: int = 0  # when the window is narrow, the columns with the highest `keep` go first
    grow: bool = False  # takes the space left over (long text, names)
    least: int = 0  # narrowest it may become (values then end in …); 0: `width`

    @property
    def label_width(self) -> int:
        return max(cell_len(line) for line in self.label.split("\n"))

    @property
    def need(self) -> int:
        return max(self.width, self.label_width)

    @property
    def floor(self) -> int:
        return max(self.least or self.width, self.label_width)


def fit_columns(columns: list[Column], width: int, padding: int = 2) -> list[tuple[Column, int]]:
    """The columns that fit in `width` cells (each also takes `padding`), in their order, with
    their widths: the least needed dropped first; then each kept column as wide as it needs,
    the most needed first, and what is left shared by the growing columns."""
    kept = list(columns)

    def drop_last(among: list[Column]) -> None:
        kept.remove(max(among, key=lambda c: (c.keep, kept.index(c))))

    # Columns of little need go before any other column is narrowed (long text, which takes
    # what is left anyway, gives way first) …
    while sum((c.floor if c.grow else c.need) + padding for c in kept) > width:
        optional = [c for c in kept if c.keep >= OPTIONAL]
        if not optional:
            break
        drop_last(optional)
    # … then columns are narrowed (values end in …), and only if that is not enough, dropped.
    while len(kept) > 1 and sum(c.floor + padding for c in kept) > width:
        drop_last(kept)
    widths = {c.key: c.floor for c in kept}
    spare = width - sum(c.floor + padding for c in kept)
    for c in sorted(kept, key=lambda c: c.keep):
        more = min(max(spare, 0), c.need - widths[c.key])
        widths[c.key] += more
        spare -= more
    growing = [c for c in kept if c.grow] or kept[:1]
    share, extra = divmod(max(spare, 0), len(growing))
    for i, c in enumerate(growing):
        widths[c.key] += share + (1 if i < extra else 0)
    return [(c, widths[c.key]) for c in kept]


def cell(value: str, style: str = "") -> Text:
    """A table cell that ends in … when its column is too narrow."""
    return Text(value, style=style, overflow="ellipsis", no_wrap=True)


class SearchListScreen(Screen[None]):
    """A screen with an Input ``#search`` and a DataTable ``#table`` keyed by record id.

    Subclasses search in a worker thread and hand the matches (rows with an ``id``) to
    :meth:`_show`; they define ``columns`` (what the table can show), ``row_cells`` (a row's
    cells) and ``_count`` (say how many there are), and call ``fit_table`` once mounted.
    """

    page = 100  # rows added to the table at a time

    hits: list
    shown: int  # rows of hits in the table
    generation: int  # of the latest search: the results of earlier ones are dropped
    updated_at: float  # perf_counter when the table last changed (benchmarks read it)
    fitted: list[tuple[Column, int]] | None = None  # the columns shown, with their widths

    def columns(self) -> list[Column]:
        """Every column the list can show, in order."""
        raise NotImplementedError

    def row_cells(self, row) -> dict[str, Text]:
        """One row's cells by column key."""
        raise NotImplementedError

    def _add_page(self) -> None:
        table = self.query_one("#table", DataTable)
        keys = [c.key for c, _ in self.fitted or []]
        for row in self.hits[self.shown : self.shown + self.page]:
            cells = self.row_cells(row)
            table.add_row(*(cells[k] for k in keys), key=row.id)
        self.shown = min(len(self.hits), self.shown + self.page)

    def fit_table(self, width: int) -> None:
        """Show the columns that fit in `width` cells (the screen's width); rows are drawn
        again when the set changes."""
        table = self.query_one("#table", DataTable)
        fitted = fit_columns(self.columns(), width - SCROLLBAR, 2 * table.cell_padding)
        if fitted == self.fitted:
            return
        self.fitted = fitted
        keep = self.current_id() if table.row_count else None
        table.clear(columns=True)
        for column, cells in fitted:
            table.add_column(column.label, key=column.key, width=cells)
        if getattr(self, "hits", None):
            self._show(self.hits, self.generation, keep)

    @guarded
    def on_mount(self) -> None:
        self.fit_table(self.app.size.width)

    @guarded
    def on_resize(self, event: events.Resize) -> None:
        self.fit_table(event.size.width)

    @guarded
    def on_screen_resume(self) -> None:
        self.fit_table(self.app.size.width)  # the window may have changed meanwhile

    def _show(self, hits: list, generation: int, keep: str | None) -> None:
        """Show the matches of search `generation`, the cursor on row `keep` if among them."""
        if generation != self.generation:
            return
        self.hits = hits
        self.shown = 0
        table = self.query_one("#table", DataTable)
        table.clear()
        self._add_page()
        if keep:
            at = next((i for i, row in enumerate(hits) if row.id == keep), None)
            if at is not None:
                while self.shown <= at:
                    self._add_page()
                table.move_cursor(row=at)
        self._count()
        self.updated_at = time.perf_counter()

    def _count(self) -> None:
        raise NotImplementedError

    @on(DataTable.RowHighlighted, "#table")
    @guarded
    def near_end(self, event: DataTable.RowHighlighted) -> None:
        if self.shown < len(self.hits) and event.cursor_row >= self.shown - 10:
            self._add_page()
            self._count()

    # -- typing goes to the search box -------------------------------------------------------

    @guarded
    def on_key(self, event) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus or not event.is_printable or not event.character:
            if search.has_focus and event.key == "down":
                event.stop()
                self.query_one("#table", DataTable).focus()
            return
        if event.key in self.active_bindings:
            return  # one of this screen's keys (n, e, f …)
        if not isinstance(self.focused, DataTable):
            return  # a Select has focus: its own keys
        event.stop()
        search.focus()
        search.insert_text_at_cursor(event.character)

    @on(Input.Submitted, "#search")
    @guarded
    def search_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#table", DataTable).focus()

    @guarded
    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    # -- the highlighted row ---------------------------------------------------------------------

    def current_id(self) -> str | None:
        table = self.query_one("#table", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value

    def _current_or_warn(self) -> str | None:
        record_id = self.current_id()
        if record_id is None:
            self.notify(text.NO_RECORD, severity="warning")
        return record_id
