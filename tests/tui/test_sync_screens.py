"""The sync screens, driven with keys and buttons: export, import with a preview and progress,
a conflict resolved field by field, duplicate persons joined, rejected records listed."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, SelectionList, Static, TabbedContent

from fieldkit.store import records
from fieldkit.store.versions import heads_of
from fieldkit.sync import devices
from fieldkit.sync.export import export
from fieldkit.sync.merge import import_files
from fieldkit.tui.screens.dialogs import ChoiceDialog
from fieldkit.tui.screens.join import JoinScreen
from fieldkit.tui.screens.sync.conflict_screen import ConflictScreen
from fieldkit.tui.screens.sync.screen import SyncScreen
from fieldkit.workspace import Workspace

from .conftest import (
    PERSON_ID,
    SIZES,
    TODAY,
    introduce,
    make_app,
    no_errors,
    open_site,
    ready,
    settle,
)

PERSON = {
    "category": "严重精神障碍患者",
    "name": "王芳",
    "id_number": PERSON_ID,
    "start_date": "2026-01-05",
    "level": "1级",
}
VISIT = {"date": "2026-11-20 10:00", "condition": "稳定", "risk_level": "1级"}


@pytest.fixture
def usb(tmp_path: Path, office: Path) -> Path:
    """Files from three laptops the office trusts: one person registered on two of them, a
    person both of them edited (a conflict), and a record that fails its checks."""
    return make_usb(tmp_path, office)


@pytest.fixture
def steady_usb(tmp_path: Path, office: Path, monkeypatch) -> Path:
    """The same files, every change made a minute after the one before (stable snapshots)."""
    moments = (f"2026-11-20T{9 + m // 60:02d}:{m % 60:02d}:00+08:00" for m in range(10**4))
    monkeypatch.setattr(records, "now_iso", lambda: next(moments))
    return make_usb(tmp_path, office)


def make_usb(tmp_path: Path, office: Path) -> Path:
    folder = tmp_path / "usb"
    hub = Workspace(office, today=TODAY)
    a = open_site(tmp_path / "a", "李娜", "第一网格", office=hub)
    b = open_site(tmp_path / "b", "王强", "第二网格", office=hub)
    c = open_site(tmp_path / "c", "某人", "第九网格", office=hub)
    introduce(hub, a, b, c)
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
    import_files(hub, [export(a, tmp_path / "first").path])
    import_files(b, [export(hub, tmp_path / "relay", everything=True).path])
    pa = a.add("person", PERSON)
    a.add("followup", {**VISIT, "person": pa["id"]})
    pb = b.add("person", {**PERSON, "phone": "13900139000"})
    b.add("followup", {**VISIT, "person": pb["id"], "date": "2026-11-21 09:00"})
    a.edit(shared["id"], {"phone": "13800138000"})
    b.edit(shared["id"], {"phone": "13700137000", "address": "和平里3号楼"})
    with c.changes() as changes:  # past the form's checks, as a damaged laptop might send it
        changes.add("meeting", 1, {"date": "2026-05-01", "kind": "nonsense", "title": "讲座"})
    for laptop in (a, b, c):
        export(laptop, folder)
        laptop.close()
    hub.close()
    (folder / "broken.fkb").write_bytes(b"FIELDKIT-BUNDLE 1 abc")
    return folder


async def open_sync(pilot) -> SyncScreen:
    await ready(pilot)
    await pilot.press("s")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SyncScreen)
    return screen


async def to_tab(pilot, presses: int, table: str) -> None:
    """F6 `presses` times, until the page's table has the focus and the tabs stopped moving."""
    await pilot.press(*["f6"] * presses)
    for _ in range(100):
        await settle(pilot)
        focused = pilot.app.focused
        if focused is not None and focused.id == table:
            break
    else:
        raise AssertionError(f"F6 never reached {table}")
    await pilot.wait_for_scheduled_animations()


async def show_tab(pilot, pane: str, table: str) -> None:
    """The page and its table focused directly (snapshots: no race with the tab's slide)."""
    pilot.app.screen.query_one(TabbedContent).active = pane
    await settle(pilot)
    pilot.app.screen.query_one(f"#{table}").focus()
    await settle(pilot)
    await pilot.wait_for_scheduled_animations()
    await settle(pilot)


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
        await pilot.click("#btn-export")  # a folder that is not there (a USB stick not in?)
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        assert str(tmp_path / "stick") in str(dialog.query_one(".dialog-body", Static).content)
        await pilot.press("enter")  # the focused answer is 取消: nothing is made
        await settle(pilot)
        assert app.screen is screen and not (tmp_path / "stick").exists()
        await pilot.click("#btn-export")
        await pilot.pause()
        await pilot.press("m")  # 新建文件夹并导出
        await wait_idle(pilot, screen)
        await settle(pilot)
        (written,) = (tmp_path / "stick").glob("*.fkb")
        assert str(written) in text_of(screen, "#export-result")
        assert "未加密" in text_of(screen, "#export-result")
        assert "没有新的变化" in text_of(screen, "#export-preview")
        no_errors(app)


