"""The sync screen's 冲突 tab: records two laptops changed each on its own; Enter opens one
in fieldkit.tui.screens.sync.conflict_screen to choose what to keep."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static, TabbedContent

from fieldkit.sync import review
from fieldkit.tui import text
from fieldkit.tui.safety import guarded
from fieldkit.tui.screens.sync.common import RecordsChanged, plain
from fieldkit.tui.screens.sync.conflict_screen import DELETED_LABEL, ConflictScreen
from fieldkit.tui.widgets.chinese import Paragraph

if TYPE_CHECKING:
    from fieldkit.tui.services import Services

TAB_CONFLICTS = "冲突"
NO_CONFLICTS = "没有待处理的冲突。"
CONFLICTS_HINT = "两台电脑各自改了同一条记录。选中一行按 Enter，逐字段或整体选择保留哪个版本。"
VERSION_LINE = "版本{n}：{who} {at}"


class ConflictsPane(VerticalScroll):
    """The conflicts waiting for a person, one row each."""

    def __init__(self) -> None:
        super().__init__()
        self.conflict_ids: list[str] = []

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(Paragraph(CONFLICTS_HINT), classes="line")
        table: DataTable = DataTable(id="conflict-table", cursor_type="row", zebra_stripes=True)
        for key, label in (
            ("title", "记录"),
            ("who", "各版本（谁、何时改的）"),
            ("fields", "不同的字段"),
        ):
            table.add_column(label, key=key)
        yield table
        yield Static("", id="conflict-empty", classes="line", markup=False)

    @guarded
    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="sync-conflicts")
    def load(self) -> None:
        app = self.fk
        with app.ws_lock:
            ws = app.ws
            conflicts = [
                (c, getattr(ws.forms.get(c.form), "label", c.form), self._title(c.heads[0]))
                for c in review.conflicts(ws)
            ]
            field_labels = {
                c.record_id: [self._field_label(c.form, k) for k in c.fields]
                for c, _, _ in conflicts
            }
        app.call_from_thread(self._show, conflicts, field_labels)

    def _title(self, rec: dict[str, Any]) -> str:
        """A record's title alone (a person's name, the person visited): the list is narrow."""
        form = self.fk.ws.forms.get(rec["form"])
        if form is None:
            return rec["id"][:8]
        title = self.fk.ws.display(form, form.field(form.title_field), rec["data"])
        return title or self.fk.describe(form, rec)

    def _field_label(self, form_id: str, key: str) -> str:
        if key == review.DELETED:
            return DELETED_LABEL
        form = self.fk.ws.forms.get(form_id)
        return form.field(key).label if form and form.has(key) else key

    def _show(self, conflicts, field_labels) -> None:
        table = self.query_one("#conflict-table", DataTable)
        table.clear()
        self.conflict_ids = []
        for c, form_label, title in conflicts:
            # One line per version, so that every worker's change is seen.
            who = "\n".join(
                VERSION_LINE.format(n=n, who=h["updated_by"], at=text.short_time(h["updated_at"]))
                for n, h in enumerate(c.heads, start=1)
            )
            table.add_row(
                plain(f"{form_label}：{title}"),
                plain(who),
                plain("、".join(field_labels[c.record_id])),
                key=c.record_id,
                height=None,
            )
            self.conflict_ids.append(c.record_id)
        self.query_one("#conflict-empty", Static).update("" if conflicts else NO_CONFLICTS)
        label = f"{TAB_CONFLICTS}（{len(conflicts)}）"
        self.query_ancestor(TabbedContent).get_tab("conflicts").label = label

    @on(DataTable.RowSelected, "#conflict-table")
    @guarded
    def open_conflict(self, event: DataTable.RowSelected) -> None:
        event.stop()
        record_id = self.conflict_ids[event.cursor_row]
        self.app.push_screen(ConflictScreen(record_id), self._resolved)

    def _resolved(self, _: bool | None) -> None:
        self.post_message(RecordsChanged(lists=False))
