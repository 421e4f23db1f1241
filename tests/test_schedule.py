from datetime import date

import pytest

from fieldkit.forms import schedule
from fieldkit.forms.definitions import load_forms

RULES = load_forms().rules
TODAY = date(2026, 11, 24)


def person(
    category, level=None, *, start="2026-01-10", status="active", end=None, pid="p1", grid="一网格"
):
    data = {"category": category, "start_date": start, "status": status, "grid": grid, "name": pid}
    if level is not None:
        data["level"] = level
    if end:
        data["end_date"] = end
    return {"id": pid, "form": "person", "deleted": False, "data": data}


def visit(day, *, next_visit=None, risk=None, deleted=False):
    data = {"date": f"{day}T10:00"}
    if next_visit:
        data["next_visit"] = next_visit
    if risk is not None:
        data["risk_level"] = risk
    return {"id": f"v{day}", "form": "followup", "deleted": deleted, "data": data}


@pytest.mark.parametrize(
    ("category", "level", "expected"),
    [
        ("released", "key", "2026-04-01"),
        ("released", "general", "2026-06-01"),
        ("released", None, "2026-06-01"),
        ("corrections", "strict", "2026-03-08"),
        ("corrections", "normal", "2026-04-01"),
        ("corrections", "lenient", "2026-06-01"),
        ("drug_rehab", None, "2026-04-01"),
        ("rehab", None, "2026-04-01"),
        ("cult", "key", "2026-06-01"),
        ("cult", "general", "2026-06-01"),
        ("mental", "0", "2026-06-01"),
        ("mental", "1", "2026-05-01"),
        ("mental", "2", "2026-05-01"),
        ("mental", "3", "2026-03-15"),
        ("mental", "4", "2026-03-15"),
        ("mental", "5", "2026-03-15"),
    ],
)
def test_next_visit_for_every_category_and_level(category, level, expected):
    proposed, rule = schedule.propose_next_visit(RULES, person(category, level), date(2026, 3, 1))
    assert proposed.isoformat() == expected
    assert bool(rule.joint) == (category == "mental" and level in {"3", "4", "5"})


def test_a_high_risk_assessment_overrides_the_registered_level():
    proposed, rule = schedule.propose_next_visit(
        RULES, person("mental", "0"), date(2026, 3, 1), "3"
    )
    assert proposed == date(2026, 3, 15) and set(rule.joint) == {"health", "police"}
    due = schedule.schedule(RULES, person("mental", "0"), [visit("2026-11-01", risk="4")], TODAY)
    assert due.next_due == date(2026, 11, 15) and due.overdue


def test_month_ends_clamp():
    assert schedule.add_period(date(2026, 1, 31), {"months": 1}) == date(2026, 2, 28)
    assert schedule.add_period(date(2024, 1, 31), {"months": 1}) == date(2024, 2, 29)
    assert schedule.add_period(date(2026, 11, 30), {"months": 3}) == date(2027, 2, 28)


def test_supervision_periods():
    assert schedule.supervision_end(RULES, "released", date(2024, 2, 29)) == date(2029, 2, 28)
    assert schedule.supervision_end(RULES, "drug_rehab", date(2026, 1, 1)) == date(2029, 1, 1)
    assert schedule.supervision_end(RULES, "mental", date(2026, 1, 1)) is None


def test_never_visited_is_due_one_interval_after_start():
    due = schedule.schedule(RULES, person("drug_rehab", start="2026-10-01"), [], TODAY)
    assert due.next_due == date(2026, 11, 1) and due.days_overdue == 23 and due.last_visit is None


def test_the_planned_next_visit_wins_and_deleted_visits_do_not_count():
    visits = [visit("2026-11-20", next_visit="2026-12-20"), visit("2026-11-22", deleted=True)]
    due = schedule.schedule(RULES, person("released", "key"), visits, TODAY)
    assert due.next_due == date(2026, 12, 20) and due.last_visit["id"] == "v2026-11-20"


def test_only_active_unexpired_persons_are_scheduled():
    assert (
        schedule.schedule(RULES, person("released", "key", status="discharged"), [], TODAY) is None
    )
    assert schedule.schedule(RULES, person("released", "key", end="2026-11-01"), [], TODAY) is None
