"""Trust as an attacker meets it: every hand-made or altered file is refused (the store's bytes
unchanged) or held (nothing merged), and the office decides which laptops count."""

from __future__ import annotations

import hashlib
import tracemalloc
import zlib
from pathlib import Path

import orjson
import pytest
from sync_support import (
    MEETING,
    PERSON,
    Clock,
    card_of,
    dir_digest,
    introduce,
    open_office,
    open_site,
    parts,
    rebuild,
    send,
)

from fieldkit import bundle, devices, report, roster
from fieldkit.export import export
from fieldkit.keys import b64
from fieldkit.merge import import_files
from fieldkit.records import version_id
from fieldkit.seals import make_run_seal

FOLLOWUP = {
    "date": "2026-11-02T10:00",
    "method": "入户面访",
    "condition": "稳定",
    "risk_level": "0级",
    "incident": "无",
}


@pytest.fixture
def world(tmp_path, monkeypatch):
    """An office, a laptop it trusts (files encrypted to the office) and a laptop with no
    office key (plain files, easy to take apart)."""
    Clock().install(monkeypatch)
    office = open_office(tmp_path / "office")
    laptop = open_site(tmp_path / "laptop", "李娜", "第一网格", office)
    plain = open_site(tmp_path / "plain", "王强", "第二网格")
    introduce(office, laptop, plain)
    yield {"office": office, "laptop": laptop, "plain": plain, "usb": tmp_path / "usb"}
    for ws in (office, laptop, plain):
        ws.close()


def refused(office, path: Path) -> str:
    """Import `path` at the office: it must be refused with the store's bytes unchanged."""
    before = dir_digest(office.root / "store")
    report = import_files(office, [path])
    assert dir_digest(office.root / "store") == before
    assert len(report.refused) == 1
    return report.refused[0].error


def test_a_trusted_laptops_file_merges(world):
    laptop, office = world["laptop"], world["office"]
    laptop.add("meeting", MEETING)
    report = send(laptop, office, world["usb"])
    assert report.totals.new == 1 and report.totals.held == 0


def test_a_rogue_data_dir_with_a_real_workers_name_wipes_nothing(world, tmp_path):
    """A data dir set up as 李娜 / 第一网格 deletes every record it has seen: held, not merged."""
    laptop, office = world["laptop"], world["office"]
    ids = [laptop.add("meeting", {**MEETING, "participants": n})["id"] for n in range(1, 6)]
    send(laptop, office, world["usb"])
    rogue = open_site(tmp_path / "rogue", "李娜", "第一网格")
    with rogue.store.transaction() as tx:  # it got hold of the versions somehow
        for rid in ids:
            tx.save_record(laptop.store.get(rid))
    for rid in ids:
        rogue.delete(rid)
    report = send(rogue, office, world["usb"])
    assert report.totals.held == 5 and report.totals.new == report.totals.updated == 0
    assert len(office.store.current("meeting")) == 5
    waiting = report.new_devices
    assert [w["device"] for w in waiting] == [rogue.identity.device]
    assert waiting[0]["worker"] == "李娜"
    assert waiting[0]["fingerprint"] != devices.fingerprint(laptop.identity.device)
    rows = {r["device"]: r for r in roster.rows(office)}
    assert rows[rogue.identity.device]["trusted"] is False
    assert rows[laptop.identity.device]["trusted"] is True
    rogue.close()


def test_trusting_a_device_merges_its_held_records_without_a_new_import(world, tmp_path):
    office = world["office"]
    newcomer = open_site(tmp_path / "new", "赵敏", "第三网格", office)
    newcomer.add("meeting", MEETING)
    report = send(newcomer, office, world["usb"])
    assert report.totals.held == 1 and not office.store.current("meeting")
    prefix = devices.fingerprint(newcomer.identity.device).replace(" ", "")[:6]
    result = roster.trust(office, prefix)
    assert result.card["device"] == newcomer.identity.device
    assert [f.counts.new for f in result.merged] == [1]
    assert len(office.store.current("meeting")) == 1
    assert not office.store.table_docs("held")
    assert not list((office.root / "held").glob("*"))
    newcomer.close()


def test_changed_content_under_an_existing_version_id_is_refused(world):
    plain, office = world["plain"], world["office"]
    person = plain.add("person", PERSON)
    path = export(plain, world["usb"]).path
    import_files(office, [path])
    manifest, sig, payload = parts(path)
    payload["versions"][0]["data"]["name"] = "篡改"  # same version id, other content
    rebuild(path, manifest, payload, sig=sig)
    assert "签名" in refused(office, path)
    rebuild(path, manifest, payload, signer=plain.keys)  # even re-signed by the real laptop
    assert "内容与版本号不符" in refused(office, path)
    assert office.store.get(person["id"])["data"]["name"] == PERSON["name"]


