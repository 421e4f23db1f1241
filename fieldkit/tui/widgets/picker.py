"""Pick a record of another form (a person, for a follow-up) by typing part of a name or an
ID number. ID numbers are matched in full but shown masked."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from fieldkit.tui import text
from fieldkit.tui.safety import guarded
from fieldkit.views.records import RecordIndex

if TYPE_CHECKING:
    from fieldkit.tui.services import Services

SHOWN = 50  # matches listed at once; typing more narrows them


class RecordPicker(ModalScreen[str | None]):
    """Returns the chosen record's id, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", text.CANCEL, id="picker.cancel", tooltip=text.PICK_CANCEL_TIP),
        Binding("down", "move(1)", show=False, id="picker.down", tooltip=text.PICK_MOVE_TIP),
        Binding("up", "move(-1)", show=False, id="picker.up", tooltip=text.PICK_MOVE_TIP),
        Binding(
            "enter", "choose", text.PICK_CHOOSE, id="picker.choose", tooltip=text.PICK_CHOOSE_TIP
        ),
    ]

    def __init__(self, form_id: str, query: str = ""):
        super().__init__(classes="dialog-screen")
        self.form_id = form_id
        self.initial = query
        self.index: RecordIndex | None = None

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        form = self.fk.ws.form(self.form_id)
        with Vertical(classes="dialog picker"):
            yield Label(text.PICK_TITLE.format(form=form.label), classes="dialog-title")
            yield Input(
                self.initial,
                placeholder=text.PICK_PLACEHOLDER,
                id="picker-query",
                select_on_focus=False,
            )
            yield Static(text.LOADING, id="picker-count")
            yield OptionList(id="picker-list", compact=True)

    @guarded
    def on_mount(self) -> None:
        self.query_one("#picker-query", Input).focus()
        self.load()

    def type_more(self, characters: str) -> None:
        """Characters typed before the search box had focus (a fast typist, an IME's word
        arriving at once) belong to the search."""
        if not self.is_mounted:
            self.initial += characters
            return
        self.query_one("#picker-query", Input).insert_text_at_cursor(characters)

    @guarded
    def on_key(self, event: events.Key) -> None:
        if event.is_printable and event.character:
            event.stop()
            self.type_more(event.character)

    @work(thread=True, exclusive=True, group="picker-load")
    def load(self) -> None:
        index = self.fk.record_index(self.form_id)
        index.prepare()
        self.app.call_from_thread(self._loaded, index)

    def _loaded(self, index: RecordIndex) -> None:
        self.index = index
        self.refilter()

    @on(Input.Changed, "#picker-query")
    @guarded
    def refilter(self) -> None:
        if self.index is None:
            return
        query = self.query_one("#picker-query", Input).value
        hits = self.index.matches(query)
        options = self.query_one("#picker-list", OptionList)
        options.clear_options()
        ws = self.fk.ws
        form = ws.form(self.form_id)
        options.add_options(Option(self.fk.describe(form, e.record), id=e.id) for e in hits[:SHOWN])
        if hits:
            options.highlighted = 0
        count = self.query_one("#picker-count", Static)
        if not hits:
            count.update(text.PICK_NONE)
        elif len(hits) > SHOWN:
            count.update(text.PICK_MANY.format(total=len(hits), shown=SHOWN))
        else:
            count.update(text.PICK_COUNT.format(total=len(hits)))

    @guarded
    def action_move(self, step: int) -> None:
        options = self.query_one("#picker-list", OptionList)
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else -step
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    @guarded
    def action_choose(self) -> None:
        options = self.query_one("#picker-list", OptionList)
        if options.highlighted is None:
            return
        self.dismiss(options.get_option_at_index(options.highlighted).id)

    @on(Input.Submitted, "#picker-query")
    @guarded
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_choose()

    @on(OptionList.OptionSelected, "#picker-list")
    @guarded
    def clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    @guarded
    def action_cancel(self) -> None:
        self.dismiss(None)
