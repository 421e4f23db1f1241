"""Figures computed from a known hand-made year: each figure checked against a count by hand."""

from datetime import date

import pytest
from report_support import TODAY, YEAR, dataset, rec

from fieldkit.forms.counted import CODES_USED
from fieldkit.forms.definitions import builtin_dir, load_forms
from fieldkit.reports import figures as F


@pytest.fixture(scope="module")
def forms():
    return load_forms()


@pytest.fixture
def figs(forms):
    return F.compute(dataset(), forms, YEAR, today=TODAY)


def test_outreach_counts_the_years_live_events(figs):
    o = figs.outreach
    assert o.events == 3  # 2025's event and the deleted one do not count
    assert o.ucs_events == 2  # 进社区 + 进小区
    assert o.by_venue["进社区"] == 1 and o.by_venue["进学校"] == 1 and o.by_venue["进机关"] == 0
    assert o.theme_events == 2
    assert o.by_theme == {
        "3·15国际消费者权益日": 1,
        "4·15全民国家安全教育日": 0,
        "4·26世界知识产权日": 0,
        "5·12防灾减灾日": 0,
        "民法典宣传月": 0,
        "安全生产月": 0,
        "6·26国际禁毒日": 1,
        "宪法宣传周": 0,
        "其他": 0,
    }
    assert (o.participants, o.materials, o.consultations) == (530, 18200, 65)
    assert o.laws_promoted == 4
    assert o.by_law["宪法"] == 1 and o.by_law["禁毒法"] == 1 and o.by_law["未成年人保护法"] == 1
    assert o.by_activity["现场咨询"] == 1


def test_special_populations_at_the_cutoff(figs):
    p = figs.population
    assert figs.cutoff == TODAY
    # In: 王芳 (no end), 张建国, 陈静. Out: 刘洋 (ended June), 赵强 (moved), 孙丽 (deleted).
    assert p.in_management == 3
    assert p.by_category["严重精神障碍患者"] == 1
    assert p.by_category["刑满释放人员"] == 1
    assert p.by_category["社区戒毒人员"] == 1
    assert p.by_category["社区矫正对象"] == 0
    assert (p.new, p.released) == (2, 1)


def test_visits_joint_visits_help_and_incidents(figs):
    p = figs.population
    assert p.visits == 5 and p.persons_visited == 4
    assert p.joint_visits == 2  # a department besides the community's grid
    assert p.remote_visits == 2
    assert p.visits_by_method == {"入户面访": 2, "约谈": 1, "电话": 1, "视频": 1}
    assert p.visits_by_category["严重精神障碍患者"] == 2
    assert p.incidents == 1
    assert p.by_incident == {"肇事肇祸": 0, "个人极端事件": 0, "违法犯罪": 1, "其他": 0}
    assert p.assisted_visits == 2
    assert p.by_assistance["心理疏导"] == 1 and p.by_assistance["就业帮扶"] == 1


def test_mediation_figures(figs):
    m = figs.mediation
    assert (m.accepted, m.concluded, m.succeeded, m.failed, m.ongoing) == (5, 4, 3, 1, 1)
    assert m.success_rate == pytest.approx(0.6)
    assert (m.pre_litigation, m.pre_litigation_succeeded) == (2, 1)
    assert m.abnormal_death == 1
    assert (m.written, m.oral) == (2, 1)
    assert m.amount == 333000.0 and m.amount_succeeded == 325000.0
    assert (m.fulfilled, m.unfulfilled) == (2, 1)
    assert m.fulfilment_rate == pytest.approx(2 / 3)
    assert m.revisits == 1 and m.parties == 13
    assert m.by_type["邻里"] == 2 and m.by_type["非正常死亡"] == 1
    assert m.by_source["法院委派"] == 2 and m.by_source["公安移交"] == 1


def test_adviser_and_meetings(figs):
    a, mt = figs.adviser, figs.meetings
    assert (a.total, a.consultations, a.legality_reviews, a.contract_reviews) == (4, 2, 1, 1)
    assert a.by_requester["街道部门"] == 2
    assert (mt.total, mt.party_committee, mt.study_group, mt.lecture) == (5, 2, 1, 1)
    assert mt.enforcement_training == 1 and mt.participants == 133


def test_one_grid_counts_its_persons_and_their_visits_only(forms):
    figs = F.compute(dataset(), forms, YEAR, grid="第一网格", today=TODAY)
    assert figs.population.in_management == 2  # 王芳, 张建国
    assert figs.population.visits == 3 and figs.population.incidents == 0
    # Events and cases carry no grid: left out, and said so.
    assert figs.outreach.events == 0 and figs.mediation.accepted == 0
    assert figs.ungridded == {"outreach": 3, "mediation": 5, "consultation": 4, "meeting": 5}