def test_a_new_version_id_for_changed_content_has_no_seal(world):
    """Re-pointing a follow-up at another person and naming it honestly: no seal vouches."""
    plain, office = world["plain"], world["office"]
    person = plain.add("person", PERSON)
    plain.add("followup", {**FOLLOWUP, "person": person["id"]})
    path = export(plain, world["usb"]).path
    manifest, _sig, payload = parts(path)
    visit = next(v for v in payload["versions"] if v["form"] == "followup")
    visit["data"]["person"] = "00000000-0000-4000-8000-000000000000"
    visit["version"] = version_id(visit)
    rebuild(path, manifest, payload, signer=plain.keys)
    assert "没有签名" in refused(office, path)


def test_versions_claiming_a_trusted_device_but_sealed_by_another_are_refused(world, tmp_path):
    plain, office = world["plain"], world["office"]
    rogue = open_site(tmp_path / "rogue", "王强", "第二网格")
    rec = plain.add("meeting", MEETING)
    path = export(plain, world["usb"]).path
    manifest, _sig, payload = parts(path)
    forged = {**rec, "data": {**rec["data"], "participants": 1}, "parents": [rec["version"]],
              "ancestors": [rec["version"]], "seq": 2, "deleted": True}  # fmt: skip
    forged["version"] = version_id(forged)
    seal = make_run_seal(rogue.keys, 2, [forged["version"]], "2026-11-20T10:00:00+08:00")
    payload["versions"].append(forged)
    payload["seals"].append(seal)
    payload["cards"].append(card_of(rogue))
    manifest["versions"] += 1
    rebuild(path, manifest, payload, signer=plain.keys)
    assert "签名与记录不符" in refused(office, path)
    rogue.close()


def test_a_valid_file_re_signed_with_another_key_is_held(world, tmp_path):
    plain, office = world["plain"], world["office"]
    plain.add("meeting", MEETING)
    path = export(plain, world["usb"]).path
    manifest, _sig, payload = parts(path)
    rogue = open_site(tmp_path / "rogue", "王强", "第二网格")
    rebuild(path, manifest, payload, signer=rogue.keys)  # the real laptop's card, rogue's key
    assert "签名不对" in refused(office, path)
    manifest["sender"] = card_of(rogue)  # now it says who signed it: an untrusted device
    rebuild(path, manifest, payload, signer=rogue.keys)
    report = import_files(office, [path])
    assert report.totals.held == 1 and not office.store.current("meeting")
    rogue.close()


def test_a_revoked_device_keeps_its_records_and_its_later_files_are_refused(world):
    laptop, office = world["laptop"], world["office"]
    kept = laptop.add("meeting", MEETING)
    send(laptop, office, world["usb"])
    roster.revoke(office, laptop.identity.device)
    laptop.add("meeting", {**MEETING, "participants": 99})
    path = export(laptop, world["usb"]).path
    assert "已停用" in refused(office, path)
    assert [r["id"] for r in office.store.current("meeting")] == [kept["id"]]
    row = next(r for r in roster.rows(office) if r["device"] == laptop.identity.device)
    assert row["revoked"] and not row["trusted"] and row["kept_upto"] == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"date": "2026/05/01"}, "日期"),
        ({"kind": "法治专题讲座"}, "类型"),
        ({"participants": "30"}, "参加人数"),
        ({"notes": ""}, "备注"),
    ],
)
def test_values_add_would_not_store_are_rejected_with_the_reason(world, change, reason):
    """A trusted laptop's own keys, values stored by hand: the version is rejected, not stored,
    and everything that reads records still works."""
    plain, office = world["plain"], world["office"]
    rec = plain.add("meeting", MEETING)
    data = {**rec["data"], **change}
    with plain.changes() as c:
        c.edit(rec["id"], data)  # bypasses validation, as a hand-made data dir would
    path = export(plain, world["usb"]).path
    report = import_files(office, [path])
    assert report.totals.rejected == 1 and report.totals.new == 1
    stored = office.store.get(rec["id"])
    assert stored["data"] == rec["data"]
    (doc,) = office.store.table_docs("rejected").values()
    assert any(reason in r for r in doc["reasons"]), doc["reasons"]


def test_non_canonical_values_never_break_the_readers(world, tmp_path):
    plain, office = world["plain"], world["office"]
    person = plain.add("person", PERSON)
    visit = plain.add("followup", {**FOLLOWUP, "person": person["id"]})
    with plain.changes() as c:
        c.edit(visit["id"], {**visit["data"], "date": "2026/11/02 10:00"})
        c.edit(person["id"], {**person["data"], "category": "严重精神障碍患者"})
    import_files(office, [export(plain, world["usb"]).path])
    assert office.due() is not None
    assert office.records("followup")
    report.write_report(office, 2026, output=tmp_path / "r.docx")


