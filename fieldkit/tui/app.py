"""The Textual app: opens the data dir in the background, then the home screen.

A data dir with a passphrase is unlocked first (fieldkit.tui.screens.lock); a new one asks to set one (or
to go without, explicitly). The app locks itself after an idle time (10 minutes unless set with
`fieldkit passwd --idle-lock`): the lock screen covers everything until the passphrase is typed
again, and open forms keep what was typed (and save it as an encrypted draft).

The app holds the one Workspace of the data dir. Saves run on the main thread (a durable save
takes milliseconds); reading many records (counts, record lists) runs in thread workers that
take `ws_lock`, so a save never changes a table while a worker walks it. Errors never end the
app: a FieldkitError is shown as its Chinese message, anything else is logged to the data dir
and shown as a one-line notification, and the screen keeps what the user typed.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future
from contextlib import suppress
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.screen import Screen
from textual.worker import WorkerFailed

from fieldkit import casework
from fieldkit.errors import FieldkitError, os_reason
from fieldkit.forms import idnumber
from fieldkit.forms.definitions import Field, Form
from fieldkit.store import errorlog, vault
from fieldkit.tui import messages, text
from fieldkit.tui.drafts import Drafts
from fieldkit.tui.safety import guarded
from fieldkit.views.persons import PersonIndex
from fieldkit.views.records import RecordIndex
from fieldkit.workspace import Workspace

# The app's actions that open something (over a lock screen they must not).
_CLOSED_WHILE_LOCKED = frozenset({"help", "command_palette", "home", "identity", "toggle_theme"})


def _commands():
    """The palette's commands (imported when the palette first opens)."""
    from fieldkit.tui.widgets.palette import Commands

    return Commands


