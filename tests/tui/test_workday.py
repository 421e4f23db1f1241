"""A grid worker's day on a small screen (issue 13), with real key presses: searching by part
of an ID number, typing into choice lists by pinyin initials, the due list with visits due
soon, the home counts, edits that follow the rules, the checks before a visit is saved, and
the small things that got in the way."""

from __future__ import annotations

import errno
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import DataTable, Input, Select, Static

from fieldkit.tui.screens.dialogs import ChoiceDialog
from fieldkit.tui.screens.entry import FormScreen
from fieldkit.tui.screens.help import HelpScreen
from fieldkit.tui.screens.identity import IdentityScreen
from fieldkit.tui.screens.person_detail import PersonDetailScreen
from fieldkit.tui.screens.persons import DueScreen, PersonsScreen
from fieldkit.tui.screens.records import RecordsScreen
from fieldkit.tui.widgets.chinese import wrap
from fieldkit.tui.widgets.picker import RecordPicker
from fieldkit.tui.widgets.search_list import Column, fit_columns
from fieldkit.views.chinese import initials, natural_key, rank
from fieldkit.views.records import newest_first
from fieldkit.workspace import Workspace

from .conftest import (
    PERSON_ID,
    TODAY,
    choose,
    fill,
    focus_field,
    make_app,
    no_errors,
    ready,
    seed,
    settle,
    type_text,
)

SMALL = (80, 24)
OTHER_ID = "440524188001010014"


@pytest.fixture
def persons(root: Path) -> Path:
    """王建国 (刑满释放, 重点, visited 2026-11-20), 陈静 (精神障碍 2级, visited at 3级) and
    张伟 (社区矫正 普管, due in three days)."""
    seed(
        root,
        "person",
        {
            "category": "released",
            "name": "王建国",
            "id_number": PERSON_ID,
            "level": "key",
            "start_date": "2024-03-01",
        },
        at="2024-03-01T09:00:00+08:00",
        record_id="p-wang",
    )
    seed(
        root,
        "followup",
        {"person": "p-wang", "date": "2026-11-20T10:00", "condition": "stable"},
        at="2026-11-20T11:00:00+08:00",
        record_id="v-wang",
    )
    seed(
        root,
        "person",
        {
            "category": "mental",
            "name": "陈静",
            "id_number": OTHER_ID,
            "level": "2",
            "start_date": "2025-06-01",
        },
        at="2025-06-01T09:00:00+08:00",
        record_id="p-chen",
    )
    seed(
        root,
        "followup",
        {
            "person": "p-chen",
            "date": "2026-11-10T09:00",
            "condition": "unstable",
            "risk_level": "3",
            "departments": ["grid", "health", "police"],
        },
        at="2026-11-10T10:00:00+08:00",
        record_id="v-chen",
    )
    seed(
        root,
        "person",
        {
            "category": "corrections",
            "name": "张伟",
            "id_number": "110105198001010016",
            "level": "normal",
            "start_date": "2026-10-27",
            "end_date": "2027-10-26",
        },
        at="2026-10-27T09:00:00+08:00",
        record_id="p-zhang",
    )
    return root


async def open_list(pilot, key: str):
    await pilot.press(key)
    await settle(pilot)
    return pilot.app.screen


# -- 1. the small screen -------------------------------------------------------------------


def test_columns_that_matter_stay_and_the_rest_go_first():
    columns = [
        Column("name", "姓名", 8, keep=0, grow=True, least=6),
        Column("state", "提示", 16, keep=0),
        Column("next", "下次随访", 10, keep=1),
        Column("category", "类别", 16, keep=2, least=8),
        Column("id", "身份证号", 18, keep=6),
    ]
    narrow = dict((c.key, w) for c, w in fit_columns(columns, 58))
    assert list(narrow) == ["name", "state", "next", "category"]  # the ID number goes first
    assert narrow["state"] == 16 and narrow["next"] == 10  # never narrowed
    assert sum(w + 2 for w in narrow.values()) <= 58
    wide = dict((c.key, w) for c, w in fit_columns(columns, 120))
    assert "id" in wide and sum(w + 2 for w in wide.values()) == 120  # the name takes the rest


