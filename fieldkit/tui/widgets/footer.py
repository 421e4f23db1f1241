"""The footer, redrawn only when the keys it shows change, and in Chinese throughout.

Textual's Footer rebuilds itself on every focus change; in a long form, where moving between
fields of the same kind changes no key, that rebuild is most of the cost of pressing Tab.
Textual's own widgets bring keys described in English (an open choice list's Escape): the
footer shows them in Chinese.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from fieldkit.tui import text


class KeyFooter(Footer):
    def __init__(self) -> None:
        super().__init__()
        self._shown: tuple | None = None

    def bindings_changed(self, screen: Screen) -> None:
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            shown = tuple(
                (key, active.binding.description, active.enabled)
                for key, active in screen.active_bindings.items()
                if active.binding.show
            )
            if shown == self._shown:
                self._bindings_ready = True
                return
            self._shown = shown
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            description = getattr(widget, "description", None)
            if description in text.TEXTUAL_KEYS:  # a FooterKey (not exported by Textual)
                widget.description = text.TEXTUAL_KEYS[description]
                widget.tooltip = widget.description
            yield widget
