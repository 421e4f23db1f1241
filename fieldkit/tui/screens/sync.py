"""Sync in the app: export a bundle, import bundles, and review what an import leaves to people
(conflicts, likely duplicate persons, rejected records, devices to trust).

One screen with a tab per task (the devices tab is fieldkit.tui.widgets.devices_tab), and a screen for
resolving one conflict field by field. The
work itself is the core's (fieldkit.sync.export, fieldkit.sync.merge, fieldkit.sync.review): reading and writing
run in thread workers holding the app's `ws_lock`, and the results come back to the screen
through `call_from_thread`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Header,
    Input,
    Label,
    ProgressBar,
    Select,
    SelectionList,
    Static,
    TabbedContent,
    TabPane,
)

from fieldkit.errors import FieldkitError
from fieldkit.files import outfiles
from fieldkit.forms import idnumber
from fieldkit.sync import bundle, devices, export, formsync, intake, merge, review
from fieldkit.sync import messages as words
from fieldkit.tui import text
from fieldkit.tui.safety import guarded
from fieldkit.tui.screens import folders
from fieldkit.tui.widgets.chinese import Paragraph
from fieldkit.tui.widgets.devices_tab import (
    TAB_DEVICES,
    TAB_DEVICES_WAITING,
    DevicesPane,
    missing_line,
    new_device_line,
)
from fieldkit.tui.widgets.footer import KeyFooter
from fieldkit.tui.widgets.search_list import Column, cell, fit_columns
from fieldkit.workspace import ValidationFailed

if TYPE_CHECKING:
    from fieldkit.tui.app import FieldkitApp

TITLE = "同步"
HELP = "导出交给街道的文件；街道导入各网格的文件，处理冲突、重复人员和未通过检查的记录"
TAB_EXPORT, TAB_IMPORT = "导出", "导入"
TAB_CONFLICTS, TAB_DUPLICATES, TAB_REJECTED = "冲突", "重复人员", "未通过检查"
KEY_NEXT_TAB, KEY_PREV_TAB = "下一页", "上一页"
KEY_NEXT_TAB_TIP = "切换到下一个标签页（也可 Ctrl+PgDn）"
KEY_PREV_TAB_TIP = "切换到上一个标签页（也可 Ctrl+PgUp）"

ENCRYPTED = "导出文件将加密给街道：{name}（指纹 {fp}）。\n只有街道的电脑能打开。"
ENCRYPTED_LEGACY = "导出文件将加密（旧版街道公钥），只有街道的电脑能打开。"
ENCRYPTED_OFFICE = "导出文件加密给已信任的网格员电脑，只有这些电脑能打开。"
OFFICE_NOBODY = (
    "本机还没有信任任何网格员电脑，导出的文件没有人能打开。"
    "请先导入各电脑的文件，在“设备”页核对指纹后信任。"
)
NOT_ENCRYPTED = (
    "未配置街道公钥：导出文件不加密，请妥善保管 U 盘。"
    "（在“网格员信息”或命令行 fieldkit init --office-key 中配置）"
)
FOLDER = "导出到文件夹（如 U 盘）"
TARGET_PROMPT = "导出给"
TARGET_ALL = "全部记录（已信任的网格员电脑都能打开）"
READERS = "只有这些电脑能打开：{who}。"
ALL_RECORDS = "导出全部记录（不只是上次导出以来的变化）"
BTN_EXPORT = "导出"
PREVIEW = "将导出 {records} 条记录：{detail}。"
PREVIEW_ALL = "将导出全部记录 {records} 条：{detail}。"
FIRST_EXPORT = (
    "本机还没有导出过：第一次导出即使没有记录也会生成文件。"
    "把它交给街道导入，街道核对指纹信任本机后，本机以后的文件才会合并。"
)
PREVIEW_EXTRA = "连同修改历史，共 {n} 个版本。"
NOTHING_NEW = "自上次导出以来没有新的变化。要再交一份全部记录，请勾选“导出全部记录”。"
EXPORTED = "已导出：{path}"
EXPORTED_PLAIN = "（未加密）"
FORMS_SKIPPED = "。注意：forms/ 中的 {names} 没有一起导出：{why}"

IMPORT_FOLDER = "导出文件所在的文件夹（或一个 .fkb 文件）"
BTN_FIND, BTN_PREVIEW, BTN_IMPORT = "查找文件", "预览", "导入"
NO_FILES = "这里没有 .fkb 文件。"
FILE_LINE = "{name}　{worker} · {grid} · {at} · {records} 条记录（{versions} 个版本） · {enc}"
FILE_BAD = "{name}　无法读取：{reason}"
ENC_YES, ENC_NO = "已加密", "未加密"
NOTHING_LISTED = "请先按“查找文件”（或在文件夹一栏按回车）列出导出文件。"
NONE_CHOSEN = "请勾选要导入的文件（空格键勾选）。"
WORKING = "正在{what} {name}（{n}/{total}）……"
PREVIEWED = "预览（未修改数据）：{counts}"
IMPORTED = "已导入 {ok} 个文件：{counts}"
REFUSED = "{n} 个文件被拒收，数据未改变，原因见下。"
COL_HELD = "暂存"
RESULT_OK, RESULT_HELD, RESULT_REFUSED = "✓", "暂存（设备未信任）", "拒收"
REFUSED_LINE = "无法导入 {name}：{error}"

NO_CONFLICTS = "没有待处理的冲突。"
CONFLICTS_HINT = "两台电脑各自改了同一条记录。选中一行按 Enter，逐字段或整体选择保留哪个版本。"
NO_DUPLICATES = "没有疑似重复的人员。"
DUPLICATES_HINT = (
    "同一身份证号登记了多次。选中一行按 Enter，对照各次登记逐项选择保留的内容，确认后合并："
    "其余登记的随访记录都改为指向合并后的人员。"
)
REGISTRATION_LINE = "{n}. {who} · {grid} · {at} · 随访等 {refs} 条"
VERSION_LINE = "版本{n}：{who} {at}"
STALE = "{n} 条记录仍指向已合并的人员（来自合并前的电脑）。"
BTN_STALE = "改为指向合并后的人员"
NO_REJECTED = "没有未通过检查的记录。"
REJECTED_HINT = "这些记录内容不符合表单要求，已保留但没有合并；修正后请让网格员重新导出。"

REPOINTED = "{moved} 条记录已改为指向合并后的人员。"

CONFLICT_TITLE = "处理冲突：{form} {title}"
VERSION_HEAD = "版本{n}\n{who} {at}"
CURRENT_MARK = "（当前）"
COL_FIELD, COL_TAKE = "字段", "采用"
DELETED_LABEL = "删除状态"
DELETED_YES, DELETED_NO = "已删除", "未删除"
CONFLICT_HINT = (
    "↑↓ 选字段，按数字键 1、2…… 选该字段采用哪个版本；Ctrl+S 保存。也可以整体采用一个版本。"
)
BTN_WHOLE = "全部采用版本{n}"
KEY_SAVE_PICKS = "按所选保存"
BTN_SAVE = KEY_SAVE_PICKS + "（Ctrl+S）"
RESOLVED = "冲突已处理，生成了新版本，下次导出时会同步到各电脑。"

DEFAULT_CSS_TEXT = """
SyncScreen #sync-tabs { height: 1fr; }
SyncScreen TabPane { padding: 0 1; }
SyncScreen .line { height: auto; margin: 1 0 0 0; }
SyncScreen Input { width: 100%; max-width: 80; }
SyncScreen #files { height: auto; max-height: 10; }
SyncScreen #import-table, SyncScreen #conflict-table, SyncScreen #duplicate-table,
SyncScreen #rejected-table { height: auto; max-height: 16; }
SyncScreen #import-progress-row { height: auto; margin: 1 0 0 0; }
SyncScreen #import-progress { width: 40; }
SyncScreen #import-status { padding: 0 0 0 2; }
SyncScreen #import-notes { height: auto; }
SyncScreen .ok { color: $success; }
SyncScreen .warn { color: $warning; }
ConflictScreen #conflict-body { padding: 0 2; }
ConflictScreen .button-bar Button { margin: 0 2 0 0; }
ConflictScreen #fields { height: auto; max-height: 20; }
"""


def open_sync(app: FieldkitApp) -> None:
    app.push_screen(SyncScreen())


def _plain(value: Any) -> Text:
    return Text(str(value))


class SyncScreen(Screen[None]):
    DEFAULT_CSS = DEFAULT_CSS_TEXT
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", text.KEY_BACK, id="sync.back", tooltip=text.KEY_BACK_TIP),
        Binding(
            "f6,ctrl+pagedown",
            "switch_tab(1)",
            KEY_NEXT_TAB,
            id="sync.next_tab",
            tooltip=KEY_NEXT_TAB_TIP,
        ),
        Binding(
            "shift+f6,ctrl+pageup",
            "switch_tab(-1)",
            KEY_PREV_TAB,
            show=False,
            id="sync.prev_tab",
            tooltip=KEY_PREV_TAB_TIP,
        ),
    ]
    HELP_ABOUT = (
        "本界面有六个标签页：导出、导入、冲突、重复人员、未通过检查、设备。",
        "切换标签页：按 F6 到下一页、Shift+F6 到上一页（也可以用 Ctrl+PgDn、Ctrl+PgUp）；"
        "或者按 Shift+Tab 回到顶部的标签栏，用 ←→ 选择。",
        "在一页之内用 Tab 在输入框、按钮和列表之间移动，Enter 执行。",
    )

    def __init__(self) -> None:
        super().__init__(id="sync")
        self.busy = False
        self.files: list[Path] = []
        self.conflict_ids: list[str] = []
        self.duplicate_rows: list[review.Duplicate] = []

    @property
    def fk(self) -> FieldkitApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        exports = str(outfiles.exports_dir(self.fk.root))
        yield Header()
        with TabbedContent(id="sync-tabs"):
            with TabPane(TAB_EXPORT, id="export"), VerticalScroll():
                yield Static("", id="export-encryption", classes="line", markup=False)
                yield Select[str]([], id="export-target", prompt=TARGET_PROMPT)
                yield Label(FOLDER, classes="section-title")
                yield Input(exports, id="export-folder")
                yield Checkbox(ALL_RECORDS, id="export-all")
                yield Static("", id="export-preview", classes="line", markup=False)
                with Horizontal(classes="button-bar"):
                    yield Button(BTN_EXPORT, id="btn-export", variant="primary")
                yield Static("", id="export-result", classes="line ok", markup=False)
            with TabPane(TAB_IMPORT, id="import"), VerticalScroll():
                yield Label(IMPORT_FOLDER, classes="section-title")
                yield Input(exports, id="import-folder")
                with Horizontal(classes="button-bar"):
                    yield Button(BTN_FIND, id="btn-find")
                    yield Button(BTN_PREVIEW, id="btn-preview")
                    yield Button(BTN_IMPORT, id="btn-import", variant="primary")
                yield SelectionList[Path](id="files")
                with Horizontal(id="import-progress-row"):
                    yield ProgressBar(id="import-progress", show_eta=False)
                    yield Static("", id="import-status", markup=False)
                table: DataTable = DataTable(id="import-table", zebra_stripes=True)
                # The result next to the file: on a narrow screen the counts scroll, not it.
                table.add_column("文件", key="file")
                table.add_column("结果", key="result")
                for key, label in words.COUNT_LABELS:
                    table.add_column(label, key=key)
                table.add_column(COL_HELD, key="held")
                yield table
                yield Static("", id="import-summary", classes="line", markup=False)
                yield Static("", id="import-notes", classes="line warn", markup=False)
            with TabPane(TAB_CONFLICTS, id="conflicts"), VerticalScroll():
                yield Static(Paragraph(CONFLICTS_HINT), classes="line")
                table = DataTable(id="conflict-table", cursor_type="row", zebra_stripes=True)
                for key, label in (
                    ("title", "记录"),
                    ("who", "各版本（谁、何时改的）"),
                    ("fields", "不同的字段"),
                ):
                    table.add_column(label, key=key)
                yield table
                yield Static("", id="conflict-empty", classes="line", markup=False)
            with TabPane(TAB_DUPLICATES, id="duplicates"), VerticalScroll():
                yield Static(Paragraph(DUPLICATES_HINT), classes="line")
                table = DataTable(id="duplicate-table", cursor_type="row", zebra_stripes=True)
                for key, label in (
                    ("name", "姓名"),
                    ("id", "身份证号"),
                    ("who", "各次登记（登记人、网格、时间、随访等记录）"),
                ):
                    table.add_column(label, key=key)
                yield table
                yield Static("", id="duplicate-empty", classes="line", markup=False)
                yield Static("", id="stale", classes="line warn", markup=False)
                with Horizontal(classes="button-bar"):
                    yield Button(BTN_STALE, id="btn-stale")
            with TabPane(TAB_REJECTED, id="rejected"), VerticalScroll():
                yield Static(Paragraph(REJECTED_HINT), classes="line")
                table = DataTable(id="rejected-table", cursor_type="row", zebra_stripes=True)
                for key, label in (
                    ("at", "收到时间"),
                    ("file", "文件"),
                    ("from", "来自"),
                    ("form", "表单"),
                    ("reasons", "原因"),
                ):
                    table.add_column(label, key=key)
                yield table
                yield Static("", id="rejected-empty", classes="line", markup=False)
            with TabPane(TAB_DEVICES, id="devices"), VerticalScroll():
                yield DevicesPane(id="devices-pane")
        yield KeyFooter()

    @guarded
    def on_mount(self) -> None:
        self.sub_title = TITLE
        for pane in self.query(VerticalScroll):
            pane.can_focus = False  # Tab goes from the tabs straight to the pane's controls
        self.query_one("#import-progress", ProgressBar).display = False
        self.query_one("#btn-stale", Button).display = False
        self.query_one("#export-target", Select).display = False
        self.load_targets()
        self.load_preview()
        self.load_review()
        self.query_one(DevicesPane).load()

    @guarded
    def action_back(self) -> None:
        if not (self.busy or self.query_one(DevicesPane).deciding):
            self.app.pop_screen()

    @guarded
    def action_switch_tab(self, step: int) -> None:
        """The next (or previous) tab, its first control focused."""
        tabs = self.query_one(TabbedContent)
        panes = [pane.id for pane in tabs.query(TabPane) if pane.id]
        at = panes.index(tabs.active) if tabs.active in panes else 0
        tabs.active = panes[(at + step) % len(panes)]
        self.call_after_refresh(self._focus_pane)

    def _focus_pane(self, tries: int = 20) -> None:
        """Focus the active page's first control once the page is on screen (it is shown a
        refresh or two after the tab changes; focusing it before then does nothing)."""
        tabs = self.query_one(TabbedContent)
        pane = tabs.get_pane(tabs.active)
        first = next(
            (w for w in pane.query("*") if w.can_focus and w.display and not w.disabled), None
        )
        if first is None:
            return
        if first.focusable:
            first.focus()
        elif tries:
            self.call_after_refresh(self._focus_pane, tries - 1)

    # -- export ----------------------------------------------------------------------------

    @on(Checkbox.Changed, "#export-all")
    @on(Select.Changed, "#export-target")
    @guarded
    def all_changed(self) -> None:
        self.load_preview()

    def _export_choice(self) -> dict[str, Any]:
        """The export's arguments from the form: the office's target, or everything."""
        target = self.query_one("#export-target", Select)
        if target.display and isinstance(target.value, str):
            kind, _, value = target.value.partition(":")
            if kind == "grid":
                return {"grid": value}
            if kind == "device":
                return {"for_device": value}
            return {"everything": True}  # the office's "everyone"
        if self.fk.ws.require_identity().role == "office":
            return {"everything": True}  # no laptop to choose yet: the preview says so
        return {"everything": self.query_one("#export-all", Checkbox).value}

    @work(thread=True, exclusive=True, group="sync-targets")
    def load_targets(self) -> None:
        """At the office: export to a grid's laptops or one laptop (laptops export to it)."""
        app = self.fk
        with app.ws_lock:
            options = export.targets(app.ws)
        app.call_from_thread(self._show_targets, options)

    def _show_targets(self, options: list[tuple[str, str]]) -> None:
        target = self.query_one("#export-target", Select)
        target.display = bool(options)
        # At the office the target says what goes: "everything" needs no box of its own.
        self.query_one("#export-all", Checkbox).display = not options
        target.set_options([(TARGET_ALL, "all"), *options] if options else [])
        if options:
            target.value = "all"

    @work(thread=True, exclusive=True, group="sync-preview")
    def load_preview(self) -> None:
        app = self.fk
        choice = self._export_choice()
        with app.ws_lock:
            ws = app.ws
            try:
                info = export.preview(ws, **choice)
            except FieldkitError as exc:  # e.g. a grid with no trusted laptop yet
                app.call_from_thread(self._show_unexportable, str(exc))
                return
            labels = {f.id: f.label for f in ws.forms}
            first = export.enrols(ws)
            encryption = self._encryption(info)
        app.call_from_thread(self._show_preview, info, labels, first, encryption)

    def _show_unexportable(self, reason: str) -> None:
        self.query_one("#export-preview", Static).update(reason)
        self.query_one("#btn-export", Button).disabled = True

    def _encryption(self, info: export.Preview) -> tuple[str, bool]:
        """Who can open an export from here, and whether that needs a warning (under the lock)."""
        ws = self.fk.ws
        ident = ws.require_identity()
        if ident.role == "office":
            return (ENCRYPTED_OFFICE, False) if info.encrypted else (OFFICE_NOBODY, True)
        if ident.office is not None:
            card = devices.stored_card(ws.store, ident.office) or {}
            name = card.get("org") or card.get("worker") or ""
            return ENCRYPTED.format(name=name, fp=devices.fingerprint(ident.office)), False
        if ident.encrypts:
            return ENCRYPTED_LEGACY, False
        return NOT_ENCRYPTED, True

    def _show_preview(
        self,
        info: export.Preview,
        labels: dict[str, str],
        first: bool,
        encryption: tuple[str, bool],
    ) -> None:
        line, warn = encryption
        widget = self.query_one("#export-encryption", Static)
        widget.update(line)
        widget.set_class(warn, "warn")
        if not info.records:
            line = FIRST_EXPORT if first else NOTHING_NEW
        else:
            detail = words.form_counts(info.by_form, labels)
            wording = PREVIEW_ALL if info.everything else PREVIEW
            line = wording.format(records=info.records, detail=detail)
            if info.versions > info.records:
                line += PREVIEW_EXTRA.format(n=info.versions)
        if info.kind in ("grid", "all") and info.audience and self.fk.ws.identity.role == "office":
            line += READERS.format(who=info.audience)
        self.query_one("#export-preview", Static).update(line)
        # The first export is written even with no records: it lets the office trust this laptop.
        self.query_one("#btn-export", Button).disabled = not (info.records or first)

    @on(Button.Pressed, "#btn-export")
    @on(Input.Submitted, "#export-folder")
    @guarded
    def start_export(self) -> None:
        if self.busy:
            return
        choice = self._export_choice()

        def export_to(folder: Path) -> None:
            if not self.busy:
                self.busy = True
                self.run_export(folder, choice)

        folders.when_ready(self, self.query_one("#export-folder", Input).value, "导出", export_to)

    @work(thread=True, exclusive=True, group="sync-export", exit_on_error=False)
    def run_export(self, folder: Path, choice: dict[str, Any]) -> None:
        app = self.fk
        try:
            with app.ws_lock:
                result = export.export(app.ws, folder, **choice)
        except Exception as exc:
            app.call_from_thread(self._failed, exc)
            return
        app.call_from_thread(self._exported, result)

    def _exported(self, result: export.ExportResult) -> None:
        self.busy = False
        line = NOTHING_NEW
        if result.path is not None:
            line = EXPORTED.format(path=result.path)
            if result.manifest and not result.manifest.encrypted:
                line += EXPORTED_PLAIN
        if result.skipped_forms:
            names = "、".join(result.skipped_forms)
            line += FORMS_SKIPPED.format(names=names, why=formsync.SKIPPED_WHY)
        self.query_one("#export-result", Static).update(line)
        self.notify(line, markup=False)
        self.load_preview()

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        self.query_one("#import-progress", ProgressBar).display = False
        self.query_one("#import-status", Static).update("")
        self.fk.report_error(error)

    # -- import ----------------------------------------------------------------------------

    @on(Button.Pressed, "#btn-find")
    @on(Input.Submitted, "#import-folder")
    @guarded
    def find_files(self) -> None:
        where = self.query_one("#import-folder", Input).value.strip()
        self.list_files(Path(where).expanduser() if where else outfiles.exports_dir(self.fk.root))

    @work(thread=True, exclusive=True, group="sync-find")
    def list_files(self, where: Path) -> None:
        rows = []
        for path in merge.bundle_paths([where]) if where.exists() else []:
            try:
                m = bundle.read_manifest(path)
            except bundle.BundleError as exc:
                rows.append((path, FILE_BAD.format(name=path.name, reason=exc.reason), False))
                continue
            line = FILE_LINE.format(
                name=path.name,
                worker=m.worker,
                grid=m.grid,
                at=text.short_time(m.created_at),
                records=m.records,
                versions=m.versions,
                enc=ENC_YES if m.encrypted else ENC_NO,
            )
            rows.append((path, line, True))
        self.app.call_from_thread(self._show_files, rows)

    def _show_files(self, rows: list[tuple[Path, str, bool]]) -> None:
        files = self.query_one("#files", SelectionList)
        files.clear_options()
        files.add_options([(Content(line), path, ok) for path, line, ok in rows])
        self.files = [path for path, _, _ in rows]
        self.query_one("#import-status", Static).update("" if rows else NO_FILES)

    @on(Button.Pressed, "#btn-preview")
    @guarded
    def preview_import(self) -> None:
        self._start_import(dry_run=True)

    @on(Button.Pressed, "#btn-import")
    @guarded
    def apply_import(self) -> None:
        self._start_import(dry_run=False)

    def _start_import(self, *, dry_run: bool) -> None:
        if self.busy:
            return
        chosen = list(self.query_one("#files", SelectionList).selected)
        if not chosen:
            self.notify(NONE_CHOSEN if self.files else NOTHING_LISTED, severity="warning")
            return
        self.busy = True
        bar = self.query_one("#import-progress", ProgressBar)
        bar.update(total=len(chosen), progress=0)
        bar.display = True
        self.run_import(chosen, dry_run)

    @work(thread=True, exclusive=True, group="sync-import", exit_on_error=False)
    def run_import(self, paths: list[Path], dry_run: bool) -> None:
        app = self.fk
        what = BTN_PREVIEW if dry_run else BTN_IMPORT

        def progress(done: int, total: int, path: Path) -> None:
            line = WORKING.format(what=what, name=path.name, n=min(done + 1, total), total=total)
            app.call_from_thread(self._progress, done, "" if done == total else line)

        try:
            with app.ws_lock:
                report = intake.import_files(app.ws, paths, dry_run=dry_run, progress=progress)
        except Exception as exc:
            app.call_from_thread(self._failed, exc)
            return
        app.call_from_thread(self._imported, report)

    def _progress(self, done: int, line: str) -> None:
        self.query_one("#import-progress", ProgressBar).update(progress=done)
        self.query_one("#import-status", Static).update(line)

    def _imported(self, report: merge.ImportReport) -> None:
        self.busy = False
        table = self.query_one("#import-table", DataTable)
        table.clear()
        for f in report.files:
            counts = f.counts.as_dict()
            if f.error:  # in full below the table
                result = Text(RESULT_REFUSED, style="bold red")
            elif f.untrusted:
                result = Text(RESULT_HELD, style="bold yellow")
            else:
                result = Text(RESULT_OK)
            table.add_row(
                _plain(words.file_name(f)),
                result,
                *(_plain(counts[k]) for k, _ in words.COUNT_LABELS),
                _plain(counts["held"] or ""),
            )
        line = words.totals_line(report.totals)
        ok = len(report.files) - len(report.refused)
        line = (PREVIEWED if report.dry_run else IMPORTED).format(ok=ok, counts=line)
        if report.refused:
            line += " " + REFUSED.format(n=len(report.refused))
        summary = self.query_one("#import-summary", Static)
        summary.update(line)
        summary.set_class(bool(report.refused), "warn")
        notes = [REFUSED_LINE.format(name=f.name, error=f.error) for f in report.refused]
        labels = {f.id: f.label for f in self.fk.ws.forms}
        for f in report.files:
            if f.error is None and (arrivals := words.arrival_lines(f, labels)):
                notes += [f"{f.name}：", *arrivals]
        if report.combined:
            notes.append(words.combined_line(len(report.combined)))
        notes += [words.renumbered_line(r) for r in report.renumbered]
        notes += [new_device_line(d) for d in report.new_devices]
        notes += [missing_line(m) for m in report.missing]
        notes_widget = self.query_one("#import-notes", Static)
        notes_widget.update("\n".join(notes))
        if notes:
            self.call_after_refresh(notes_widget.scroll_visible, animate=False)
        self.query_one("#import-status", Static).update("")
        if not report.dry_run:
            self.records_changed()
            self.query_one(DevicesPane).load()

    def records_changed(self) -> None:
        """After an import or a trust decision: lists, review tabs and export preview anew."""
        self.fk.lists_changed()  # record and person lists are rebuilt from the merged store
        self.load_review()
        self.load_targets()
        self.load_preview()

    @on(DevicesPane.Changed)
    @guarded
    def trust_changed(self, event: DevicesPane.Changed) -> None:
        event.stop()
        self.records_changed()

    @on(DevicesPane.Loaded)
    @guarded
    def devices_loaded(self, event: DevicesPane.Loaded) -> None:
        event.stop()
        waiting = self.query_one(DevicesPane).waiting
        label = TAB_DEVICES_WAITING.format(n=waiting) if waiting else TAB_DEVICES
        self.query_one(TabbedContent).get_tab("devices").label = label

    # -- review: conflicts, duplicates, rejected -------------------------------------------

    @work(thread=True, exclusive=True, group="sync-review")
    def load_review(self) -> None:
        app = self.fk
        with app.ws_lock:
            ws = app.ws
            conflicts = [
                (c, getattr(ws.forms.get(c.form), "label", c.form), self._title(c.heads[0]))
                for c in review.conflicts(ws)
            ]
            duplicates = review.duplicates(ws)
            stale = len(review.stale_references(ws))
            rejected = review.rejected(ws)
            labels = {f.id: f.label for f in ws.forms}
            field_labels = {
                c.record_id: [self._field_label(c.form, k) for k in c.fields]
                for c, _, _ in conflicts
            }
        app.call_from_thread(
            self._show_review, conflicts, field_labels, duplicates, stale, rejected, labels
        )

    def _title(self, rec: dict[str, Any]) -> str:
        """A record's title alone (a person's name, the person visited): the list is narrow."""
        form = self.fk.ws.forms.get(rec["form"])
        if form is None:
            return rec["id"][:8]
        title = self.fk.ws.display(form, form.field(form.title_field), rec["data"])
        return title or self.fk.describe(form, rec)

    def _field_label(self, form_id: str, key: str) -> str:
        if key == review.DELETED:
            return DELETED_LABEL
        form = self.fk.ws.forms.get(form_id)
        return form.field(key).label if form and form.has(key) else key

    def _show_review(self, conflicts, field_labels, duplicates, stale, rejected, labels) -> None:
        tabs = self.query_one(TabbedContent)
        table = self.query_one("#conflict-table", DataTable)
        table.clear()
        self.conflict_ids = []
        for c, form_label, title in conflicts:
            # One line per version, so that every worker's change is seen.
            who = "\n".join(
                VERSION_LINE.format(n=n, who=h["updated_by"], at=text.short_time(h["updated_at"]))
                for n, h in enumerate(c.heads, start=1)
            )
            table.add_row(
                _plain(f"{form_label}：{title}"),
                _plain(who),
                _plain("、".join(field_labels[c.record_id])),
                key=c.record_id,
                height=None,
            )
            self.conflict_ids.append(c.record_id)
        self.query_one("#conflict-empty", Static).update("" if conflicts else NO_CONFLICTS)
        tabs.get_tab("conflicts").label = f"{TAB_CONFLICTS}（{len(conflicts)}）"

        table = self.query_one("#duplicate-table", DataTable)
        table.clear()
        self.duplicate_rows = []
        for dup in duplicates:
            names = dict.fromkeys(str(r["data"].get("name", "")) for r in dup.records)
            who = "\n".join(
                REGISTRATION_LINE.format(
                    n=n,
                    who=rec.get("created_by", ""),
                    grid=rec["data"].get("grid", ""),
                    at=text.short_time(rec.get("created_at", "")),
                    refs=dup.references.get(rec["id"], 0),
                )
                for n, rec in enumerate(dup.records, start=1)
            )
            table.add_row(
                _plain("、".join(names)),
                _plain(idnumber.mask(str(dup.value))),
                _plain(who),
                height=None,
            )
            self.duplicate_rows.append(dup)
        self.query_one("#duplicate-empty", Static).update("" if duplicates else NO_DUPLICATES)
        tabs.get_tab("duplicates").label = f"{TAB_DUPLICATES}（{len(duplicates)}）"
        self.query_one("#stale", Static).update(STALE.format(n=stale) if stale else "")
        self.query_one("#btn-stale", Button).display = bool(stale)

        table = self.query_one("#rejected-table", DataTable)
        table.clear()
        for doc in rejected:
            rec, src = doc.get("record", {}), doc.get("source", {})
            table.add_row(
                _plain(text.short_time(doc.get("received_at", ""))),
                _plain(doc.get("file", "")),
                _plain(f"{src.get('worker', '')} {src.get('grid', '')}"),
                _plain(labels.get(rec.get("form"), rec.get("form", ""))),
                _plain("；".join(doc.get("reasons", []))),
            )
        self.query_one("#rejected-empty", Static).update("" if rejected else NO_REJECTED)
        tabs.get_tab("rejected").label = f"{TAB_REJECTED}（{len(rejected)}）"

    @on(DataTable.RowSelected, "#conflict-table")
    @guarded
    def open_conflict(self, event: DataTable.RowSelected) -> None:
        event.stop()
        record_id = self.conflict_ids[event.cursor_row]
        self.app.push_screen(ConflictScreen(record_id), lambda _: self.load_review())

    @on(DataTable.RowSelected, "#duplicate-table")
    @guarded
    def open_join(self, event: DataTable.RowSelected) -> None:
        event.stop()
        from fieldkit.tui.screens.join import JoinScreen

        dup = self.duplicate_rows[event.cursor_row]
        self.app.push_screen(JoinScreen(dup.form, dup.value), self._joined)

    def _joined(self, joined: bool | None) -> None:
        if joined:
            self.load_review()
            self.load_preview()

    @on(Button.Pressed, "#btn-stale")
    @guarded
    def follow_joins(self) -> None:
        with self.fk.ws_lock:
            moved = review.follow_joins(self.fk.ws)
        self.fk.lists_changed()
        self.notify(REPOINTED.format(moved=moved), markup=False)
        self.load_review()


