"""Keys in the order they were typed, across a change of focus.

Textual hands each key to the widget that has focus when the key is read, and moves focus on
Tab only once the Tab has bubbled up to the screen. When keys arrive together (a burst from the
terminal while the app was busy, an IME committing a word, a fast typist), the keys after a Tab
are by then in the old field's queue: "abc", Tab, "12" put "abc12" in the first field. So the
editors move focus on Tab (and Shift+Tab) themselves, at once, and pass on any key that
reaches them after focus has left, to the widget that has focus now, in the order they came.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget


def keep_order(widget: Widget, event: events.Key) -> bool:
    """Handle `event` for the editor `widget` if it moves or follows focus; whether it did
    (then the editor's own handling is skipped)."""
    if widget.screen is not widget.app.screen:
        return False
    focused = widget.app.focused
    if focused is None:
        return False
    if focused is widget and event.key in ("tab", "shift+tab"):
        _consume(event)
        if event.key == "tab":
            widget.screen.focus_next()
        else:
            widget.screen.focus_previous()
        return True
    if focused is widget or widget.has_focus_within:
        return False
    _consume(event)
    focused.post_message(events.Key(event.key, event.character))
    return True


def _consume(event: events.Key) -> None:
    event.stop()
    event.prevent_default()