def test_a_record_with_a_grid_of_its_own_counts_in_that_grid(forms):
    data = dataset()
    data["outreach"].append(
        rec("outreach", {"date": "2026-05-01", "venue_type": "estate", "grid": "第一网格"})
    )
    figs = F.compute(data, forms, YEAR, grid="第一网格", today=TODAY)
    assert figs.outreach.events == 1 and figs.outreach.ucs_events == 1


def test_a_past_year_counts_persons_at_its_year_end(forms):
    figs = F.compute(dataset(), forms, 2025, today=TODAY)
    assert figs.cutoff == date(2025, 12, 31)
    # 王芳 and 刘洋 (ended 2026-06-01, so still in at the end of 2025); 赵强 moved, date unknown.
    assert figs.population.in_management == 2
    assert figs.population.new == 1 and figs.population.visits == 1
    assert figs.outreach.events == 1 and figs.mediation.accepted == 1


def test_an_empty_year_is_all_zeros_and_no_rates(forms):
    figs = F.compute(dataset(), forms, 2020, today=TODAY)
    assert figs.work_records == 0
    assert figs.mediation.success_rate is None and figs.mediation.fulfilment_rate is None


def test_placeholders_flatten_every_area(figs):
    flat = figs.placeholders()
    assert flat["outreach_events"] == 3 and flat["mediation_pre_litigation"] == 2
    assert flat["year"] == 2026 and flat["next_year"] == 2027
    assert flat["population_by_category"]["刑满释放人员"] == 1


def test_monthly_series_add_up_to_the_year(forms):
    data = dataset()
    series = F.monthly(data, forms, YEAR)
    figs = F.compute(data, forms, YEAR, today=TODAY)
    assert set(series) == set(F.MONTHLY_SERIES)
    assert all(len(values) == 12 for values in series.values())
    assert series["outreach_events"] == [0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0]
    assert series["visits"][0] == 2 and sum(series["visits"]) == figs.population.visits
    assert sum(series["joint_visits"]) == 2 and series["incidents"][3] == 1
    assert sum(series["mediations"]) == 5 and sum(series["mediations_succeeded"]) == 3
    assert sum(series["outreach_materials"]) == 18200
    assert sum(series["consultations"]) == 4 and sum(series["meetings"]) == 5


def test_years_and_grids_found_in_the_records(forms):
    data = dataset()
    assert F.years(data, forms)[:3] == [2026, 2025, 2024]
    assert F.grids(data) == ["第一网格", "第二网格"]


def test_odd_values_do_not_break_the_figures(forms):
    data = {
        "outreach": [
            rec("outreach", {"date": "2026-02-30", "participants": "many", "materials": None}),
            rec("outreach", {"date": "2026", "venue_type": "nowhere", "laws": "constitution"}),
        ],
        "mediation": [rec("mediation", {"accepted": "2026-01-01", "amount": True})],
        "person": [rec("person", {"start_date": "not a date", "category": "mental"})],
    }
    figs = F.compute(data, forms, YEAR, today=TODAY)
    assert figs.outreach.events == 2 and figs.outreach.participants == 0
    assert figs.outreach.by_venue["nowhere"] == 1  # an unknown code shows as itself
    assert figs.mediation.amount == 0 and figs.population.in_management == 0
    assert sum(F.monthly(data, forms, YEAR)["outreach_events"]) == 1  # "2026" has no month


def test_the_shipped_forms_have_every_code_the_figures_count(tmp_path):
    for path in builtin_dir().glob("*.toml"):  # each shipped form, checked as an override
        (tmp_path / path.name).write_bytes(path.read_bytes())
    assert load_forms(tmp_path, codes_used=CODES_USED).problems == ()


def test_an_office_form_that_renames_a_counted_code_is_reported_and_left_out(ws):
    shipped = (builtin_dir() / "mediation.toml").read_text("utf-8")
    renamed = shipped.replace('code = "success"', 'code = "succeeded"')
    assert renamed != shipped
    (ws.root / "forms").mkdir()
    (ws.root / "forms" / "mediation.toml").write_text(renamed, "utf-8")
    ws.reload_forms()
    (problem,) = ws.forms.problems
    for named in ("mediation.toml", "mediation", "result", "success", "程序自带"):
        assert named in problem, problem
    assert ws.forms.left_out == {"mediation.toml"}
    assert ws.forms["mediation"].field("result").label_of("success") == "调解成功"


def test_an_office_form_without_a_counted_field_is_reported(ws):
    shipped = (builtin_dir() / "meeting.toml").read_text("utf-8")
    (ws.root / "forms").mkdir()
    (ws.root / "forms" / "meeting.toml").write_text(shipped.replace('"kind"', '"sort"'), "utf-8")
    ws.reload_forms()
    (problem,) = ws.forms.problems
    assert "meeting.toml" in problem and "缺少字段 kind" in problem, problem
