"""The office sends a grid its registry, readable only by that grid's laptops; edits made
afterwards come back without conflicts; forms, rules and the list of grids travel too."""

from __future__ import annotations

from pathlib import Path

import pytest
from sync_support import (
    MEETING,
    OTHER_PERSON,
    PERSON,
    Clock,
    introduce,
    open_office,
    open_site,
    send,
)

from fieldkit.errors import FieldkitError
from fieldkit.store.versions import all_versions, heads_of
from fieldkit.sync import bundle, export
from fieldkit.sync.merge import import_files

VISIT = {"date": "2026-11-20 10:00", "method": "入户面访", "condition": "稳定", "risk_level": "1级", "incident": "无"}  # fmt: skip
GRIDS = 'names = ["第一网格", "第二网格", "街道"]\n'


@pytest.fixture
def street(tmp_path, monkeypatch):
    """An office with a list of grids, the old laptops of two grids (trusted) and their data."""
    Clock().install(monkeypatch)
    office = open_office(tmp_path / "office")
    (office.root / "forms").mkdir()
    (office.root / "forms" / "grids.toml").write_text(GRIDS, encoding="utf-8")
    office.reload_forms()
    one = open_site(tmp_path / "one", "李娜", "第一网格", office)
    two = open_site(tmp_path / "two", "王强", "第二网格", office)
    introduce(office, one, two)
    person = one.add("person", PERSON)
    one.add("followup", {**VISIT, "person": person["id"]})
    one.edit(person["id"], {"phone": "13800138000"})
    two.add("person", {**OTHER_PERSON, "grid": "第二网格"})
    one.add("meeting", MEETING)  # the grid's work: a new laptop of the grid gets it too
    for laptop in (one, two):
        send(laptop, office, tmp_path / "usb")
    yield office, one, two, person, tmp_path
    for ws in (office, one, two):
        ws.close()


def test_a_new_laptop_gets_exactly_its_grids_persons_and_visits(street):
    office, _, two, person, tmp_path = street
    new = open_site(tmp_path / "new", "赵敏", "第一网格", office)
    import_files(office, [export.export(new, tmp_path / "usb").path])  # enrolment
    introduce(office, new)
    result = export.export(office, tmp_path / "usb", grid="第一网格")
    # The grid's persons, their visits, and what the grid's laptops made (李娜's meeting).
    assert result.preview.by_form == {"person": 1, "followup": 1, "meeting": 1}
    assert "赵敏（第一网格）" in result.preview.audience and "王强" not in result.preview.audience
    report = import_files(new, [result.path])
    assert report.totals.new == 3 and not report.refused
    (got,) = new.store.current("person")
    assert got["data"]["name"] == PERSON["name"] and got["data"]["phone"] == "13800138000"
    assert len(all_versions(new.store, person["id"])) == 2  # its history came along
    assert len(new.store.current("meeting")) == 1
    # Another grid's laptop, and any other data dir, cannot open it.
    assert "不是发给本机的" in import_files(two, [result.path]).files[0].error
    stranger = open_site(tmp_path / "stranger", "某人", "第一网格")
    assert "不是发给本机的" in import_files(stranger, [result.path]).files[0].error
    assert PERSON["name"].encode() not in result.path.read_bytes()
    # The new laptop records a visit: it comes back and merges with no conflict.
    new.add("followup", {**VISIT, "date": "2026-11-21 09:00", "person": got["id"]})
    new.edit(got["id"], {"address": "和平里1号"})
    report = send(new, office, tmp_path / "usb")
    assert (report.totals.new, report.totals.updated, report.totals.conflicts) == (1, 1, 0)
    assert len(heads_of(office.store, person["id"])) == 1
    # Its next export carries what it changed, not what it received.
    assert export.export(new, tmp_path / "usb").path is None
    new.close()
    stranger.close()


def test_a_grid_with_no_trusted_laptop_says_how_to_enrol_one(street):
    office = street[0]
    with pytest.raises(FieldkitError, match="还没有信任“街道”的电脑"):
        export.export(office, street[4] / "usb", grid="街道")
    with pytest.raises(FieldkitError, match="不在街道的网格名单中"):
        export.export(office, street[4] / "usb", grid="第九网格")
    with pytest.raises(FieldkitError, match="只有街道电脑能按网格导出"):
        export.export(street[1], street[4] / "usb", grid="第一网格")