class FieldkitApp(App[None]):
    """fieldkit's app over one data dir. `today` fixes the date (tests, demos)."""

    CSS_PATH = Path(__file__).with_name("fieldkit.tcss")  # absolute: subclasses work too
    TITLE = text.APP_TITLE
    ENABLE_COMMAND_PALETTE = True
    COMMANDS: ClassVar[set] = {_commands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", text.KEY_HELP, id="app.help", tooltip=text.KEY_HELP_TIP),
        Binding(
            "ctrl+p",
            "command_palette",
            text.KEY_PALETTE,
            show=False,
            priority=True,
            id="app.command_palette",
            tooltip=text.KEY_PALETTE_TIP,
        ),
        Binding(
            "ctrl+q", "quit", text.KEY_QUIT, priority=True, id="app.quit", tooltip=text.KEY_QUIT_TIP
        ),
        Binding("ctrl+c", "help_quit", show=False, system=True, id="app.ctrl_c", tooltip=""),
    ]

    def __init__(self, root: Path, *, demo: bool = False, today: date | None = None):
        super().__init__()
        self.root = Path(root)
        self.demo = demo
        self._today = today
        self._ws: Workspace | None = None
        self.ws_lock = threading.RLock()
        self._index_lock = threading.Lock()
        self.indexes: dict[str, RecordIndex] = {}
        self._persons: PersonIndex | None = None
        self.drafts = Drafts(self.root)
        self.open_error: str | None = None
        self.errors: list[BaseException] = []  # unexpected ones, for tests to assert none
        self.data_version = 0
        self._opening: Future[Workspace] | None = None
        self._store_thread: threading.Thread | None = None
        self._store_closing = threading.Event()
        if demo:
            self.title = text.APP_TITLE + text.DEMO_SUFFIX
        # The passphrase: the data dir's state at start, wrong tries, the idle lock.
        try:
            self.at_rest = vault.status(self.root)
        except FieldkitError:
            self.at_rest = vault.ENCRYPTED  # a damaged vault file: the unlock screen says so
        self.locked = False
        self.failed_tries = 0
        self.unlock_wait_until = 0.0
        self.idle_seconds: float | None = None
        self._last_input = time.monotonic()
        self._idle_timer = None
        self._fatal: str | None = None  # what is said when an error ends the app

    # -- the workspace -----------------------------------------------------------------------

    @property
    def ws(self) -> Workspace:
        if self._ws is None:
            raise FieldkitError(self.open_error or text.NOT_READY)
        return self._ws

    @property
    def ready(self) -> bool:
        return self._ws is not None

    def own_grid(self) -> str | None:
        """The grid this laptop's worker looks after; None at the office (every grid)."""
        ident = self._ws.identity if self._ws else None
        if ident is None or ident.role == "office":
            return None
        return ident.grid

    def today(self) -> date:
        return self._ws.today() if self._ws else (self._today or date.today())

    @property
    def needs_passphrase(self) -> bool:
        """The data dir is encrypted and not unlocked yet (the unlock screen comes first)."""
        return (
            self._ws is None
            and self.at_rest == vault.ENCRYPTED
            and vault.unlocked(self.root) is None
        )

    @property
    def first_run(self) -> bool:
        """Nothing in the data dir yet: the passphrase is chosen before anything is written."""
        return self.at_rest == vault.NEW and not self.demo

    @guarded
    def on_mount(self) -> None:
        self.theme = "textual-dark"
        from fieldkit.tui.screens.home import HomeScreen
        from fieldkit.tui.screens.lock import PassphraseScreen, UnlockScreen

        self.push_screen(HomeScreen())
        if self.needs_passphrase:
            self.push_screen(UnlockScreen(start=True), lambda _: self.open_workspace())
        elif self.first_run:
            self.push_screen(PassphraseScreen(first_run=True), self._first_passphrase)
        else:
            self.open_workspace()

    def _first_passphrase(self, chosen: str | None) -> None:
        if chosen:
            self.create_vault(chosen)
        else:  # "" : the user chose, after a warning, to go without
            vault.choose_plain(self.root)
            self.at_rest = vault.PLAIN
            self.open_workspace()

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def create_vault(self, passphrase: str) -> None:
        """First run: the data dir's vault (the KDF takes ~0.4 s), then the data dir opens."""
        try:
            vault.create(self.root, passphrase)
        except FieldkitError as exc:
            self.call_from_thread(self._open_failed, str(exc))
            return
        except OSError as exc:
            self.call_from_thread(self._open_failed, f"{os_reason(exc)}（{self.root}）")
            return
        self.at_rest = vault.ENCRYPTED
        self.call_from_thread(self.open_workspace)

    def start_opening(self) -> None:
        """Begin reading the data dir now, in a thread, while Textual starts up (not before the
        passphrase: a locked or new data dir waits for its screen)."""
        if self.needs_passphrase or self.first_run:
            return
        if self._opening is None:
            self._opening = Future()
            self._store_thread = threading.Thread(
                target=self._own, name="fieldkit-store", daemon=True
            )
            self._store_thread.start()

    def _own(self) -> None:
        """Open the workspace, hand it over, and close it when the app ends, all in this one
        thread: the store's file lock belongs to the thread that took it."""
        assert self._opening is not None
        try:
            ws = Workspace(self.root, today=self._today)
        except BaseException as exc:
            self._opening.set_exception(exc)
            return
        self._opening.set_result(ws)
        self._store_closing.wait()
        with self.ws_lock:
            try:
                ws.close()
            except Exception as exc:
                errorlog.write(self.root, exc)

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def open_workspace(self) -> None:
        self.start_opening()
        assert self._opening is not None
        try:
            ws = self._opening.result()
        except FieldkitError as exc:
            self.call_from_thread(self._open_failed, str(exc))
            return
        except OSError as exc:
            self.call_from_thread(self._open_failed, f"{os_reason(exc)}（{self.root}）")
            return
        self.call_from_thread(self._workspace_ready, ws)

    def _open_failed(self, message: str) -> None:
        self.open_error = text.OPEN_FAILED.format(error=message)
        self.notify(self.open_error, severity="error", timeout=30, markup=False)
        for screen in self.screen_stack:
            screen.post_message(messages.WorkspaceReady())

    def _workspace_ready(self, ws: Workspace) -> None:
        # The records just loaded live as long as the app: keep the garbage collector from
        # walking them again and again (with 100k records a full pass takes ~0.3 s).
        gc.freeze()
        self._ws = ws
        for screen in self.screen_stack:
            screen.post_message(messages.WorkspaceReady())
        if ws.dropped_tail:
            self.notify(text.DROPPED_TAIL, severity="warning", timeout=15)
        for problem in ws.forms.problems:  # an office's forms file that was left out
            self.notify(problem, severity="warning", timeout=30, markup=False)
        if ws.identity is None:
            from fieldkit.tui.screens.identity import IdentityScreen

            self.push_screen(IdentityScreen(first_run=True))
        self._start_idle_lock()
        self.warm_up()

    @work(thread=True, group="warm-up")
    def warm_up(self) -> None:
        """Import the screens now, so the first form or record opens as fast as the next."""
        import fieldkit.tui.screens.detail
        import fieldkit.tui.screens.entry
        import fieldkit.tui.screens.records  # noqa: F401

    @guarded
    def on_unmount(self) -> None:
        self._ws = None
        self._store_closing.set()
        if self._store_thread is not None:
            self._store_thread.join(timeout=30)

    # -- the passphrase and the idle lock ------------------------------------------------------

    def unlock_wait(self) -> float:
        """Seconds before the next passphrase may be tried (after three wrong ones)."""
        return max(0.0, self.unlock_wait_until - time.monotonic())

    def _start_idle_lock(self) -> None:
        if self._ws is None or not self._ws.encrypted:
            return
        minutes = self._ws.store.get_meta(vault.IDLE_LOCK_META, vault.DEFAULT_IDLE_MINUTES)
        if isinstance(minutes, int | float) and minutes > 0:
            self.lock_after(minutes * 60)

    def lock_after(self, seconds: float | None) -> None:
        """Lock after `seconds` without a key press or a mouse action (None: never)."""
        self.idle_seconds = seconds
        if self._idle_timer is not None:
            self._idle_timer.stop()
            self._idle_timer = None
        if seconds:
            self._last_input = time.monotonic()
            self._idle_timer = self.set_interval(min(5.0, seconds / 4), self._check_idle)

    def _check_idle(self) -> None:
        if self.idle_seconds and time.monotonic() - self._last_input >= self.idle_seconds:
            self.lock()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent) and not event.is_forwarded:
            self._last_input = time.monotonic()
        await super().on_event(event)

    def lock(self) -> None:
        """Cover everything with the lock screen until the passphrase is typed again. What is
        typed in open forms stays there, and is kept as an (encrypted) draft meanwhile."""
        if self.locked or self._ws is None or not self._ws.encrypted:
            return
        from fieldkit.tui.screens.lock import UnlockScreen

        for screen in self.screen_stack:
            # A form screen (fieldkit.tui.screens.entry.FormScreen) with unsaved answers.
            raw = getattr(screen, "raw", None)
            if callable(raw) and getattr(screen, "dirty", False) and not screen.saving:  # type: ignore[attr-defined]
                try:
                    self.drafts.save(screen.form_id, screen.record_id, raw())  # type: ignore[attr-defined]
                except (OSError, FieldkitError) as exc:
                    errorlog.write(self.root, exc)
        self.clear_notifications()
        self.locked = True

        def unlocked(_: bool | None) -> None:
            self.locked = False
            self._last_input = time.monotonic()

        self.push_screen(UnlockScreen(start=False), unlocked)

    @guarded
    def action_lock(self) -> None:
        """Lock now; a data dir without a passphrase is offered one instead."""
        if self.needs_passphrase or self._ws is None:
            return
        if self._ws.encrypted:
            self.lock()
            return
        from fieldkit.tui.screens.lock import PassphraseScreen

        def chosen(passphrase: str | None) -> None:
            if passphrase:
                self.notify(text.SET_PASS_WORKING)
                self.encrypt_data_dir(passphrase)

        self.push_screen(PassphraseScreen(first_run=False), chosen)

    @work(thread=True, exclusive=True, group="encrypt", exit_on_error=False)
    def encrypt_data_dir(self, passphrase: str) -> None:
        with self.ws_lock:
            left = self.ws.encrypt(passphrase)
        self.at_rest = vault.ENCRYPTED
        self.call_from_thread(self._encrypted, len(left))

    def _encrypted(self, exports: int) -> None:
        self.notify(text.SET_PASS_DONE)
        if exports:
            self.notify(text.SET_PASS_EXPORTS.format(n=exports), severity="warning", timeout=15)
        for screen in self.screen_stack:
            screen.post_message(messages.WorkspaceReady())
        self._start_idle_lock()

    def notify(self, message, *args, **kwargs) -> None:  # type: ignore[override]
        # Nothing shows over the lock screen (a message may name a person).
        if not self.locked:
            super().notify(message, *args, **kwargs)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While locked, or before the passphrase, nothing opens over the lock screen and nothing
        # leads around the first-run choice (Tab and quitting work as ever).
        locked = self.locked or self.needs_passphrase or self.first_run
        if locked and action in _CLOSED_WHILE_LOCKED:
            return False
        return super().check_action(action, parameters)

    # -- shared reading helpers (safe from thread workers) ------------------------------------

    def record_index(self, form_id: str) -> RecordIndex:
        """The records of a form, newest first with search text; built once, kept current.
        Blocks while building: call from a thread worker."""
        with self._index_lock:
            index = self.indexes.get(form_id)
            if index is None:
                index = RecordIndex.build(self.ws, form_id, self.ws_lock)
                self.indexes[form_id] = index
                gc.freeze()
            return index

    def person_index(self) -> PersonIndex:
        """Persons with their visit schedule; built once, kept current. Blocks while
        building: call from a thread worker."""
        with self._index_lock:
            if self._persons is None:
                self._persons = PersonIndex.build(self.ws, self.ws_lock)
                gc.freeze()
            return self._persons

    @property
    def built_person_index(self) -> PersonIndex | None:
        """The person index if it has been built (and not replaced since), else None."""
        return self._persons

    def counts(self) -> dict[str, tuple[int, int]]:
        """Per form: records this month, this year. Call from a thread worker."""
        day = self.today()
        with self.ws_lock:
            return self.ws.counts(day.year, day.month)

    def record_saved(self, record: dict[str, Any]) -> None:
        """Keep the cached lists in step with a record just saved (main thread)."""
        self.data_version += 1
        if self._persons is not None:
            self._persons.update(record)
        index = self.indexes.get(record["form"])
        if index is not None:
            index.upsert(record)
        for form in self.ws.forms:
            if any(f.ref_form == record["form"] for f in form.fields):
                self.indexes.pop(form.id, None)  # titles shown there may have changed

    def lists_changed(self) -> None:
        """Many records changed at once (an import, a join): the lists are read anew."""
        with self._index_lock:
            self.indexes.clear()
            self._persons = None
        self.data_version += 1

    def visit_note(self, data: dict[str, Any]) -> str:
        """For a follow-up's answers: the note of a rule that asks for a joint visit, or ''."""
        try:
            _, rule = casework.proposed_visit(self.ws, data)
        except ValueError:
            return ""
        joint = casework.joint_departments(self.ws, rule)
        if not joint or rule is None:
            return ""
        return text.NEXT_VISIT_JOINT.format(departments=joint, note=rule.note)

    def offer_existing(self, screen: Screen, other: dict[str, Any]) -> None:
        """A form screen's new record duplicates `other`: ask, then open `other` instead
        (the half-typed duplicate is dropped, not kept as a draft)."""
        from fieldkit.tui.screens.dialogs import Answer, ChoiceDialog

        form = self.ws.form(other["form"])

        def answered(answer: str | None) -> None:
            if answer != "open":
                return
            self.drafts.discard(form.id, None)
            screen.saving = True  # type: ignore[attr-defined]
            screen.dismiss(None)
            self.open_record(other["id"])

        self.push_screen(
            ChoiceDialog(
                text.DUPLICATE_TITLE,
                text.DUPLICATE_BODY.format(title=self.describe(form, other)),
                [
                    Answer("open", text.DUPLICATE_OPEN, "o", "primary"),
                    Answer("stay", text.DUPLICATE_STAY, "", "default"),
                ],
                cancel="stay",
            ),
            answered,
        )

    def open_record(self, record_id: str, *, fields_only: bool = False) -> None:
        """A record's detail screen; a person's is the casework screen unless `fields_only`."""
        from fieldkit.tui import navigation

        navigation.open_record(self, record_id, fields_only=fields_only)

    @on(messages.OpenRecord)
    @guarded
    def _open_record_asked(self, message: messages.OpenRecord) -> None:
        self.open_record(message.record_id, fields_only=message.fields_only)

    @on(messages.OpenHistory)
    @guarded
    def _open_history_asked(self, message: messages.OpenHistory) -> None:
        from fieldkit.tui import navigation

        navigation.open_history(self, message.record_id)

    @on(messages.OpenPlace)
    @guarded
    def _open_place_asked(self, message: messages.OpenPlace) -> None:
        from fieldkit.tui import navigation

        navigation.open_place(self, message.place)

    def describe(self, form: Form, record: dict[str, Any]) -> str:
        """One line naming a record: its list columns (ID numbers masked, a person's
        effective level, numbers with their label: '参与人次 200')."""
        parts = [self.shown_value(form, form.field(c), record) for c in form.list_columns]
        return " · ".join(p for p in parts if p)

    def shown_value(self, form: Form, f: Field, record: dict[str, Any]) -> str:
        """A value as a list or a title shows it; a bare number says what it counts."""
        value = self.ws.shown(form, f, record)
        if value and f.type in ("integer", "decimal"):
            return text.NUMBER_WITH_LABEL.format(label=f.label, value=value)
        return value

    def reference_label(self, field: Field, value: str) -> str:
        target = self.ws.resolve(field.ref_form or "", value)
        if target is None:
            return str(value)
        return self.describe(self.ws.form(target["form"]), target)

    def id_info(self, value: str) -> str:
        """'男，1949-12-31 出生' for a valid ID number."""
        born = idnumber.birth_date(value)
        if born is None:
            return ""
        return text.ID_INFO.format(gender=idnumber.gender(value), birth=born.isoformat())

    # -- navigation used by several screens ----------------------------------------------------

    def open_form(
        self,
        form_id: str,
        record: dict[str, Any] | None = None,
        callback=None,
        *,
        prefill: dict[str, Any] | None = None,
    ) -> None:
        """A new entry (or an edit of `record`), offering a kept draft back first. `prefill`
        gives some answers of a new entry (e.g. the person, for a follow-up)."""
        from fieldkit.tui.screens.dialogs import Answer, ChoiceDialog
        from fieldkit.tui.screens.entry import FormScreen

        form = self.ws.form(form_id)
        record_id = record["id"] if record else None
        draft = self.drafts.load(form_id, record_id)
        if draft is None:
            self.push_screen(FormScreen(form_id, record=record, prefill=prefill), callback)
            return

        def answered(answer: str | None) -> None:
            if answer == "resume":
                screen = FormScreen(form_id, record=record, values=draft.values, prefill=prefill)
                self.push_screen(screen, callback)
                self.notify(text.DRAFT_RESTORED)
            elif answer == "discard":
                self.drafts.discard(form_id, record_id)
                self.push_screen(FormScreen(form_id, record=record, prefill=prefill), callback)

        self.push_screen(
            ChoiceDialog(
                text.DRAFT_TITLE,
                text.DRAFT_BODY.format(form=form.label, at=text.short_time(draft.saved_at)),
                [
                    Answer("resume", text.DRAFT_RESUME, "", "primary"),
                    Answer("discard", text.DRAFT_DISCARD, "x", "warning"),
                ],
            ),
            answered,
        )

    def open_records(self, form_id: str) -> None:
        from fieldkit.tui.screens.records import RecordsScreen

        self.push_screen(RecordsScreen(form_id))

    @guarded
    def action_help(self) -> None:
        from fieldkit.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    @guarded
    def action_home(self) -> None:
        from fieldkit.tui.screens.home import HomeScreen

        while len(self.screen_stack) > 2 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()

    @guarded
    def action_identity(self) -> None:
        from fieldkit.tui.screens.identity import IdentityScreen

        self.push_screen(IdentityScreen(first_run=False))

    @guarded
    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    @guarded
    def action_help_quit(self) -> None:
        self.notify(text.KEY_CTRL_C)

    @guarded
    def action_command_palette(self) -> None:
        from fieldkit.tui.widgets.palette import Palette

        if self.locked or self.needs_passphrase or self.first_run:
            return
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(Palette(placeholder=text.PALETTE_PLACEHOLDER, id="--command-palette"))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette: every main action, in Chinese (Textual's own are replaced)."""
        if self.ready and self.ws.identity is not None:
            for form in self.ws.forms:
                yield SystemCommand(
                    text.CMD_NEW.format(form=form.label),
                    text.CMD_NEW_HELP.format(form=form.label),
                    lambda f=form.id: self.open_form(f),
                )
                yield SystemCommand(
                    text.CMD_RECORDS.format(form=form.label),
                    text.CMD_RECORDS_HELP.format(form=form.label),
                    lambda f=form.id: self.open_records(f),
                )
            from fieldkit.tui.screens.home import more_actions

            for action in more_actions():
                yield SystemCommand(action.label, action.help, lambda a=action: a.run(self))
        else:
            yield SystemCommand(text.CMD_HELP, text.CMD_HELP_HELP, self.action_help)
        yield SystemCommand(text.CMD_HOME, text.CMD_HOME_HELP, self.action_home)
        yield SystemCommand(text.CMD_THEME, text.CMD_THEME_HELP, self.action_toggle_theme)
        yield SystemCommand(text.CMD_QUIT, text.CMD_QUIT_HELP, self.action_quit)

    # -- errors ------------------------------------------------------------------------------

    def report_error(self, error: BaseException) -> None:
        """Tell the user in one Chinese line; log anything unexpected with its traceback."""
        if isinstance(error, FieldkitError):
            self.notify(str(error), severity="error", timeout=10, markup=False)
            return
        if isinstance(error, OSError):
            # A disk, a USB stick or a folder: said in Chinese, with the path; logged too.
            errorlog.write(self.root, error)
            where = f"（{error.filename}）" if error.filename else ""
            message = text.OS_ERROR.format(reason=os_reason(error), where=where)
            self.notify(message, severity="error", timeout=15, markup=False)
            return
        self.errors.append(error)
        logfile = errorlog.write(self.root, error)
        # Only the type: the message may hold what was being worked on (a name, a number).
        message = text.INTERNAL_ERROR.format(error=type(error).__name__, log=logfile)
        self.notify(message, title=text.ERROR_TITLE, severity="error", timeout=20, markup=False)

    # Textual 8 has no public hook for an error nothing caught, nor for what is shown when it
    # ends the app: these two override private methods (tests/tui/test_textual_private.py
    # fails if Textual changes them).

    def _handle_exception(self, error: Exception) -> None:
        """The last line of defence (handlers are `guarded`; workers and timers end here):
        a notification instead of ending the app with a traceback."""
        if self.is_running and self.screen_stack and self._fatal is None:
            self.report_error(error.error if isinstance(error, WorkerFailed) else error)
            return
        # The app cannot go on: log the error, and say where instead of a traceback.
        self._fatal = text.FATAL_ERROR.format(
            error=type(error).__name__, log=errorlog.write(self.root, error)
        )
        super()._handle_exception(error)  # exit status 1; under Pilot, the test sees the error

    def _fatal_error(self) -> None:
        """Textual prints a traceback with the local variables (a record being saved, say) on
        the terminal: the line written by `_handle_exception` instead, no personal data."""
        self.bell()
        self.panic(Text(self._fatal or ""))


def run(root: Path, *, demo: bool = False) -> int:
    """Run the app on a data dir; returns the exit status. $FIELDKIT_PASSPHRASE, when set,
    unlocks the data dir without the unlock screen (which comes if it is wrong)."""
    given = os.environ.get("FIELDKIT_PASSPHRASE")
    if given and vault.is_encrypted(root) and vault.unlocked(root) is None:
        with suppress(vault.WrongPassphrase):
            vault.unlock(root, given)
    app = FieldkitApp(root, demo=demo)
    app.start_opening()
    app.run()
    return app.return_code or 0
