import pytest

from fieldkit.errors import FieldkitError
from fieldkit.workspace import BatchInvalid, ValidationFailed, Workspace

PERSON = {
    "category": "严重精神障碍患者",
    "name": "王芳",
    "id_number": "11010519491231002X",
    "start_date": "2026-01-05",
    "level": "1级",
}
MEDIATION = {"dispute_type": "邻里", "parties": "甲、乙", "summary": "噪音纠纷"}


def test_add_fills_defaults_and_records_who_and_where(ws):
    rec = ws.add("person", PERSON)
    assert rec["data"]["grid"] == "第一网格" and rec["data"]["status"] == "active"
    assert rec["created_by"] == "李娜" and rec["device"] == ws.identity.device
    assert ws.store.get(rec["id"]) == rec


def test_the_same_id_number_cannot_be_registered_twice(ws):
    ws.add("person", PERSON)
    with pytest.raises(ValidationFailed) as info:
        ws.add("person", {**PERSON, "name": "王芳芳", "id_number": "11010519491231002x"})
    assert "已登记" in str(info.value)


def test_followup_by_id_number_proposes_the_next_visit_from_the_assessment(ws):
    person = ws.add("person", PERSON)
    visit = ws.add(
        "followup",
        {
            "person": "11010519491231002X",
            "date": "2026-11-20 10:00",
            "condition": "稳定",
            "risk_level": "3级",
        },
    )
    assert visit["data"]["person"] == person["id"]
    assert visit["data"]["next_visit"] == "2026-12-04"  # 3级: within two weeks
    assert visit["data"]["visitors"] == "李娜"


def test_case_numbers_follow_the_pattern_and_count_up(ws):
    first = ws.add("mediation", MEDIATION)
    second = ws.add("mediation", MEDIATION)
    assert first["data"]["case_no"] == "(2026)东人调字第1号"
    assert second["data"]["case_no"] == "(2026)东人调字第2号"


def test_edit_makes_a_new_version_and_keeps_history(ws):
    rec = ws.add("mediation", MEDIATION)
    edited = ws.edit(rec["id"], {"result": "调解成功", "agreement": "书面", "closed": "2026-11-24"})
    assert edited["ancestors"] == [rec["version"]] and edited["version"] != rec["version"]
    assert [v["version"] for v in ws.store.history(rec["id"])] == [
        rec["version"],
        edited["version"],
    ]
    assert ws.edit(rec["id"], {}) == edited  # no change, no version


def test_an_invalid_edit_changes_nothing(ws):
    rec = ws.add("mediation", MEDIATION)
    with pytest.raises(ValidationFailed, match="结案日期不能早于受理日期"):
        ws.edit(rec["id"], {"result": "调解成功", "agreement": "书面", "closed": "2020-01-01"})
    assert ws.store.get(rec["id"]) == rec


def test_delete_is_a_tombstone(ws):
    rec = ws.add("meeting", {"kind": "理论学习中心组学法", "title": "学习宪法"})
    ws.delete(rec["id"])
    assert ws.records("meeting") == []
    assert ws.store.get(rec["id"])["deleted"] is True
    with pytest.raises(FieldkitError, match="已删除"):
        ws.edit(rec["id"], {"title": "x"})


def test_a_batch_with_one_bad_item_saves_nothing(ws):
    good = {"kind": "理论学习中心组学法", "title": "学习"}
    with pytest.raises(BatchInvalid) as info:
        ws.add_many("meeting", [good, {"kind": "无此类型", "title": "x"}, good])
    assert [i for i, _ in info.value.failures] == [1]
    assert ws.store.count("meeting") == 0


def test_records_filter_by_year_and_month_newest_first(ws):
    for day in ("2025-12-30", "2026-03-01", "2026-03-20", "2026-04-02"):
        ws.add("meeting", {"date": day, "kind": "理论学习中心组学法", "title": day})
    assert [r["data"]["date"] for r in ws.records("meeting", year=2026)] == [
        "2026-04-02",
        "2026-03-20",
        "2026-03-01",
    ]
    assert len(ws.records("meeting", year=2026, month=3)) == 2


def test_no_identity_means_no_saving(tmp_path):
    with Workspace(tmp_path) as bare, pytest.raises(FieldkitError, match="fieldkit init"):
        bare.add("meeting", {"kind": "理论学习中心组学法", "title": "x"})


def test_display_uses_labels_and_masks(ws):
    rec = ws.add("person", PERSON)
    form = ws.forms["person"]
    assert ws.display(form, form.field("category"), rec["data"]) == "严重精神障碍患者"
    assert ws.display(form, form.field("level"), rec["data"]) == "1级"
    assert ws.display(form, form.field("id_number"), rec["data"]) == "110105********002X"


def test_two_synced_copies_of_one_person_stay_editable_until_joined(ws):
    from fieldkit.records import new_record

    mine = ws.add("person", PERSON)
    theirs = new_record(
        "person", 1, {**mine["data"], "name": "王芳（二网格登记）"}, author="王强", device="other"
    )
    ws.store.save([theirs])  # as an import of another laptop's registration would
    edited = ws.edit(mine["id"], {"phone": "13912345678"})
    assert edited["data"]["phone"] == "13912345678"
    assert ws.edit(theirs["id"], {"address": "幸福社区3栋"})["data"]["address"] == "幸福社区3栋"
    other = ws.add("person", {**PERSON, "id_number": "440524188001010014", "name": "李强"})
    with pytest.raises(ValidationFailed, match="已登记"):
        ws.edit(other["id"], {"id_number": "11010519491231002X"})  # changing into a clash
