"""What the searchable list screens share (records, persons, due visits): a search box over a
table shown a page at a time, typing that goes to the search box, and the highlighted row."""

from __future__ import annotations

import time

from textual import on
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Input

from fieldkit.tui import text
from fieldkit.tui.safety import guarded


class SearchListScreen(Screen[None]):
    """A screen with an Input ``#search`` and a DataTable ``#table`` keyed by record id.

    Subclasses search in a worker thread and hand the matches (rows with an ``id``) to
    :meth:`_show`; they define ``_add_page`` (add the next page of ``hits`` to the table) and
    ``_count`` (say how many there are).
    """

    hits: list
    shown: int  # rows of hits in the table
    generation: int  # of the latest search: the results of earlier ones are dropped
    updated_at: float  # perf_counter when the table last changed (benchmarks read it)

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

    def _add_page(self) -> None:
        raise NotImplementedError

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
