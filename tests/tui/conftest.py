"""Helpers for driving the app with real key presses (Pilot) on a fixed day."""

from __future__ import annotations

import asyncio
import inspect
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.keys import ASCII_KEY_NAMES, KEY_NAME_REPLACEMENTS
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from fieldkit.files.locations import keys_dir
from fieldkit.sync import devices, roster
from fieldkit.tui.app import FieldkitApp
from fieldkit.views.records import newest_first
from fieldkit.workspace import Workspace

TODAY = date(2026, 11, 24)
SIZE = (100, 30)
# Snapshots are taken on a small laptop window and on a roomier one: nothing may be cut on either.
SIZES = pytest.mark.parametrize("size", [(80, 24), (100, 30)], ids=["80x24", "100x30"])
PERSON_ID = "11010519491231002X"  # a valid ID number (domain.md)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function):
    """Run `async def` tests in a fresh event loop (no asyncio plugin needed)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = inspect.signature(pyfuncitem.obj).parameters
    args = {name: pyfuncitem.funcargs[name] for name in names}
    asyncio.run(pyfuncitem.obj(**args))
    return True


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A data dir with an identity and no records."""
    data = tmp_path / "data"
    with Workspace(data, today=TODAY) as ws:
        ws.set_identity(worker="李娜", grid="第一网格", org="东城街道办事处", abbr="东")
    return data


def fixed_keys(root: Path, seed: int) -> None:
    """Give a new data dir key pairs made from `seed`: the same fingerprint on every run
    (snapshots). The data dir takes them as its own at set_identity."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    folder = keys_dir(root)
    folder.mkdir(parents=True)
    for name, kind, salt in (("sign.pem", Ed25519PrivateKey, 1), ("box.pem", X25519PrivateKey, 2)):
        key = kind.from_private_bytes(bytes([seed, salt]) * 16)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        (folder / name).write_bytes(pem)


def open_site(
    root: Path,
    worker: str,
    grid: str,
    *,
    office: Workspace | None = None,
    role: str | None = None,
    seed: int | None = None,
) -> Workspace:
    """A data dir with an identity (open: close it); a laptop of `office` when one is given."""
    if seed is not None:
        fixed_keys(root, seed)
    ws = Workspace(root, today=TODAY)
    key = None
    if office is not None:
        card = devices.stored_card(office.store, office.require_identity().device)
        key = devices.parse_office_key(devices.office_key_text(card), "街道公钥")
    ws.set_identity(
        worker=worker, grid=grid, org="东城街道办事处", abbr="东", office_key=key, role=role
    )
    return ws


def introduce(office: Workspace, *laptops: Workspace) -> None:
    """The office trusts laptops, as after comparing their fingerprints."""
    for laptop in laptops:
        card = devices.stored_card(laptop.store, laptop.require_identity().device)
        with office.store.transaction() as tx:
            devices.remember_card(tx, card, "2026-11-20T08:00:00+08:00")
        roster.trust(office, card["device"])


@pytest.fixture
def office(tmp_path: Path) -> Path:
    """The street office's data dir (fixed keys), no records."""
    data = tmp_path / "office"
    open_site(data, "王主任", "街道", role="office", seed=7).close()
    return data


def make_app(root: Path) -> FieldkitApp:
    return FieldkitApp(root, today=TODAY)


async def ready(pilot: Pilot) -> None:
    """Wait until the data dir is open and the home screen has its counts."""
    app: FieldkitApp = pilot.app  # type: ignore[assignment]
    for _ in range(500):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if app.ready and app.screen.id == "home" and app.screen.seen_version >= 0:
            break
    else:
        raise AssertionError("the home screen never showed its counts")
    await settle(pilot)


