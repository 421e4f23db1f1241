"""What the sync screen's tabs share: the title, a cell of plain text, the one-job-at-a-time
flag, and the message a tab posts when records changed."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.message import Message

TITLE = "同步"


def plain(value: Any) -> Text:
    """A table cell shown as it is (no markup)."""
    return Text(str(value))


class Busy:
    """Shared by the export and import tabs: one job (an export or an import) at a time."""

    def __init__(self) -> None:
        self.on = False


class RecordsChanged(Message):
    """Records changed in a tab (an import, a join, a resolved conflict): the screen reads the
    other tabs anew. `lists` is True when the app's record lists must be rebuilt too."""

    def __init__(self, *, lists: bool) -> None:
        super().__init__()
        self.lists = lists
