"""The sync screens, driven with keys and buttons: export, import with a preview and progress,
a conflict resolved field by field, duplicate persons joined, rejected records listed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sync_support import hand_bundle
from textual.widgets import DataTable, SelectionList, Static, TabbedContent

from fieldkit.export import export
from fieldkit.records import new_record
from fieldkit.tui.sync_screens import ConflictScreen, SyncScreen
from fieldkit.versions import heads_of
from fieldkit.workspace import Workspace

from .conftest import PERSON_ID, TODAY, make_app, no_errors, ready, settle

PERSON = {
    "category": "严重精神障碍患者",
    "name": "王芳",
    "id_number": PERSON_ID,
    "start_date": "2026-01-05",
    "level": "1级",
}
VISIT = {"date": "2026-11-20 10:00", "condition": "稳定", "risk_level": "1级"}


def laptop(tmp: Path, name: str, worker: str, grid: str) -> Workspace:
    ws = Workspace(tmp / name, today=TODAY)
    ws.set_identity(worker=worker, grid=grid)
    return ws


@pytest.fixture
def usb(tmp_path: Path) -> Path:
    """Bundles from two laptops: one person registered on both, a person both of them edited
    (a conflict), and a record that fails its checks."""
    folder = tmp_path / "usb"
    a = laptop(tmp_path, "a", "李娜", "第一网格")
    b = laptop(tmp_path, "b", "王强", "第二网格")
    shared = a.add(
        "person",
        {
            **PERSON,
            "name": "张伟",
            "id_number": "110105198001010016",
            "category": "刑满释放人员",
            "level": "一般",
        },
    )
    first = export(a, tmp_path / "first").path
    from fieldkit.merge import import_files

    import_files(b, [first])
    pa = a.add("person", PERSON)
    a.add("followup", {**VISIT, "person": pa["id"]})
    pb = b.add("person", {**PERSON, "phone": "13900139000"})
    b.add("followup", {**VISIT, "person": pb["id"], "date": "2026-11-21 09:00"})
    a.edit(shared["id"], {"phone": "13800138000"})
    b.edit(shared["id"], {"phone": "13700137000", "address": "和平里3号楼"})
    export(a, folder, everything=True)
    export(b, folder, everything=True)
    a.close()
    b.close()
    bad = new_record(
        "meeting",
        1,
        {"date": "2026-05-01", "kind": "nonsense", "title": "讲座"},
        author="某人",
        device="dev-x",
    )
    hand_bundle(folder / "hand.fkb", [bad])
    (folder / "broken.fkb").write_bytes(b"FIELDKIT-BUNDLE 1 abc")
    return folder


async def open_sync(pilot) -> SyncScreen:
    await ready(pilot)
    await pilot.press("s")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SyncScreen)
    return screen


async def wait_idle(pilot, screen: SyncScreen) -> None:
    for _ in range(200):
        await settle(pilot)
        if not screen.busy:
            return
    raise AssertionError("the import did not finish")


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).content)


async def test_export_shows_what_is_included_and_writes_the_file(root: Path, tmp_path: Path):
    with Workspace(root, today=TODAY) as ws:
        ws.add("person", PERSON)
    app = make_app(root)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_sync(pilot)
        assert "未配置街道公钥" in text_of(screen, "#export-encryption")
        assert "将导出 1 条记录：特殊人群 1" in text_of(screen, "#export-preview")
        folder = screen.query_one("#export-folder")
        folder.value = str(tmp_path / "stick")
        await pilot.click("#btn-export")
        await wait_idle(pilot, screen)
        await settle(pilot)
        (written,) = (tmp_path / "stick").glob("*.fkb")
        assert str(written) in text_of(screen, "#export-result")
        assert "未加密" in text_of(screen, "#export-result")
        assert "没有新的变化" in text_of(screen, "#export-preview")
        no_errors(app)


async def test_import_previews_then_applies_and_lists_what_needs_people(root: Path, usb: Path):
    app = make_app(root)
    async with app.run_test(size=(140, 44)) as pilot:
        screen = await open_sync(pilot)
        screen.query_one(TabbedContent).active = "import"
        await settle(pilot)
        screen.query_one("#import-folder").value = str(usb)
        await pilot.click("#btn-find")
        await settle(pilot)
        files = screen.query_one("#files", SelectionList)
        assert files.option_count == 4
        assert len(files.selected) == 3  # the broken file is listed but not chosen
        prompts = [str(files.get_option_at_index(i).prompt) for i in range(4)]
        assert any("无法读取" in p for p in prompts)
        assert any("王强 · 第二网格" in p and "未加密" in p for p in prompts)

        await pilot.click("#btn-preview")
        await wait_idle(pilot, screen)
        assert "预览（未修改数据）" in text_of(screen, "#import-summary")
        with app.ws_lock:
            assert app.ws.store.count("person") == 0

        await pilot.click("#btn-import")
        await wait_idle(pilot, screen)
        summary = text_of(screen, "#import-summary")
        assert "已导入 3 个文件" in summary and "冲突 1" in summary and "未通过 1" in summary
        table = screen.query_one("#import-table", DataTable)
        assert table.row_count == 3
        await settle(pilot)
        tabs = screen.query_one(TabbedContent)
        assert str(tabs.get_tab("conflicts").label) == "冲突（1）"
        assert str(tabs.get_tab("duplicates").label) == "重复人员（1）"
        assert str(tabs.get_tab("rejected").label) == "未通过检查（1）"
        rejected = screen.query_one("#rejected-table", DataTable)
        assert "不是可选项" in str(rejected.get_row_at(0)[-1])
        no_errors(app)


async def test_a_conflict_resolved_field_by_field(root: Path, usb: Path):
    from fieldkit.merge import import_files

    with Workspace(root, today=TODAY) as ws:
        import_files(ws, [usb])
    app = make_app(root)
    async with app.run_test(size=(140, 44)) as pilot:
        screen = await open_sync(pilot)
        screen.query_one(TabbedContent).active = "conflicts"
        await settle(pilot)
        table = screen.query_one("#conflict-table", DataTable)
        assert table.row_count == 1
        table.focus()
        await pilot.press("enter")
        await settle(pilot)
        conflict = app.screen
        assert isinstance(conflict, ConflictScreen)
        fields = conflict.query_one("#fields", DataTable)
        labels = [str(fields.get_row_at(i)[0]) for i in range(fields.row_count)]
        assert labels == ["联系电话", "现居住地址"]
        # The phone from 李娜's version, the address from 王强's: a choice per field.
        heads = conflict.heads
        li_na = next(i for i, h in enumerate(heads) if h["data"]["phone"] == "13800138000")
        wang = next(i for i, h in enumerate(heads) if h["data"].get("address"))
        await pilot.press(str(li_na + 1))  # the cursor starts on the phone row
        await pilot.press("down", str(wang + 1))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        with app.ws_lock:
            (head,) = heads_of(app.ws, conflict.record_id)
        assert head["data"]["phone"] == "13800138000"
        assert head["data"]["address"] == "和平里3号楼"
        assert str(screen.query_one(TabbedContent).get_tab("conflicts").label) == "冲突（0）"
        no_errors(app)


async def test_duplicate_persons_are_joined_from_the_list(root: Path, usb: Path):
    from fieldkit.merge import import_files

    with Workspace(root, today=TODAY) as ws:
        import_files(ws, [usb])
    app = make_app(root)
    async with app.run_test(size=(140, 44)) as pilot:
        screen = await open_sync(pilot)
        screen.query_one(TabbedContent).active = "duplicates"
        await settle(pilot)
        table = screen.query_one("#duplicate-table", DataTable)
        assert table.row_count == 2
        keep = screen.duplicate_rows[0][1]
        table.focus()
        await pilot.press("enter")  # keep the first row
        await settle(pilot)
        await pilot.press("enter")  # the dialog starts on 合并
        await settle(pilot)
        assert app.screen is screen
        assert table.row_count == 0
        with app.ws_lock:
            visits = app.ws.store.current("followup")
        assert {v["data"]["person"] for v in visits} == {keep["id"]}
        no_errors(app)
