"""The sync screen's 未通过检查 tab: records that arrived but broke a form's rules; kept,
not merged, until the laptop that sent them exports them again corrected."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static, TabbedContent

from fieldkit.sync import review
from fieldkit.tui import text
from fieldkit.tui.safety import guarded
from fieldkit.tui.screens.sync.common import plain
from fieldkit.tui.widgets.chinese import Paragraph

if TYPE_CHECKING:
    from fieldkit.tui.services import Services

TAB_REJECTED = "未通过检查"
NO_REJECTED = "没有未通过检查的记录。"
REJECTED_HINT = "这些记录内容不符合表单要求，已保留但没有合并；修正后请让网格员重新导出。"


class RejectedPane(VerticalScroll):
    """The rejected records, one row each, with the reasons."""

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(Paragraph(REJECTED_HINT), classes="line")
        table: DataTable = DataTable(id="rejected-table", cursor_type="row", zebra_stripes=True)
        for key, label in (
            ("at", "收到时间"),
            ("file", "文件"),
            ("from", "来自"),
            ("form", "表单"),
            ("reasons", "原因"),
        ):
            table.add_column(label, key=key)
        yield table
        yield Static("", id="rejected-empty", classes="line", markup=False)

    @guarded
    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="sync-rejected")
    def load(self) -> None:
        app = self.fk
        with app.ws_lock:
            rejected = review.rejected(app.ws)
            labels = {f.id: f.label for f in app.ws.forms}
        app.call_from_thread(self._show, rejected, labels)

    def _show(self, rejected: list[dict[str, Any]], labels: dict[str, str]) -> None:
        table = self.query_one("#rejected-table", DataTable)
        table.clear()
        for doc in rejected:
            rec, src = doc.get("record", {}), doc.get("source", {})
            table.add_row(
                plain(text.short_time(doc.get("received_at", ""))),
                plain(doc.get("file", "")),
                plain(f"{src.get('worker', '')} {src.get('grid', '')}"),
                plain(labels.get(rec.get("form"), rec.get("form", ""))),
                plain("；".join(doc.get("reasons", []))),
            )
        self.query_one("#rejected-empty", Static).update("" if rejected else NO_REJECTED)
        label = f"{TAB_REJECTED}（{len(rejected)}）"
        self.query_ancestor(TabbedContent).get_tab("rejected").label = label
