from datetime import date

import pytest

from fieldkit.forms.definitions import load_forms
from fieldkit.forms.validation import Context, validate

FORMS = load_forms()
TODAY = date(2026, 11, 24)
MENTAL = {"id": "p-mental", "form": "person", "deleted": False, "data": {"category": "mental"}}
RELEASED = {
    "id": "p-released",
    "form": "person",
    "deleted": False,
    "data": {"category": "released"},
}
PEOPLE = {p["id"]: p for p in (MENTAL, RELEASED)}
CTX = Context(TODAY, lambda form_id, value: PEOPLE.get(value))


def check(form_id, data):
    return validate(FORMS[form_id], data, CTX)


def messages(outcome):
    return {p.field: p.message for p in outcome.errors}


OUTREACH = {
    "date": "2026-03-15",
    "title": "消费者权益日宣传",
    "venue_type": "进社区",
    "theme": "consumer_0315",
}
PERSON = {
    "category": "released",
    "name": "张伟",
    "id_number": "11010519491231002X",
    "grid": "第一网格",
    "start_date": "2024-05-01",
    "status": "在管",
    "level": "重点",
}
MEDIATION = {
    "accepted": "2026-04-01",
    "source": "当事人申请",
    "dispute_type": "邻里",
    "kind": "人民调解",
    "parties": "甲、乙",
    "mediators": "王调解",
    "summary": "漏水纠纷",
    "result": "调解中",
}


def test_a_valid_outreach_event_is_stored_as_codes_and_iso_dates():
    out = check(
        "outreach", {**OUTREACH, "date": "2026/3/15", "laws": "宪法、民法典", "participants": "120"}
    )
    assert out.ok, out.errors
    assert out.data["venue_type"] == "community" and out.data["date"] == "2026-03-15"
    assert out.data["laws"] == ["constitution", "civil_code"] and out.data["participants"] == 120


def test_missing_required_fields_are_named_by_label():
    out = check("outreach", {"date": "2026-03-15"})
    assert [p.label for p in out.errors] == ["活动名称", "宣传场所", "主题节点"]
    assert "必填" in str(out.errors[0])


@pytest.mark.parametrize(
    ("change", "field", "text"),
    [
        ({"participants": -1}, "participants", "不能小于0"),
        ({"participants": "很多"}, "participants", "不是整数"),
        ({"date": "2026-12-01"}, "date", "不能晚于今天"),
        ({"date": "2026-02-30"}, "date", "不是有效日期"),
        ({"venue_type": "进太空"}, "venue_type", "不是可选项"),
        ({"title": "长" * 101}, "title", "不能超过100个字"),
        ({"title": "半个\ud800字"}, "title", "不能保存的字符"),
        ({"title": "a\x00b"}, "title", "不能保存的字符"),
        ({"laws": [{"a": 1}]}, "laws", "不是可选项"),
        ({"laws": ["宪法", 3]}, "laws", "不是可选项"),
    ],
)
def test_bad_outreach_values(change, field, text):
    assert text in messages(check("outreach", {**OUTREACH, **change}))[field]


def test_person_id_number_checksum_and_phone():
    out = check("person", {**PERSON, "id_number": "110105194912310021", "phone": "12345"})
    errors = messages(out)
    assert "校验位" in errors["id_number"] and "电话" in errors["phone"]
    assert check("person", {**PERSON, "phone": "13912345678"}).ok


def test_person_level_choices_follow_category_and_guardian_only_for_mental():
    assert "不是可选项" in messages(check("person", {**PERSON, "level": "严管"}))["level"]
    drug = check(
        "person", {**PERSON, "category": "社区戒毒人员", "level": "重点", "guardian": "母亲"}
    )
    assert drug.ok and "level" not in drug.data and "guardian" not in drug.data
    mental = check(
        "person", {**PERSON, "category": "严重精神障碍患者", "level": "3级", "guardian": "母亲"}
    )
    assert mental.ok and mental.data["level"] == "3" and mental.data["guardian"] == "母亲"


