"""The read model both shells use: record order, the record index and its search text, the
person index and due list, supervision ends."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from fieldkit.forms import idnumber
from fieldkit.forms.definitions import load_forms
from fieldkit.reports import figures as F
from fieldkit.views.persons import DueCounts, PersonIndex, supervision_end, visits_of
from fieldkit.views.records import RecordIndex, SearchText, newest_first, titles
from fieldkit.workspace import Workspace

FORMS = load_forms()
PERSON_ID = "11010519491231002X"


def id_number(n: int) -> str:
    first17 = f"110105199001{n:02d}{n:03d}"[:17]
    return first17 + idnumber.check_char(first17)


def add_at(ws: Workspace, form_id: str, data: dict, at: str, record_id: str) -> dict:
    """A record saved at a given time (its updated_at) with a given id."""
    form = ws.form(form_id)
    clean = ws.prepare(form_id, data)
    with ws.changes() as c:
        return c.add(form_id, form.version, clean, at=at, record_id=record_id)


# -- order -------------------------------------------------------------------------------------


def test_records_filter_by_year_and_month_newest_first(ws):
    for day in ("2025-12-30", "2026-03-01", "2026-03-20", "2026-04-02"):
        ws.add("meeting", {"date": day, "kind": "理论学习中心组学法", "title": day})
    assert [r["data"]["date"] for r in newest_first(ws, "meeting", year=2026)] == [
        "2026-04-02",
        "2026-03-20",
        "2026-03-01",
    ]
    assert len(newest_first(ws, "meeting", year=2026, month=3)) == 2


def test_visits_of_a_day_by_time_then_last_change_then_id(ws):
    person = ws.add("person", {"category": "released", "name": "张伟", "id_number": PERSON_ID})
    visit = {"person": person["id"], "condition": "stable"}
    # Saved in an order that is none of the list's: a later time saved first, ties.
    add_at(
        ws, "followup", {**visit, "date": "2026-11-20 16:30"}, "2026-11-20T08:00:00+08:00", "v-a"
    )
    add_at(
        ws, "followup", {**visit, "date": "2026-11-20 09:00"}, "2026-11-20T18:00:00+08:00", "v-b"
    )
    add_at(
        ws, "followup", {**visit, "date": "2026-11-20 11:15"}, "2026-11-20T12:00:00+08:00", "v-c"
    )
    add_at(
        ws, "followup", {**visit, "date": "2026-11-20 11:15"}, "2026-11-20T13:00:00+08:00", "v-d"
    )
    add_at(
        ws, "followup", {**visit, "date": "2026-11-20 11:15"}, "2026-11-20T13:00:00+08:00", "v-e"
    )
    assert [r["id"] for r in newest_first(ws, "followup")] == ["v-a", "v-e", "v-d", "v-c", "v-b"]


ENTRY = st.fixed_dictionaries(
    {
        "date": st.sampled_from(["", "2026-11-20", "2026-11-21", "2025-01-02"]),
        "updated_at": st.sampled_from(["2026-11-20T08:00:00+08:00", "2026-11-21T09:00:00+08:00"]),
    }
)


@given(st.dictionaries(st.text("abc", min_size=1, max_size=3), ENTRY, max_size=12), st.randoms())
def test_the_order_is_total_and_saving_one_by_one_keeps_it(rows, rnd):
    form = FORMS["outreach"]
    records = [
        {"id": rid, "form": "outreach", "updated_at": r["updated_at"], "data": {"date": r["date"]}}
        for rid, r in rows.items()
    ]
    index = RecordIndex(form, [], SearchText(form, {}))
    for record in rnd.sample(records, len(records)):
        index.upsert(record)
    orders = [e.order for e in index.entries]
    assert orders == sorted(orders, reverse=True)
    assert len(set(orders)) == len(orders)  # no two records tie: one order, whatever came first
    for record in rnd.sample(records, len(records)):  # saved again (an edit): same place
        index.upsert(record)
    assert [e.order for e in index.entries] == orders


# -- the record index and its search text -------------------------------------------------------


def add_event(ws: Workspace, day: str, title: str, venue: str = "community") -> dict:
    return ws.add("outreach", {"date": day, "title": title, "venue_type": venue})


def test_search_text_holds_labels_referenced_titles_and_initials(ws):
    person = ws.add(
        "person",
        {"category": "mental", "name": "陈静", "id_number": PERSON_ID, "level": "3"},
    )
    visit = ws.add(
        "followup",
        {
            "person": person["id"],
            "date": "2026-11-20 10:00",
            "condition": "unstable",
            "risk_level": "3",
            "departments": ["grid", "police"],
        },
    )
    text = SearchText(ws.form("followup"), titles(ws, "person")).of(visit["data"])
    for word in ("陈静", "不稳定", "3级", "派出所", "社区网格", "2026-11-20", "cj"):
        assert word in text
    assert PERSON_ID.lower() in text and "1949-12-31" in text  # the person's number, birth date
    person_text = SearchText(ws.form("person"), {}).of(person["data"])
    assert PERSON_ID.lower() in person_text  # found by the full number, shown masked


def test_index_order_filters_and_upsert(ws):
    a = add_event(ws, "2026-11-02", "宪法宣传")
    add_event(ws, "2026-03-15", "消费者权益")
    add_event(ws, "2025-03-10", "宪法学习")
    index = RecordIndex.build(ws, "outreach")

    def found(*args) -> list[str]:
        return [e.record["data"]["title"] for e in index.matches(*args)]

    assert found() == ["宪法宣传", "消费者权益", "宪法学习"]
    assert found("宪法") == ["宪法宣传", "宪法学习"]
    assert found("xfxc") == ["宪法宣传"]  # pinyin initials of the title
    assert found("", 2026) == ["宪法宣传", "消费者权益"]
    assert found("", None, 3) == ["消费者权益", "宪法学习"]
    assert found("进社区 宪法") == ["宪法宣传", "宪法学习"]
    assert index.years() == [2026, 2025]
    index.upsert(ws.edit(a["id"], {"date": "2026-01-01", "title": "宪法宣传改"}))
    assert found() == ["消费者权益", "宪法宣传改", "宪法学习"]
    index.upsert(ws.delete(a["id"]))
    assert len(index) == 2


# -- persons and the due list ------------------------------------------------------------------


def add_person(ws: Workspace, n: int, start: str, grid: str = "第一网格", **more) -> dict:
    data = {"category": "released", "level": "key", "name": f"人{n}", "id_number": id_number(n)}
    return ws.add("person", {**data, "start_date": start, "grid": grid, **more})


def test_due_list_is_most_overdue_first_and_filters_by_grid_and_horizon(ws):
    # today 2026-11-24; 重点 released persons are visited monthly
    a = add_person(ws, 1, "2026-09-01")
    b = add_person(ws, 2, "2026-06-01")
    c = add_person(ws, 3, "2026-11-01")
    d = add_person(ws, 4, "2026-05-01", grid="第二网格")
    ws.add("followup", {"person": c["id"], "date": "2026-11-10 10:00", "condition": "stable"})
    index = PersonIndex.build(ws)
    assert [r.id for r in index.due(within_days=0)] == [d["id"], b["id"], a["id"]]
    assert [r.id for r in index.due("第一网格", within_days=0)] == [b["id"], a["id"]]
    assert [r.id for r in index.due(within_days=20)][-1] == c["id"]
    assert [r.id for r in index.matches(due_only=True)] == [d["id"], b["id"], a["id"]]
    assert index.due_counts(None) == DueCounts(overdue=3, today=0, soon=0, soon_days=7)
    assert index.in_management() == 4
    assert index.grids() == ["第一网格", "第二网格"]


def test_home_and_the_report_count_the_same_persons_under_management(ws):
    """One rule (schedule.managed_on): a person who left today still counts today, in the
    app's 在管 and in the report's 在册; one who left yesterday does not."""
    today = ws.today()
    add_person(ws, 1, "2026-01-05")
    add_person(ws, 2, "2026-01-05", status="discharged", end_date=today.isoformat())
    add_person(ws, 3, "2026-01-05", status="moved", end_date="2026-11-23")
    index = PersonIndex.build(ws)
    figures = F.compute(F.workspace_records(ws), ws.forms, today.year, today=today)
    assert index.in_management() == sum(figures.population.by_category.values()) == 2


def test_a_saved_visit_moves_a_person_down_the_due_list(ws):
    a = add_person(ws, 1, "2026-09-01")
    index = PersonIndex.build(ws)
    assert [r.id for r in index.due()] == [a["id"]]
    visit = ws.add(
        "followup", {"person": a["id"], "date": "2026-11-24 09:00", "condition": "stable"}
    )
    index.update(visit)
    assert index.due() == [] and index.rows[a["id"]].last_visit == "2026-11-24"
    assert [v["id"] for v in visits_of(ws, a["id"])] == [visit["id"]]


def test_persons_are_found_by_id_number_birth_date_and_initials(ws):
    add_person(ws, 1, "2026-09-01")
    index = PersonIndex.build(ws)
    for query in ("人1", id_number(1)[-4:], "1990-01-01", "r", "刑满"):
        assert len(index.matches(query)) == 1, query


def test_supervision_ends_when_registered_or_as_the_rules_say():
    rules = FORMS.rules
    released = {"data": {"category": "released", "start_date": "2024-02-29"}}
    assert supervision_end(rules, released) == date(2029, 2, 28)
    ended = {"data": {**released["data"], "end_date": "2027-01-01"}}
    assert supervision_end(rules, ended) == date(2027, 1, 1)
    assert (
        supervision_end(rules, {"data": {"category": "mental", "start_date": "2026-01-01"}}) is None
    )
    assert supervision_end(rules, {"data": {"category": "released"}}) is None


def test_the_read_model_imports_no_ui():
    code = (
        "import sys\n"
        "import fieldkit.views.chinese, fieldkit.views.monthly\n"
        "import fieldkit.views.persons, fieldkit.views.records\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich'}))\n"
        "print(sorted(m for m in sys.modules if m.startswith(('fieldkit.tui', 'fieldkit.cli'))))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.split("\n")[:2] == ["[]", "[]"]
