"""The passphrase in the app: unlocking at start and after the idle lock, and setting one.

The key derivation takes about 0.4 s, so it runs in a thread worker. Three wrong tries in a row
make the user wait (WAIT_SECONDS) before the next one; the wait never grows into a lock-out. The
count lives in the app, so a new lock screen does not reset it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Label, Static

from fieldkit.errors import FieldkitError
from fieldkit.store import vault
from fieldkit.tui import text
from fieldkit.tui.safety import guarded
from fieldkit.tui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from fieldkit.tui.services import Services

FREE_TRIES = 3
WAIT_SECONDS = 30


class UnlockScreen(Screen[bool]):
    """Asks for the passphrase. `start`: unlock the data dir (the app opens it next); otherwise
    the app was locked and the passphrase is checked against the vault it holds. Dismissed with
    True once the passphrase is right; there is no other way out but quitting."""

    AUTO_FOCUS = "#passphrase"

    def __init__(self, *, start: bool):
        super().__init__(id="unlock")
        self.start = start
        self.busy = False
        self._ticker = None

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="unlock-body"):
            title = text.UNLOCK_TITLE if self.start else text.LOCKED_TITLE
            yield Label(title, classes="section-title")
            intro = text.UNLOCK_INTRO if self.start else text.LOCKED_INTRO
            yield Static(intro, classes="intro", markup=False)
            with Horizontal(classes="field-line"):
                yield Label(text.UNLOCK_LABEL, classes="field-label")
                yield Input(password=True, id="passphrase", placeholder=text.UNLOCK_PLACEHOLDER)
            yield Static("", id="unlock-note", markup=False)
            try:
                recoverable = vault.has_office_wrap(self.fk.root)
            except FieldkitError:
                recoverable = False
            forgot = text.UNLOCK_FORGOT_OFFICE if recoverable else text.UNLOCK_FORGOT_NONE
            yield Static(f"{forgot}\n{text.UNLOCK_QUIT}", id="unlock-help", markup=False)
        yield KeyFooter()

    @guarded
    def on_mount(self) -> None:
        if self.fk.unlock_wait() > 0:
            self._start_waiting()

    def _note(self, message: str, kind: str = "") -> None:
        note = self.query_one("#unlock-note", Static)
        note.update(message)
        note.set_class(kind == "error", "-error")

    @on(Input.Submitted, "#passphrase")
    @guarded
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.busy or self.fk.unlock_wait() > 0:
            return
        if not event.value:
            self._note(text.UNLOCK_EMPTY, "error")
            return
        self.busy = True
        self._note(text.UNLOCK_CHECKING)
        self.check(event.value)
        event.input.value = ""

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=False)
    def check(self, passphrase: str) -> None:
        root = self.fk.root
        error = None
        try:
            if self.start:
                vault.unlock(root, passphrase)
                ok = True
            else:
                opened = vault.unlocked(root)
                ok = opened is not None and vault.check_passphrase(opened, passphrase)
        except vault.WrongPassphrase:
            ok = False
        except FieldkitError as exc:  # a damaged vault file: say so, stay here
            ok, error = False, str(exc)
        self.app.call_from_thread(self._checked, ok, error)

    def _checked(self, ok: bool, error: str | None) -> None:
        self.busy = False
        if ok:
            self.fk.failed_tries = 0
            self.dismiss(True)
            return
        if error is not None:
            self._note(error, "error")
            return
        self.fk.failed_tries += 1
        if self.fk.failed_tries >= FREE_TRIES:
            self.fk.unlock_wait_until = time.monotonic() + WAIT_SECONDS
            self._start_waiting()
        else:
            self._note(text.UNLOCK_WRONG.format(n=self.fk.failed_tries), "error")

    def _start_waiting(self) -> None:
        self.query_one("#passphrase", Input).disabled = True
        self._tick()
        if self._ticker is None:
            self._ticker = self.set_interval(1, self._tick)

    def _tick(self) -> None:
        left = self.fk.unlock_wait()
        if left > 0:
            self._note(
                text.UNLOCK_WAIT.format(n=self.fk.failed_tries, seconds=int(left + 0.999)), "error"
            )
            return
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        field = self.query_one("#passphrase", Input)
        field.disabled = False
        field.focus()
        self._note("")


class PassphraseScreen(Screen[str | None]):
    """Set a passphrase: typed twice, with a strength hint. Dismissed with the passphrase; on
    first run also with "" when the user explicitly chose none (after a warning); otherwise
    with None when left (Escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "save",
            text.SET_PASS_SAVE,
            priority=True,
            id="passphrase.save",
            tooltip=text.SET_PASS_SAVE,
        ),
        Binding("escape", "back", text.KEY_BACK, id="passphrase.back", tooltip=text.KEY_BACK_TIP),
    ]
    AUTO_FOCUS = "#pass-1"

    def __init__(self, *, first_run: bool):
        super().__init__(id="set-passphrase")
        self.first_run = first_run

    def compose(self) -> ComposeResult:
        self.sub_title = text.SET_PASS_TITLE
        yield Header()
        with VerticalScroll(id="passphrase-body"):
            intro = text.SET_PASS_INTRO_FIRST if self.first_run else text.SET_PASS_INTRO
            yield Static(intro, classes="intro", markup=False)
            for n, label in ((1, text.SET_PASS_FIRST), (2, text.SET_PASS_AGAIN)):
                with Vertical(classes="field-row", id=f"row-pass-{n}"):
                    with Horizontal(classes="field-line"):
                        yield Label(label + text.REQUIRED_MARK, classes="field-label")
                        yield Input(password=True, id=f"pass-{n}", compact=True)
                    hint = text.SET_PASS_HINT if n == 1 else ""
                    classes = "field-note -shown -info" if hint else "field-note"
                    yield Static(hint, classes=classes, markup=False)
            with Horizontal(classes="button-bar"):
                yield Button(f"{text.SET_PASS_SAVE}（Ctrl+S）", id="pass-save", variant="primary")
                if self.first_run:
                    yield Button(text.SET_PASS_SKIP, id="pass-skip", variant="warning")
        yield KeyFooter()

    def _value(self, n: int) -> str:
        return self.query_one(f"#pass-{n}", Input).value

    def _note(self, n: int, message: str, kind: str) -> None:
        note = self.query_one(f"#row-pass-{n} .field-note", Static)
        note.update(message)
        note.set_class(bool(message), "-shown")
        for k in ("error", "warning", "info"):
            note.set_class(k == kind, f"-{k}")

    @on(Input.Changed, "#pass-1")
    @guarded
    def typed(self, event: Input.Changed) -> None:
        if not event.value:
            self._note(1, text.SET_PASS_HINT, "info")
            return
        level, hint = vault.strength(event.value)
        problem = vault.passphrase_problem(event.value)
        message = text.STRENGTH.format(hint=hint) + (f"（{problem}）" if problem else "")
        self._note(1, message, ("error", "warning", "info")[level])

    @on(Input.Submitted)
    @guarded
    def next_field(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "pass-2":
            self.action_save()
        else:
            self.focus_next()

    @on(Button.Pressed, "#pass-save")
    @guarded
    def pressed_save(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#pass-skip")
    @guarded
    def pressed_skip(self) -> None:
        from fieldkit.tui.screens.dialogs import Answer, ChoiceDialog

        def answered(answer: str | None) -> None:
            if answer == "skip":
                self.dismiss("")

        self.app.push_screen(
            ChoiceDialog(
                text.SET_PASS_SKIP_TITLE,
                text.SET_PASS_SKIP_BODY,
                [
                    Answer("back", text.SET_PASS_SKIP_NO, "", "primary"),
                    Answer("skip", text.SET_PASS_SKIP_YES, "", "warning"),
                ],
                cancel="back",
            ),
            answered,
        )

    @guarded
    def action_save(self) -> None:
        first, again = self._value(1), self._value(2)
        if problem := vault.passphrase_problem(first):
            self._note(1, problem, "error")
            self.query_one("#pass-1", Input).focus()
            return
        if first != again:
            self._note(2, text.SET_PASS_MISMATCH, "error")
            self.query_one("#pass-2", Input).focus()
            return
        self.dismiss(first)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # On first run there is nowhere to go back to: a choice must be made.
        return not (action == "back" and self.first_run)

    @guarded
    def action_back(self) -> None:
        if not self.first_run:
            self.dismiss(None)
