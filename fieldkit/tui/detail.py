"""One record in full: every answer with choice labels, the full ID number (only here), and
who entered and changed it."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Static

from fieldkit import idnumber
from fieldkit.tui import text
from fieldkit.validation import is_relevant

if TYPE_CHECKING:
    from fieldkit.tui.app import FieldkitApp


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
    def fk(self) -> FieldkitApp:
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
        yield Header()
        with VerticalScroll(id="detail-body"):
            yield Label(self.fk.describe(form, record), classes="detail-title", markup=False)
            for f in form.fields:
                if not is_relevant(f, data, refs):
                    continue
                value = ws.display(form, f, data, masked=False) or text.EMPTY_VALUE
                if f.type == "id_number" and data.get(f.id):
                    value += self._id_extra(str(data[f.id]), ws.today())
                if f.type == "reference" and f.id in refs:
                    value = self.fk.reference_label(f, data[f.id])
                with Horizontal(classes="detail-row"):
                    yield Label(f.label, classes="detail-label")
                    yield Static(value, classes="detail-value", markup=False)
            versions = len(record.get("ancestors", [])) + 1
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
            yield Static("\n".join(meta), classes="detail-meta", markup=False)
        yield Footer()

    @staticmethod
    def _id_extra(value: str, today: date) -> str:
        age = idnumber.age(value, today)
        if age is None:
            return ""
        return text.ID_DERIVED.format(gender=idnumber.gender(value), age=age)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_edit(self) -> None:
        record = self.fk.ws.get_live(self.record_id)
        self.fk.open_form(self.form_id, record, callback=lambda _: self.refresh(recompose=True))

    def action_history(self) -> None:
        from fieldkit.tui.history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.record_id))

    def action_delete(self) -> None:
        from fieldkit.tui.records import confirm_delete

        confirm_delete(self.fk, self.record_id, done=lambda: self.dismiss(None))