class ConflictScreen(Screen[bool]):
    """One record's versions side by side, field by field; dismisses True when resolved."""

    DEFAULT_CSS = DEFAULT_CSS_TEXT
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", text.KEY_BACK, id="conflict.back", tooltip=text.KEY_BACK_TIP),
        Binding(
            "ctrl+s", "save", KEY_SAVE_PICKS, priority=True, id="conflict.save", tooltip=RESOLVED
        ),
    ]

    def __init__(self, record_id: str) -> None:
        super().__init__(id="conflict")
        self.record_id = record_id
        self.heads: list[dict[str, Any]] = []
        self.fields: list[str] = []
        self.picks: dict[str, int] = {}

    @property
    def fk(self) -> FieldkitApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        ws = self.fk.ws
        with self.fk.ws_lock:
            found = [c for c in review.conflicts(ws) if c.record_id == self.record_id]
        if found:
            self.heads, self.fields = found[0].heads, found[0].fields
        self.picks = dict.fromkeys(self.fields, 0)
        form = ws.forms.get(self.heads[0]["form"]) if self.heads else None
        yield Header()
        with VerticalScroll(id="conflict-body", can_focus=False):
            title = ""
            if form and self.heads:
                title = ws.display(form, form.field(form.title_field), self.heads[0]["data"])
            label = form.label if form else ""
            yield Label(CONFLICT_TITLE.format(form=label, title=title), classes="section-title")
            yield Static(Paragraph(CONFLICT_HINT), classes="line")
            # Two-line headings: the version and who made it; 采用 right after the field.
            yield DataTable(id="fields", cursor_type="row", zebra_stripes=True, header_height=2)
            with Horizontal(classes="button-bar"):
                for n in range(1, len(self.heads) + 1):
                    yield Button(BTN_WHOLE.format(n=n), id=f"whole-{n}", compact=True)
                yield Button(BTN_SAVE, id="btn-save", variant="primary", compact=True)
        yield KeyFooter()

    @guarded
    def on_mount(self) -> None:
        self.sub_title = TITLE
        if not self.heads:
            self.dismiss(False)
            return
        ws = self.fk.ws
        form = ws.forms.get(self.heads[0]["form"])
        table = self.query_one("#fields", DataTable)
        columns = [Column("field", COL_FIELD, 10, keep=0), Column("take", COL_TAKE, 5, keep=0)]
        for n, h in enumerate(self.heads, start=1):
            head = VERSION_HEAD.format(
                n=n, who=h["updated_by"], at=text.short_time(h["updated_at"])[5:]
            )
            if n == 1:
                head = head.replace("\n", CURRENT_MARK + "\n", 1)
            columns.append(Column(f"v{n}", head, 12, keep=0, grow=True, least=8))
        for column, width in fit_columns(columns, self.app.size.width - 6):
            table.add_column(column.label, key=column.key, width=width)
        for key in self.fields:
            cells = [self._value(form, key, h) for h in self.heads]
            label = DELETED_LABEL
            if key != review.DELETED:
                label = form.field(key).label if form and form.has(key) else key
            table.add_row(_plain(label), _plain(f"版本{self.picks[key] + 1}"), *cells, key=key)
        table.focus()

    def _value(self, form, key: str, rec: dict[str, Any]) -> Text:
        if key == review.DELETED:
            return cell(DELETED_YES if rec["deleted"] else DELETED_NO)
        if form is not None and form.has(key):
            return cell(self.fk.ws.display(form, form.field(key), rec["data"]))
        return cell(str(rec["data"].get(key, "")))

    @guarded
    def on_key(self, event) -> None:
        if event.key.isdigit() and 1 <= int(event.key) <= len(self.heads) and self.fields:
            event.stop()
            table = self.query_one("#fields", DataTable)
            key = self.fields[table.cursor_row]
            self.picks[key] = int(event.key) - 1
            table.update_cell(key, "take", _plain(f"版本{event.key}"))

    @on(Button.Pressed)
    @guarded
    def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        bid = event.button.id or ""
        if bid == "btn-save":
            self.action_save()
        elif bid.startswith("whole-"):
            self._resolve(whole=int(bid.removeprefix("whole-")) - 1)

    @guarded
    def action_save(self) -> None:
        self._resolve(picks=self.picks)

    def _resolve(self, *, whole: int | None = None, picks: dict[str, int] | None = None) -> None:
        try:
            with self.fk.ws_lock:
                rec = review.resolve(self.fk.ws, self.record_id, whole=whole, picks=picks)
        except ValidationFailed as exc:
            self.notify(
                "；".join(str(p) for p in exc.outcome.errors), severity="error", markup=False
            )
            return
        self.fk.record_saved(rec)
        self.notify(RESOLVED)
        self.dismiss(True)

    @guarded
    def action_back(self) -> None:
        self.dismiss(False)
