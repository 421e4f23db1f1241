"""F1: the keys of the screen the user came from, the keys that always work, and a short guide."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from fieldkit.tui import text
from fieldkit.tui.safety import guarded

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

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Label(text.HELP_TITLE, classes="dialog-title")
            yield Label(text.HELP_KEYS, classes="section-title")
            yield Static(_table(self.keys), markup=False)
            yield Label(text.HELP_GLOBAL, classes="section-title")
            yield Static(_table(self.always), markup=False)
            yield Static(text.HELP_GUIDE, classes="help-guide", markup=False)

    @guarded
    def action_close(self) -> None:
        self.dismiss(None)


def _table(rows: list[tuple[str, str]]) -> str:
    width = max((len(k) for k, _ in rows), default=0)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)