async def test_import_previews_then_applies_and_lists_what_needs_people(office: Path, usb: Path):
    app = make_app(office)
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
        assert any("王强 · 第二网格" in p and "已加密" in p for p in prompts)

        await pilot.click("#btn-preview")
        await wait_idle(pilot, screen)
        assert "预览（未修改数据）" in text_of(screen, "#import-summary")
        with app.ws_lock:
            assert app.ws.store.count("person") == 1  # 张伟, from 李娜's first file only

        await pilot.click("#btn-import")
        await wait_idle(pilot, screen)
        summary = text_of(screen, "#import-summary")
        assert "已导入 3 个文件" in summary and "冲突 1" in summary and "未通过检查 1" in summary
        table = screen.query_one("#import-table", DataTable)
        assert table.row_count == 3
        assert [str(table.get_row_at(i)[1]) for i in range(3)] == ["✓"] * 3
        await settle(pilot)
        tabs = screen.query_one(TabbedContent)
        assert str(tabs.get_tab("conflicts").label) == "冲突（1）"
        assert str(tabs.get_tab("duplicates").label) == "重复人员（1）"
        assert str(tabs.get_tab("rejected").label) == "未通过检查（1）"
        rejected = screen.query_one("#rejected-table", DataTable)
        assert "不是可选项" in str(rejected.get_row_at(0)[-1])
        no_errors(app)


async def test_a_conflict_resolved_field_by_field(office: Path, usb: Path):
    with Workspace(office, today=TODAY) as ws:
        import_files(ws, [usb])
    app = make_app(office)
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
            (head,) = heads_of(app.ws.store, conflict.record_id)
        assert head["data"]["phone"] == "13800138000"
        assert head["data"]["address"] == "和平里3号楼"
        assert str(screen.query_one(TabbedContent).get_tab("conflicts").label) == "冲突（0）"
        no_errors(app)


async def test_duplicate_persons_are_joined_side_by_side_after_a_question(office: Path, usb: Path):
    with Workspace(office, today=TODAY) as ws:
        import_files(ws, [usb])
    app = make_app(office)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_sync(pilot)
        await to_tab(pilot, 3, "duplicate-table")  # 导出 → 导入 → 冲突 → 重复人员
        assert screen.query_one(TabbedContent).active == "duplicates"
        table = screen.query_one("#duplicate-table", DataTable)
        assert table.row_count == 1  # one person registered twice: one row
        who = str(table.get_row_at(0)[2])
        assert "李娜 · 第一网格" in who and "王强 · 第二网格" in who
        table.focus()
        await pilot.press("enter")
        await settle(pilot)
        join = app.screen
        assert isinstance(join, JoinScreen)
        fields = join.query_one("#join-fields", DataTable)
        rows = {str(fields.get_row_at(i)[0]): i for i in range(fields.row_count)}
        grids = [str(c) for c in fields.get_row_at(rows["所属网格"])[2:]]
        b = grids.index("第二网格")  # 王强's registration (the order is by registration time)
        assert str(fields.get_row_at(rows["随访等记录"])[2]) == "1 条"
        assert str(fields.get_row_at(rows["姓名"])[1]) == "相同"  # 保留: right after the field
        # Keep 王强's grid, and the phone only his registration has.
        fields.move_cursor(row=rows["所属网格"])
        await pilot.press(str(b + 1))
        assert str(fields.get_row_at(rows["所属网格"])[1]) == f"登记{b + 1}"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        asked = str(app.screen.query_one(".dialog-body", Static).content)
        assert "所属网格 第二网格" in asked and "联系电话 13900139000" in asked
        assert "1 条随访等记录将改为指向合并后的人员" in asked
        await pilot.press("enter")  # the focused answer is 取消: nothing merged yet
        await settle(pilot)
        assert app.screen is join
        with app.ws_lock:
            assert len(app.ws.store.current("person")) == 3
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen
        assert table.row_count == 0
        keep = join.records[0]["id"]
        with app.ws_lock:
            kept = app.ws.get_live(keep)
            visits = app.ws.store.current("followup")
        assert kept["data"]["grid"] == "第二网格" and kept["data"]["phone"] == "13900139000"
        assert {v["data"]["person"] for v in visits} == {keep}
        no_errors(app)


