"""Bundle files: what they hold, signatures and encryption, and every kind of bad file refused
with a reason and without a trace."""

from __future__ import annotations

import base64
from pathlib import Path

import orjson
import pytest
from sync_support import MEETING, PERSON, card_of, dir_digest, introduce, open_office, open_site

from fieldkit.errors import FieldkitError
from fieldkit.sync import bundle, devices
from fieldkit.sync.export import export
from fieldkit.sync.merge import import_files


@pytest.fixture
def office(tmp_path):
    ws = open_office(tmp_path / "office")
    yield ws
    ws.close()


@pytest.fixture
def laptop(tmp_path, office):
    """A trusted laptop with no office key: its files are signed but not encrypted."""
    ws = open_site(tmp_path / "laptop", "李娜", "第一网格")
    introduce(office, ws)
    ws.add("person", PERSON)
    ws.add("meeting", MEETING)
    yield ws
    ws.close()


@pytest.fixture
def secret_laptop(tmp_path, office):
    ws = open_site(tmp_path / "secret", "王强", "第二网格", office)
    introduce(office, ws)
    ws.add("person", PERSON)
    yield ws
    ws.close()


def test_a_bundle_says_who_made_it_and_holds_every_version(laptop, office, tmp_path):
    laptop.edit(laptop.store.current("meeting")[0]["id"], {"participants": 31})
    path = export(laptop, tmp_path / "usb").path
    m = bundle.read_manifest(path)
    assert (m.worker, m.grid, m.device) == ("李娜", "第一网格", laptop.identity.device)
    assert m.sender == card_of(laptop)
    assert (m.versions, m.records, m.kind, m.own, m.made) == (3, 2, "changes", [1, 3], 3)
    assert not m.encrypted
    b = bundle.read(path)
    assert sorted(v["seq"] for v in b.versions) == [1, 2, 3]
    assert len(b.seals.seals) == 1 and b.seals.seals[0]["first"] == 1


def test_export_names_never_overwrite_an_earlier_bundle(laptop, tmp_path):
    first = export(laptop, tmp_path / "usb", everything=True).path
    second = export(laptop, tmp_path / "usb", everything=True).path
    assert first != second and first.exists() and second.exists()


def test_bundle_names_are_safe_on_usb_sticks():
    from datetime import datetime

    name = bundle.bundle_name('李/娜:"x"', " 第一 网格 ", datetime(2026, 11, 20, 17, 30))
    assert name == "李-娜-x_第一-网格_20261120-173000.fkb"


def test_an_encrypted_round_trip(secret_laptop, office, tmp_path):
    path = export(secret_laptop, tmp_path / "usb").path
    assert bundle.read_manifest(path).encrypted
    assert PERSON["name"].encode() not in path.read_bytes()
    assert import_files(office, [path]).totals.new == 1


def test_an_encrypted_bundle_opens_only_for_its_recipients(secret_laptop, tmp_path):
    path = export(secret_laptop, tmp_path / "usb").path
    other = open_site(tmp_path / "other", "赵敏", "第三网格")
    report = import_files(other, [path])
    assert "不是发给本机的" in report.files[0].error
    other.close()