def test_person_end_before_start_is_refused():
    out = check("person", {**PERSON, "end_date": "2024-01-01"})
    assert messages(out)["end_date"] == "管理期满日期不能早于纳入管理日期"


def followup(**extra):
    base = {
        "person": "p-released",
        "date": "2026-11-20 09:30",
        "method": "入户面访",
        "condition": "稳定",
        "incident": "无",
    }
    return {**base, **extra}


def test_followup_risk_assessment_is_required_only_for_mental_patients():
    assert check("followup", followup(risk_level="3级")).data.get("risk_level") is None
    missing = check("followup", followup(person="p-mental"))
    assert "risk_level" in messages(missing)
    ok = check("followup", followup(person="p-mental", risk_level="3级", medication="规律服药"))
    assert ok.ok and ok.data["risk_level"] == "3" and ok.data["date"] == "2026-11-20T09:30"


def test_followup_incident_needs_a_note_and_unknown_person_is_refused():
    assert "incident_note" in messages(check("followup", followup(incident="肇事肇祸")))
    assert check("followup", followup(incident="肇事肇祸", incident_note="打砸物品")).ok
    assert "找不到" in messages(check("followup", followup(person="nobody")))["person"]


def test_followup_next_visit_not_before_the_visit():
    out = check("followup", followup(next_visit="2026-11-01"))
    assert "不能早于本次随访" in messages(out)["next_visit"]
    assert check("followup", followup(next_visit="2026-11-20")).ok


def test_mediation_rules():
    assert check("mediation", MEDIATION).ok
    assert check("mediation", {**MEDIATION, "party_count": 1}).errors[0].message == "不能小于2"
    done = {**MEDIATION, "result": "调解成功"}
    assert set(messages(check("mediation", done))) == {"agreement", "closed"}
    early = {**done, "agreement": "书面", "closed": "2026-03-01"}
    assert messages(check("mediation", early))["closed"] == "结案日期不能早于受理日期"
    ok = check(
        "mediation", {**done, "agreement": "口头", "closed": "2026-04-03", "amount": "1,234.567"}
    )
    assert ok.ok and ok.data["amount"] == 1234.57
    failed = check(
        "mediation",
        {**MEDIATION, "result": "调解不成功", "closed": "2026-04-09", "fulfilment": "已履行"},
    )
    assert failed.ok and "fulfilment" not in failed.data


def test_unknown_fields_are_reported_or_kept():
    form = FORMS["meeting"]
    data = {"date": "2026-01-05", "kind": "理论学习中心组学法", "title": "学习", "room": "三楼"}
    assert "不是本表单的字段" in messages(validate(form, data, CTX))["room"]
    kept = validate(form, data, CTX, keep_unknown=True)
    assert kept.ok and kept.data["room"] == "三楼"


def test_remembered_values_are_still_checked_against_today_and_the_field():
    # Clean values are remembered per field definition; the not_future check and the field's
    # own limits must still apply to a value first seen in another field.
    later = "2026-12-01"
    assert check("person", {**PERSON, "end_date": later}).ok  # end_date may be in the future
    assert "不能晚于今天" in messages(check("outreach", {**OUTREACH, "date": later}))["date"]
    title = "长" * 101
    assert check("meeting", {"date": "2026-03-15", "kind": "lecture", "title": title}).ok
    assert "不能超过100个字" in messages(check("outreach", {**OUTREACH, "title": title}))["title"]


def test_a_future_date_is_refused_even_after_the_same_date_passed_in_a_field_that_allows_it():
    future = "2026-12-20"
    assert check("person", {**PERSON, "end_date": future}).ok  # end_date may lie ahead
    assert "不能晚于今天" in messages(check("outreach", {**OUTREACH, "date": future}))["date"]