def test_for_one_laptop(street):
    office, one, two, _, tmp_path = street
    result = export.export(office, tmp_path / "usb", for_device=two.identity.device[:8])
    assert result.preview.by_form == {"person": 1}
    assert import_files(two, [result.path]).totals.unchanged == 1
    assert "不是发给本机的" in import_files(one, [result.path]).files[0].error


def test_forms_and_the_list_of_grids_travel_from_the_office(street):
    office, one, _, person, tmp_path = street
    folder = office.root / "forms"
    followup = Path(office.forms.sources["followup"])
    text = followup.read_text(encoding="utf-8").replace("version = 1", "version = 2", 1)
    (folder / "followup.toml").write_text(text, encoding="utf-8")
    office.reload_forms()
    result = export.export(office, tmp_path / "usb", grid="第一网格")
    sent = bundle.read(result.path, [one.keys.box]).forms
    assert set(sent["files"]) == {"grids.toml", "followup.toml"} and sent["serial"] >= 1
    (f,) = import_files(one, [result.path]).files
    assert "“随访记录”第 1 版 → 第 2 版" in f.forms_changed and "网格名单" in f.forms_changed
    assert one.form("followup").version == 2
    visit = one.add("followup", {**VISIT, "date": "2026-11-22 09:00", "person": person["id"]})
    assert visit["form_version"] == 2
    # The grid now comes from the office's list: a misspelt one is refused.
    with pytest.raises(FieldkitError, match="不在街道的网格名单中"):
        one.set_identity(worker="李娜", grid="一网格")
    # An older office file arriving late does not take the forms back.
    (folder / "followup.toml").unlink()
    assert import_files(one, [result.path]).files[0].forms_changed == []
    assert one.form("followup").version == 2


def test_the_office_hears_of_records_made_with_a_newer_form(street):
    office, one, _, person, tmp_path = street
    text = Path(one.forms.sources["followup"]).read_text(encoding="utf-8")
    (one.root / "forms").mkdir(exist_ok=True)
    (one.root / "forms" / "followup.toml").write_text(
        text.replace("version = 1", "version = 3", 1), encoding="utf-8"
    )
    one.reload_forms()
    one.add("followup", {**VISIT, "date": "2026-11-23 09:00", "person": person["id"]})
    (f,) = send(one, office, tmp_path / "usb").files
    assert f.newer_forms == {"followup": 3}


def test_a_laptop_that_moves_itself_to_another_grid_gets_nothing_until_trusted_again(street):
    office, _, two, _, tmp_path = street
    two.set_identity(worker="王强", grid="第一网格")  # the 第二网格 laptop claims 第一网格
    report = send(two, office, tmp_path / "usb", everything=True)
    (moved,) = report.moved
    assert (moved["grid"], moved["trusted_grid"]) == ("第一网格", "第二网格")
    result = export.export(office, tmp_path / "usb", grid="第一网格")
    assert "王强" not in result.preview.audience
    assert "不是发给本机的" in import_files(two, [result.path]).files[0].error


def test_broken_rules_never_leave_the_office(street):
    office, _, _, _, tmp_path = street
    (office.root / "forms" / "rules.toml").write_text(
        '[case_number]\npattern = "（{year}）{abbr}人调字"\n', encoding="utf-8"
    )
    office.reload_forms()
    assert "rules.toml" in office.forms.left_out  # the office itself runs on the shipped rules
    one = street[1]
    result = export.export(office, tmp_path / "usb", grid="第一网格")
    assert result.skipped_forms == ["rules.toml"]  # and is told the file was not sent
    import_files(one, [result.path])
    assert one.forms.rules.case_numbers.pattern != "（{year}）{abbr}人调字"


def test_an_office_file_with_older_forms_never_replaces_newer_ones(street, monkeypatch):
    """Whatever the office's clock said: the forms carry a serial number."""
    office, one, _, _, tmp_path = street
    first = export.export(office, tmp_path / "usb", grid="第一网格").path
    (office.root / "forms" / "grids.toml").write_text(
        GRIDS.replace("街道", "第三网格"), encoding="utf-8"
    )
    office.reload_forms()
    second = export.export(office, tmp_path / "usb", grid="第一网格").path
    import_files(one, [second])
    assert "第三网格" in one.forms.template("grids")["names"]
    import_files(one, [first])
    assert "第三网格" in one.forms.template("grids")["names"]


def test_an_edit_may_only_set_fields_of_the_form(street):
    one, person = street[1], street[3]
    with pytest.raises(FieldkitError, match="没有字段 nickname"):
        one.edit(person["id"], {"nickname": "小王"})
