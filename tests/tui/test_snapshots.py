"""What the main screens look like at 80×24 and at 100×30 (fixed day, fixed records, no cursor
blink): at both sizes nothing may be cut.

Update after an intended change with: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, TabbedContent, TextArea

from fieldkit.sync.export import export
from fieldkit.sync.merge import import_files
from fieldkit.workspace import Workspace

from .conftest import PERSON_ID, SIZES, TODAY, make_app, open_site, ready, seed, settle


@pytest.fixture
def steady_root(tmp_path: Path) -> Path:
    """A data dir with an identity and fixed keys: the same fingerprint on every run."""
    root = tmp_path / "steady"
    open_site(root, "李娜", "第一网格", seed=3).close()
    return root


@pytest.fixture
def data(steady_root: Path) -> Path:
    root = steady_root
    seed(
        root,
        "person",
        {
            "category": "mental",
            "name": "陈静",
            "id_number": PERSON_ID,
            "phone": "13800138000",
            "level": "2",
            "guardian": "陈父（父亲）13900139000",
            "start_date": "2025-06-01",
        },
        at="2025-06-01T09:00:00+08:00",
        record_id="00000000-0000-4000-8000-000000000001",
    )
    for i, (day, title, venue, theme, people) in enumerate(
        [
            ("2026-11-20", "宪法宣传周进社区集中宣传", "community", "constitution_week", 120),
            ("2026-11-06", "防范电信诈骗进小区", "estate", "daily", 60),
            ("2026-06-26", "国际禁毒日主题宣传", "school", "drugs_0626", 300),
            ("2026-03-15", "消费者权益日现场咨询", "enterprise", "consumer_0315", 85),
        ]
    ):
        seed(
            root,
            "outreach",
            {
                "date": day,
                "title": title,
                "venue_type": venue,
                "theme": theme,
                "participants": people,
            },
            at=f"{day}T15:00:00+08:00",
            record_id=f"00000000-0000-4000-8000-00000000010{i}",
        )
    return root


def still(pilot) -> None:
    """No blinking cursors: the same screen every time."""
    for widget in pilot.app.screen.query("Input, TextArea"):
        if isinstance(widget, Input | TextArea):
            widget.cursor_blink = False


@SIZES
def test_home(snap_compare, size, data: Path):
    async def run_before(pilot):
        await ready(pilot)

    assert snap_compare(make_app(data), terminal_size=size, run_before=run_before)


@SIZES
def test_form_with_error(snap_compare, size, data: Path):
    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("1")
        await pilot.pause()
        still(pilot)
        await pilot.press("ctrl+s")  # nothing filled in: the problems are listed
        await pilot.pause()
        pilot.app.clear_notifications()
        still(pilot)

    assert snap_compare(make_app(data), terminal_size=size, run_before=run_before)


@SIZES
def test_records_list(snap_compare, size, data: Path):
    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("r")
        await settle(pilot)
        screen = pilot.app.screen
        last = None
        for _ in range(100):  # until the list stops changing (a year filter may search again)
            await settle(pilot)
            await pilot.pause(0.05)
            if screen.query_one("#table").row_count and screen.updated_at == last:
                break
            last = screen.updated_at
        # The column widths are worked out when the table is idle; a key press and a pause
        # make sure it has been since the last rows arrived.
        await pilot.press("down", "up")
        await pilot.pause(0.1)
        still(pilot)

    assert snap_compare(make_app(data), terminal_size=size, run_before=run_before)


@SIZES
def test_detail(snap_compare, size, data: Path):
    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("down", "r")  # 特殊人群
        await settle(pilot)
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(make_app(data), terminal_size=size, run_before=run_before)


@SIZES
def test_devices_tab(snap_compare, size, office: Path, tmp_path: Path):
    """The office after importing a new laptop's first file: held, waiting for trust."""
    with Workspace(office, today=TODAY) as hub:
        open_site(tmp_path / "laptop", "李娜", "第一网格", office=hub, seed=8).close()
        seed(
            tmp_path / "laptop",
            "outreach",
            {"date": "2026-11-20", "title": "宪法宣传", "venue_type": "community"},
            at="2026-11-20T15:00:00+08:00",
            record_id="00000000-0000-4000-8000-000000000201",
        )
        with Workspace(tmp_path / "laptop", today=TODAY) as lap:
            path = export(lap, tmp_path / "usb").path
        import_files(hub, [path])

    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("s")
        await settle(pilot)
        pilot.app.screen.query_one(TabbedContent).active = "devices"
        await settle(pilot)
        await pilot.wait_for_scheduled_animations()
        pilot.app.screen.query_one("#device-table").focus()
        await settle(pilot)

    assert snap_compare(make_app(office), terminal_size=size, run_before=run_before)


@SIZES
def test_help(snap_compare, size, data: Path):
    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(make_app(data), terminal_size=size, run_before=run_before)


@SIZES
def test_identity(snap_compare, size, data: Path):
    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("i")
        await settle(pilot)
        still(pilot)

    assert snap_compare(make_app(data), terminal_size=size, run_before=run_before)


@SIZES
def test_dashboard(snap_compare, size, data: Path):
    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("t")
        await settle(pilot)

    assert snap_compare(make_app(data), terminal_size=size, run_before=run_before)


@SIZES
def test_history(snap_compare, size, data: Path):
    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)

    assert snap_compare(make_app(data), terminal_size=size, run_before=run_before)


@SIZES
def test_sync_export(snap_compare, size, data: Path):
    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("s")
        await settle(pilot)
        pilot.app.screen.query_one("#export-folder", Input).value = "/media/U盘"
        still(pilot)
        await settle(pilot)

    assert snap_compare(make_app(data), terminal_size=size, run_before=run_before)


@SIZES
def test_report(snap_compare, size, data: Path):
    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("y")
        for _ in range(50):  # the choices, then the figures, each from a thread worker
            await settle(pilot)
            if pilot.app.screen.figures is not None:
                break
        pilot.app.screen.query_one("#save-folder", Input).value = "/media/U盘/报告"
        still(pilot)
        await settle(pilot)

    assert snap_compare(make_app(data), terminal_size=size, run_before=run_before)
