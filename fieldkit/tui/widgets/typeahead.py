"""A choice list that can be typed into: the label's first characters, any part of it, or its
pinyin initials ("xmsf" picks 刑满释放人员), closed or open.

Textual's Select searches only when open and only by the label's characters; here typing is
handled by the Select itself (the open list's own search is switched off, so its keys come
up to it): closed, the typed choice is taken at once; open, it is highlighted for Enter.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from rich.console import RenderableType
from rich.text import Text
from textual import events
from textual.widgets import OptionList, Select

from fieldkit.tui.safety import guarded
from fieldkit.tui.widgets.key_order import keep_order
from fieldkit.views import chinese

T = TypeVar("T")

PAUSE = 1.0  # seconds without typing after which the next key starts a new search


class TypeAheadSelect(Select[T], Generic[T]):
    def __init__(self, options: Iterable[tuple[RenderableType, T]], **kwargs: Any):
        kwargs["type_to_search"] = False
        self._choices: list[tuple[str, T]] = []
        self._typed = ""
        self._typed_at = 0.0
        options = list(options)
        self._remember(options)
        super().__init__(options, **kwargs)

    def _remember(self, options: list[tuple[RenderableType, T]]) -> None:
        self._choices = [
            (label.plain if isinstance(label, Text) else str(label), value)
            for label, value in options
        ]

    def set_options(self, options: Iterable[tuple[RenderableType, T]]) -> None:
        options = list(options)
        self._remember(options)
        super().set_options(options)

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        # A letter typed here searches the list instead of running a screen's key (n, f …).
        return character is not None and character.isprintable() and not character.isspace()

    def search(self, typed: str) -> int | None:
        """The index (among the choices) that `typed` picks, or None."""
        return chinese.best(typed, [label for label, _ in self._choices])

    @guarded
    def on_key(self, event: events.Key) -> None:
        if keep_order(self, event):
            return
        char = event.character
        if not (event.is_printable and char and not char.isspace()):
            return
        event.stop()
        event.prevent_default()
        now = time.monotonic()
        if now - self._typed_at > PAUSE:
            self._typed = ""
        self._typed_at = now
        self._typed += char
        index = self.search(self._typed)
        if index is None and len(self._typed) > 1:
            self._typed = char  # no longer matching: start again from this key
            index = self.search(self._typed)
        if index is None:
            return
        value = self._choices[index][1]
        if self.expanded:
            overlay = self.query_one(OptionList)
            blank = overlay.option_count - len(self._choices)  # the 请选择 line, if any
            overlay.highlighted = index + blank
            overlay.scroll_to_highlight()
        elif value != self.value:
            self.value = value