async def settle(pilot: Pilot) -> None:
    """Let thread workers finish and their results reach the screen."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def key_of(character: str) -> str:
    """The key a terminal reports for a typed character, named as Textual names it (a
    letter or digit itself, else its Unicode name: "space", "full_stop")."""
    if character.isalnum():
        return character
    try:
        name = unicodedata.name(character).lower().replace("-", "_").replace(" ", "_")
    except ValueError:
        name = ASCII_KEY_NAMES.get(character, character)
    return KEY_NAME_REPLACEMENTS.get(name, name)


async def type_text(pilot: Pilot, value: str) -> None:
    """Type `value` as the terminal delivers an IME's committed word or a fast typist: the
    key events in one burst, in order, then wait until the app has handled them all."""
    for ch in value:
        key = key_of(ch)
        event = events.Key(key, ch)
        event.set_sender(pilot.app)
        pilot.app.post_message(event)  # as the terminal driver does
    await pilot.pause()


async def paste(pilot: Pilot, value: str) -> None:
    """Paste `value` into the focused widget (Ctrl+V, or a right click in a Windows console)."""
    pilot.app.post_message(events.Paste(value))  # as the terminal driver does
    await pilot.pause()


async def focus_field(pilot: Pilot, field_id: str, limit: int = 40) -> None:
    """Press Tab until the editor of `field_id` has focus (what a keyboard user does)."""
    for _ in range(limit):
        focused = pilot.app.focused
        if focused is not None and focused.id == f"edit-{field_id}":
            return
        await pilot.press("tab")
    raise AssertionError(f"could not reach field {field_id} with Tab")


async def choose(pilot: Pilot, field_id: str, label: str) -> None:
    """Pick a choice of a single-choice field with the keyboard (Enter, arrows, Enter)."""
    await focus_field(pilot, field_id)
    select = pilot.app.focused
    await pilot.press("enter")
    overlay = select.query_one("SelectOverlay", OptionList)  # type: ignore[union-attr]
    labels = [str(overlay.get_option_at_index(i).prompt) for i in range(overlay.option_count)]
    start = overlay.highlighted or 0
    target = labels.index(label)
    step = "down" if target >= start else "up"
    await pilot.press(*([step] * abs(target - start)))
    await pilot.press("enter")
    await pilot.pause()


async def fill(pilot: Pilot, field_id: str, value: str) -> None:
    """Tab to a text field, clear it and type."""
    await focus_field(pilot, field_id)
    if isinstance(pilot.app.focused, Input):
        await pilot.press("home", "shift+end", "backspace")
    await type_text(pilot, value)


async def first_run_passphrase(pilot: Pilot, passphrase: str | None) -> None:
    """On a new data dir's first screen: set `passphrase` (typed twice), or, with None, choose
    to go without one (and confirm)."""
    app: FieldkitApp = pilot.app  # type: ignore[assignment]
    for _ in range(100):
        await settle(pilot)
        if app.screen.id == "set-passphrase":
            break
    else:
        raise AssertionError("the first run did not ask for a passphrase")
    if passphrase is None:
        await pilot.click("#pass-skip")
        await pilot.pause()
        await pilot.click("#answer-skip")
    else:
        await type_text(pilot, passphrase)
        await pilot.press("enter")
        await type_text(pilot, passphrase)
        await pilot.press("enter")
    for _ in range(100):
        await settle(pilot)
        if app.ready:
            break


def no_errors(app: FieldkitApp) -> None:
    assert app.errors == [], app.errors


def seed(root: Path, form_id: str, data: dict[str, Any], *, at: str, record_id: str) -> dict:
    """A record with a fixed time and id (stable snapshots), saved as this data dir's change."""
    with Workspace(root, today=TODAY) as ws:
        form = ws.form(form_id)
        outcome = ws.check(form_id, {**ws.defaults(form_id, data), **data})
        assert outcome.ok, outcome.errors
        with ws.changes() as c:
            return c.add(form_id, form.version, outcome.data, at=at, record_id=record_id)


def stored(root: Path, form_id: str) -> list[dict]:
    with Workspace(root, today=TODAY) as ws:
        return newest_first(ws, form_id)
