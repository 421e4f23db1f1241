"""Finding, reading, editing and deleting records."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from fieldkit.tui.screens.detail import DetailScreen
from fieldkit.tui.screens.entry import FormScreen
from fieldkit.tui.screens.history import HistoryScreen
from fieldkit.tui.screens.records import RecordsScreen
from fieldkit.views.history import record_history
from fieldkit.views.records import newest_first
from fieldkit.workspace import Workspace

from .conftest import (
    PERSON_ID,
    SIZE,
    TODAY,
    choose,
    fill,
    make_app,
    no_errors,
    ready,
    seed,
    settle,
    type_text,
)

EVENTS = [
    ("2026-11-20", "宪法宣传周进社区", "community"),
    ("2026-03-15", "消费者权益日咨询", "estate"),
    ("2025-12-04", "国家宪法日集中宣传", "school"),
]


@pytest.fixture
def events(root: Path) -> Path:
    for i, (day, title, venue) in enumerate(EVENTS):
        seed(
            root,
            "outreach",
            {"date": day, "title": title, "venue_type": venue, "participants": 10 * (i + 1)},
            at=f"{day}T10:00:00+08:00",
            record_id=f"o-{i}",
        )
    return root


async def open_records(pilot, row: int = 0) -> DataTable:
    app = pilot.app
    app.screen.query_one("#forms", DataTable).move_cursor(row=row)
    await pilot.press("r")
    await settle(pilot)
    assert isinstance(app.screen, RecordsScreen)
    return app.screen.query_one("#table", DataTable)


def titles(table: DataTable) -> list[str]:
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


async def test_list_is_newest_first_and_filters_as_you_type(events: Path):
    app = make_app(events)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        table = await open_records(pilot)
        assert titles(table) == [t for _, t, _ in EVENTS]
        await type_text(pilot, "宪法")  # typing goes to the search box
        await settle(pilot)
        assert titles(table) == ["宪法宣传周进社区", "国家宪法日集中宣传"]
        assert app.screen.query_one("#count", Static).render().plain == "共 2 条"
        await type_text(pilot, " 社区")  # every word must match
        await settle(pilot)
        assert titles(table) == ["宪法宣传周进社区"]
        await pilot.press("ctrl+u")  # clear the search: Input's own key
        await settle(pilot)
        # Year filter, with the keyboard.
        app.screen.query_one("#year").focus()
        await pilot.press("enter", "down", "down", "enter")  # 全部年份 -> 2026 -> 2025
        await settle(pilot)
        assert titles(table) == ["国家宪法日集中宣传"]
        no_errors(app)


async def test_id_numbers_masked_in_list_full_in_detail(root: Path):
    seed(
        root,
        "person",
        {"category": "cult", "name": "钱明", "id_number": PERSON_ID, "level": "general"},
        at="2026-05-01T09:00:00+08:00",
        record_id="p-1",
    )
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        table = await open_records(pilot, row=1)
        cells = [str(c) for c in table.get_row_at(0)]
        assert "110105********002X" in cells
        assert PERSON_ID not in cells
        # The full number is searchable even though it is shown masked.
        await type_text(pilot, PERSON_ID[-6:])
        await settle(pilot)
        assert table.row_count == 1
        await pilot.press("enter")  # to the table
        await pilot.press("enter")  # open
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        text = screen_text(app)
        assert PERSON_ID in text
        assert "涉邪教人员" in text and "一般" in text  # labels, not codes
        assert "女" in text or "男" in text
        no_errors(app)


def screen_text(app) -> str:
    """What the screen shows, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_edit_makes_a_new_version_seen_in_history(events: Path):
    app = make_app(events)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        table = await open_records(pilot)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        assert app.screen.query_one("#edit-title").value == "宪法宣传周进社区"
        await fill(pilot, "title", "宪法宣传周进社区第二场")
        await choose(pilot, "venue_type", "进小区")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RecordsScreen)
        assert titles(table)[0] == "宪法宣传周进社区第二场"
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        text = screen_text(app)
        assert "第 1 版" in text and "第 2 版" in text
        assert "活动名称：宪法宣传周进社区 → 宪法宣传周进社区第二场" in text
        assert "宣传场所：进社区 → 进小区" in text
        no_errors(app)
    with Workspace(events, today=TODAY) as ws:
        steps = record_history(ws, "o-0")
        assert [s.version["data"]["title"] for s in steps] == [
            "宪法宣传周进社区",
            "宪法宣传周进社区第二场",
        ]


