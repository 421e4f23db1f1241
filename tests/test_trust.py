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

from fieldkit.errors import FieldkitError
from fieldkit.reports import annual as report
from fieldkit.store.records import version_id
from fieldkit.sync import bundle, devices, roster
from fieldkit.sync.export import export
from fieldkit.sync.keys import b64
from fieldkit.sync.merge import import_files
from fieldkit.sync.seals import make_legacy_seal, make_run_seal
from fieldkit.views.persons import PersonIndex
from fieldkit.views.records import newest_first

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
    assert PersonIndex.build(office).due() is not None
    assert newest_first(office, "followup")
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


# -- what a hostile review found (each was possible once) ----------------------------------


def test_a_name_on_a_card_is_one_short_line(world, tmp_path):
    """A worker's name with line breaks could push the real fingerprint into a trust dialog."""
    with pytest.raises(FieldkitError, match="控制字符"):
        world["plain"].set_identity(worker="李娜\n指纹：1A2B", grid="第一网格")
    card = dict(card_of(world["plain"]), worker="李娜\n网格：第一网格")
    assert "控制字符" in devices.card_problem(card)


def test_a_rogue_named_like_a_trusted_worker_is_flagged(world, tmp_path):
    laptop, office = world["laptop"], world["office"]
    rogue = open_site(tmp_path / "rogue", "李娜", "第一网格")
    rogue.add("meeting", MEETING)
    report = send(rogue, office, world["usb"])
    (waiting,) = report.new_devices
    assert waiting["namesakes"] == [devices.fingerprint(laptop.identity.device)]
    row = next(r for r in roster.rows(office) if r["device"] == rogue.identity.device)
    assert row["namesakes"] == waiting["namesakes"]
    rogue.close()


def test_a_laptop_that_revoked_its_office_no_longer_follows_its_decisions(world, tmp_path):
    office, laptop = world["office"], world["laptop"]
    rogue = open_site(tmp_path / "rogue", "赵敏", "第三网格")
    introduce(office, rogue)  # the office (say, its key stolen) vouches for the rogue
    rogue.add("meeting", MEETING)
    path = export(rogue, world["usb"], everything=True).path
    manifest, _, payload = parts(path)
    payload["decisions"] = [
        d
        for d in office.store.table_docs(devices.TRUST).values()
        if d["device"] == rogue.identity.device
    ]
    payload["cards"].append(card_of(office))
    rebuild(path, manifest, payload, signer=rogue.keys)
    roster.revoke(laptop, office.identity.device)
    report = import_files(laptop, [path])
    assert report.totals.held == 1 and not laptop.store.current("meeting")
    rogue.close()


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.update(forms=["meeting"]),
        lambda m: m.update(records=2**62),
        lambda m: m.update(made=-1),
        lambda m: m.update(versions=True),
    ],
)
def test_a_manifest_of_the_wrong_shape_refuses_its_file_only(world, change):
    plain, office = world["plain"], world["office"]
    plain.add("meeting", MEETING)
    good = export(plain, world["usb"]).path
    bad = world["usb"] / "0-bad.fkb"
    bad.write_bytes(good.read_bytes())
    manifest, _, payload = parts(bad)
    change(manifest)
    rebuild(bad, manifest, payload, signer=plain.keys)
    report = import_files(office, [bad, good])
    assert "文件头内容无效" in report.files[0].error
    assert report.files[1].counts.new == 1
    assert not list((office.root / "held").glob("*"))


def test_a_payload_of_millions_of_tiny_values_is_refused_before_parsing(world, monkeypatch):
    plain, office = world["plain"], world["office"]
    plain.add("meeting", MEETING)
    path = export(plain, world["usb"]).path
    manifest, _, payload = parts(path)
    payload["decisions"] = [[]] * 5000
    rebuild(path, manifest, payload, signer=plain.keys)
    monkeypatch.setattr(bundle, "MAX_VALUES", 1000)
    assert "条目超过上限" in refused(office, path)


def test_a_huge_claimed_run_is_reported_as_one_range(world):
    plain, office = world["plain"], world["office"]
    plain.add("meeting", MEETING)
    path = export(plain, world["usb"]).path
    manifest, _, payload = parts(path)
    manifest["made"] = 2**31
    rebuild(path, manifest, payload, signer=plain.keys)
    (gap,) = import_files(office, [path]).missing
    assert gap["missing"] == [[2, 2**31]] and gap["count"] == 2**31 - 1


