"""F1: what the screen the user came from is for (if it says), its keys, the keys that always
work, and a short guide."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from fieldkit.tui import text
from fieldkit.tui.safety import guarded
from fieldkit.tui.widgets.chinese import Paragraph

ALWAYS = ("f1", "ctrl+p", "ctrl+q")


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "close", text.KEY_BACK, id="help.close", tooltip=text.KEY_BACK_TIP),
    ]

    def __init__(self, under: Screen):
        super().__init__(classes="dialog-screen")
        self.keys: list[tuple[str, str]] = []
        self.always: list[tuple[str, str]] = []
        seen = set()
        for key, active in under.active_bindings.items():
            binding = active.binding
            if not (binding.id and binding.description) or binding.action in seen:
                continue
            seen.add(binding.action)
            shown = self.app.get_key_display(binding)
            what = binding.description
            if binding.tooltip and binding.tooltip != what:
                what = f"{what}：{binding.tooltip}"
            (self.always if key in ALWAYS else self.keys).append((shown, what))
        # A screen may say more about itself (how its tabs are switched …).
        self.about: tuple[str, ...] = tuple(getattr(under, "HELP_ABOUT", ()))

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Label(text.HELP_TITLE, classes="dialog-title")
            if self.about:
                yield Label(text.HELP_THIS_SCREEN, classes="section-title")
                yield Static(_bullets(self.about), classes="help-guide")
            yield Label(text.HELP_KEYS, classes="section-title")
            yield Static(_table(self.keys))
            yield Label(text.HELP_GLOBAL, classes="section-title")
            yield Static(_table(self.always))
            yield Label(text.HELP_GUIDE_TITLE, classes="section-title")
            yield Static(_bullets(text.HELP_GUIDE), classes="help-guide")

    @guarded
    def action_close(self) -> None:
        self.dismiss(None)


def _table(rows: list[tuple[str, str]]) -> Table:
    """Keys and what they do; a long description wraps under itself, not under the key."""
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, style="bold")
    table.add_column(ratio=1)
    for key, what in rows:
        table.add_row(Text(key), Paragraph(what))
    return table


def _bullets(items: tuple[str, ...]) -> Table:
    """One point per line, each wrapping under itself (a hanging indent)."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(ratio=1)
    for item in items:
        table.add_row("·", Paragraph(item))
    return table
