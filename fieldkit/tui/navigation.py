"""Where the navigation messages (fieldkit.tui.messages) lead: the one module that maps a
record or a place to the screen that shows it, so that screens need not import one another.
The app imports it when it first opens one of these (start-up stays fast)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fieldkit.tui.screens.dashboard import open_dashboard
from fieldkit.tui.screens.detail import DetailScreen
from fieldkit.tui.screens.history import HistoryScreen
from fieldkit.tui.screens.person_detail import PersonDetailScreen
from fieldkit.tui.screens.persons import open_due, open_persons
from fieldkit.tui.screens.report import open_report
from fieldkit.tui.screens.sync.screen import open_sync

if TYPE_CHECKING:
    from fieldkit.tui.app import FieldkitApp

PLACES: dict[str, Callable[[FieldkitApp], None]] = {
    "persons": open_persons,
    "due": open_due,
    "dashboard": open_dashboard,
    "report": open_report,
    "sync": open_sync,
}


def open_record(app: FieldkitApp, record_id: str, *, fields_only: bool = False) -> None:
    """A record's detail screen; a person's is the casework screen unless `fields_only`."""
    record = app.ws.get_live(record_id)
    persons = app.ws.forms.person_form
    if persons is not None and record["form"] == persons.id and not fields_only:
        app.push_screen(PersonDetailScreen(record_id))
    else:
        app.push_screen(DetailScreen(record_id))


def open_history(app: FieldkitApp, record_id: str) -> None:
    app.push_screen(HistoryScreen(record_id))


def open_place(app: FieldkitApp, place: str) -> None:
    PLACES[place](app)
