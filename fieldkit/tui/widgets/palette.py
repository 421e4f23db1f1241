"""The command palette: every main action in Chinese, found by its characters or by pinyin
initials ("xjsf" finds 新建：随访记录), and its one built-in message in Chinese.

Textual's palette says "No matches found" from inside a private method; the Palette subclass
replaces that method (checked against Textual 8.2) and nothing else.
"""

from __future__ import annotations

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette, Hit, Hits
from textual.system_commands import SystemCommandsProvider
from textual.widgets.option_list import Option

from fieldkit.tui import text
from fieldkit.views import chinese


class Commands(SystemCommandsProvider):
    """The app's commands (`App.get_system_commands`), matched as Textual does (fuzzy, by
    characters) or by the initials of their words."""

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback, *_ in self.app.get_system_commands(self.screen):
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
            elif query.isascii() and (at := chinese.initials_at(query, name)) is not None:
                # Below Textual's own matches; earlier in the name scores higher.
                yield Hit(0.5 / (1 + at), name, callback, text=name, help=help_text)


class Palette(CommandPalette):
    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(text.PALETTE_NO_MATCH, style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