def test_a_converted_version_cannot_name_another_device_with_keys(world):
    plain, laptop, office = world["plain"], world["laptop"], world["office"]
    rec = plain.add("meeting", MEETING)
    path = export(plain, world["usb"]).path
    manifest, _, payload = parts(path)
    fake = {k: v for k, v in rec.items() if k not in ("seq", "version")}
    fake.update(
        device=laptop.identity.device, legacy="0" * 32, data={**rec["data"], "title": "冒名"}
    )
    fake["version"] = version_id(fake)
    payload["versions"] = [fake]
    payload["seals"] = [
        make_legacy_seal(plain.keys, [fake["version"]], "2026-11-20T10:00:00+08:00")
    ]
    rebuild(path, manifest, payload, signer=plain.keys)
    assert "签名与记录不符" in refused(office, path)


def _edited_by_hand(ws, rec, data):
    """A new version with `data` as given, however it compares with the current one."""
    with ws.changes() as c:
        return c.resolve([ws.store.get(rec["id"])], data, False)


def test_import_takes_only_exactly_what_add_would_store(world):
    plain, office = world["plain"], world["office"]
    rec = plain.add("meeting", MEETING)
    send(plain, office, world["usb"])
    for data in (
        {**rec["data"], "participants": 30.0},  # == 30, but add stores 30
        {**rec["data"], "secret": "x" * 3000},  # a field the form (this version) does not have
    ):
        _edited_by_hand(plain, rec, data)
        report = send(plain, office, world["usb"])
        assert report.totals.rejected == 1, data
    assert office.store.get(rec["id"])["data"] == rec["data"]


def test_a_record_does_not_change_form(world):
    plain, office = world["plain"], world["office"]
    rec = plain.add("meeting", MEETING)
    send(plain, office, world["usb"])
    with plain.changes() as c:
        moved = c.resolve([plain.store.get(rec["id"])], rec["data"], False)
    path = export(plain, world["usb"]).path
    manifest, _, payload = parts(path)
    payload["versions"][0]["form"] = "consultation"
    payload["versions"][0]["version"] = version_id(payload["versions"][0])
    payload["seals"] = [
        make_run_seal(plain.keys, moved["seq"], [payload["versions"][0]["version"]], "x")
    ]
    rebuild(path, manifest, payload, signer=plain.keys)
    report = import_files(office, [path])
    assert report.totals.rejected == 1
    (doc,) = office.store.table_docs("rejected").values()
    assert any("不是同一个表单" in r for r in doc["reasons"])


def test_new_keys_make_a_new_device_that_still_sends_what_was_not_sent(world):
    laptop, office = world["laptop"], world["office"]
    rec = laptop.add("meeting", MEETING)
    send(laptop, office, world["usb"])
    laptop.edit(rec["id"], {"participants": 99})  # never exported: then the keys are lost
    for name in ("sign.pem", "box.pem"):
        (laptop.root / "keys" / name).unlink()
    old = laptop.identity.device
    laptop.set_identity(worker="李娜", grid="第一网格")
    assert laptop.identity.device != old
    path = export(laptop, world["usb"]).path
    report = import_files(office, [path])
    assert report.totals.held  # a new device: the office must trust it
    introduce(office, laptop)
    assert office.store.get(rec["id"])["data"]["participants"] == 99


def test_a_held_copy_deleted_by_hand_says_to_export_again(world, tmp_path):
    office = world["office"]
    newcomer = open_site(tmp_path / "new", "赵敏", "第三网格", office)
    newcomer.add("meeting", MEETING)
    send(newcomer, office, world["usb"])
    for path in (office.root / "held").iterdir():
        path.unlink()
    (result,) = roster.trust(office, newcomer.identity.device).merged
    assert "重新导出" in result.error
    assert not office.store.table_docs("held")
    newcomer.close()


def test_a_rogue_re_signing_a_plain_payload_does_not_take_its_place(world, tmp_path):
    plain, office = world["plain"], world["office"]
    roster.revoke(office, plain.identity.device)
    roster.trust(office, plain.identity.device)  # (to start from a clean slate below)
    newcomer = open_site(tmp_path / "new", "赵敏", "第三网格")  # plain files, untrusted
    newcomer.add("meeting", MEETING)
    real = export(newcomer, world["usb"]).path
    rogue = open_site(tmp_path / "rogue", "钱七", "第四网格")
    copy = world["usb"] / "rogue.fkb"
    copy.write_bytes(real.read_bytes())
    manifest, _, payload = parts(copy)
    manifest["sender"] = card_of(rogue)
    rebuild(copy, manifest, payload, signer=rogue.keys)
    import_files(office, [copy, real])  # the rogue's copy first
    assert len(office.store.table_docs("held")) == 2
    with office.store.transaction() as tx:
        devices.remember_card(tx, card_of(newcomer), "x")
    roster.trust(office, newcomer.identity.device)
    assert len(office.store.current("meeting")) == 1
    newcomer.close()
    rogue.close()
