"""Joining duplicate registrations of one person (the same ID number registered on two laptops):
the registrations side by side, field by field, the user choosing what to keep as for a
conflict, then a question before anything is merged.

The join itself is the core's (`review.join`): the first registration is kept as the record
(visits of the others are pointed at it) and takes the values chosen here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Header, Label, Static

from fieldkit.forms import idnumber
from fieldkit.forms.validation import ValidationFailed
from fieldkit.sync import review
from fieldkit.tui import text
from fieldkit.tui.safety import guarded
from fieldkit.tui.screens.dialogs import Answer, ChoiceDialog
from fieldkit.tui.widgets.chinese import Paragraph
from fieldkit.tui.widgets.footer import KeyFooter
from fieldkit.tui.widgets.search_list import Column, cell, fit_columns

if TYPE_CHECKING:
    from fieldkit.tui.services import Services

SUB_TITLE = "同步 · 重复人员"
TITLE = "合并重复人员：{title}"
HINT = (
    "同一身份证号登记了 {n} 次。↑↓ 选字段，按数字键 1、2…… 选这一项保留哪次登记的内容；"
    "Ctrl+S 合并（合并前会再确认）。"
)
COL_FIELD, COL_KEEP = "字段", "保留"
REGISTRATION = "登记{n}\n{who} {at}"
ROW_VISITS = "随访等记录"
VISITS = "{n} 条"
SAME = "相同"
TAKE = "登记{n}"
BTN_JOIN = "合并（Ctrl+S）"
ASK_TITLE = "合并这 {n} 次登记？"
ASK_KEEP = "合并后：{values}"
ASK_SAME = "合并后各项与登记1相同。"
ASK_MOVED = "其余登记的 {refs} 条随访等记录将改为指向合并后的人员；合并会同步到各电脑，不能撤销。"
ASK_OK = "合并"
JOIN_TIP = "按所选内容合并这几次登记（合并前会再确认）"
JOINED = "已合并：{title}，{moved} 条记录改为指向合并后的人员。"
GONE = "这些登记已经合并或删除。"
UNCHOSEN = "这一项各次登记相同，不用选择"


class JoinScreen(Screen[bool]):
    """The registrations of one person side by side; dismisses True once joined."""

    DEFAULT_CSS = """
    JoinScreen #join-body { padding: 0 2; }
    JoinScreen .line { height: auto; margin: 0 0 1 0; }
    JoinScreen #join-fields { height: auto; max-height: 24; }
    JoinScreen .button-bar { height: auto; margin: 1 0 0 0; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", text.KEY_BACK, id="join.back", tooltip=text.KEY_BACK_TIP),
        Binding("ctrl+s", "join", ASK_OK, priority=True, id="join.join", tooltip=JOIN_TIP),
    ]
    HELP_ABOUT = (
        "同一身份证号登记了多次时，在这里决定保留哪些内容：每个字段按数字键选用哪一次登记。",
        "合并后只留一人，其余登记的随访记录都改为指向他；合并会同步到各电脑。",
    )

    def __init__(self, form_id: str, value: Any) -> None:
        super().__init__(id="join")
        self.form_id = form_id
        self.value = value
        self.records: list[dict[str, Any]] = []
        self.references: dict[str, int] = {}
        self.fields: list[str] = []  # shown, in form order
        self.picks: dict[str, int] = {}  # field -> registration chosen (only differing fields)

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        ws = self.fk.ws
        with self.fk.ws_lock:
            found = [
                d
                for d in review.duplicates(ws)
                if d.form == self.form_id and repr(d.value) == repr(self.value)
            ]
        if found:
            self.records, self.references = found[0].records, found[0].references
        self.form = ws.form(self.form_id)
        for f in self.form.fields:
            values = [r["data"].get(f.id) for r in self.records]
            if all(v in (None, "", []) for v in values):
                continue
            self.fields.append(f.id)
            if len({repr(v) for v in values}) > 1:
                # As the join did before there was a choice: the first that has a value.
                self.picks[f.id] = next(i for i, v in enumerate(values) if v not in (None, "", []))
        self.sub_title = SUB_TITLE
        yield Header()
        with VerticalScroll(id="join-body", can_focus=False):
            yield Label(TITLE.format(title=self._title()), classes="section-title")
            yield Static(Paragraph(HINT.format(n=len(self.records))), classes="line")
            yield DataTable(
                id="join-fields", cursor_type="row", zebra_stripes=True, header_height=2
            )
            with Horizontal(classes="button-bar"):
                yield Button(BTN_JOIN, id="btn-join", variant="primary", compact=True)
        yield KeyFooter()

    def _title(self) -> str:
        if not self.records:
            return ""
        data = self.records[0]["data"]
        title = str(data.get(self.form.title_field, ""))
        if self.form.unique and self.form.field(self.form.unique).type == "id_number":
            title += f"（{idnumber.mask(str(self.value))}）"
        return title

    @guarded
    def on_mount(self) -> None:
        if len(self.records) < 2:
            self.notify(GONE)
            self.dismiss(False)
            return
        table = self.query_one("#join-fields", DataTable)
        # What is kept right after the field: with several registrations it stays in sight.
        columns = [Column("field", COL_FIELD, 12, keep=0), Column("keep", COL_KEEP, 5, keep=0)]
        for n, rec in enumerate(self.records, start=1):
            head = REGISTRATION.format(
                n=n,
                who=rec.get("created_by", ""),
                at=text.short_time(rec.get("created_at", ""))[5:],
            )
            columns.append(Column(f"r{n}", head, 12, keep=0, grow=True, least=8))
        for column, width in fit_columns(columns, self.app.size.width - 6):
            table.add_column(column.label, key=column.key, width=width)
        counts = [cell(VISITS.format(n=self.references.get(r["id"], 0))) for r in self.records]
        table.add_row(cell(ROW_VISITS, "dim"), cell(""), *counts, key="_refs")
        for fid in self.fields:
            f = self.form.field(fid)
            cells = [cell(self.fk.ws.display(self.form, f, r["data"])) for r in self.records]
            table.add_row(cell(f.label), self._keep_cell(fid), *cells, key=fid)
        table.focus()
        table.move_cursor(row=1)

    def _keep_cell(self, fid: str) -> Text:
        if fid not in self.picks:
            return Text(SAME, style="dim")
        return Text(TAKE.format(n=self.picks[fid] + 1), style="bold")

    @guarded
    def on_key(self, event) -> None:
        key = event.key
        if not (key.isdigit() and 1 <= int(key) <= len(self.records)):
            return
        event.stop()
        table = self.query_one("#join-fields", DataTable)
        row = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if row not in self.picks:
            self.notify(UNCHOSEN)
            return
        self.picks[row] = int(key) - 1
        table.update_cell(row, "keep", self._keep_cell(row))

    def chosen(self) -> dict[str, Any]:
        """The kept registration's data with the chosen values."""
        data = dict(self.records[0]["data"])
        for fid, index in self.picks.items():
            value = self.records[index]["data"].get(fid)
            if value in (None, "", []):
                data.pop(fid, None)
            else:
                data[fid] = value
        return data

    @on(Button.Pressed, "#btn-join")
    @guarded
    def pressed(self) -> None:
        self.action_join()

    @guarded
    def action_join(self) -> None:
        if len(self.records) < 2:
            return
        data = self.chosen()
        changed = [
            f"{self.form.field(fid).label} {self.fk.ws.display(self.form, self.form.field(fid), data) or text.EMPTY_VALUE}"
            for fid in self.picks
        ]
        refs = sum(self.references.get(r["id"], 0) for r in self.records[1:])
        body = [ASK_KEEP.format(values="；".join(changed)) if changed else ASK_SAME]
        body.append(ASK_MOVED.format(refs=refs))

        def answered(answer: str | None) -> None:
            if answer == "join":
                self.join(data)

        self.app.push_screen(
            ChoiceDialog(
                ASK_TITLE.format(n=len(self.records)),
                "\n".join(body),
                [Answer("no", text.CANCEL, "", "default"), Answer("join", ASK_OK, "y", "primary")],
                cancel="no",
            ),
            answered,
        )

    def join(self, data: dict[str, Any]) -> None:
        keep = self.records[0]["id"]
        moved = 0
        try:
            with self.fk.ws_lock:
                for n, drop in enumerate(self.records[1:]):
                    result = review.join(
                        self.fk.ws, keep, drop["id"], data=data if n == 0 else None
                    )
                    moved += result.repointed
        except ValidationFailed as exc:
            self.notify(
                "；".join(str(p) for p in exc.outcome.errors), severity="error", markup=False
            )
            return
        self.fk.lists_changed()
        self.notify(JOINED.format(title=self._title(), moved=moved), markup=False)
        self.dismiss(True)

    @guarded
    def action_back(self) -> None:
        self.dismiss(False)