async def test_persons_and_due_lists_keep_next_visit_and_state_at_80x24(persons: Path):
    app = make_app(persons)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        for key in ("p", "v"):
            screen = await open_list(pilot, key)
            table = screen.query_one("#table", DataTable)
            keys = [c.key.value for c in table.columns.values()]
            assert keys[:3] == ["name", "state", "next"]
            assert sum(c.get_render_width(table) for c in table.columns.values()) <= 78
            await pilot.press("escape")
            await settle(pilot)
        no_errors(app)


def test_chinese_is_wrapped_between_characters_not_inside_words():
    lines = wrap("↑↓ 选字段，按数字键 1、2…… 选该字段采用哪个版本；Ctrl+S 保存。也可以整体采用", 30)
    assert all(len(line) <= 30 for line in lines)
    assert not any(line.startswith(("，", "。", "；", "、")) for line in lines)
    assert any("Ctrl+S" in line for line in lines)  # a Latin word is never split
    assert "".join(lines).replace(" ", "") == (
        "↑↓选字段，按数字键1、2……选该字段采用哪个版本；Ctrl+S保存。也可以整体采用"
    )


async def test_the_status_dialog_shows_every_answer_at_80x24(persons: Path):
    app = make_app(persons)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        app.push_screen(PersonDetailScreen("p-wang"))
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        screen_region = dialog.region
        for button in dialog.query("Button"):
            assert screen_region.contains_region(button.region), button.label
        await pilot.press("5")  # 收监
        await settle(pilot)
        assert app.ws.get_live("p-wang")["data"]["status"] == "imprisoned"
        no_errors(app)


async def test_home_fits_80x24_with_every_button(persons: Path):
    app = make_app(persons)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        home = app.screen
        for button in home.query("Button"):
            region = button.region
            assert region.bottom <= 23 and region.right <= 80, button.label
        labels = [str(b.label) for b in home.query("#more Button")]
        assert "同步：导出导入（S）" in labels and "帮助（F1）" in labels
        no_errors(app)


async def test_f1_on_sync_says_how_to_switch_tabs(root: Path):
    app = make_app(root)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        about = " ".join(app.screen.about)  # the first part of the help
        assert "切换标签页" in about and "F6" in about
        await pilot.press("escape", "f6")
        await settle(pilot)
        assert app.screen.query_one("TabbedContent").active == "import"
        assert app.focused is not None and app.focused.id == "import-folder"
        no_errors(app)


# -- 2. search ---------------------------------------------------------------------------


@pytest.mark.parametrize("query", [PERSON_ID, "002x", "19491231", "1949-12-31", "wjg"])
async def test_visits_are_found_by_the_persons_id_number_or_initials(persons: Path, query: str):
    app = make_app(persons)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        app.open_records("followup")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RecordsScreen)
        await type_text(pilot, query)  # typing in the list goes to the search box
        await settle(pilot)
        assert [e.id for e in screen.hits] == ["v-wang"]
        no_errors(app)


async def test_backspace_takes_one_character_and_enter_opens_the_match(persons: Path):
    app = make_app(persons)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        screen = await open_list(pilot, "p")
        assert isinstance(screen, PersonsScreen)
        await type_text(pilot, "陈静x")  # a slip at the end
        await settle(pilot)
        assert screen.hits == []
        await pilot.press("backspace")
        await settle(pilot)
        assert screen.query_one("#search", Input).value == "陈静"
        assert [r.id for r in screen.hits] == ["p-chen"]
        await pilot.press("enter")  # the table, on the one match
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PersonDetailScreen) and app.screen.person_id == "p-chen"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("/")  # back to the search box: what was typed is kept, not selected
        await pilot.press("backspace")
        await settle(pilot)
        assert screen.query_one("#search", Input).value == "陈"
        no_errors(app)


