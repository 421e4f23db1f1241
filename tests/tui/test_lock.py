"""The passphrase in the app, by keyboard: the first run sets one (or, explicitly, none), the app
asks for it at start, waits after three wrong tries, and locks itself when left alone, keeping
a half-filled form."""

from __future__ import annotations

from pathlib import Path

import pytest
from leak_scan import leaks
from textual.widgets import Input, Static

from fieldkit.store import vault
from fieldkit.tui.drafts import draft_key
from fieldkit.tui.screens import lock
from fieldkit.tui.screens.entry import FormScreen
from fieldkit.tui.screens.home import HomeScreen
from fieldkit.tui.screens.lock import PassphraseScreen, UnlockScreen
from fieldkit.workspace import Workspace

from .conftest import (
    PERSON_ID,
    SIZE,
    TODAY,
    choose,
    fill,
    first_run_passphrase,
    make_app,
    no_errors,
    ready,
    settle,
    type_text,
)

PASSPHRASE = "山高月小 水落石出"
NAME, PHONE = "欧阳振华", "13912345678"


@pytest.fixture
def locked_root(tmp_path: Path) -> Path:
    """A data dir with a passphrase and an identity, locked (as at the start of a process)."""
    data = tmp_path / "data"
    vault.create(data, PASSPHRASE)
    with Workspace(data, today=TODAY) as ws:
        ws.set_identity(worker="李娜", grid="第一网格", org="东城街道办事处", abbr="东")
    vault.forget(data)
    return data


async def unlock(pilot, passphrase: str = PASSPHRASE) -> None:
    app = pilot.app
    assert isinstance(app.screen, UnlockScreen)
    await type_text(pilot, passphrase)
    await pilot.press("enter")
    for _ in range(100):  # until the passphrase was checked (the KDF runs in a thread)
        await settle(pilot)
        if not isinstance(app.screen, UnlockScreen) or not app.screen.busy:
            break
    await settle(pilot)


def unlock_note(app) -> str:
    return str(app.screen.query_one("#unlock-note", Static).content)


async def test_first_run_with_a_passphrase_keeps_everything_typed_unreadable(tmp_path: Path):
    root = tmp_path / "new"
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(50):
            await settle(pilot)
            if isinstance(app.screen, PassphraseScreen):
                break
        await pilot.press("tab")  # Tab moves between the two fields, as everywhere
        assert app.focused.id == "pass-2"
        await pilot.press("shift+tab")
        await pilot.press("f1")  # nothing opens around the choice
        await pilot.pause()
        assert isinstance(app.screen, PassphraseScreen)
        # Too short, then two different ones: explained, nothing made yet.
        await type_text(pilot, "abc")
        assert "至少要 8 个字符" in str(app.screen.query_one("#row-pass-1 .field-note").content)
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, PassphraseScreen) and not root.exists()
        await pilot.press("home", "shift+end", "backspace")  # the first one has the focus again
        await type_text(pilot, "12345678")
        assert "弱" in str(app.screen.query_one("#row-pass-1 .field-note").content)
        await pilot.press("home", "shift+end", "backspace")
        await first_run_passphrase(pilot, PASSPHRASE)
        assert vault.status(root) == vault.ENCRYPTED
        assert app.screen.id == "identity"
        await type_text(pilot, "李娜")
        await pilot.press("enter")
        await type_text(pilot, "第一网格")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert not app.screen.query_one("#at-rest").display  # no warning: it is encrypted
        await pilot.press("2")  # a person, typed in
        await pilot.pause()
        await choose(pilot, "category", "刑满释放人员")
        await fill(pilot, "name", NAME)
        await fill(pilot, "id_number", PERSON_ID)
        await fill(pilot, "phone", PHONE)
        await choose(pilot, "level", "重点")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        no_errors(app)
    assert leaks(root, [NAME, PERSON_ID, PHONE, "李娜"]) == []
    vault.forget(root)
    vault.unlock(root, PASSPHRASE)
    with Workspace(root) as ws:
        assert ws.store.current("person")[0]["data"]["name"] == NAME