def test_a_first_release_office_key_still_encrypts(tmp_path, office):
    """A laptop configured with the first release's PEM key encrypts to that key; the office
    that kept the private key opens the file."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    old = X25519PrivateKey.generate()
    pem = old.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (office.root / "keys" / "office-private-0123456789abcdef.pem").write_bytes(pem)
    public = old.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key = devices.parse_office_key(public.decode(), "旧公钥")
    assert key.card is None
    ws = open_site(tmp_path / "old-key", "李娜", "第一网格")
    ws.set_identity(worker="李娜", grid="第一网格", office_key=key)
    introduce(office, ws)
    ws.add("meeting", MEETING)
    path = export(ws, tmp_path / "usb").path
    assert bundle.read_manifest(path).encrypted
    assert import_files(office, [path]).totals.new == 1
    ws.close()


def test_the_device_keys_are_readable_only_by_their_owner(office):
    for path in (office.root / "keys").iterdir():
        assert path.stat().st_mode & 0o077 == 0


def test_a_private_key_is_not_accepted_as_the_office_key(office, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_bytes((office.root / "keys" / "sign.pem").read_bytes())
    with pytest.raises(FieldkitError, match="私钥"):
        devices.read_office_key(bad)
    bad.write_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    with pytest.raises(FieldkitError, match="不是 fieldkit 街道公钥"):
        devices.read_office_key(bad)


def test_a_changed_office_key_file_is_refused(office, tmp_path):
    text = devices.office_key_text(card_of(office))
    body = text.split(devices.OFFICE_KEY_BEGIN)[1].split(devices.OFFICE_KEY_END)[0]
    card = orjson.loads(base64.b64decode("".join(body.split())))
    card["org"] = "别的街道"
    forged = text.replace(body, "\n" + base64.encodebytes(orjson.dumps(card)).decode())
    with pytest.raises(FieldkitError, match="已损坏或被改动"):
        devices.parse_office_key(forged, "公钥文件")


# -- bad files: refused whole, with a reason, and the store byte for byte unchanged ---------


def _flip(path: Path, offset_from_end: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[-offset_from_end] ^= 0x01
    path.write_bytes(bytes(raw))


def _truncate(path: Path, keep: float) -> None:
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * keep)])


def _replace(old: bytes, new: bytes):
    def damage(path: Path) -> None:
        path.write_bytes(path.read_bytes().replace(old, new, 1))

    return damage


def _append(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"extra")


def _not_a_bundle(path: Path) -> None:
    path.write_text("姓名,身份证号\n王芳,11010519491231002X\n", encoding="utf-8")


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _manifest_edit(change):
    """Edit the manifest and keep the old signature line (the signer's key is not at hand)."""

    def damage(path: Path) -> None:
        head, manifest, rest = path.read_bytes().split(b"\n", 2)
        doc = orjson.loads(manifest)
        change(doc)
        path.write_bytes(head + b"\n" + orjson.dumps(doc) + b"\n" + rest)

    return damage


DAMAGE = [
    (lambda p: _truncate(p, 0.9), "文件不完整"),
    (lambda p: _truncate(p, 0.01), "文件头已损坏或文件不完整"),
    (lambda p: _truncate(p, 0.2), "文件头已损坏或文件不完整"),
    (lambda p: _flip(p, 20), "内容校验失败"),
    (_replace("第一网格".encode(), "第二网格".encode()), "发送设备的信息无效"),
    (_manifest_edit(lambda d: d.update(made=99)), "签名不对"),
    (_manifest_edit(lambda d: d.update(versions="x")), "文件头内容无效"),
    (_append, "多余内容"),
    (_replace(b"FIELDKIT-BUNDLE 2", b"FIELDKIT-BUNDLE 3"), "格式版本为 3"),
    (_replace(b"FIELDKIT-BUNDLE 2", b"FIELDKIT-BUNDLE 1"), "旧版 fieldkit"),
    (_not_a_bundle, "不是 fieldkit 导出文件"),
    (_empty, "文件是空的"),
]


@pytest.mark.parametrize(("damage", "reason"), DAMAGE)
def test_a_damaged_bundle_is_refused_and_changes_nothing(laptop, office, tmp_path, damage, reason):
    good = export(laptop, tmp_path / "out").path
    bad = tmp_path / "bad.fkb"
    bad.write_bytes(good.read_bytes())
    damage(bad)
    before = dir_digest(office.root)
    report = import_files(office, [bad])
    assert reason in report.files[0].error, report.files[0].error
    assert report.totals.as_dict() == dict.fromkeys(report.totals.as_dict(), 0)
    assert dir_digest(office.root) == before
    # Refusing one file does not stop the others.
    report = import_files(office, [bad, good])
    assert report.files[0].error and report.files[1].counts.new == 2


def _swap_ephemeral_key(path: Path) -> None:
    other = base64.b64encode(bytes(32)).decode()
    _manifest_edit(lambda d: d["encryption"].update(ephemeral=other))(path)


ENCRYPTED_DAMAGE = [
    (lambda p: _flip(p, 40), "内容校验失败"),  # the ciphertext
    (lambda p: _flip(p, 3), "内容校验失败"),  # the authentication tag
    (_manifest_edit(lambda d: d["sender"].update(worker="冒名者")), "发送设备的信息无效"),
    (_swap_ephemeral_key, "签名不对"),
    (lambda p: _truncate(p, 0.95), "文件不完整"),
]


@pytest.mark.parametrize(("damage", "reason"), ENCRYPTED_DAMAGE)
def test_tampering_with_an_encrypted_bundle_is_detected(
    secret_laptop, office, tmp_path, damage, reason
):
    path = export(secret_laptop, tmp_path / "out").path
    damage(path)
    before = dir_digest(office.root)
    report = import_files(office, [path])
    assert reason in report.files[0].error, report.files[0].error
    assert dir_digest(office.root) == before


def test_listing_reads_only_the_manifest_and_checks_its_signature(laptop, tmp_path):
    path = export(laptop, tmp_path / "out").path
    assert bundle.read_manifest(path).worker == "李娜"
    _manifest_edit(lambda d: d.update(kind="all"))(path)
    with pytest.raises(bundle.BundleError, match="签名不对"):
        bundle.read_manifest(path)
