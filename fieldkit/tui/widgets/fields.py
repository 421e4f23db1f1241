"""One editor widget per field type, and the row that shows a field's label, editor and note.

Every editor speaks the same small protocol, so the form screen never asks what type a field
is: `get_raw()` returns what the user entered (a string, a choice code, a list of codes, a
record id, or None when blank) and `set_raw(value)` shows a stored or default value.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, TextArea

from fieldkit.forms.definitions import Choice, Field
from fieldkit.forms.validation import Invalid, parse_date, parse_datetime
from fieldkit.tui import text
from fieldkit.tui.safety import guarded
from fieldkit.tui.widgets.key_order import keep_order
from fieldkit.tui.widgets.picker import RecordPicker
from fieldkit.tui.widgets.typeahead import TypeAheadSelect

if TYPE_CHECKING:
    from fieldkit.tui.services import Services


def _blank_to_none(value: str) -> str | None:
    value = value.strip()
    return value or None


class TextEditor(Input):
    """Text, ID number, phone and numbers: an Input restricted to what the type allows."""

    def on_key(self, event: events.Key) -> None:
        keep_order(self, event)

    RESTRICT: ClassVar[dict[str, str]] = {
        "id_number": r"[0-9xX]*",
        "phone": r"[0-9\-() ]*",
    }
    PLACEHOLDER: ClassVar[dict[str, str]] = {
        "integer": text.PLACEHOLDER_INTEGER,
        "decimal": text.PLACEHOLDER_DECIMAL,
        "id_number": text.PLACEHOLDER_ID,
        "phone": text.PLACEHOLDER_PHONE,
    }

    def __init__(self, field: Field, value: Any, **kwargs: Any):
        self.field = field
        input_type = {"integer": "integer", "decimal": "number"}.get(field.type, "text")
        max_length = {"id_number": 18, "phone": 20}.get(field.type, field.max_length or 0)
        super().__init__(
            value=self._show(value),
            placeholder=field.hint or self.PLACEHOLDER.get(field.type, ""),
            restrict=self.RESTRICT.get(field.type),
            type=input_type,
            max_length=max_length,
            compact=True,
            **kwargs,
        )

    def _show(self, value: Any) -> str:
        if value is None:
            return ""
        if self.field.type == "decimal" and isinstance(value, float):
            return f"{value:.{self.field.decimals}f}".rstrip("0").rstrip(".")
        return str(value)

    def get_raw(self) -> Any:
        raw = _blank_to_none(self.value)
        if raw and self.field.type == "id_number":
            raw = raw.upper()
        return raw

    def set_raw(self, value: Any) -> None:
        self.value = self._show(value)

    @guarded
    def on_blur(self) -> None:
        # (Input's own blur handler runs as well: Textual calls each class's handler.)
        if self.field.type == "id_number" and self.value != self.value.upper():
            self.value = self.value.upper()


class DateEditor(Input):
    """A date (or date and time) typed freely, stepped with the arrow keys, T for today."""

    def on_key(self, event: events.Key) -> None:
        keep_order(self, event)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "step(1)", text.KEY_DAY_UP, id="date.next_day", tooltip=text.KEY_DAY_UP),
        Binding(
            "down", "step(-1)", text.KEY_DAY_DOWN, id="date.prev_day", tooltip=text.KEY_DAY_DOWN
        ),
        Binding(
            "pageup",
            "step_month(1)",
            text.KEY_MONTH_UP,
            show=False,
            id="date.next_month",
            tooltip=text.KEY_MONTH_UP,
        ),
        Binding(
            "pagedown",
            "step_month(-1)",
            text.KEY_MONTH_DOWN,
            show=False,
            id="date.prev_month",
            tooltip=text.KEY_MONTH_DOWN,
        ),
        # Priority: an Input swallows printable keys before ordinary bindings see them.
        Binding(
            "t", "today", text.KEY_TODAY, priority=True, id="date.today", tooltip=text.KEY_TODAY_TIP
        ),
    ]

    def __init__(self, field: Field, value: Any, **kwargs: Any):
        self.field = field
        self.with_time = field.type == "datetime"
        super().__init__(
            value=self._show(value),
            placeholder=text.PLACEHOLDER_DATETIME if self.with_time else text.PLACEHOLDER_DATE,
            restrict=r"[0-9\-/.: ]*" if self.with_time else r"[0-9\-/.]*",
            max_length=16 if self.with_time else 10,
            compact=True,
            **kwargs,
        )

    @staticmethod
    def _show(value: Any) -> str:
        return "" if value is None else str(value).replace("T", " ")

    def get_raw(self) -> Any:
        return _blank_to_none(self.value)

    def set_raw(self, value: Any) -> None:
        self.value = self._show(value)

    @property
    def app_today(self) -> date:
        app: Services = self.app  # type: ignore[assignment]
        return app.today()

    def _current(self) -> datetime | None:
        try:
            if self.with_time:
                return parse_datetime(self.value)
            return datetime.combine(parse_date(self.value), datetime.min.time())
        except Invalid:
            return None

    def _put(self, moment: datetime) -> None:
        self.value = moment.strftime("%Y-%m-%d %H:%M" if self.with_time else "%Y-%m-%d")
        self.cursor_position = len(self.value)

    def _now(self) -> datetime:
        return datetime.combine(
            self.app_today, datetime.now().time().replace(second=0, microsecond=0)
        )

    @guarded
    def action_today(self) -> None:
        self._put(
            self._now() if self.with_time else datetime.combine(self.app_today, datetime.min.time())
        )

    @guarded
    def action_step(self, days: int) -> None:
        current = self._current()
        if current is None:
            self.action_today()
            return
        self._put(current + timedelta(days=days))

    @guarded
    def action_step_month(self, months: int) -> None:
        current = self._current()
        if current is None:
            self.action_today()
            return
        index = current.year * 12 + current.month - 1 + months
        year, month = divmod(index, 12)
        day = min(current.day, calendar.monthrange(year, month + 1)[1])
        self._put(current.replace(year=year, month=month + 1, day=day))

    @guarded
    def on_blur(self) -> None:
        # Show what was understood (20260305 -> 2026-03-05), so a typo is seen at once.
        current = self._current()
        if current is not None and self.value.strip():
            self._put(current)


class DateTimeEditor(DateEditor):
    """A date and a time; T puts in the present moment."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "t", "today", text.KEY_NOW, priority=True, id="datetime.now", tooltip=text.KEY_TODAY_TIP
        ),
    ]


