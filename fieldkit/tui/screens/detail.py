"""One record in full: every answer with choice labels, the full ID number (only here), and
who entered and changed it."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Label, Static

from fieldkit.forms import idnumber
from fieldkit.forms.validation import is_relevant
from fieldkit.store.versions import all_versions
from fieldkit.tui import text
from fieldkit.tui.messages import OpenHistory
from fieldkit.tui.safety import guarded
from fieldkit.tui.screens.records import confirm_delete
from fieldkit.tui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from fieldkit.tui.services import Services


class DetailScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", text.KEY_BACK, id="detail.back", tooltip=text.KEY_BACK_TIP),
        Binding("e", "edit", text.KEY_EDIT, id="detail.edit", tooltip=text.KEY_EDIT_TIP),
        Binding(
            "h", "history", text.KEY_HISTORY, id="detail.history", tooltip=text.KEY_HISTORY_TIP
        ),
        Binding("d", "delete", text.KEY_DELETE, id="detail.delete", tooltip=text.KEY_DELETE_TIP),
    ]

    def __init__(self, record_id: str):
        super().__init__(classes="detail-screen")
        self.record_id = record_id

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        ws = self.fk.ws
        record = ws.get_live(self.record_id)
        form = ws.form(record["form"])
        self.form_id = form.id
        self.sub_title = text.DETAIL_TITLE.format(form=form.label)
        data = record["data"]
        refs = {}
        for f in form.fields:
            if f.type == "reference" and data.get(f.id):
                target = ws.store.get(str(data[f.id]))
                if target is not None:
                    refs[f.id] = target
        # One table in one widget: a record opens in a few milliseconds however long it is.
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
        table.add_column(style="dim", no_wrap=True, width=16)
        table.add_column(ratio=1, overflow="fold")
        for f in form.fields:
            if not is_relevant(f, data, refs):
                continue
            value = ws.display(form, f, data, masked=False) or text.EMPTY_VALUE
            if f.type == "id_number" and data.get(f.id):
                value += self._id_extra(str(data[f.id]), ws.today())
            if f.type == "reference" and f.id in refs:
                value = self.fk.reference_label(f, data[f.id])
            table.add_row(Text(f.label), Text(value))
        with self.fk.ws_lock:
            versions = len(all_versions(ws.store, record["id"]))
        meta = [
            text.META_CREATED.format(
                by=record["created_by"], at=text.short_time(record["created_at"])
            ),
            text.META_UPDATED.format(
                by=record["updated_by"], at=text.short_time(record["updated_at"])
            ),
            text.META_VERSIONS.format(n=versions),
            text.META_ID.format(id=record["id"]),
        ]
        yield Header()
        with VerticalScroll(id="detail-body"):
            yield Label(self.fk.describe(form, record), classes="detail-title", markup=False)
            yield Static(table, id="detail-fields")
            yield Static("\n".join(meta), classes="detail-meta", markup=False)
        yield KeyFooter()

    @staticmethod
    def _id_extra(value: str, today: date) -> str:
        age = idnumber.age(value, today)
        if age is None:
            return ""
        return text.ID_DERIVED.format(gender=idnumber.gender(value), age=age)

    @guarded
    def action_back(self) -> None:
        self.dismiss(None)

    @guarded
    def action_edit(self) -> None:
        record = self.fk.ws.get_live(self.record_id)
        self.fk.open_form(self.form_id, record, callback=lambda _: self.refresh(recompose=True))

    @guarded
    def action_history(self) -> None:
        self.post_message(OpenHistory(self.record_id))

    @guarded
    def action_delete(self) -> None:
        confirm_delete(self.fk, self.record_id, done=lambda: self.dismiss(None))
