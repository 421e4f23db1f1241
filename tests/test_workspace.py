from datetime import timedelta

import pytest

from fieldkit import casework
from fieldkit.errors import FieldkitError
from fieldkit.forms.validation import ValidationFailed
from fieldkit.store.changes import SEQ
from fieldkit.store.records import first_version, version_id
from fieldkit.store.versions import all_versions, heads_of
from fieldkit.views.history import record_history
from fieldkit.views.records import newest_first
from fieldkit.workspace import BatchInvalid, Workspace

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


def test_edit_makes_a_new_version_and_keeps_history(ws):
    rec = ws.add("mediation", MEDIATION)
    edited = ws.edit(rec["id"], {"result": "调解成功", "agreement": "书面", "closed": "2026-11-24"})
    assert edited["ancestors"] == [rec["version"]] and edited["version"] != rec["version"]
    assert [step.version["version"] for step in record_history(ws, rec["id"])] == [
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
    assert newest_first(ws, "meeting") == []
    assert ws.store.get(rec["id"])["deleted"] is True
    with pytest.raises(FieldkitError, match="已删除"):
        ws.edit(rec["id"], {"title": "x"})


def test_a_batch_with_one_bad_item_saves_nothing(ws):
    good = {"kind": "理论学习中心组学法", "title": "学习"}
    with pytest.raises(BatchInvalid) as info:
        ws.add_many("meeting", [good, {"kind": "无此类型", "title": "x"}, good])
    assert [i for i, _ in info.value.failures] == [1]
    assert ws.store.count("meeting") == 0


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
    mine = ws.add("person", PERSON)
    theirs = first_version(
        "person",
        1,
        {**mine["data"], "name": "王芳（二网格登记）"},
        author="王强",
        device="other",
        seq=1,
    )
    ws.store.save([theirs])  # as an import of another laptop's registration would
    edited = ws.edit(mine["id"], {"phone": "13912345678"})
    assert edited["data"]["phone"] == "13912345678"
    assert ws.edit(theirs["id"], {"address": "幸福社区3栋"})["data"]["address"] == "幸福社区3栋"
    other = ws.add("person", {**PERSON, "id_number": "440524188001010014", "name": "李强"})
    with pytest.raises(ValidationFailed, match="已登记"):
        ws.edit(other["id"], {"id_number": "11010519491231002X"})  # changing into a clash


def _by_descent(versions):
    return sorted(versions, key=lambda v: len(v["ancestors"]))


def test_editing_back_to_earlier_content_is_a_third_version(ws):
    rec = ws.add("meeting", {"kind": "理论学习中心组学法", "title": "A"})
    b = ws.edit(rec["id"], {"title": "B"})
    a_again = ws.edit(rec["id"], {"title": "A"})
    assert a_again["data"] == rec["data"] and a_again["version"] != rec["version"]
    versions = _by_descent(all_versions(ws.store, rec["id"]))
    assert [v["version"] for v in versions] == [rec["version"], b["version"], a_again["version"]]
    assert [v["data"]["title"] for v in versions] == ["A", "B", "A"]
    assert a_again["parents"] == [b["version"]]
    assert a_again["ancestors"] == sorted([rec["version"], b["version"]])
    assert ws.store.get(rec["id"]) == a_again
    assert [h["version"] for h in heads_of(ws.store, rec["id"])] == [a_again["version"]]
    assert all(version_id(v) == v["version"] for v in versions)


def test_an_edit_that_changes_nothing_makes_no_version(ws):
    rec = ws.add("meeting", {"kind": "理论学习中心组学法", "title": "A"})
    seq = ws.store.get_meta(SEQ)
    assert ws.edit(rec["id"], {"title": "A"}) == rec
    assert ws.edit(rec["id"], {}) == rec
    assert ws.store.get_meta(SEQ) == seq  # no number taken either
    assert [v["version"] for v in all_versions(ws.store, rec["id"])] == [rec["version"]]
    assert ws.store.get(rec["id"]) == rec


def test_every_save_takes_the_next_number_of_the_devices_run(ws):
    device = ws.identity.device
    first = ws.add("meeting", {"kind": "理论学习中心组学法", "title": "A"})
    batch = ws.add_many(
        "meeting",
        [
            {"kind": "理论学习中心组学法", "title": "B"},
            {"kind": "理论学习中心组学法", "title": "C"},
        ],
    )
    edited = ws.edit(first["id"], {"title": "A2"})
    ws.edit(first["id"], {"title": "A2"})  # nothing changes: no number
    deleted = ws.delete(batch[0]["id"])
    with pytest.raises(BatchInvalid):  # a batch that fails takes no number
        ws.add_many("meeting", [{"kind": "无此类型", "title": "x"}])
    later = ws.add("meeting", {"kind": "理论学习中心组学法", "title": "D"})
    made = [first, *batch, edited, deleted, later]
    assert [v["seq"] for v in made] == [1, 2, 3, 4, 5, 6]
    assert {v["device"] for v in made} == {device}
    assert ws.store.get_meta(SEQ) == 6


def test_a_delete_is_a_new_version(ws):
    rec = ws.add("meeting", {"kind": "理论学习中心组学法", "title": "学习宪法"})
    tomb = ws.delete(rec["id"])
    assert tomb["deleted"] is True and tomb["data"] == rec["data"]
    assert tomb["version"] != rec["version"] and tomb["parents"] == [rec["version"]]
    assert tomb["seq"] == rec["seq"] + 1 and version_id(tomb) == tomb["version"]
    assert ws.store.get(rec["id"]) == tomb
    versions = _by_descent(all_versions(ws.store, rec["id"]))
    assert [v["version"] for v in versions] == [rec["version"], tomb["version"]]
    assert [step.kind for step in record_history(ws, rec["id"])] == ["created", "deleted"]


def test_concerns_before_saving_a_visit_and_an_edit_asks_only_about_what_it_changes(ws):
    person = ws.add("person", PERSON)
    visit = {"person": person["id"], "date": "2026-11-20 10:00", "condition": "稳定"}
    first = ws.add("followup", {**visit, "risk_level": "1级"})
    (same_day,) = casework.concerns(
        ws, "followup", {**visit, "date": "2026-11-20 10:20", "risk_level": "1级"}
    )
    assert "王芳 在 2026-11-20 10:00 已有随访记录" in same_day
    assert casework.concerns(ws, "followup", {"condition": "基本稳定"}, record_id=first["id"]) == []
    (joint,) = casework.concerns(ws, "followup", {"risk_level": "3级"}, record_id=first["id"])
    assert "须会同卫健精防医生和派出所民警联合随访" in joint and "卫健精防、派出所" in joint
    went = {"risk_level": "3级", "departments": ["社区网格", "卫健精防", "派出所"]}
    assert casework.concerns(ws, "followup", went, record_id=first["id"]) == []
    # Saved at 3级 all the same: an edit of something else does not ask again.
    ws.edit(first["id"], {"risk_level": "3级"})
    assert casework.concerns(ws, "followup", {"condition": "不稳定"}, record_id=first["id"]) == []
    assert (
        casework.concerns(ws, "followup", {**visit, "date": "bad"}) == []
    )  # the save lists problems


def test_a_visit_time_later_than_now_is_refused(ws):
    person = ws.add("person", PERSON)
    later = (ws.now() + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    with pytest.raises(ValidationFailed) as info:
        ws.add(
            "followup",
            {"person": person["id"], "date": later, "condition": "稳定", "risk_level": "1级"},
        )
    assert "「随访时间」不能晚于" in str(info.value)
    now = ws.now().strftime("%Y-%m-%d %H:%M")
    ws.add(
        "followup", {"person": person["id"], "date": now, "condition": "稳定", "risk_level": "1级"}
    )
