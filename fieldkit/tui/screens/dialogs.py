"""Small modal questions: a title, a few lines, and a button per answer (each with a key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from fieldkit.tui import text
from fieldkit.tui.safety import guarded
from fieldkit.tui.widgets.chinese import Paragraph


@dataclass(frozen=True)
class Answer:
    id: str  # what the dialog returns
    label: str
    key: str = ""  # an extra key that picks this answer, shown on the button
    variant: str = "default"  # Button variant: default, primary, error, warning, success


class ChoiceDialog(ModalScreen[str | None]):
    """Ask one question. Enter picks the focused button (the first one to begin with);
    Escape returns `cancel` (None if not given)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", text.KEY_CLOSE, id="dialog.cancel", tooltip=text.KEY_CLOSE_TIP),
        Binding(
            "left",
            "app.focus_previous",
            show=False,
            id="dialog.left",
            tooltip=text.KEY_PREV_BUTTON,
        ),
        Binding(
            "right", "app.focus_next", show=False, id="dialog.right", tooltip=text.KEY_NEXT_BUTTON
        ),
        Binding(
            "up", "app.focus_previous", show=False, id="dialog.up", tooltip=text.KEY_PREV_BUTTON
        ),
        Binding(
            "down", "app.focus_next", show=False, id="dialog.down", tooltip=text.KEY_NEXT_BUTTON
        ),
    ]

    def __init__(
        self,
        title: str,
        body: str,
        answers: list[Answer],
        *,
        cancel: str | None = None,
        danger: bool = False,
    ):
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.body = body
        self.answers = answers
        self.cancel = cancel
        self.danger = danger

    MANY = 3  # more answers than this are listed one under another, one line each

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog" + (" -danger" if self.danger else "")):
            yield Label(self.title_text, classes="dialog-title")
            if self.body:
                yield Static(Paragraph(self.body), classes="dialog-body")
            many = len(self.answers) > self.MANY
            row = Vertical if many else Horizontal
            with row(classes="dialog-buttons" + (" -list" if many else "")):
                for a in self.answers:
                    label = f"{a.label}（{a.key.upper()}）" if a.key else a.label
                    yield Button(label, id=f"answer-{a.id}", variant=a.variant, compact=many)  # type: ignore[arg-type]

    @guarded
    def on_mount(self) -> None:
        # A dangerous question starts on the harmless answer: Enter alone never deletes.
        buttons = self.query(Button)
        (buttons.last() if self.danger else buttons.first()).focus()

    @guarded
    def on_key(self, event) -> None:
        for a in self.answers:
            if a.key and event.key == a.key:
                event.stop()
                self.dismiss(a.id)
                return

    @on(Button.Pressed)
    @guarded
    def answered(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "").removeprefix("answer-"))

    @guarded
    def action_cancel(self) -> None:
        self.dismiss(self.cancel)