def test_a_record_id_fieldkit_would_not_make_is_refused(world):
    plain, office = world["plain"], world["office"]
    plain.add("meeting", MEETING)
    path = export(plain, world["usb"]).path
    manifest, _sig, payload = parts(path)
    payload["versions"][0]["id"] = "x\\..\\..\\Desktop\\evil"
    payload["versions"][0]["version"] = version_id(payload["versions"][0])
    rebuild(path, manifest, payload, signer=plain.keys)
    assert "记录编号无效" in refused(office, path)


def test_an_oversized_field_is_refused(world):
    plain, office = world["plain"], world["office"]
    rec = plain.add("meeting", MEETING)
    with plain.changes() as c:
        c.edit(rec["id"], {**rec["data"], "title": "长" * (bundle.MAX_FIELD_CHARS + 1)})
    path = export(plain, world["usb"]).path
    assert "超过上限" in refused(office, path)


def test_a_decompression_bomb_is_refused_quickly_in_bounded_memory(world, monkeypatch):
    plain, office = world["plain"], world["office"]
    plain.add("meeting", MEETING)
    path = export(plain, world["usb"]).path
    manifest, _, _ = parts(path)
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    body = bomb.compress(b'{"versions":[' + b" " * (64 << 20)) + bomb.flush()
    assert len(body) < 200_000  # a small file
    manifest = {
        **manifest,
        "payload_bytes": len(body),
        "payload_sha256": hashlib.sha256(body).hexdigest(),
    }
    head = bundle.HEADER + orjson.dumps(manifest) + b"\n"
    sig = b64(plain.keys.sign.sign(b"fieldkit-bundle-v2\n" + head)).encode()
    path.write_bytes(head + sig + b"\n" + body)
    monkeypatch.setattr(bundle, "MAX_PAYLOAD_BYTES", 8 << 20)
    tracemalloc.start()
    error = refused(office, path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "超过上限" in error
    assert peak < 40 << 20  # it stopped near the limit, never inflating all 64 MB


def test_a_file_in_the_first_release_format_says_to_export_again(world):
    path = world["usb"] / "old.fkb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"FIELDKIT-BUNDLE 1 " + b"0" * 64 + b"\n{}\n")
    assert "重新导出" in refused(world["office"], path)


def test_a_laptop_holds_files_from_anyone_but_its_office_and_those_it_vouches_for(world, tmp_path):
    office, plain = world["office"], world["plain"]
    other = open_site(tmp_path / "other", "赵敏", "第三网格", office)  # trusts the office
    plain.add("meeting", MEETING)
    path = export(plain, world["usb"]).path  # plain: anyone can read it
    report = import_files(other, [path])
    assert report.totals.held == 1 and not other.store.current("meeting")
    # The office's file says it trusts 王强's laptop: the held file merges by itself.
    import_files(office, [path])
    introduce(office, other)
    office_file = export(office, world["usb"], everything=True).path
    report = import_files(other, [office_file])
    assert not report.refused
    assert len(other.store.current("meeting")) == 1
    assert not other.store.table_docs("held")
    other.close()


def test_a_file_claiming_to_come_from_the_office_but_signed_by_another_is_held(world, tmp_path):
    laptop = world["laptop"]
    fake = open_site(tmp_path / "fake", "街道管理员", "街道", role="office")
    introduce(fake, laptop)  # so the fake office encrypts to the laptop
    fake.add("meeting", MEETING)
    report = send(fake, laptop, world["usb"], everything=True)
    assert report.totals.held == 1 and not laptop.store.current("meeting")
    fake.close()


def test_a_skipped_file_is_reported_missing_until_it_arrives(world):
    laptop, office = world["laptop"], world["office"]
    laptop.add("meeting", MEETING)
    first = export(laptop, world["usb"]).path
    laptop.add("meeting", {**MEETING, "participants": 2})
    laptop.add("meeting", {**MEETING, "participants": 3})
    lost = export(laptop, world["usb"]).path
    laptop.add("meeting", {**MEETING, "participants": 4})
    last = export(laptop, world["usb"]).path
    report = import_files(office, [first, last])
    (gap,) = report.missing
    assert gap["device"] == laptop.identity.device and gap["worker"] == "李娜"
    assert gap["missing"] == [[2, 3]] and gap["from"] == 2
    assert roster.rows(office)[1]["missing"] == [[2, 3]]
    again = export(laptop, world["usb"], since=gap["from"]).path
    assert import_files(office, [again]).missing == []
    assert import_files(office, [lost]).totals.unchanged == 2