def test_pinyin_initials():
    assert "wjg" in initials("王建国")
    assert {"zw", "cw"} <= set(initials("曾伟"))  # 曾 is read either way as a surname
    assert rank("xmsf", "刑满释放人员") == 1
    assert rank("刑满", "刑满释放人员") == 0
    assert rank("jz", "社区矫正对象") is not None and rank("jz", "刑满释放人员") is None


async def test_a_choice_list_is_typed_into_by_pinyin_initials(root: Path):
    app = make_app(root)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        await pilot.press("2")  # 特殊人群
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        await focus_field(pilot, "category")
        await type_text(pilot, "xmsf")  # closed: taken at once
        assert form.raw()["category"] == "released"
        await pilot.pause(1.1)  # a pause starts a new search
        await pilot.press("enter")  # open
        await type_text(pilot, "sqjz")
        await pilot.press("enter")
        await pilot.pause()
        assert form.raw()["category"] == "corrections"
        no_errors(app)


async def test_the_picker_and_the_palette_find_by_initials(persons: Path):
    app = make_app(persons)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        await pilot.press("3")  # 随访记录
        await settle(pilot)
        await focus_field(pilot, "person")
        await pilot.press("w")  # typing opens the picker with the search started
        await settle(pilot)
        assert isinstance(app.screen, RecordPicker)
        await type_text(pilot, "jg")
        await settle(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.raw()["person"] == "p-wang"
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert CommandPalette.is_open(app)
        await type_text(pilot, "jlsf")  # 记录：随访记录
        await pilot.pause(0.5)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecordsScreen) and app.screen.form_id == "followup"
        no_errors(app)


# -- 3 and 4. due list and home counts -------------------------------------------------------


async def test_due_soon_below_the_overdue_and_counted_on_home(persons: Path):
    seed(
        persons,
        "person",
        {"category": "drug_rehab", "name": "赵强", "id_number": "440524198001010021"}
        | {"start_date": "2026-06-01"},
        at="2026-06-01T09:00:00+08:00",
        record_id="p-zhao",
    )  # monthly, never visited: overdue since 2026-07-01
    app = make_app(persons)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        line = str(app.screen.query_one("#due-count", Static).content)
        # 陈静 (3级: two weeks after 11-10) is due today; 张伟 on 11-27, in three days.
        assert "逾期 1 人，今天到期 1 人，7 天内到期 1 人" in line
        assert "在管 4 人" in line
        screen = await open_list(pilot, "v")
        assert isinstance(screen, DueScreen)
        assert [r.id for r in screen.hits] == ["p-zhao", "p-chen", "p-zhang"]
        table = screen.query_one("#table", DataTable)
        states = [str(table.get_cell_at((i, 1))) for i in range(3)]
        assert states == ["逾期146天", "今天到期 · 联合", "3天后到期"]
        count = str(screen.query_one("#count", Static).content)
        assert count == "逾期 1 人，今天到期 1 人，7 天内到期 1 人"
        no_errors(app)


async def test_home_counts_what_was_registered_this_month(persons: Path):
    app = make_app(persons)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        row = [str(c) for c in app.screen.query_one("#forms", DataTable).get_row_at(1)]
        # Registered (entered) in October 2026 and in 2024/2025, whatever their 纳入管理日期.
        assert row[1:4] == ["特殊人群", "0", "1"]
        no_errors(app)


def test_counts_go_by_when_a_person_was_registered(root: Path):
    seed(
        root,
        "person",
        {
            "category": "drug_rehab",
            "name": "赵强",
            "id_number": OTHER_ID,
            "start_date": "2024-05-01",
        },
        at="2026-11-23T09:00:00+08:00",
        record_id="p-zhao",
    )
    with Workspace(root, today=TODAY) as ws:
        assert ws.counts(2026, 11)["person"] == (1, 1)  # managed since 2024, registered today


# -- 5. rules on edit; one level -----------------------------------------------------------