class ChoiceEditor(TypeAheadSelect[str]):
    """One choice from a list (choices may depend on another answer); typing picks a choice
    by its first characters or pinyin initials.

    A required field that starts with a value (its default) has no 请选择 line to go back to:
    blank would only be an error."""

    def __init__(self, field: Field, value: Any, choices: tuple[Choice, ...], **kwargs: Any):
        self.field = field
        self._codes = [c.code for c in choices]
        chosen = value in self._codes
        self.can_be_blank = not (chosen and field.required and field.default is not None)
        super().__init__(
            [(c.label, c.code) for c in choices],
            prompt=text.PROMPT_SELECT,
            allow_blank=self.can_be_blank,
            value=value if chosen else Select.NULL,
            compact=True,
            **kwargs,
        )

    def get_raw(self) -> Any:
        return None if self.is_blank() else self.value

    def set_raw(self, value: Any) -> None:
        if value in self._codes:
            self.value = value
        elif self.can_be_blank:
            self.clear()

    def set_choices(self, choices: tuple[Choice, ...]) -> None:
        """Offer other choices, keeping the current one if it is still offered."""
        codes = [c.code for c in choices]
        if codes == self._codes:
            return
        keep = self.get_raw()
        self._codes = codes
        self.set_options([(c.label, c.code) for c in choices])
        if keep in codes:
            self.value = keep


