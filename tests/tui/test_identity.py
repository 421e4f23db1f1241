"""The 网格员信息 page: this data dir's fingerprint (what the office compares before trusting
it), the office it encrypts to, and setting the office key from its file."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from textual.widgets import Static

from fieldkit.sync import devices
from fieldkit.tui.screens.identity import IdentityScreen
from fieldkit.workspace import Workspace

from .conftest import (
    TODAY,
    first_run_passphrase,
    make_app,
    no_errors,
    paste,
    ready,
    settle,
    type_text,
)

# Looks like a public key to a text search, but is none.
GARBAGE_PUBLIC = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"


def private_key_pem() -> str:
    key = X25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    return pem.decode("ascii")


def card_text(app) -> str:
    return str(app.screen.query_one("#identity-device", Static).content)


async def test_identity_page_shows_this_laptops_fingerprint(root: Path):
    with Workspace(root, today=TODAY) as ws:
        fp = devices.fingerprint(ws.identity.device)
    app = make_app(root)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, IdentityScreen)
        shown = card_text(app)
        assert f"本机指纹：{fp}" in shown
        assert "街道在它的电脑上信任本机时，会与这里的指纹核对" in shown
        assert "未配置街道公钥" in shown
        no_errors(app)


async def test_office_key_file_is_read_and_the_office_shown(root: Path, office: Path):
    with Workspace(office, today=TODAY) as hub:
        card = devices.stored_card(hub.store, hub.identity.device)
    key = root.parent / "街道公钥-TEST.fkkey"
    key.write_text(devices.office_key_text(card), encoding="utf-8")
    # The app refuses what `fieldkit init --office-key` refuses, in the same words.
    refused = {
        "wrong.txt": ("不是公钥", "不是 fieldkit 街道公钥文件"),
        "garbage.pem": (GARBAGE_PUBLIC, "不是 fieldkit 街道公钥文件"),
        "office-private.pem": (private_key_pem(), "是私钥文件，不能配置到网格员电脑上"),
    }
    for name, (content, _) in refused.items():
        (root.parent / name).write_text(content)
    app = make_app(root)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("i")
        await pilot.pause()
        app.screen.query_one("#id-key").focus()
        for name, (_, message) in refused.items():
            await pilot.press("home", "shift+end", "backspace")
            await paste(pilot, str(root.parent / name))
            await pilot.press("enter")  # Enter in the last field saves
            await pilot.pause()
            note = app.screen.query_one("#row-key .field-note", Static)
            assert message in str(note.content), name
            assert isinstance(app.screen, IdentityScreen)
        await pilot.press("home", "shift+end", "backspace")
        await paste(pilot, str(key))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, IdentityScreen)
        await pilot.press("i")
        await pilot.pause()
        office_fp = devices.fingerprint(card["device"])
        assert f"已配置街道公钥：东城街道办事处，指纹 {office_fp}" in card_text(app)
        no_errors(app)
    with Workspace(root, today=TODAY) as ws:
        assert ws.identity.office == card["device"] and ws.identity.encrypts


async def test_office_sees_its_role_and_no_key_field(office: Path):
    app = make_app(office)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("i")
        await pilot.pause()
        assert "本机是街道电脑：导出文件加密给已信任的网格员电脑" in card_text(app)
        assert not app.screen.query("#id-key")
        await pilot.press("ctrl+s")  # saving keeps it the office
        await settle(pilot)
        no_errors(app)
    with Workspace(office, today=TODAY) as ws:
        assert ws.identity.role == "office"


async def test_first_run_says_the_fingerprint_comes_with_saving(tmp_path: Path):
    app = make_app(tmp_path / "new")
    async with app.run_test(size=(100, 30)) as pilot:
        await first_run_passphrase(pilot, None)  # the passphrase is asked first
        for _ in range(100):
            await settle(pilot)
            if isinstance(app.screen, IdentityScreen):
                break
        assert "保存后生成本机密钥并显示本机指纹" in card_text(app)
        await type_text(pilot, "李娜")
        await pilot.press("enter")
        await type_text(pilot, "第一网格")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, IdentityScreen)
        with app.ws_lock:
            fp = devices.fingerprint(app.ws.identity.device)
        messages = [str(n.message) for n in app._notifications]
        assert any(f"本机指纹：{fp}" in m for m in messages), messages
        no_errors(app)