async def test_changing_the_risk_level_on_edit_moves_the_proposed_next_visit(persons: Path):
    app = make_app(persons)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        visit = app.ws.get_live("v-chen")
        assert visit["data"]["next_visit"] == "2026-11-24"  # 3级: two weeks
        app.open_form("followup", visit)
        await settle(pilot)
        form = app.screen
        await choose(pilot, "risk_level", "1级")
        assert form.raw()["next_visit"] == "2027-01-10"  # 1级: two months
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.ws.get_live("v-chen")["data"]["next_visit"] == "2027-01-10"
        no_errors(app)


async def test_a_next_visit_typed_by_hand_stays_on_edit(persons: Path):
    with Workspace(persons, today=TODAY) as ws:
        ws.edit("v-chen", {"next_visit": "2026-11-30"})
    app = make_app(persons)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        app.open_form("followup", app.ws.get_live("v-chen"))
        await settle(pilot)
        await choose(pilot, "risk_level", "1级")
        assert app.screen.raw()["next_visit"] == "2026-11-30"
        no_errors(app)


async def test_one_effective_level_on_the_person_page(persons: Path):
    app = make_app(persons)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        app.push_screen(PersonDetailScreen("p-chen"))
        await settle(pilot)
        page = app.screen
        title = str(page.query_one("#person-title").content)
        assert "3级" in title and "2级" not in title
        schedule = str(page.query_one("#person-schedule", Static).content)
        assert "当前级别：3级" in schedule
        assert page._level(app.ws.get_live("p-chen"), page._visits(), "2级") == (
            "3级（2026-11-10 随访评估；登记为 2级）"
        )
        app.open_records("person")
        await settle(pilot)
        row = [str(c) for c in app.screen.query_one("#table", DataTable).get_row_at(1)]
        assert "3级" in row
        no_errors(app)


# -- 6. checks before saving a visit ---------------------------------------------------------


async def test_a_visit_later_today_is_refused(persons: Path):
    later = datetime.combine(TODAY, datetime.now().time()) + timedelta(hours=2)
    app = make_app(persons)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        app.open_form("followup", prefill={"person": "p-wang"})
        await settle(pilot)
        form = app.screen
        await fill(pilot, "date", later.strftime("%Y-%m-%d %H:%M"))
        await choose(pilot, "condition", "稳定")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        problems = str(form.query_one("#problems", Static).content)
        assert "「随访时间」不能晚于" in problems
        assert len(newest_first(app.ws, "followup")) == 2
        no_errors(app)


async def test_a_second_visit_the_same_day_asks_first(persons: Path):
    app = make_app(persons)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        app.open_form("followup", prefill={"person": "p-wang"})
        await settle(pilot)
        form = app.screen
        await fill(pilot, "date", "2026-11-20 10:20")
        await choose(pilot, "condition", "稳定")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        asked = str(app.screen.query_one(".dialog-body", Static).content)
        assert "王建国 在 2026-11-20 10:00 已有随访记录" in asked
        await pilot.press("enter")  # 返回修改: nothing saved
        await settle(pilot)
        assert app.screen is form and len(newest_first(app.ws, "followup")) == 2
        await fill(pilot, "date", "2026-11-23 16:00")
        await pilot.press("ctrl+s")  # another day: saved without a question
        await settle(pilot)
        assert len(newest_first(app.ws, "followup")) == 3
        no_errors(app)


async def test_dashboard_counts_joint_visits_by_who_went(persons: Path):
    with Workspace(persons, today=TODAY) as ws:
        ws.add(
            "followup",
            {
                "person": "p-chen",
                "date": "2026-11-23 09:00",
                "condition": "stable",
                "risk_level": "3",
            },
        )  # 3级 but only 社区网格 went: not a joint visit
    app = make_app(persons)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await settle(pilot)
        row = app.screen.query_one("#dash-joint_visits")
        assert str(row.query_one(".dash-month").content) == "1"  # v-chen only
        assert str(app.screen.query_one("#dash-visits").query_one(".dash-month").content) == "3"
        no_errors(app)


# -- 7. small things ----------------------------------------------------------------------