class MultiEditor(Widget, can_focus=True):
    """Several choices shown inline and wrapped, so a ten-item list takes two or three lines:
    ←→ (and ↑↓ between lines) move, space ticks or unticks, a click ticks."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", show=False, id="multi.left", tooltip=text.KEY_MULTI_MOVE),
        Binding("right", "move(1)", show=False, id="multi.right", tooltip=text.KEY_MULTI_MOVE),
        Binding("up", "line(-1)", show=False, id="multi.up", tooltip=text.KEY_MULTI_MOVE),
        Binding("down", "line(1)", show=False, id="multi.down", tooltip=text.KEY_MULTI_MOVE),
        Binding("space", "toggle", text.KEY_TOGGLE, id="multi.toggle", tooltip=text.KEY_TOGGLE_TIP),
    ]

    GAP = 2

    def on_key(self, event: events.Key) -> None:
        keep_order(self, event)

    class Changed(Message):
        def __init__(self, editor: MultiEditor):
            super().__init__()
            self.editor = editor

        @property
        def control(self) -> MultiEditor:
            return self.editor

    def __init__(self, field: Field, value: Any, choices: tuple[Choice, ...], **kwargs: Any):
        super().__init__(**kwargs)
        self.field = field
        self.choices = choices
        self.chosen = set(value or [])
        self.cursor = 0
        self._spans: list[tuple[int, int, int]] = []  # per choice: line, first cell, last cell

    def _token(self, choice: Choice) -> str:
        return ("[x] " if choice.code in self.chosen else "[ ] ") + choice.label

    def _layout(self, width: int) -> list[tuple[int, int, int]]:
        spans, line, x = [], 0, 0
        for c in self.choices:
            w = cell_len(self._token(c))
            if x and x + w > width:
                line, x = line + 1, 0
            spans.append((line, x, x + w))
            x += w + self.GAP
        return spans

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        spans = self._layout(max(width, 1))
        return (spans[-1][0] + 1) if spans else 1

    def render(self) -> Text:
        self._spans = self._layout(max(self.size.width, 1))
        out = Text()
        line, x = 0, 0
        for i, (c, (ln, x0, _)) in enumerate(zip(self.choices, self._spans, strict=True)):
            if ln != line:
                out.append("\n")
                line, x = ln, 0
            out.append(" " * (x0 - x))
            style = "reverse" if self.has_focus and i == self.cursor else ""
            if c.code in self.chosen:
                style += " bold"
            out.append(self._token(c), style=style.strip())
            x = x0 + cell_len(self._token(c))
        return out

    def get_raw(self) -> Any:
        return [c.code for c in self.choices if c.code in self.chosen] or None

    def set_raw(self, value: Any) -> None:
        chosen = set(value or [])
        if chosen != self.chosen:
            self.chosen = chosen
            self.refresh(layout=True)
            self.post_message(self.Changed(self))

    @guarded
    def action_move(self, step: int) -> None:
        if self.choices:
            self.cursor = max(0, min(len(self.choices) - 1, self.cursor + step))
            self.refresh()

    @guarded
    def action_line(self, step: int) -> None:
        spans = self._spans or self._layout(max(self.size.width, 1))
        if not spans:
            return
        line, x0, _ = spans[self.cursor]
        candidates = [i for i, s in enumerate(spans) if s[0] == line + step]
        if not candidates:
            return
        self.cursor = min(candidates, key=lambda i: abs(spans[i][1] - x0))
        self.refresh()

    @guarded
    def action_toggle(self) -> None:
        if not self.choices:
            return
        code = self.choices[self.cursor].code
        self.chosen ^= {code}
        self.refresh(layout=True)
        self.post_message(self.Changed(self))

    @guarded
    def on_click(self, event: events.Click) -> None:
        for i, (line, x0, x1) in enumerate(self._spans):
            if line == event.y and x0 <= event.x < x1:
                self.cursor = i
                self.action_toggle()
                return

    @guarded
    def on_focus(self) -> None:
        self.refresh()

    @guarded
    def on_blur(self) -> None:
        self.refresh()


class MultilineEditor(TextArea):
    """Free text over several lines; Tab leaves it."""

    def on_key(self, event: events.Key) -> None:
        keep_order(self, event)

    def __init__(self, field: Field, value: Any, **kwargs: Any):
        self.field = field
        super().__init__("" if value is None else str(value), soft_wrap=True, **kwargs)
        self.show_line_numbers = False

    def get_raw(self) -> Any:
        return _blank_to_none(self.text)

    def set_raw(self, value: Any) -> None:
        self.load_text("" if value is None else str(value))


class ReferenceEditor(Widget, can_focus=True):
    """A record of another form (e.g. the person visited), chosen with a search picker.

    Enter, space, a click, or simply typing opens the picker (typing starts the search).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter,space", "pick", text.KEY_SEARCH, id="reference.pick", tooltip=text.HELP_REFERENCE
        ),
        Binding("delete,backspace", "clear", show=False, id="reference.clear", tooltip=""),
    ]

    class Changed(Message):
        def __init__(self, editor: ReferenceEditor):
            super().__init__()
            self.editor = editor

        @property
        def control(self) -> ReferenceEditor:
            return self.editor

    def __init__(self, field: Field, value: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.field = field
        self._value: str | None = value or None
        self._label = ""
        self._picker: RecordPicker | None = None  # open, over this field

    @guarded
    def on_mount(self) -> None:
        self._relabel()

    def _relabel(self) -> None:
        app: Services = self.app  # type: ignore[assignment]
        self._label = app.reference_label(self.field, self._value) if self._value else ""
        self.refresh()

    def render(self) -> Text:
        if not self._value:
            return Text(text.REF_NONE, style="italic")
        return Text(self._label, no_wrap=True, overflow="ellipsis")  # cut with "…", never mid-way

    def get_raw(self) -> Any:
        return self._value

    def set_raw(self, value: Any) -> None:
        value = value or None
        if value != self._value:
            self._value = value
            self._relabel()
            self.post_message(self.Changed(self))

    @guarded
    def action_pick(self, query: str = "") -> None:
        if self._picker in self.app.screen_stack:  # keys before the open picker took focus
            self._picker.type_more(query)
            return

        def chosen(record_id: str | None) -> None:
            self._picker = None
            if record_id:
                self.set_raw(record_id)
                self.screen.focus_next()

        self._picker = RecordPicker(self.field.ref_form or "", query)
        self.app.push_screen(self._picker, chosen)

    @guarded
    def action_clear(self) -> None:
        self.set_raw(None)

    @guarded
    def on_key(self, event: events.Key) -> None:
        if keep_order(self, event):
            return
        if event.is_printable and event.character and event.character != " ":
            event.stop()
            event.prevent_default()
            self.action_pick(event.character)

    @guarded
    def on_paste(self, event: events.Paste) -> None:
        """A pasted name or ID number (from a spreadsheet, say) searches for the record."""
        event.stop()
        lines = event.text.strip().splitlines()
        self.action_pick(lines[0].strip() if lines else "")

    @guarded
    def on_click(self) -> None:
        self.action_pick()


Editor = TextEditor | DateEditor | ChoiceEditor | MultiEditor | MultilineEditor | ReferenceEditor


def make_editor(field: Field, value: Any, data: dict[str, Any]) -> Editor:
    """The editor for a field's type, showing `value`; `data` decides dependent choices."""
    eid = f"edit-{field.id}"
    if field.type == "datetime":
        return DateTimeEditor(field, value, id=eid)
    if field.type == "date":
        return DateEditor(field, value, id=eid)
    if field.type == "select_one":
        return ChoiceEditor(field, value, field.choices_for(data), id=eid)
    if field.type == "select_multiple":
        return MultiEditor(field, value, field.choices_for(data), id=eid)
    if field.type == "multiline":
        return MultilineEditor(field, value, id=eid)
    if field.type == "reference":
        return ReferenceEditor(field, value, id=eid)
    return TextEditor(field, value, id=eid)


TYPE_HELP = {
    "date": text.HELP_DATE,
    "datetime": text.HELP_DATETIME,
    "select_one": text.HELP_SELECT,
    "select_multiple": text.HELP_MULTI,
    "multiline": text.HELP_MULTILINE,
    "reference": text.HELP_REFERENCE,
}


class FieldRow(Vertical):
    """A field's label (with * when required), its editor, and a note for errors or info."""

    def __init__(self, field: Field, editor: Editor, required: bool):
        super().__init__(id=f"row-{field.id}", classes=f"field-row type-{field.type}")
        self.field = field
        self.editor = editor
        self.required = required
        self.touched = False
        self._note: tuple[str, str] = ("", "")
        editor.tooltip = field.hint or None

    def compose(self):
        with Horizontal(classes="field-line"):
            yield Label(self._label_text(), classes="field-label")
            yield self.editor
        yield Static("", classes="field-note")

    def _label_text(self) -> str:
        return self.field.label + (text.REQUIRED_MARK if self.required else "")

    def set_required(self, required: bool) -> None:
        if required != self.required:
            self.required = required
            self.query_one(".field-label", Label).update(self._label_text())

    def set_note(self, message: str = "", kind: str = "") -> None:
        """Show an error, a warning or information under the field ('' hides the note)."""
        if (message, kind) == self._note:
            return  # unchanged: restyling every row on each keystroke would be slow
        self._note = (message, kind)
        note = self.query_one(".field-note", Static)
        note.update(message)
        note.set_class(bool(message), "-shown")
        for k in ("error", "warning", "info"):
            note.set_class(kind == k, f"-{k}")
        self.set_class(kind == "error", "-invalid")

    @property
    def help_line(self) -> str:
        """The focused field's hint and how to fill it in, for the line above the footer."""
        head = f"{self.field.label}：{self.field.hint}" if self.field.hint else self.field.label
        return f"{head}　{TYPE_HELP.get(self.field.type, text.HELP_TEXT)}"


def as_raw(field: Field, value: Any) -> Any:
    """A stored (or default) value as its editor's get_raw() would return it, so that what the
    form was opened with and what it holds now compare equal when nothing was changed."""
    if value in (None, "", []):
        return None
    if field.type == "select_one":
        return value if value in {c.code for c in field.all_choices()} else None
    if field.type == "select_multiple":
        chosen = set(value if isinstance(value, list) else [value])
        return [c.code for c in field.all_choices() if c.code in chosen] or None
    if field.type == "reference":
        return value
    if field.type == "decimal" and isinstance(value, float):
        return f"{value:.{field.decimals}f}".rstrip("0").rstrip(".")
    shown = str(value).strip()
    if field.type == "datetime":
        shown = shown.replace("T", " ")
    if field.type == "id_number":
        shown = shown.upper()
    return shown or None
