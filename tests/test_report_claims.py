"""The draft claims only what the records show; it refuses what it cannot report; it never
overwrites a draft the office edited; and it carries the office's metadata, nothing else."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime

import docx
import pytest
from report_support import ORG, TODAY, WORKER, YEAR, load_into

from fieldkit.errors import FieldkitError
from fieldkit.forms.definitions import load_forms
from fieldkit.reports import annual as R
from fieldkit.reports import figures as F
from fieldkit.store.records import first_version
from fieldkit.workspace import Workspace

NONE_HAPPENED = ("未发生", "未发现")


def body_text(path) -> str:
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def claims(text: str) -> list[str]:
    """The "nothing happened" claims the draft makes (outside the 【待补充】 for people)."""
    stated = R.PLACEHOLDER.sub("", text)
    return [claim for claim in NONE_HAPPENED if claim in stated]


def person(record_id: str, start: str, **data):
    return first_version(
        "person",
        1,
        {
            "category": "released",
            "name": "张建国",
            "id_number": "440524197505050021",
            "grid": "第一网格",
            "start_date": start,
            "level": "key",
            "status": "active",
            **data,
        },
        author=WORKER,
        device="dev1",
        seq=1,
        record_id=record_id,
    )


def visit(person_id: str, day: str, n: int, **data):
    return first_version(
        "followup",
        1,
        {
            "person": person_id,
            "date": f"{day}T10:00",
            "method": "home",
            "departments": ["grid"],
            "condition": "stable",
            "incident": "none",
            **data,
        },
        author=WORKER,
        device="dev1",
        seq=n + 1,
        record_id=f"visit-{n}",
    )


def outreach(day: str):
    return first_version(
        "outreach",
        1,
        {
            "date": day,
            "title": "普法宣传",
            "venue_type": "community",
            "theme": "daily",
            "laws": ["constitution"],
            "participants": 10,
        },
        author=WORKER,
        device="dev1",
        seq=99,
        record_id=f"outreach-{day}",
    )


# -- "未发生…" only on visits that cover the year -------------------------------------------


def test_a_year_with_no_follow_ups_does_not_claim_zero_incidents(ws, tmp_path):
    ws.store.save([person("p1", "2024-01-01"), outreach("2025-05-01")])
    path, figs = R.write_report(ws, 2025, output=tmp_path / "2025.docx")
    assert figs.population.visits == 0 and figs.population.incidents == 0
    text = body_text(path)
    assert not claims(text)
    assert (
        "【待补充：全年是否发生肇事肇祸、个人极端事件和违法犯罪案件（本年度没有录入随访记录，"
        "现有记录不足以说明全年未发生）】" in text
    )
    assert "【待补充：全年随访的情况（本年度没有录入）】" in text
    # Page 1 says which kinds of records the year lacks.
    page_one = docx.Document(str(path)).paragraphs[3].text
    assert page_one.startswith(
        "【待补充：2025年没有录入随访记录、矛盾纠纷调解、法律顾问工作、学法与会议，"
    )


def test_patchy_visits_do_not_claim_zero_incidents_and_say_what_is_missing(ws, tmp_path):
    months = [1, 2, 3, 6, 7, 8, 9, 12]  # no visit in April, May, October, November
    records = [person("p1", "2024-01-01"), person("p2", "2025-02-01", name="李四")]
    records += [visit("p1", f"2025-{m:02d}-10", m) for m in months]
    ws.store.save(records)
    path, figs = R.write_report(ws, 2025, output=tmp_path / "2025.docx")
    assert not figs.population.visits_cover_period
    text = body_text(path)
    assert not claims(text)
    assert "4月、5月、10月、11月没有随访记录，1名在管满一个月的人员没有随访记录" in text


def test_visits_every_month_of_everyone_allow_the_claim(ws, tmp_path):
    records = [person("p1", "2024-01-01")]
    records += [visit("p1", f"2025-{m:02d}-10", m) for m in range(1, 13)]
    # Under management for less than a month: not yet due a visit.
    records.append(person("p2", "2025-12-15", name="李四"))
    ws.store.save(records)
    path, figs = R.write_report(ws, 2025, output=tmp_path / "2025.docx")
    p = figs.population
    assert p.visits_cover_period and (p.persons_to_visit, p.persons_not_visited) == (1, 0)
    assert (
        "全年各月均有随访记录，在管人员均已随访，随访中未发现肇事肇祸、个人极端事件和违法犯罪案件。"
        in body_text(path)
    )


def test_coverage_counts_each_month_of_the_period_only(ws):
    """For the year in progress the period runs to the cutoff: later months are not missing."""
    records = [person("p1", "2026-01-01")]
    records += [visit("p1", f"2026-{m:02d}-10", m) for m in range(1, 12)]  # to November
    figs = F.compute({"person": records[:1], "followup": records[1:]}, ws.forms, 2026, today=TODAY)
    assert figs.population.months_in_period == 11
    assert figs.population.months_without_visits == []
    assert figs.population.visits_cover_period


def test_month_ranges():
    assert R.month_ranges([2, 3, 4, 7]) == "2月至4月、7月"
    assert R.month_ranges([1, 2, 12]) == "1月、2月、12月"


# -- what cannot be reported is refused --------------------------------------------------------


def test_a_year_to_come_is_refused(ws, tmp_path):
    load_into(ws)
    with pytest.raises(FieldkitError, match="2027年还没有到"):
        R.write_report(ws, 2027, output=tmp_path / "2027.docx")
    assert not (tmp_path / "2027.docx").exists()


def test_a_year_without_records_is_refused_naming_the_years_that_have_some(ws, tmp_path):
    load_into(ws)
    with pytest.raises(FieldkitError) as info:
        R.write_report(ws, 2019, output=tmp_path / "2019.docx")
    assert "2019年没有任何工作记录" in str(info.value) and "2026、2025" in str(info.value)
    assert not (tmp_path / "2019.docx").exists()


def test_a_year_with_persons_but_no_work_recorded_is_refused(ws, tmp_path):
    """Persons registered later with an earlier start date do not make that year reportable."""
    ws.store.save([person("p1", "2019-03-01"), outreach("2025-05-01")])
    with pytest.raises(FieldkitError, match=r"2019年没有任何工作记录.*有工作记录的年度：2025"):
        R.write_report(ws, 2019, output=tmp_path / "2019.docx")


def test_an_unknown_grid_is_refused_listing_the_grids(ws, tmp_path):
    load_into(ws)
    with pytest.raises(FieldkitError, match="没有网格“第九网格”。记录中的网格：第一网格、第二网格"):
        R.write_report(ws, YEAR, grid="第九网格", output=tmp_path / "g.docx")


# -- lists in the report's order ----------------------------------------------------------------


def test_the_constitution_comes_first_then_laws_by_count():
    forms = load_forms()
    figs = F.compute({}, forms, YEAR, today=TODAY)
    figs.outreach.by_law = {"宪法": 1, "民法典": 3, "禁毒法": 5, "其他": 9}
    values = R.template_values(figs, R.load_template(forms), org=ORG)
    assert values["outreach_laws_text"] == "《宪法》《禁毒法》《民法典》"


# -- never overwrite what the office edited -----------------------------------------------------


def test_regenerating_leaves_the_edited_draft_byte_identical(ws):
    load_into(ws)
    first, _ = R.write_report(ws, YEAR)
    edited = docx.Document(str(first))
    edited.paragraphs[2].text = "区委全面依法治区委员会办公室："
    edited.save(str(first))
    before = first.read_bytes()

    second, _ = R.write_report(ws, YEAR)  # a late bundle arrived: regenerate
    assert first.read_bytes() == before
    assert second.name == f"{ORG}2026年法治政府建设年度报告（草稿2）.docx"
    third, _ = R.write_report(ws, YEAR)
    assert third.name.endswith("（草稿3）.docx") and second.read_bytes() != b""
    assert first.read_bytes() == before


def test_a_named_file_that_exists_is_refused_unless_forced(ws, tmp_path):
    load_into(ws)
    target = tmp_path / "报告.docx"
    target.write_bytes(b"edited by hand")
    with pytest.raises(FieldkitError, match=r"已存在.*未覆盖.*--force"):
        R.write_report(ws, YEAR, output=target)
    assert target.read_bytes() == b"edited by hand"
    path, _ = R.write_report(ws, YEAR, output=target, force=True)
    assert path == target and "全年受理矛盾纠纷5件" in body_text(target)


# -- the file's own metadata ----------------------------------------------------------------------


def test_core_properties_name_the_office_and_now_with_nothing_from_the_template(ws, tmp_path):
    load_into(ws)
    before = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    path, _ = R.write_report(ws, YEAR, output=tmp_path / "draft.docx")
    props = docx.Document(str(path)).core_properties
    assert props.author == ORG and props.last_modified_by == ORG
    assert props.title == f"{ORG}{YEAR}年法治政府建设年度报告"
    assert props.comments == "" and props.revision == 1
    created = props.created.replace(tzinfo=None)
    assert before <= created <= datetime.now(UTC).replace(tzinfo=None)
    assert props.modified == props.created
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        app = z.read("docProps/app.xml").decode()
        everything = "".join(z.read(n).decode("utf-8", "ignore") for n in names)
    assert not [n for n in names if "thumbnail" in n or n.startswith("customXml")]
    assert f"<Company>{ORG}</Company>" in app
    for leftover in ("python-docx", "Normal.dotm", "Macintosh", "2013-12-23", "w:rsid", "docId"):
        assert leftover not in everything, leftover


def test_a_workspace_without_an_organisation_still_names_no_person(tmp_path):
    with Workspace(tmp_path / "data", today=TODAY) as ws:
        ws.set_identity(worker=WORKER, grid="第一网格")
        load_into(ws)
        path, _ = R.write_report(ws, YEAR, output=tmp_path / "d.docx")
    props = docx.Document(str(path)).core_properties
    assert props.author == "" and WORKER not in props.last_modified_by