async def test_tab_after_notes_goes_round_to_the_first_field(root: Path):
    app = make_app(root)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await settle(pilot)
        await focus_field(pilot, "notes")
        await pilot.press("tab")
        assert app.focused.id == "edit-category"
        no_errors(app)


async def test_required_choice_with_a_default_cannot_go_back_to_blank(root: Path):
    app = make_app(root)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        await pilot.press("3")  # 随访记录: 随访方式 is required, 入户面访 by default
        await settle(pilot)
        form = app.screen
        await focus_field(pilot, "method")
        await pilot.press("enter", "up", "enter")  # from the first choice, ↑ goes round
        await pilot.pause()
        assert form.raw()["method"] is not None
        select = form.query_one("#edit-method", Select)
        assert "请选择" not in [str(p) for p, _ in select._options]
        no_errors(app)


async def test_required_note_goes_once_the_field_is_filled(root: Path):
    app = make_app(root)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        await pilot.press("i")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IdentityScreen)
        assert str(screen.query_one("#identity-save").label).startswith("保存（")
        await pilot.press("home", "shift+end", "backspace")  # 网格员姓名 emptied
        await pilot.press("ctrl+s")
        await pilot.pause()
        note = screen.query_one("#row-worker .field-note", Static)
        assert str(note.content) == "必填"
        await type_text(pilot, "李娜")
        await pilot.pause()
        assert str(note.content) == ""
        await pilot.press("f1")
        await pilot.pause()
        keys = " ".join(str(s.content) for s in app.screen.query(Static))
        assert "保存并开始" not in keys
        no_errors(app)


async def test_the_save_summary_names_its_numbers(root: Path):
    app = make_app(root)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        await pilot.press("1")
        await settle(pilot)
        await fill(pilot, "title", "宪法宣传周进社区")
        await choose(pilot, "venue_type", "进社区")
        await fill(pilot, "participants", "200")
        await pilot.press("ctrl+s")
        await settle(pilot)
        body = str(app.screen.query_one(".dialog-body", Static).content)
        assert "参与人次 200" in body and "· 200" not in body
        no_errors(app)


async def test_os_errors_are_told_in_chinese(root: Path):
    app = make_app(root)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        app.report_error(PermissionError(errno.EACCES, "Permission denied", "/media/usb"))
        await pilot.pause()
        (shown,) = [n.message for n in app._notifications]
        assert shown == "无法完成：没有权限（/media/usb）"
        assert app.errors == []
        no_errors(app)


async def test_the_report_screen_says_its_name(root: Path):
    app = make_app(root)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen.sub_title == "年度报告和台账"
        no_errors(app)


async def test_grids_in_natural_order(root: Path):
    for i, grid in enumerate(["第三网格", "第十网格", "第一网格", "第二网格"]):
        seed(
            root,
            "person",
            {
                "category": "drug_rehab",
                "name": f"人{i}",
                "id_number": ["110105198001010016", OTHER_ID, PERSON_ID, "440524198001010021"][i],
                "grid": grid,
                "start_date": "2026-01-01",
            },
            at="2026-01-01T09:00:00+08:00",
            record_id=f"p-{i}",
        )
    assert sorted(["第三网格", "第十一网格", "第二网格"], key=natural_key) == [
        "第二网格",
        "第三网格",
        "第十一网格",
    ]
    app = make_app(root)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        screen = await open_list(pilot, "p")
        grids = [str(p) for p, _ in screen.query_one("#grid", Select)._options][1:]
        assert grids == ["第一网格", "第二网格", "第三网格", "第十网格"]
        no_errors(app)


async def test_a_burst_typed_over_the_list_all_goes_to_the_search(persons: Path):
    """The first key moves focus to the search box; the keys right behind it still count."""
    app = make_app(persons)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        screen = await open_list(pilot, "p")
        screen.query_one("#table").focus()
        await pilot.pause()
        await type_text(pilot, "陈静")  # in one burst, as a terminal delivers queued keys
        await settle(pilot)
        assert screen.query_one("#search", Input).value == "陈静"
        assert [r.id for r in screen.hits] == ["p-chen"]
        no_errors(app)
