"""The report screen, driven with keys: figures of the year, then the draft and the ledgers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import docx
import openpyxl
import pytest
from report_support import IDS, load_into
from textual.widgets import Checkbox, DataTable, Input, ProgressBar, Select, Static

from fieldkit.reports import ledger
from fieldkit.store import vault
from fieldkit.tui.screens import report as report_screen
from fieldkit.tui.screens.dialogs import ChoiceDialog
from fieldkit.tui.screens.report import Job, ReportScreen
from fieldkit.views.monthly import monthly_series
from fieldkit.workspace import Workspace

from .conftest import TODAY, make_app, no_errors, ready, settle


@pytest.fixture
def data(root: Path) -> Path:
    with Workspace(root, today=TODAY) as ws:
        load_into(ws)
    return root


async def open_report(pilot) -> ReportScreen:
    await ready(pilot)
    await pilot.press("y")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReportScreen)
    for _ in range(50):  # choices, then the figures, each from a thread worker
        await settle(pilot)
        if screen.figures is not None:
            break
    return screen


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).content)


async def wait_idle(pilot, screen: ReportScreen) -> None:
    for _ in range(100):
        await settle(pilot)
        if not screen.busy:
            return
    raise AssertionError("generation did not finish")


async def test_the_years_figures_are_shown(data: Path):
    app = make_app(data)
    async with app.run_test(size=(110, 40)) as pilot:
        screen = await open_report(pilot)
        assert screen.query_one("#year", Select).value == 2026
        summary = text_of(screen, "#summary")
        assert "普法活动 3 场次" in summary and "随访 5 次（联合随访 2 次）" in summary
        assert "受理纠纷 5 件（成功率 60%）" in summary
        table = screen.query_one("#figures", DataTable)
        rows = {
            str(table.get_row_at(i)[0]).strip(): table.get_row_at(i)[1]
            for i in range(table.row_count)
        }
        assert rows["普法宣传活动（场次）"] == "3" and rows["在册管理（人）"] == "3"
        no_errors(app)


async def test_a_grid_shows_its_figures_and_what_was_left_out(data: Path):
    app = make_app(data)
    async with app.run_test(size=(110, 40)) as pilot:
        screen = await open_report(pilot)
        screen.query_one("#grid", Select).value = "第一网格"
        for _ in range(50):
            await settle(pilot)
            if screen.figures is not None and screen.figures.grid == "第一网格":
                break
        assert "随访 3 次" in text_of(screen, "#summary")
        assert "没有网格信息，未计入“第一网格”" in text_of(screen, "#ungridded")
        no_errors(app)


async def test_generate_both_with_progress_and_paths(data: Path):
    app = make_app(data)
    async with app.run_test(size=(110, 40)) as pilot:
        screen = await open_report(pilot)
        screen.query_one("#mask", Checkbox).value = True
        await pilot.press("g")
        await wait_idle(pilot, screen)
        bar = screen.query_one("#progress", ProgressBar)
        assert bar.progress == bar.total == 11
        assert len(screen.written) == 2
        draft, ledger = screen.written
        assert draft.parent == data / "exports" and draft.suffix == ".docx"
        assert str(draft) in text_of(screen, "#written") and str(ledger) in text_of(
            screen, "#written"
        )
        text = "\n".join(p.text for p in docx.Document(str(draft)).paragraphs)
        assert "全年受理矛盾纠纷5件" in text
        sheet = openpyxl.load_workbook(ledger)["特殊人群"]
        assert IDS[0] not in [c.value for c in sheet["D"]]  # masked, as ticked
        no_errors(app)


async def test_generating_again_keeps_the_edited_draft_and_says_where_the_new_one_is(data: Path):
    app = make_app(data)
    async with app.run_test(size=(110, 40)) as pilot:
        screen = await open_report(pilot)
        await pilot.press("d")
        await wait_idle(pilot, screen)
        [draft] = screen.written
        edited = docx.Document(str(draft))
        edited.add_paragraph("街道补写的内容。")
        edited.save(str(draft))
        before = draft.read_bytes()
        await pilot.press("d")
        await wait_idle(pilot, screen)
        [again] = screen.written
        assert draft.read_bytes() == before
        assert again.name.endswith("（草稿2）.docx")
        shown = text_of(screen, "#written")
        assert f"同名文件 {draft.name} 已存在" in shown and str(again) in shown
        no_errors(app)


async def test_back_to_home_with_escape(data: Path):
    app = make_app(data)
    async with app.run_test(size=(110, 40)) as pilot:
        await open_report(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.id == "home"
        no_errors(app)


async def test_monthly_series_for_the_dashboard(data: Path):
    app = make_app(data)
    async with app.run_test(size=(110, 40)) as pilot:
        await ready(pilot)
        series = monthly_series(app.ws, 2026, lock=app.ws_lock)
        assert sum(series["visits"]) == 5 and series["mediations"][1] == 1
        no_errors(app)


async def test_a_folder_that_is_not_there_is_made_only_when_the_user_agrees(
    data: Path, tmp_path: Path
):
    stick = tmp_path / "U盘" / "报告"
    app = make_app(data)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_report(pilot)
        screen.query_one("#save-folder", Input).value = str(stick)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)  # the stick may not be plugged in
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and not stick.exists() and not screen.written
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("m")  # 新建文件夹并保存
        await wait_idle(pilot, screen)
        [draft] = screen.written
        assert draft.parent == stick and draft.suffix == ".docx"
        assert draft.name in text_of(screen, "#written")
        no_errors(app)


async def test_with_a_passphrase_files_go_outside_the_data_dir(tmp_path: Path, monkeypatch):
    """A full ledger must not lie unencrypted in an encrypted data dir: the folder offered is
    the user's documents, and one typed inside the data dir is refused with the reason."""
    documents = tmp_path / "文档"
    monkeypatch.setattr(report_screen.platformdirs, "user_documents_path", lambda: documents)
    root = tmp_path / "locked"
    vault.create(root, "口令不告诉别人 2026")
    with Workspace(root, today=TODAY) as ws:
        ws.set_identity(worker="李娜", grid="第一网格", org="东城街道办事处", abbr="东")
        load_into(ws)
    app = make_app(root)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_report(pilot)
        assert screen.query_one("#save-folder", Input).value == str(documents)
        await pilot.press("l")  # a full ledger (not masked)
        await wait_idle(pilot, screen)
        [ledger] = screen.written
        assert ledger.parent == documents
        (root / "exports").mkdir()
        screen.query_one("#save-folder", Input).value = str(root / "exports")
        await pilot.press("l")
        await wait_idle(pilot, screen)
        assert not list((root / "exports").iterdir())
        messages = [str(n.message) for n in app._notifications]
        assert any("数据目录" in m and "加密" in m for m in messages), messages


def test_the_progress_bar_counts_each_ledger_message_whatever_the_forms(ws_with_a_seventh_form):
    ws, output = ws_with_a_seventh_form
    said: list[str] = []
    ledger.write_ledger(ws, 2026, output=output, progress=said.append)
    assert len(ws.forms.forms) == 7
    assert len(said) == Job(report=False, ledger=True, forms=len(ws.forms.forms)).steps


@pytest.fixture
def ws_with_a_seventh_form(tmp_path):
    forms = tmp_path / "data" / "forms"
    forms.mkdir(parents=True)
    (forms / "hotline.toml").write_text(
        'id = "hotline"\nlabel = "热线"\nversion = 1\ndate_field = "date"\n'
        'title_field = "date"\n[[fields]]\nid = "date"\nlabel = "日期"\ntype = "date"\n',
        "utf-8",
    )
    with Workspace(tmp_path / "data", today=date(2026, 11, 24)) as ws:
        ws.set_identity(worker="李娜", grid="第一网格", org="东城街道办事处", abbr="东")
        ws.add("meeting", {"date": "2026-03-02", "kind": "lecture", "title": "讲座"})
        yield ws, tmp_path / "ledger.xlsx"