async def test_history_of_an_edit_back_to_earlier_content_shows_every_version(events: Path):
    """A→B→A is three versions (the third says the same as the first, but is a new edit)."""
    with Workspace(events, today=TODAY) as ws:
        ws.edit("o-0", {"title": "宪法宣传周进社区（改）"})
        ws.edit("o-0", {"title": "宪法宣传周进社区"})
    app = make_app(events)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await open_records(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        assert "共 3 个版本" in screen_text(app)
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        text = screen_text(app)
        assert "共 3 个版本" in text
        assert "第 1 版" in text and "第 2 版" in text and "第 3 版" in text
        assert "新建" in text
        assert "活动名称：宪法宣传周进社区 → 宪法宣传周进社区（改）" in text
        assert "活动名称：宪法宣传周进社区（改） → 宪法宣传周进社区" in text
        versions = app.screen.query(".history-version")
        assert len(versions) == 3
        assert [v.has_class("-current") for v in versions] == [False, False, True]
        assert "（当前）" in str(versions[2].content)
        assert "设备：李娜（第一网格，" in str(versions[0].content)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        no_errors(app)


async def test_the_cli_and_the_app_list_visits_of_a_day_in_one_order(root: Path):
    seed(
        root,
        "person",
        {"category": "released", "name": "张伟", "id_number": PERSON_ID},
        at="2026-11-01T09:00:00+08:00",
        record_id="p-1",
    )
    # Saved in none of the list's orders: a later visit saved first, two of one moment.
    for record_id, at, saved in (
        ("v-1", "2026-11-20 16:30", "08:00"),
        ("v-2", "2026-11-20 09:00", "18:00"),
        ("v-3", "2026-11-20 11:15", "12:00"),
        ("v-4", "2026-11-20 11:15", "12:00"),
    ):
        data = {"person": "p-1", "date": at, "condition": "stable"}
        seed(root, "followup", data, at=f"2026-11-20T{saved}:00+08:00", record_id=record_id)
    proc = subprocess.run(
        [sys.executable, "-m", "fieldkit.cli.main", "list", "followup", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "FIELDKIT_DATA_DIR": str(root)},
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    cli = [json.loads(line)["id"] for line in proc.stdout.splitlines()]
    assert cli == ["v-1", "v-4", "v-3", "v-2"]  # by time, then last change, then id
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        row = next(i for i, f in enumerate(app.ws.forms) if f.id == "followup")
        await open_records(pilot, row)
        assert [e.id for e in app.screen.hits] == cli
        no_errors(app)


async def test_delete_asks_then_hides(events: Path):
    app = make_app(events)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        table = await open_records(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert app.screen.query_one(".dialog-title").render().plain == "删除这条记录？"
        await pilot.press("enter")  # the focused answer is 取消: Enter alone never deletes
        await settle(pilot)
        assert len(titles(table)) == 3
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert titles(table) == ["消费者权益日咨询", "国家宪法日集中宣传"]
        no_errors(app)
    with Workspace(events, today=TODAY) as ws:
        assert ws.store.get("o-0")["deleted"] is True
        assert [r["id"] for r in newest_first(ws, "outreach")] == ["o-1", "o-2"]


async def test_home_counts_this_month_and_year(events: Path):
    app = make_app(events)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        row = [str(c) for c in app.screen.query_one("#forms", DataTable).get_row_at(0)]
        assert row[1:4] == ["普法宣传活动", "1", "2"]
        no_errors(app)


async def test_store_in_use_is_explained_not_a_crash(root: Path):
    with Workspace(root, today=TODAY):  # another program holds the data dir
        app = make_app(root)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert "正被另一个 fieldkit 程序使用" in app.open_error
            assert "无法打开数据目录" in app.screen.query_one("#who").render().plain
            await pilot.press("1")  # nothing to open: no crash, nothing happens
            await pilot.press("f1")
            await pilot.pause()
            assert app.is_running
            no_errors(app)


async def test_unexpected_error_is_a_notification_and_the_screen_stays(events: Path, monkeypatch):
    def broken(self, record_id: str) -> None:
        raise RuntimeError("模拟故障")

    monkeypatch.setattr(HistoryScreen, "__init__", broken)  # a bug behind the H key
    app = make_app(events)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        table = await open_records(pilot)
        await pilot.press("h")
        await pilot.pause()
        assert app.is_running
        assert isinstance(app.screen, RecordsScreen)
        assert len(titles(table)) == 3
        messages = [n.message for n in app._notifications]
        assert any("程序出错：RuntimeError" in m for m in messages), messages
        # The message may hold what was being worked on (a name): never shown, never in clear.
        assert not any("模拟故障" in m for m in messages), messages
        assert [type(e) for e in app.errors] == [RuntimeError]
        app.errors.clear()
    log = (events / "fieldkit.log").read_text(encoding="utf-8")
    assert "builtins.RuntimeError" in log  # what and where, in clear
    assert "模拟故障" not in log


async def test_a_record_deleted_meanwhile_is_explained(events: Path):
    app = make_app(events)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await open_records(pilot)
        with app.ws_lock:
            app.ws.delete("o-0")  # e.g. by an import in another part of the app
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, RecordsScreen)
        messages = [n.message for n in app._notifications]
        assert any("已删除" in m for m in messages), messages
        no_errors(app)


async def test_a_long_list_grows_as_the_cursor_nears_its_end(root: Path):
    with Workspace(root, today=TODAY) as ws:
        ws.add_many(
            "outreach",
            [
                {"date": "2026-05-01", "title": f"活动{n}", "venue_type": "community"}
                for n in range(250)
            ],
        )
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        table = await open_records(pilot)
        assert table.row_count == 100  # a page at a time
        assert (
            app.screen.query_one("#count", Static).render().plain
            == "共 250 条，已显示 100 条（向下翻页显示更多）"
        )
        table.focus()
        await pilot.press(*["pagedown"] * 6)
        await settle(pilot)
        assert table.row_count == 200
        await pilot.press(*["pagedown"] * 6)
        await settle(pilot)
        assert table.row_count == 250
        assert app.screen.query_one("#count", Static).render().plain == "共 250 条"
