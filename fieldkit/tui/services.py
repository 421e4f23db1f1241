"""What screens and widgets may use of the running app besides Textual's own API: the data
dir's workspace with the lock that guards it, the record lists, drafts, the error report,
the passphrase state and the ways to open a form or a list. FieldkitApp provides it; screens
type their handle on the app (`fk`) with this Protocol, so no screen depends on the app module
(the import contracts in pyproject.toml say so)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, Protocol, TypeVar

from textual.message import Message
from textual.screen import Screen

from fieldkit.forms.definitions import Field, Form
from fieldkit.tui.drafts import Drafts
from fieldkit.views.persons import PersonIndex
from fieldkit.views.records import RecordIndex
from fieldkit.workspace import Workspace

T = TypeVar("T")


class Services(Protocol):
    # -- the data dir ----------------------------------------------------------------------
    root: Path
    demo: bool
    open_error: str | None
    ws_lock: threading.RLock  # held by thread workers while they read or write `ws`
    drafts: Drafts
    data_version: int  # grows whenever records change: lists read before it are stale

    @property
    def ws(self) -> Workspace: ...
    @property
    def ready(self) -> bool: ...
    def today(self) -> date: ...
    def own_grid(self) -> str | None: ...
    def counts(self) -> dict[str, tuple[int, int]]: ...

    # -- the record lists, kept current --------------------------------------------------
    indexes: dict[str, RecordIndex]

    def record_index(self, form_id: str) -> RecordIndex: ...
    def person_index(self) -> PersonIndex: ...
    @property
    def built_person_index(self) -> PersonIndex | None: ...
    def record_saved(self, record: dict[str, Any]) -> None: ...
    def lists_changed(self) -> None: ...

    # -- records in words ----------------------------------------------------------------
    def describe(self, form: Form, record: dict[str, Any]) -> str: ...
    def reference_label(self, field: Field, value: str) -> str: ...
    def id_info(self, value: str) -> str: ...
    def visit_note(self, data: dict[str, Any]) -> str: ...

    # -- opening forms and lists ---------------------------------------------------------
    def open_form(
        self,
        form_id: str,
        record: dict[str, Any] | None = None,
        callback: Callable[[Any], object] | None = None,
        *,
        prefill: dict[str, Any] | None = None,
    ) -> None: ...
    def open_records(self, form_id: str) -> None: ...
    def offer_existing(self, screen: Screen, other: dict[str, Any]) -> None: ...
    def action_help(self) -> None: ...
    def action_identity(self) -> None: ...
    def action_lock(self) -> None: ...

    # -- errors and the passphrase -------------------------------------------------------
    failed_tries: int
    unlock_wait_until: float

    def report_error(self, error: BaseException) -> None: ...
    def unlock_wait(self) -> float: ...

    # -- Textual's own, used through the same handle -------------------------------------
    def call_from_thread(self, callback: Callable[..., T], *args: Any, **kwargs: Any) -> T: ...
    def push_screen(
        self, screen: Screen, callback: Callable[[Any], object] | None = None
    ) -> Any: ...
    def post_message(self, message: Message) -> bool: ...
    def notify(self, message: str, *args: Any, **kwargs: Any) -> None: ...
