"""The sync screen's 重复人员 tab: persons registered more than once with one ID number;
Enter opens fieldkit.tui.screens.join to merge them, and references that still point at a
joined person (from laptops that had not heard of the join) can be moved along."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Static, TabbedContent

from fieldkit.forms import idnumber
from fieldkit.sync import review
from fieldkit.tui import text
from fieldkit.tui.safety import guarded
from fieldkit.tui.screens.join import JoinScreen
from fieldkit.tui.screens.sync.common import RecordsChanged, plain
from fieldkit.tui.widgets.chinese import Paragraph

if TYPE_CHECKING:
    from fieldkit.tui.services import Services

TAB_DUPLICATES = "重复人员"
NO_DUPLICATES = "没有疑似重复的人员。"
DUPLICATES_HINT = (
    "同一身份证号登记了多次。选中一行按 Enter，对照各次登记逐项选择保留的内容，确认后合并："
    "其余登记的随访记录都改为指向合并后的人员。"
)
REGISTRATION_LINE = "{n}. {who} · {grid} · {at} · 随访等 {refs} 条"
STALE = "{n} 条记录仍指向已合并的人员（来自合并前的电脑）。"
BTN_STALE = "改为指向合并后的人员"
REPOINTED = "{moved} 条记录已改为指向合并后的人员。"


class DuplicatesPane(VerticalScroll):
    """Likely duplicate persons, one row per ID number."""

    def __init__(self) -> None:
        super().__init__()
        self.duplicate_rows: list[review.Duplicate] = []

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(Paragraph(DUPLICATES_HINT), classes="line")
        table: DataTable = DataTable(id="duplicate-table", cursor_type="row", zebra_stripes=True)
        for key, label in (
            ("name", "姓名"),
            ("id", "身份证号"),
            ("who", "各次登记（登记人、网格、时间、随访等记录）"),
        ):
            table.add_column(label, key=key)
        yield table
        yield Static("", id="duplicate-empty", classes="line", markup=False)
        yield Static("", id="stale", classes="line warn", markup=False)
        with Horizontal(classes="button-bar"):
            yield Button(BTN_STALE, id="btn-stale")

    @guarded
    def on_mount(self) -> None:
        self.query_one("#btn-stale", Button).display = False
        self.load()

    @work(thread=True, exclusive=True, group="sync-duplicates")
    def load(self) -> None:
        app = self.fk
        with app.ws_lock:
            duplicates = review.duplicates(app.ws)
            stale = len(review.stale_references(app.ws))
        app.call_from_thread(self._show, duplicates, stale)

    def _show(self, duplicates: list[review.Duplicate], stale: int) -> None:
        table = self.query_one("#duplicate-table", DataTable)
        table.clear()
        self.duplicate_rows = []
        for dup in duplicates:
            names = dict.fromkeys(str(r["data"].get("name", "")) for r in dup.records)
            who = "\n".join(
                REGISTRATION_LINE.format(
                    n=n,
                    who=rec.get("created_by", ""),
                    grid=rec["data"].get("grid", ""),
                    at=text.short_time(rec.get("created_at", "")),
                    refs=dup.references.get(rec["id"], 0),
                )
                for n, rec in enumerate(dup.records, start=1)
            )
            table.add_row(
                plain("、".join(names)),
                plain(idnumber.mask(str(dup.value))),
                plain(who),
                height=None,
            )
            self.duplicate_rows.append(dup)
        self.query_one("#duplicate-empty", Static).update("" if duplicates else NO_DUPLICATES)
        label = f"{TAB_DUPLICATES}（{len(duplicates)}）"
        self.query_ancestor(TabbedContent).get_tab("duplicates").label = label
        self.query_one("#stale", Static).update(STALE.format(n=stale) if stale else "")
        self.query_one("#btn-stale", Button).display = bool(stale)

    @on(DataTable.RowSelected, "#duplicate-table")
    @guarded
    def open_join(self, event: DataTable.RowSelected) -> None:
        event.stop()
        dup = self.duplicate_rows[event.cursor_row]
        self.app.push_screen(JoinScreen(dup.form, dup.value), self._joined)

    def _joined(self, joined: bool | None) -> None:
        if joined:
            self.post_message(RecordsChanged(lists=False))

    @on(Button.Pressed, "#btn-stale")
    @guarded
    def follow_joins(self) -> None:
        with self.fk.ws_lock:
            moved = review.follow_joins(self.fk.ws)
        self.notify(REPOINTED.format(moved=moved), markup=False)
        self.post_message(RecordsChanged(lists=True))
