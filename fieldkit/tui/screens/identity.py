"""Who records on this laptop: asked on first run, changeable later."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Label, Static

from fieldkit.errors import FieldkitError
from fieldkit.sync import devices
from fieldkit.tui import text
from fieldkit.tui.safety import guarded
from fieldkit.tui.widgets.footer import KeyFooter
from fieldkit.workspace import Identity, Workspace

if TYPE_CHECKING:
    from fieldkit.tui.services import Services

FIELDS = (
    # id, label, placeholder, hint, required
    ("worker", text.ID_WORKER, text.ID_PLACEHOLDER_WORKER, "", True),
    ("grid", text.ID_GRID, text.ID_PLACEHOLDER_GRID, "", True),
    ("org", text.ID_ORG, text.ID_PLACEHOLDER_ORG, "", False),
    ("abbr", text.ID_ABBR, "", text.ID_ABBR_HINT, False),
    ("key", text.ID_KEY, text.ID_PLACEHOLDER_KEY, text.ID_KEY_HINT, False),
)


class IdentityScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "save",
            text.KEY_SAVE,
            priority=True,
            id="identity.save",
            tooltip=text.ID_SAVE_TIP,
        ),
        Binding("escape", "back", text.KEY_BACK, id="identity.back", tooltip=text.KEY_BACK_TIP),
    ]

    def __init__(self, *, first_run: bool):
        super().__init__(id="identity")
        self.first_run = first_run
        self.hints: dict[str, str] = {}  # field -> the note it shows when there is no error

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        self.sub_title = text.IDENTITY_TITLE
        ident = self.fk.ws.identity
        values = {
            "worker": ident.worker if ident else "",
            "grid": ident.grid if ident else "",
            "org": ident.org if ident else "",
            "abbr": ident.abbr if ident else "",
            "key": "",
        }
        yield Header()
        with VerticalScroll(id="identity-body", can_focus=False):
            intro = text.IDENTITY_INTRO if self.first_run else text.IDENTITY_EDIT_INTRO
            yield Static(intro, classes="intro", markup=False)
            with self.fk.ws_lock:
                yield Static(device_card(self.fk.ws, ident), id="identity-device")
            for fid, label, placeholder, hint, required in FIELDS:
                if fid == "key" and ident and ident.role == "office":
                    continue  # the office has no office key to set: it is the office
                if fid == "key" and ident and ident.encrypts:
                    hint = text.ID_KEY_KEEP
                with Vertical(classes="field-row", id=f"row-{fid}"):
                    with Horizontal(classes="field-line"):
                        mark = text.REQUIRED_MARK if required else ""
                        yield Label(label + mark, classes="field-label")
                        yield Input(
                            values[fid], placeholder=placeholder, id=f"id-{fid}", compact=True
                        )
                    self.hints[fid] = hint
                    yield Static(hint, classes="field-note -shown -info" if hint else "field-note")
            with Horizontal(classes="button-bar"):
                label = text.ID_SAVE if self.first_run else text.ID_SAVE_EDIT
                yield Button(f"{label}（Ctrl+S）", id="identity-save", variant="primary")
        yield KeyFooter()

    @guarded
    def on_mount(self) -> None:
        self.query_one("#id-worker", Input).focus()

    @on(Input.Submitted)
    @guarded
    def next_field(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "id-key":
            self.action_save()
        else:
            self.focus_next()

    @on(Input.Changed)
    @guarded
    def typed(self, event: Input.Changed) -> None:
        """A field's error goes once it is filled in (its hint comes back)."""
        fid = (event.input.id or "").removeprefix("id-")
        note = self.query_one(f"#row-{fid} .field-note", Static)
        if note.has_class("-error") and event.value.strip():
            hint = self.hints.get(fid, "")
            note.update(hint)
            note.set_class(False, "-error")
            note.set_class(bool(hint), "-shown", "-info")

    @on(Button.Pressed, "#identity-save")
    @guarded
    def pressed(self) -> None:
        self.action_save()

    def _value(self, fid: str) -> str:
        found = self.query(f"#id-{fid}")  # no key row at the office
        return found.first(Input).value.strip() if found else ""

    def _note(self, fid: str, message: str) -> None:
        note = self.query_one(f"#row-{fid} .field-note", Static)
        note.update(message)
        note.set_class(False, "-info")
        note.set_class(True, "-shown", "-error")

    @guarded
    def action_save(self) -> None:
        missing = [fid for fid in ("worker", "grid") if not self._value(fid)]
        for fid in missing:
            self._note(fid, text.ID_REQUIRED)
        if missing:
            self.query_one(f"#id-{missing[0]}", Input).focus()
            return
        key = None
        if self._value("key"):
            try:
                key = devices.read_office_key(Path(self._value("key")))
            except FieldkitError as exc:
                self._note("key", str(exc))
                self.query_one("#id-key", Input).focus()
                return
        with self.fk.ws_lock:
            ident = self.fk.ws.set_identity(
                worker=self._value("worker"),
                grid=self._value("grid"),
                org=self._value("org"),
                abbr=self._value("abbr"),
                office_key=key,
            )
        self.notify(text.ID_SAVED_FP.format(fp=devices.fingerprint(ident.device)), markup=False)
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # On first run there is nowhere to go back to: the key is not offered.
        return not (action == "back" and self.first_run)

    @guarded
    def action_back(self) -> None:
        if not self.first_run:
            self.dismiss(None)


def device_card(ws: Workspace, ident: Identity | None) -> Content:
    """This data dir's fingerprint, large, and who its office is (what encrypts exports)."""
    if ident is None:
        return Content(text.ID_FINGERPRINT_LATER)
    lines = [
        Content.assemble(
            (text.ID_FINGERPRINT, "bold"), (devices.fingerprint(ident.device), "bold $accent")
        ),
        Content.styled(
            text.ID_FINGERPRINT_NOTE_OFFICE if ident.role == "office" else text.ID_FINGERPRINT_NOTE,
            "dim",
        ),
    ]
    if ident.role == "office":
        lines.append(Content(text.ID_IS_OFFICE))
    elif ident.office is not None:
        card = devices.stored_card(ws.store, ident.office) or {}
        name = card.get("org") or card.get("worker") or text.EMPTY_VALUE
        lines.append(
            Content(text.ID_OFFICE.format(name=name, fp=devices.fingerprint(ident.office)))
        )
    elif ident.encrypts:
        lines.append(Content(text.ID_OFFICE_LEGACY))
    else:
        lines.append(Content.styled(text.ID_OFFICE_NONE, "$warning"))
    return Content("\n").join(lines)