async def test_choosing_no_passphrase_is_explicit_and_home_keeps_warning(tmp_path: Path):
    root = tmp_path / "new"
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await first_run_passphrase(pilot, None)
        assert vault.status(root) == vault.PLAIN
        await type_text(pilot, "李娜")
        await pilot.press("enter")
        await type_text(pilot, "第一网格")
        await pilot.press("ctrl+s")
        await settle(pilot)
        warning = app.screen.query_one("#at-rest", Static)
        assert warning.display and "未设口令" in str(warning.content)

        # L sets one later: everything is encrypted at once, and the warning goes.
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, PassphraseScreen)
        assert not app.screen.query("#pass-skip")  # only the first run offers "none"
        await type_text(pilot, PASSPHRASE)
        await pilot.press("enter")
        await type_text(pilot, PASSPHRASE)
        await pilot.press("enter")
        for _ in range(100):  # encrypting runs in a thread, then home is told
            await settle(pilot)
            home = app.screen
            if isinstance(home, HomeScreen) and not home.query_one("#at-rest").display:
                break
        else:
            raise AssertionError("home still warns after the passphrase was set")
        no_errors(app)
    assert vault.status(root) == vault.ENCRYPTED
    assert leaks(root, ["李娜", "第一网格"]) == []


async def test_start_asks_and_wrong_tries_make_the_user_wait(locked_root: Path, monkeypatch):
    monkeypatch.setattr(lock, "WAIT_SECONDS", 2)
    app = make_app(locked_root)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen) and not app.ready
        await pilot.press("ctrl+p")  # no command palette over the lock
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)
        for n in (1, 2):
            await unlock(pilot, "不对的口令")
            assert f"口令不对（已错 {n} 次）" in unlock_note(app)
        await unlock(pilot, "还是不对的")
        assert "请等" in unlock_note(app)
        assert app.screen.query_one("#passphrase", Input).disabled
        await unlock(pilot, PASSPHRASE)  # typed while waiting: not even tried
        assert isinstance(app.screen, UnlockScreen)
        await pilot.pause(2.3)
        assert not app.screen.query_one("#passphrase", Input).disabled  # never locked out
        await unlock(pilot, PASSPHRASE)
        await ready(pilot)
        assert "李娜 · 第一网格" in app.screen.query_one("#who").render().plain
        no_errors(app)


async def test_the_idle_lock_keeps_a_half_filled_form(locked_root: Path):
    app = make_app(locked_root)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await unlock(pilot)
        await ready(pilot)
        assert app.idle_seconds == 600  # the default: 10 minutes
        await pilot.press("2")
        await pilot.pause()
        await choose(pilot, "category", "刑满释放人员")
        await fill(pilot, "name", NAME)
        await fill(pilot, "phone", PHONE)
        form = app.screen
        assert isinstance(form, FormScreen)

        app.lock_after(0.4)  # then the user walks away
        await pilot.pause(1.2)
        assert isinstance(app.screen, UnlockScreen) and app.locked
        app.lock_after(None)  # (0.4 s would lock again while this test types)
        draft = locked_root / "drafts" / f"{draft_key('person')}.json"
        assert vault.is_sealed(draft.read_bytes())
        assert NAME.encode() not in draft.read_bytes() and PHONE.encode() not in draft.read_bytes()
        await pilot.press("f1")  # nothing else opens over the lock
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)

        await unlock(pilot, "不对的口令")
        assert isinstance(app.screen, UnlockScreen)
        await unlock(pilot)
        assert app.screen is form and not app.locked
        assert form.query_one("#edit-name").value == NAME
        assert form.query_one("#edit-phone").value == PHONE
        await fill(pilot, "id_number", PERSON_ID)
        await choose(pilot, "level", "重点")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        no_errors(app)
    assert not (locked_root / "drafts" / f"{draft_key('person')}.json").exists()
    vault.unlock(locked_root, PASSPHRASE)
    with Workspace(locked_root) as ws:
        assert ws.store.current("person")[0]["data"]["name"] == NAME


async def test_a_locked_app_can_be_quit_and_the_draft_comes_back(locked_root: Path):
    app = make_app(locked_root)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await unlock(pilot)
        await ready(pilot)
        await pilot.press("1")
        await pilot.pause()
        await fill(pilot, "title", "防范电信诈骗宣传")
        app.lock()
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)
        await pilot.press("ctrl+q")
        await pilot.pause()
    vault.forget(locked_root)
    app = make_app(locked_root)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await unlock(pilot)
        await ready(pilot)
        assert "有草稿" in [str(c) for c in app.screen.query_one("#forms").get_row_at(0)]
        no_errors(app)
