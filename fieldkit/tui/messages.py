"""Messages between the screens and the app. A screen that leads somewhere posts one of the
navigation messages and the app opens the screen (fieldkit.tui.navigation), so that no screen
imports another to open it.

Forms and record lists are the exception: a screen opens them through the app's services
(`open_form`, `open_records` in fieldkit.tui.services), because the caller waits for the form's
answer (a saved record, a draft kept) through a callback, which a message cannot return."""

from __future__ import annotations

from textual.message import Message


class WorkspaceReady(Message):
    """Posted to every screen when the data dir is open (or failed to open)."""


class OpenRecord(Message):
    """Open a record's detail screen. A person's is the casework screen, unless `fields_only`
    (the records list shows a person's answers like any record's)."""

    def __init__(self, record_id: str, *, fields_only: bool = False) -> None:
        super().__init__()
        self.record_id = record_id
        self.fields_only = fields_only


class OpenHistory(Message):
    """Open a record's history (every version, who made it, what changed)."""

    def __init__(self, record_id: str) -> None:
        super().__init__()
        self.record_id = record_id


class OpenPlace(Message):
    """Open one of the places the home screen offers besides the forms (persons, due,
    dashboard, report, sync: fieldkit.tui.navigation.PLACES)."""

    def __init__(self, place: str) -> None:
        super().__init__()
        self.place = place
