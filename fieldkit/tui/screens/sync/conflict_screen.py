"""Resolving one conflict: the record's versions side by side, field by field, and a pick per
field (or one whole version); the resolution is fieldkit.sync.review's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Header, Label, Static

from fieldkit.forms.validation import ValidationFailed
from fieldkit.sync import review
from fieldkit.tui import text
from fieldkit.tui.safety import guarded
from fieldkit.tui.screens.sync.common import TITLE, plain
from fieldkit.tui.widgets.chinese import Paragraph
from fieldkit.tui.widgets.footer import KeyFooter
from fieldkit.tui.widgets.search_list import Column, cell, fit_columns

if TYPE_CHECKING:
    from fieldkit.tui.services import Services

CONFLICT_TITLE = "处理冲突：{form} {title}"
VERSION_HEAD = "版本{n}\n{who} {at}"
CURRENT_MARK = "（当前）"
COL_FIELD, COL_TAKE = "字段", "采用"
DELETED_LABEL = "删除状态"
DELETED_YES, DELETED_NO = "已删除", "未删除"
CONFLICT_HINT = (
    "↑↓ 选字段，按数字键 1、2…… 选该字段采用哪个版本；Ctrl+S 保存。也可以整体采用一个版本。"
)
BTN_WHOLE = "全部采用版本{n}"
KEY_SAVE_PICKS = "按所选保存"
BTN_SAVE = KEY_SAVE_PICKS + "（Ctrl+S）"
RESOLVED = "冲突已处理，生成了新版本，下次导出时会同步到各电脑。"


class ConflictScreen(Screen[bool]):
    """One record's versions side by side, field by field; dismisses True when resolved."""

    DEFAULT_CSS = """
    ConflictScreen #conflict-body { padding: 0 2; }
    ConflictScreen .button-bar Button { margin: 0 2 0 0; }
    ConflictScreen #fields { height: auto; max-height: 20; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", text.KEY_BACK, id="conflict.back", tooltip=text.KEY_BACK_TIP),
        Binding(
            "ctrl+s", "save", KEY_SAVE_PICKS, priority=True, id="conflict.save", tooltip=RESOLVED
        ),
    ]

    def __init__(self, record_id: str) -> None:
        super().__init__(id="conflict")
        self.record_id = record_id
        self.heads: list[dict[str, Any]] = []
        self.fields: list[str] = []
        self.picks: dict[str, int] = {}

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        ws = self.fk.ws
        with self.fk.ws_lock:
            found = [c for c in review.conflicts(ws) if c.record_id == self.record_id]
        if found:
            self.heads, self.fields = found[0].heads, found[0].fields
        self.picks = dict.fromkeys(self.fields, 0)
        form = ws.forms.get(self.heads[0]["form"]) if self.heads else None
        yield Header()
        with VerticalScroll(id="conflict-body", can_focus=False):
            title = ""
            if form and self.heads:
                title = ws.display(form, form.field(form.title_field), self.heads[0]["data"])
            label = form.label if form else ""
            yield Label(CONFLICT_TITLE.format(form=label, title=title), classes="section-title")
            yield Static(Paragraph(CONFLICT_HINT), classes="line")
            # Two-line headings: the version and who made it; 采用 right after the field.
            yield DataTable(id="fields", cursor_type="row", zebra_stripes=True, header_height=2)
            with Horizontal(classes="button-bar"):
                for n in range(1, len(self.heads) + 1):
                    yield Button(BTN_WHOLE.format(n=n), id=f"whole-{n}", compact=True)
                yield Button(BTN_SAVE, id="btn-save", variant="primary", compact=True)
        yield KeyFooter()

    @guarded
    def on_mount(self) -> None:
        self.sub_title = TITLE
        if not self.heads:
            self.dismiss(False)
            return
        ws = self.fk.ws
        form = ws.forms.get(self.heads[0]["form"])
        table = self.query_one("#fields", DataTable)
        columns = [Column("field", COL_FIELD, 10, keep=0), Column("take", COL_TAKE, 5, keep=0)]
        for n, h in enumerate(self.heads, start=1):
            head = VERSION_HEAD.format(
                n=n, who=h["updated_by"], at=text.short_time(h["updated_at"])[5:]
            )
            if n == 1:
                head = head.replace("\n", CURRENT_MARK + "\n", 1)
            columns.append(Column(f"v{n}", head, 12, keep=0, grow=True, least=8))
        for column, width in fit_columns(columns, self.app.size.width - 6):
            table.add_column(column.label, key=column.key, width=width)
        for key in self.fields:
            cells = [self._value(form, key, h) for h in self.heads]
            label = DELETED_LABEL
            if key != review.DELETED:
                label = form.field(key).label if form and form.has(key) else key
            table.add_row(plain(label), plain(f"版本{self.picks[key] + 1}"), *cells, key=key)
        table.focus()

    def _value(self, form, key: str, rec: dict[str, Any]) -> Text:
        if key == review.DELETED:
            return cell(DELETED_YES if rec["deleted"] else DELETED_NO)
        if form is not None and form.has(key):
            return cell(self.fk.ws.display(form, form.field(key), rec["data"]))
        return cell(str(rec["data"].get(key, "")))

    @guarded
    def on_key(self, event) -> None:
        if event.key.isdigit() and 1 <= int(event.key) <= len(self.heads) and self.fields:
            event.stop()
            table = self.query_one("#fields", DataTable)
            key = self.fields[table.cursor_row]
            self.picks[key] = int(event.key) - 1
            table.update_cell(key, "take", plain(f"版本{event.key}"))

    @on(Button.Pressed)
    @guarded
    def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        bid = event.button.id or ""
        if bid == "btn-save":
            self.action_save()
        elif bid.startswith("whole-"):
            self._resolve(whole=int(bid.removeprefix("whole-")) - 1)

    @guarded
    def action_save(self) -> None:
        self._resolve(picks=self.picks)

    def _resolve(self, *, whole: int | None = None, picks: dict[str, int] | None = None) -> None:
        try:
            with self.fk.ws_lock:
                rec = review.resolve(self.fk.ws, self.record_id, whole=whole, picks=picks)
        except ValidationFailed as exc:
            self.notify(
                "；".join(str(p) for p in exc.outcome.errors), severity="error", markup=False
            )
            return
        self.fk.record_saved(rec)
        self.notify(RESOLVED)
        self.dismiss(True)

    @guarded
    def action_back(self) -> None:
        self.dismiss(False)
