"""Entering records by keyboard only: every form, the checks, relevance and drafts."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.widgets import DataTable, Input, Static

from fieldkit.tui.drafts import draft_key
from fieldkit.tui.screens.entry import FormScreen
from fieldkit.tui.screens.home import HomeScreen
from fieldkit.tui.screens.records import RecordsScreen
from fieldkit.tui.widgets.picker import RecordPicker
from fieldkit.workspace import Workspace

from .conftest import (
    PERSON_ID,
    SIZE,
    TODAY,
    choose,
    fill,
    first_run_passphrase,
    focus_field,
    make_app,
    no_errors,
    paste,
    ready,
    seed,
    settle,
    stored,
    type_text,
)

FORM_NUMBER = {
    "outreach": "1",
    "person": "2",
    "followup": "3",
    "mediation": "4",
    "consultation": "5",
    "meeting": "6",
}


async def enter_outreach(pilot):
    await fill(pilot, "title", "宪法宣传周进社区")
    await choose(pilot, "venue_type", "进社区")
    await focus_field(pilot, "laws")
    await pilot.press("space", "right", "space")  # 宪法, 民法典
    await fill(pilot, "participants", "120")
    return "宪法宣传周进社区"


async def enter_person(pilot):
    await choose(pilot, "category", "刑满释放人员")
    await fill(pilot, "name", "王建国")
    await fill(pilot, "id_number", PERSON_ID.lower())  # x typed in lower case is accepted
    await fill(pilot, "phone", "13800138000")
    await choose(pilot, "level", "重点")
    return "王建国"


async def enter_followup(pilot):
    await focus_field(pilot, "person")
    await pilot.press("enter")
    await settle(pilot)
    await type_text(pilot, "张伟")
    await settle(pilot)
    await pilot.press("enter")
    await pilot.pause()
    await choose(pilot, "condition", "稳定")
    return "张伟"


async def enter_mediation(pilot):
    await choose(pilot, "dispute_type", "邻里")
    await fill(pilot, "parties", "赵甲与钱乙")
    await focus_field(pilot, "summary")
    await type_text(pilot, "楼上漏水引发纠纷")
    return "赵甲与钱乙"


async def enter_consultation(pilot):
    await fill(pilot, "topic", "房屋租赁合同咨询")
    await fill(pilot, "advisor", "孙律师")
    return "房屋租赁合同咨询"


async def enter_meeting(pilot):
    await choose(pilot, "kind", "法治专题讲座")
    await fill(pilot, "title", "民法典专题讲座")
    await fill(pilot, "participants", "45")
    return "民法典专题讲座"


ENTER = {
    "outreach": enter_outreach,
    "person": enter_person,
    "followup": enter_followup,
    "mediation": enter_mediation,
    "consultation": enter_consultation,
    "meeting": enter_meeting,
}


def with_person(root: Path) -> None:
    seed(
        root,
        "person",
        {"category": "released", "name": "张伟", "id_number": "440524188001010014", "level": "key"},
        at="2026-01-05T09:00:00+08:00",
        record_id="p-zhangwei",
    )


@pytest.mark.parametrize("form_id", list(FORM_NUMBER))
async def test_every_form_by_keyboard(root: Path, form_id: str):
    """A valid record of each form, typed with keys only, is saved, listed and findable."""
    with_person(root)
    app = make_app(root)
    saved_titles = {}
    number = FORM_NUMBER[form_id]
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press(number)
        await pilot.pause()
        assert isinstance(app.screen, FormScreen), form_id
        saved_titles[form_id] = await ENTER[form_id](pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.query_one(".dialog-title").render().plain.startswith("已保存"), form_id
        await pilot.press("escape")  # 完成: back home
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen), form_id

        # Find it in the list: R opens the records, typing filters them.
        table = app.screen.query_one("#forms", DataTable)
        table.move_cursor(row=int(number) - 1)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, RecordsScreen)
        await type_text(pilot, saved_titles[form_id][:3])
        await settle(pilot)
        rows = app.screen.query_one("#table", DataTable)
        assert rows.row_count >= 1, form_id
        cells = [str(c) for c in rows.get_row_at(0)]
        assert any(saved_titles[form_id][:3] in c for c in cells), (form_id, cells)
        await pilot.press("escape")
        await settle(pilot)
        no_errors(app)

    for form_id, title in saved_titles.items():
        records = stored(root, form_id)
        assert records, form_id
        if form_id == "person":
            person = next(r for r in records if r["data"]["name"] == "王建国")
            assert person["data"]["id_number"] == PERSON_ID
            assert person["data"]["grid"] == "第一网格"  # default from the identity
            assert person["data"]["end_date"] == "2031-11-24"  # computed: 5 years
        if form_id == "followup":
            visit = records[0]["data"]
            assert visit["person"] == "p-zhangwei"
            assert visit["next_visit"] == "2026-12-24"  # 重点: monthly, proposed by the rules
            assert visit["departments"] == ["grid"]
        if form_id == "outreach":
            data = records[0]["data"]
            assert data == {
                "date": TODAY.isoformat(),
                "title": title,
                "venue_type": "community",
                "theme": "daily",
                "laws": ["constitution", "civil_code"],
                "participants": 120,
            }
        if form_id == "mediation":
            # A laptop with no block of case numbers from its office leaves it to the office.
            assert "case_no" not in records[0]["data"]
            assert records[0]["data"]["mediators"] == "李娜"


def note(app, field_id: str) -> str:
    return app.screen.query_one(f"#row-{field_id} .field-note", Static).render().plain


async def test_invalid_id_number_is_explained_and_nothing_saved(root: Path):
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await choose(pilot, "category", "社区戒毒人员")
        await fill(pilot, "name", "刘洋")
        await fill(pilot, "id_number", "110105194912310021")  # wrong check character
        await pilot.press("tab")  # leaving the field shows its problem at once
        assert "校验" in note(app, "id_number")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        assert "校验" in note(app, "id_number")
        assert "身份证号" in app.screen.query_one("#problems", Static).render().plain
        assert app.focused.id == "edit-id_number"
        assert app.focused.value == "110105194912310021"  # typed values stay
        assert app.screen.query_one("#edit-name").value == "刘洋"
        no_errors(app)
    assert stored(root, "person") == []


async def test_closed_before_accepted(root: Path):
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("4")
        await choose(pilot, "dispute_type", "合同")
        await fill(pilot, "parties", "周甲与吴乙")
        await focus_field(pilot, "summary")
        await type_text(pilot, "货款纠纷")
        await choose(pilot, "result", "调解成功")
        await choose(pilot, "agreement", "书面")
        await fill(pilot, "closed", "2026-11-20")
        await fill(pilot, "accepted", "2026-11-23")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        assert note(app, "closed") == "结案日期不能早于受理日期"
        assert app.focused.id == "edit-closed"
        assert app.screen.query_one("#edit-parties").value == "周甲与吴乙"
        no_errors(app)
    assert stored(root, "mediation") == []


async def test_missing_required_field(root: Path):
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("1")
        await fill(pilot, "location", "社区广场")
        await pilot.press("ctrl+s")
        await pilot.pause()
        problems = app.screen.query_one("#problems", Static).render().plain
        assert "「活动名称」为必填项" in problems
        assert "「宣传场所」为必填项" in problems
        assert note(app, "title") == "为必填项，请填写"
        assert app.focused.id == "edit-title"  # the first problem
        assert app.screen.query_one("#edit-location").value == "社区广场"
        # Fixing one field updates its note at once.
        await type_text(pilot, "法律咨询日")
        assert note(app, "title") == ""
        no_errors(app)
    assert stored(root, "outreach") == []


async def test_relevance_and_dependent_choices(root: Path):
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("4")
        row = app.screen.query_one("#row-fulfilment")
        assert not row.display
        await choose(pilot, "result", "调解成功")
        assert row.display
        assert app.screen.query_one("#row-revisit_date").display
        assert app.screen.query_one("#row-agreement .field-label").render().plain.endswith("*")
        await choose(pilot, "result", "调解中")
        assert not row.display
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("x")  # discard what was typed
        await pilot.pause()

        await pilot.press("2")
        await pilot.pause()
        assert not app.screen.query_one("#row-level").display
        assert not app.screen.query_one("#row-guardian").display
        await choose(pilot, "category", "社区矫正对象")
        level = app.screen.query_one("#edit-level")
        assert [str(p) for p, _ in level._options][1:] == ["严管", "普管", "宽管"]
        await choose(pilot, "category", "严重精神障碍患者")
        assert [str(p) for p, _ in level._options][1:] == [f"{n}级" for n in range(6)]
        assert app.screen.query_one("#row-guardian").display
        no_errors(app)


async def test_followup_fields_follow_the_person(root: Path):
    """Risk level appears only for a mental-health patient, found by ID number."""
    seed(
        root,
        "person",
        {"category": "mental", "name": "陈静", "id_number": PERSON_ID, "level": "1"},
        at="2026-02-01T09:00:00+08:00",
        record_id="p-chen",
    )
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await pilot.pause()
        assert not app.screen.query_one("#row-risk_level").display
        await focus_field(pilot, "person")
        await type_text(pilot, "1101051949")  # typing opens the picker and searches
        await settle(pilot)
        options = app.screen.query_one("#picker-list")
        assert options.option_count == 1
        assert "110105********002X" in str(options.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one("#row-risk_level").display
        await choose(pilot, "risk_level", "3级")
        # 3级 and above: a visit within two weeks, proposed by the rules.
        assert app.screen.query_one("#edit-next_visit").value == "2026-12-08"
        no_errors(app)


async def test_a_pasted_id_number_finds_the_person(root: Path):
    """Copied from a spreadsheet cell (with its line end): one picker, searching for it."""
    seed(
        root,
        "person",
        {"category": "mental", "name": "陈静", "id_number": PERSON_ID, "level": "1"},
        at="2026-02-01T09:00:00+08:00",
        record_id="p-chen",
    )
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await pilot.pause()
        await focus_field(pilot, "person")
        await paste(pilot, f"{PERSON_ID}\r\n")
        await settle(pilot)
        assert sum(isinstance(s, RecordPicker) for s in app.screen_stack) == 1
        assert app.screen.query_one("#picker-query", Input).value == PERSON_ID
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        assert app.screen.query_one("#edit-person").get_raw() == "p-chen"
        no_errors(app)


async def test_draft_survives_restart(root: Path):
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("1")
        await fill(pilot, "title", "防范电信诈骗宣传")
        await fill(pilot, "participants", "80")
        await pilot.pause()
    # The app was closed with the form open (a kill leaves the same file: it is written as
    # the user types). Next time the draft is offered back.
    assert (root / "drafts" / f"{draft_key('outreach')}.json").exists()
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert "有草稿" in [str(c) for c in app.screen.query_one("#forms").get_row_at(0)]
        await pilot.press("1")
        await pilot.pause()
        assert app.screen.query_one(".dialog-title").render().plain == "有上次没填完的草稿"
        await pilot.press("enter")  # 继续填写草稿
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        assert app.screen.query_one("#edit-title").value == "防范电信诈骗宣传"
        assert app.screen.query_one("#edit-participants").value == "80"
        await choose(pilot, "venue_type", "进学校")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        no_errors(app)
    assert not (root / "drafts" / f"{draft_key('outreach')}.json").exists()
    assert stored(root, "outreach")[0]["data"]["title"] == "防范电信诈骗宣传"


async def test_leaving_a_changed_form_asks(root: Path):
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("6")
        await fill(pilot, "title", "学习会")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one(".dialog-title").render().plain == "这张表还没有保存"
        await pilot.press("escape")  # 继续填写
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        assert app.screen.query_one("#edit-title").value == "学习会"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("k")  # keep the draft and leave
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        no_errors(app)
    assert (root / "drafts" / f"{draft_key('meeting')}.json").exists()


async def test_first_run_writes_identity(tmp_path: Path):
    root = tmp_path / "fresh"
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await first_run_passphrase(pilot, None)  # the passphrase is asked first
        assert app.screen.id == "identity"
        await pilot.press("ctrl+s")  # nothing typed: says what is missing
        assert "必填" in app.screen.query_one("#row-worker .field-note").render().plain
        await type_text(pilot, "赵敏")
        await pilot.press("enter")
        await type_text(pilot, "第三网格")
        await pilot.press("enter")
        await type_text(pilot, "西城街道办事处")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert "赵敏 · 第三网格" in app.screen.query_one("#who").render().plain
        no_errors(app)
    with Workspace(root) as ws:
        ident = ws.identity
    assert (ident.worker, ident.grid, ident.org, ident.abbr) == (
        "赵敏",
        "第三网格",
        "西城街道办事处",
        "西",
    )


async def test_keys_typed_while_the_app_is_busy_land_where_they_were_typed(root: Path):
    """A burst ("学习会", Tab, "12", Tab, "备注") fills three fields, not the first one."""
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("6")
        await pilot.pause()
        await focus_field(pilot, "title")
        for key in [*"学习会", "tab", "1", "2", "tab", *"备注"]:
            event = events.Key(key, key if len(key) == 1 else None)
            event.set_sender(app)
            app.post_message(event)  # all at once, as the terminal delivers queued keys
        await settle(pilot)
        form = app.screen
        assert form.query_one("#edit-title").value == "学习会"
        assert form.query_one("#edit-participants").value == "12"
        assert form.query_one("#edit-notes").text == "备注"
        no_errors(app)


async def test_an_open_choice_list_names_its_keys_in_chinese(root: Path):
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("6")
        await pilot.pause()
        await focus_field(pilot, "kind")
        await pilot.press("enter")  # the list opens
        await settle(pilot)
        shown = [getattr(w, "description", "") for w in app.screen.query("FooterKey")]
        assert "收起列表" in shown and "Dismiss menu" not in shown
        no_errors(app)
