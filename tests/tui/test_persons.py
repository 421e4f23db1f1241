"""Casework with real key presses: register, visit, see the schedule move; the due list; a
high-risk assessment; ending supervision; a duplicate ID number; the dashboard."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Sparkline, Static

from fieldkit.tui.screens.dashboard import DashboardScreen
from fieldkit.tui.screens.dialogs import ChoiceDialog
from fieldkit.tui.screens.entry import FormScreen
from fieldkit.tui.screens.home import HomeScreen
from fieldkit.tui.screens.person_detail import PersonDetailScreen
from fieldkit.tui.screens.persons import DueScreen, PersonsScreen
from fieldkit.views.records import newest_first

from .conftest import (
    PERSON_ID,
    SIZE,
    SIZES,
    choose,
    fill,
    make_app,
    no_errors,
    ready,
    seed,
    settle,
)

OTHER_ID = "440524188001010014"


def overdue_person(root: Path) -> None:
    """社区戒毒 (monthly), taken on 2026-06-01, never visited: due 2026-07-01, long overdue."""
    seed(
        root,
        "person",
        {
            "category": "drug_rehab",
            "name": "赵强",
            "id_number": OTHER_ID,
            "start_date": "2026-06-01",
        },
        at="2026-06-01T09:00:00+08:00",
        record_id="p-zhao",
    )


def mental_person(root: Path) -> None:
    seed(
        root,
        "person",
        {
            "category": "mental",
            "name": "陈静",
            "id_number": PERSON_ID,
            "level": "1",
            "start_date": "2026-10-01",
        },
        at="2026-10-01T09:00:00+08:00",
        record_id="p-chen",
    )


async def save_and_close(pilot) -> None:
    await pilot.press("ctrl+s")
    await settle(pilot)
    await pilot.press("escape")  # the "saved" dialog: done
    await settle(pilot)


async def test_register_then_visit_moves_next_due(root: Path):
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PersonsScreen)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await choose(pilot, "category", "刑满释放人员")
        await fill(pilot, "name", "王建国")
        await fill(pilot, "id_number", PERSON_ID)
        await choose(pilot, "level", "重点")
        await fill(pilot, "start_date", "2026-10-01")
        await save_and_close(pilot)
        screen = app.screen
        assert isinstance(screen, PersonsScreen)
        row = next(r for r in screen.hits if r.name == "王建国")
        assert row.due is not None and row.due.next_due.isoformat() == "2026-11-01"
        assert row.due.overdue
        screen.query_one("#table").move_cursor(row=screen.hits.index(row))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PersonDetailScreen)
        schedule_text = str(app.screen.query_one("#person-schedule", Static).content)
        assert "2026-11-01" in schedule_text and "逾期23天" in schedule_text
        await pilot.press("f")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen) and form.raw()["person"] == row.id
        await choose(pilot, "condition", "稳定")
        await save_and_close(pilot)
        detail = app.screen
        assert isinstance(detail, PersonDetailScreen)
        # Visited today (2026-11-24), 重点 is monthly: the next visit moves from 2026-11-01
        # (overdue) to 2026-12-24 and the timeline shows the visit.
        assert "2026-12-24" in str(detail.query_one("#person-schedule", Static).content)
        assert "2026-11-24" not in str(detail.query_one("#person-schedule", Static).content)
        titles = [str(label.content) for label in detail.query(".section-title")]
        assert "随访记录（1 次，最近的在前）" in titles
        visits = newest_first(app.ws, "followup")
        assert len(visits) == 1 and visits[0]["data"]["next_visit"] == "2026-12-24"
        no_errors(app)


async def test_overdue_person_leaves_due_list_after_a_visit(root: Path):
    overdue_person(root)
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        due_line = str(app.screen.query_one("#due-count", Static).content)
        assert "1 人" in due_line and "逾期 1 人" in due_line
        await pilot.press("v")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DueScreen)
        assert [r.name for r in screen.hits] == ["赵强"]
        assert screen.hits[0].days_overdue == 146  # due 2026-07-01
        await pilot.press("f")
        await settle(pilot)
        await choose(pilot, "condition", "稳定")
        await save_and_close(pilot)
        assert app.screen is screen
        assert screen.hits == []
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert "近期没有要随访的人员" in str(app.screen.query_one("#due-count", Static).content)
        no_errors(app)


async def test_high_risk_assessment_proposes_a_joint_visit_in_two_weeks(root: Path):
    mental_person(root)
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.open_form("followup", prefill={"person": "p-chen"})
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.raw()["next_visit"] == "2027-01-24"  # 1级: every 2 months
        await choose(pilot, "condition", "不稳定")
        await choose(pilot, "risk_level", "3级")
        await settle(pilot)
        assert form.raw()["next_visit"] == "2026-12-08"  # within 2 weeks
        note = str(form.rows["next_visit"].query_one(".field-note", Static).content)
        assert "联合随访" in note and "卫健精防" in note and "派出所" in note
        await pilot.press("ctrl+s")  # only 社区网格 went: asked first
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        asked = str(app.screen.query_one(".dialog-body", Static).content)
        assert "本次参与部门中没有：卫健精防、派出所" in asked
        await pilot.press("y")  # save all the same
        await settle(pilot)
        await pilot.press("escape")  # the "saved" dialog: done
        await settle(pilot)
        # On the due list (a week later it is due) the visit is marked as joint.
        index = app.person_index()
        row = index.rows["p-chen"]
        assert row.level == "3" and row.joint
        assert row.due is not None and row.due.next_due.isoformat() == "2026-12-08"
        no_errors(app)


async def test_discharge_removes_from_due_list(root: Path):
    overdue_person(root)
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("v")
        await settle(pilot)
        due = app.screen
        assert isinstance(due, DueScreen) and len(due.hits) == 1
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PersonDetailScreen)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("2")  # 解除
        await settle(pilot)
        assert "不在随访计划中" in str(app.screen.query_one("#person-schedule", Static).content)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is due and due.hits == []
        assert newest_first(app.ws, "person")[0]["data"]["status"] == "discharged"
        no_errors(app)


async def test_duplicate_id_number_opens_the_existing_person(root: Path):
    mental_person(root)
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await choose(pilot, "category", "严重精神障碍患者")
        await fill(pilot, "name", "陈静")
        await fill(pilot, "id_number", PERSON_ID)
        await settle(pilot)
        await pilot.press("o")  # 打开已有人员
        await settle(pilot)
        assert isinstance(app.screen, PersonDetailScreen)
        assert app.screen.person_id == "p-chen"
        assert len(newest_first(app.ws, "person")) == 1
        assert app.drafts.load("person", None) is None
        no_errors(app)


async def test_dashboard_shows_the_year(root: Path):
    overdue_person(root)
    for i, day in enumerate(["2026-03-02", "2026-11-02", "2026-11-20"]):
        seed(
            root,
            "followup",
            {"person": "p-zhao", "date": f"{day}T10:00", "condition": "stable"},
            at=f"{day}T12:00:00+08:00",
            record_id=f"v-{i}",
        )
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        row = screen.query_one("#dash-visits")
        assert str(row.query_one(".dash-month", Static).content) == "2"
        assert str(row.query_one(".dash-year", Static).content) == "3"
        assert list(row.query_one(Sparkline).data or []) == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0]
        no_errors(app)


@pytest.fixture
def casework(root: Path) -> Path:
    overdue_person(root)
    mental_person(root)
    seed(
        root,
        "followup",
        {
            "person": "p-chen",
            "date": "2026-11-20T10:00",
            "method": "home",
            "departments": ["grid", "health", "police"],
            "condition": "unstable",
            "risk_level": "3",
            "assistance": ["medical"],
            "next_visit": "2026-11-24",
        },
        at="2026-11-20T12:00:00+08:00",
        record_id="v-chen",
    )
    # 普管 (monthly) from 2026-10-27: due 2026-11-27, three days on; a name too long for 80×24.
    seed(
        root,
        "person",
        {
            "category": "corrections",
            "name": "欧阳司马晓明月",
            "id_number": "440524198001010021",
            "level": "normal",
            "start_date": "2026-10-27",
            "end_date": "2027-10-26",
        },
        at="2026-10-27T09:00:00+08:00",
        record_id="p-ouyang",
    )
    return root


@SIZES
def test_snapshot_persons(snap_compare, size, casework: Path):
    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("p")
        await settle(pilot)

    assert snap_compare(make_app(casework), terminal_size=size, run_before=run_before)


@SIZES
def test_snapshot_due(snap_compare, size, casework: Path):
    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("v")
        await settle(pilot)

    assert snap_compare(make_app(casework), terminal_size=size, run_before=run_before)


@SIZES
def test_snapshot_person_detail(snap_compare, size, casework: Path):
    async def run_before(pilot):
        await ready(pilot)
        pilot.app.push_screen(PersonDetailScreen("p-chen"))
        await settle(pilot)

    assert snap_compare(make_app(casework), terminal_size=size, run_before=run_before)


@SIZES
def test_snapshot_status_dialog(snap_compare, size, casework: Path):
    async def run_before(pilot):
        await ready(pilot)
        pilot.app.push_screen(PersonDetailScreen("p-chen"))
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()

    assert snap_compare(make_app(casework), terminal_size=size, run_before=run_before)
