"""Bundle files: what they hold, encryption, and every kind of bad file refused without a trace."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from pathlib import Path

import pytest
from sync_support import MEETING, PERSON, dir_digest, open_site

from fieldkit import bundle, keys
from fieldkit.errors import FieldkitError
from fieldkit.export import export
from fieldkit.merge import import_files
from fieldkit.records import new_record


@pytest.fixture
def office(tmp_path):
    ws = open_site(tmp_path / "office", "街道管理员", "街道")
    yield ws
    ws.close()


@pytest.fixture
def office_key(office, tmp_path):
    return keys.generate(office.root, tmp_path / "pub")


@pytest.fixture
def laptop(tmp_path):
    ws = open_site(tmp_path / "laptop", "李娜", "第一网格")
    ws.add("person", PERSON)
    ws.add("meeting", MEETING)
    yield ws
    ws.close()


@pytest.fixture
def secret_laptop(tmp_path, office_key):
    ws = open_site(tmp_path / "secret", "王强", "第二网格", office_key.public_path.read_text())
    ws.add("person", PERSON)
    yield ws
    ws.close()


def split(path: Path) -> tuple[bytes, bytes, bytes]:
    raw = path.read_bytes()
    header, rest = raw.split(b"\n", 1)
    manifest, payload = rest.split(b"\n", 1)
    return header + b"\n", manifest + b"\n", payload


def rewrite_manifest(path: Path, change) -> None:
    """Edit the manifest and recompute the header checksum, as a deliberate tamperer would."""
    _, manifest, payload = split(path)
    doc = json.loads(manifest)
    change(doc)
    line = json.dumps(doc, ensure_ascii=False).encode() + b"\n"
    header = b"FIELDKIT-BUNDLE 1 %s\n" % hashlib.sha256(line).hexdigest().encode()
    path.write_bytes(header + line + payload)


def test_a_bundle_says_who_made_it_and_holds_every_record(laptop, tmp_path):
    result = export(laptop, tmp_path / "out")
    m = bundle.read_manifest(result.path)
    assert result.path.name.startswith("李娜_第一网格_") and result.path.suffix == ".fkb"
    assert (m.worker, m.grid, m.device) == ("李娜", "第一网格", laptop.identity.device)
    assert m.records == 2 and not m.encrypted and m.forms["person"] == 1
    b = bundle.read(result.path)
    assert sorted(r["id"] for r in b.records) == sorted(
        r["id"] for f in ("person", "meeting") for r in laptop.store.current(f)
    )
    # The payload is plain gzip'd JSON: readable with standard tools when not encrypted.
    assert json.loads(gzip.decompress(split(result.path)[2]))["records"] == b.records
    assert list((tmp_path / "out").iterdir()) == [result.path]  # no temp file left behind


def test_export_names_never_overwrite_an_earlier_bundle(laptop, tmp_path):
    first = export(laptop, tmp_path / "out", everything=True)
    second = export(laptop, tmp_path / "out", everything=True)
    assert first.path != second.path and first.path.exists() and second.path.exists()


def test_bundle_names_are_safe_on_usb_sticks():
    from datetime import datetime

    name = bundle.bundle_name("李/娜:", '第一 网格*"', datetime(2026, 3, 5, 9, 8, 7))
    assert name == "李-娜_第一-网格_20260305-090807.fkb"


def test_encrypted_round_trip(secret_laptop, office, tmp_path):
    result = export(secret_laptop, tmp_path / "out")
    assert result.manifest.encrypted and result.preview.encrypted
    raw = result.path.read_bytes()
    assert "王芳".encode() not in raw and b"11010519491231002X" not in raw
    report = import_files(office, [result.path])
    assert report.totals.new == 1 and not report.refused
    assert office.store.lookup("person", "id_number", "11010519491231002X")


def test_an_encrypted_bundle_cannot_be_opened_without_the_office_key(secret_laptop, tmp_path):
    path = export(secret_laptop, tmp_path / "out").path
    before = dir_digest(secret_laptop.root / "store")
    report = import_files(secret_laptop, [path])
    assert "本机没有街道私钥" in report.files[0].error
    assert dir_digest(secret_laptop.root / "store") == before


def test_a_bundle_for_another_office_key_is_refused(secret_laptop, tmp_path):
    path = export(secret_laptop, tmp_path / "out").path
    other = open_site(tmp_path / "other-office", "别的街道", "街道")
    keys.generate(other.root, tmp_path / "other-pub")
    before = dir_digest(other.root / "store")
    report = import_files(other, [path])
    assert "不在本机" in report.files[0].error
    assert dir_digest(other.root / "store") == before
    other.close()


def test_the_office_keeps_old_keys_so_older_bundles_still_open(secret_laptop, office, tmp_path):
    path = export(secret_laptop, tmp_path / "out").path
    keys.generate(office.root, tmp_path / "new-pub")  # a new key pair; the old one stays
    assert len(keys.private_keys(office.root)) == 2
    assert import_files(office, [path]).totals.new == 1


def test_the_private_key_is_readable_only_by_its_owner(office, office_key):
    assert office_key.private_path.parent == office.root / "keys"
    assert office_key.private_path.stat().st_mode & 0o077 == 0
    assert "PRIVATE" not in office_key.public_path.read_text()


def test_a_private_key_is_not_accepted_as_the_office_public_key(office_key, tmp_path):
    with pytest.raises(FieldkitError, match="私钥"):
        keys.read_public_key_file(office_key.private_path)
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    with pytest.raises(FieldkitError, match="不是 fieldkit 街道公钥"):
        keys.read_public_key_file(bad)


# -- bad files: refused whole, with a reason, and the store byte for byte unchanged ---------


def _flip(path: Path, offset_from_end: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[-offset_from_end] ^= 0x01
    path.write_bytes(bytes(raw))


def _truncate(path: Path, keep: float) -> None:
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * keep)])


def _bump_format(path: Path) -> None:
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b"FIELDKIT-BUNDLE 1 ", b"FIELDKIT-BUNDLE 2 ", 1))


def _append(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"extra")


def _edit_manifest_byte(path: Path) -> None:
    raw = path.read_bytes()
    path.write_bytes(raw.replace("第一网格".encode(), "第二网格".encode(), 1))


def _not_a_bundle(path: Path) -> None:
    path.write_text("姓名,身份证号\n王芳,11010519491231002X\n", encoding="utf-8")


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _forged_payload(path: Path) -> None:
    # Valid gzip and a matching checksum, but a record that is not a record.
    payload = gzip.compress(b'{"records":[{"id":"x"}]}')

    def change(doc):
        doc["records"] = 1
        doc["payload_bytes"] = len(payload)
        doc["payload_sha256"] = hashlib.sha256(payload).hexdigest()

    header, manifest, _ = split(path)
    path.write_bytes(header + manifest + payload)
    rewrite_manifest(path, change)


PLAIN_DAMAGE = [
    (lambda p: _truncate(p, 0.9), "文件不完整"),
    (lambda p: _truncate(p, 0.01), "文件头已损坏或文件不完整"),
    (lambda p: _truncate(p, 0.3), "文件头已损坏或文件不完整"),
    (lambda p: _flip(p, 20), "内容校验失败"),
    (_edit_manifest_byte, "文件头校验失败"),
    (_append, "多余内容"),
    (_bump_format, "格式版本为 2"),
    (_not_a_bundle, "不是 fieldkit 导出文件"),
    (_empty, "文件是空的"),
    (_forged_payload, "第 1 条记录格式不正确"),
]


@pytest.mark.parametrize(("damage", "reason"), PLAIN_DAMAGE)
def test_a_damaged_bundle_is_refused_and_changes_nothing(laptop, office, tmp_path, damage, reason):
    good = export(laptop, tmp_path / "out").path
    bad = tmp_path / "bad.fkb"
    bad.write_bytes(good.read_bytes())
    damage(bad)
    before = dir_digest(office.root / "store")
    report = import_files(office, [bad])
    assert reason in report.files[0].error, report.files[0].error
    assert report.totals.as_dict() == dict.fromkeys(report.totals.as_dict(), 0)
    assert dir_digest(office.root / "store") == before
    # Refusing one file does not stop the others.
    report = import_files(office, [bad, good])
    assert report.files[0].error and report.files[1].counts.new == 2


def _tamper_encrypted_manifest(path: Path) -> None:
    rewrite_manifest(path, lambda doc: doc.update(worker="冒名者"))


def _swap_ephemeral_key(path: Path) -> None:
    other = base64.b64encode(bytes(32)).decode()
    rewrite_manifest(path, lambda doc: doc["encryption"].update(ephemeral_key=other))


ENCRYPTED_DAMAGE = [
    (lambda p: _flip(p, 40), "解密失败"),  # the ciphertext
    (lambda p: _flip(p, 3), "解密失败"),  # the authentication tag
    (_tamper_encrypted_manifest, "解密失败"),  # manifest changed, header checksum recomputed
    (_swap_ephemeral_key, "解密失败"),
    (lambda p: _truncate(p, 0.95), "文件不完整"),
]


@pytest.mark.parametrize(("damage", "reason"), ENCRYPTED_DAMAGE)
def test_tampering_with_an_encrypted_bundle_is_detected(
    secret_laptop, office, office_key, tmp_path, damage, reason
):
    path = export(secret_laptop, tmp_path / "out").path
    damage(path)
    before = dir_digest(office.root / "store")
    report = import_files(office, [path])
    assert reason in report.files[0].error, report.files[0].error
    assert dir_digest(office.root / "store") == before


def test_the_plain_checksum_does_not_stop_deliberate_tampering(laptop, office, tmp_path):
    """Documented limit: without encryption anyone can change a record and fix the checksums."""
    path = export(laptop, tmp_path / "out").path
    b = bundle.read(path)
    forged = [dict(r, updated_by="别人") for r in b.records]
    data, _ = bundle.build(
        forged,
        device=b.manifest.device,
        worker=b.manifest.worker,
        grid=b.manifest.grid,
        org="",
        forms=b.manifest.forms,
        complete=False,
        office_key=None,
        created_at=b.manifest.created_at,
    )
    path.write_bytes(data)
    assert import_files(office, [path]).totals.new == 2


def test_a_record_from_a_newer_app_is_refused_only_if_it_is_not_a_record(tmp_path):
    rec = new_record("meeting", 1, {"title": "x"}, author="a", device="d")
    assert bundle.record_problem(rec) is None
    assert bundle.record_problem({**rec, "ancestors": "abc"}) == "ancestors 应为版本号列表"
    assert bundle.record_problem({**rec, "updated_at": "昨天"}).startswith("updated_at")
    assert bundle.record_problem({**rec, "deleted": 0}) == "缺少 deleted"
    assert bundle.record_problem({k: v for k, v in rec.items() if k != "ancestors"})
    assert bundle.record_problem({**rec, "replaces": [1]}) == "replaces 应为版本号列表"