async def test_conflict_list_names_every_versions_worker(office: Path, usb: Path):
    with Workspace(office, today=TODAY) as ws:
        import_files(ws, [usb])
    app = make_app(office)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_sync(pilot)
        await to_tab(pilot, 2, "conflict-table")
        table = screen.query_one("#conflict-table", DataTable)
        row = [str(c) for c in table.get_row_at(0)]
        assert row[0] == "特殊人群：张伟"
        assert "李娜" in row[1] and "王强" in row[1] and len(row[1].splitlines()) == 2
        assert row[2] == "联系电话、现居住地址"
        no_errors(app)


def device_rows(screen) -> list[list[str]]:
    table = screen.query_one("#device-table", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_office_holds_a_new_laptops_file_until_its_fingerprint_is_trusted(
    office: Path, tmp_path: Path
):
    with Workspace(office, today=TODAY) as hub:
        laptop = open_site(tmp_path / "laptop", "李娜", "第一网格", office=hub)
    laptop.add("person", PERSON)
    export(laptop, tmp_path / "usb")
    fp = devices.fingerprint(laptop.identity.device)
    laptop.close()
    app = make_app(office)
    async with app.run_test(size=(140, 44)) as pilot:
        screen = await open_sync(pilot)
        screen.query_one(TabbedContent).active = "import"
        await settle(pilot)
        folder = screen.query_one("#import-folder")
        folder.value = str(tmp_path / "usb")
        folder.focus()
        await pilot.press("enter")  # lists the files, each chosen
        await settle(pilot)
        await pilot.click("#btn-import")
        await wait_idle(pilot, screen)
        (row,) = [[str(c) for c in screen.query_one("#import-table", DataTable).get_row_at(0)]]
        assert row[1] == "暂存（设备未信任）" and row[-1] == "1"  # 结果 and 暂存
        assert "暂存 1" in text_of(screen, "#import-summary")
        notes = text_of(screen, "#import-notes")
        assert f"新设备待信任：李娜（第一网格），指纹 {fp}，暂存记录 1 条" in notes
        with app.ws_lock:
            assert app.ws.store.count("person") == 0
        await settle(pilot)
        tabs = screen.query_one(TabbedContent)
        assert str(tabs.get_tab("devices").label) == "设备（1 台待信任）"

        tabs.active = "devices"
        await settle(pilot)
        rows = device_rows(screen)
        assert rows[0][3] == "本机"
        assert rows[1][:4] == [fp, "李娜", "第一网格", "未信任"]
        assert rows[1][5] == "1"  # 暂存记录
        table = screen.query_one("#device-table", DataTable)
        table.focus()
        assert table.cursor_row == 1  # the list starts on the device waiting for a decision
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        body = str(dialog.query_one(".dialog-body", Static).content)
        assert f"指纹：{fp}" in body and "李娜" in body and "第一网格" in body
        assert "网格员信息" in body
        await pilot.press("enter")  # 指纹一致，信任
        await settle(pilot)
        await settle(pilot)
        assert app.screen is screen
        rows = device_rows(screen)
        assert rows[1][3:6] == ["已信任", "1", ""]  # one change received, nothing held
        result = text_of(screen, "#device-result")
        assert f"已信任 李娜（第一网格，指纹 {fp}）" in result
        assert "暂存的文件 李娜_第一网格_" in result and "新增 1" in result
        assert str(tabs.get_tab("devices").label) == "设备"
        with app.ws_lock:
            assert app.ws.store.count("person") == 1
        assert app.data_version > 0  # record lists are read again
        no_errors(app)


async def test_revoking_a_device_asks_first_and_enter_alone_keeps_it(office: Path, tmp_path: Path):
    with Workspace(office, today=TODAY) as hub:
        laptop = open_site(tmp_path / "laptop", "李娜", "第一网格", office=hub)
        introduce(hub, laptop)
    laptop.close()
    app = make_app(office)
    async with app.run_test(size=(140, 44)) as pilot:
        screen = await open_sync(pilot)
        screen.query_one(TabbedContent).active = "devices"
        await settle(pilot)
        table = screen.query_one("#device-table", DataTable)
        table.focus()
        await pilot.press("down")
        assert device_rows(screen)[1][3] == "已信任"
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("enter")  # the focused answer is 取消
        await settle(pilot)
        assert app.screen is screen and device_rows(screen)[1][3] == "已信任"
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("left", "enter")  # 停用
        await settle(pilot)
        await settle(pilot)
        assert device_rows(screen)[1][3] == "已停用"
        assert "已停用 李娜" in text_of(screen, "#device-result")
        no_errors(app)


async def test_first_export_of_an_empty_laptop_writes_a_file_for_the_office(
    office: Path, tmp_path: Path
):
    """A laptop's first file enrols it (the office trusts it from that file), records or not."""
    with Workspace(office, today=TODAY) as hub:
        open_site(tmp_path / "laptop", "李娜", "第一网格", office=hub).close()
        office_fp = devices.fingerprint(hub.identity.device)
    app = make_app(tmp_path / "laptop")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_sync(pilot)
        line = text_of(screen, "#export-encryption")
        assert f"导出文件将加密给街道：东城街道办事处（指纹 {office_fp}）" in line
        assert "第一次导出即使没有记录也会生成文件" in text_of(screen, "#export-preview")
        assert not screen.query_one("#btn-export").disabled
        (tmp_path / "usb").mkdir()
        screen.query_one("#export-folder").value = str(tmp_path / "usb")
        await pilot.click("#btn-export")
        await wait_idle(pilot, screen)
        await settle(pilot)
        assert len(list((tmp_path / "usb").glob("*.fkb"))) == 1
        assert "没有新的变化" in text_of(screen, "#export-preview")
        assert screen.query_one("#btn-export").disabled
        no_errors(app)


async def test_office_export_line_says_whom_files_are_for(office: Path, tmp_path: Path):
    app = make_app(office)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_sync(pilot)
        assert "本机还没有信任任何网格员电脑" in text_of(screen, "#export-encryption")
    with Workspace(office, today=TODAY) as hub:
        laptop = open_site(tmp_path / "laptop", "李娜", "第一网格", office=hub)
        introduce(hub, laptop)
        laptop.close()
    app = make_app(office)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_sync(pilot)
        assert "导出文件加密给已信任的网格员电脑" in text_of(screen, "#export-encryption")
        no_errors(app)


async def test_the_office_exports_a_grids_registry_for_its_laptops(office: Path, tmp_path: Path):
    """The office picks a grid in the export tab: the preview says what goes and who can open
    it; the laptop importing it is told what arrived."""
    with Workspace(office, today=TODAY) as hub:
        laptop = open_site(tmp_path / "laptop", "李娜", "第一网格", office=hub)
        introduce(hub, laptop)
        person = hub.add("person", {**PERSON, "grid": "第一网格"})
        hub.add("followup", {**VISIT, "person": person["id"]})
        hub.add("person", {**PERSON, "name": "张伟", "id_number": "110105198001010016", "category": "刑满释放人员", "level": "一般", "grid": "第二网格"})  # fmt: skip
        laptop.close()
    app = make_app(office)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_sync(pilot)
        target = screen.query_one("#export-target")
        assert target.display
        target.value = "grid:第一网格"
        await settle(pilot)
        await wait_idle(pilot, screen)
        preview = text_of(screen, "#export-preview")
        assert "特殊人群 1，随访记录 1" in preview and "李娜（第一网格）" in preview
        (tmp_path / "stick").mkdir()
        screen.query_one("#export-folder").value = str(tmp_path / "stick")
        await pilot.click("#btn-export")
        await wait_idle(pilot, screen)
        await settle(pilot)
        (written,) = (tmp_path / "stick").glob("*.fkb")
        assert "第一网格" in written.name
        no_errors(app)
    app = make_app(tmp_path / "laptop")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_sync(pilot)
        assert not screen.query_one("#export-target").display  # a laptop exports to its office
        screen.query_one(TabbedContent).active = "import"
        await settle(pilot)
        screen.query_one("#import-folder").value = str(tmp_path / "stick")
        await pilot.click("#btn-find")
        await settle(pilot)
        files = screen.query_one("#files", SelectionList)
        files.select_all()
        await pilot.click("#btn-import")
        await wait_idle(pilot, screen)
        await settle(pilot)
        notes = text_of(screen, "#import-notes")
        assert "收到新记录：特殊人群 1 条，随访记录 1 条" in notes
        no_errors(app)


@SIZES
def test_snapshot_conflict_list(snap_compare, size, office: Path, steady_usb: Path):
    with Workspace(office, today=TODAY) as ws:
        import_files(ws, [steady_usb])

    async def run_before(pilot):
        await open_sync(pilot)
        await show_tab(pilot, "conflicts", "conflict-table")

    assert snap_compare(make_app(office), terminal_size=size, run_before=run_before)


@SIZES
def test_snapshot_conflict_screen(snap_compare, size, office: Path, steady_usb: Path):
    with Workspace(office, today=TODAY) as ws:
        import_files(ws, [steady_usb])

    async def run_before(pilot):
        await open_sync(pilot)
        await show_tab(pilot, "conflicts", "conflict-table")
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(office), terminal_size=size, run_before=run_before)


@SIZES
def test_snapshot_join_screen(snap_compare, size, office: Path, steady_usb: Path):
    with Workspace(office, today=TODAY) as ws:
        import_files(ws, [steady_usb])

    async def run_before(pilot):
        await open_sync(pilot)
        await show_tab(pilot, "duplicates", "duplicate-table")
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(office), terminal_size=size, run_before=run_before)
