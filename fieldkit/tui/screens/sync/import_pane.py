"""The sync screen's 导入 tab: list the bundles in a folder, preview or apply an import with
progress, and show what each file brought.

The work is fieldkit.sync.intake's, in a thread worker holding the app's `ws_lock`; after a
real import the pane posts `ImportPane.Merged` so the screen reads its other tabs anew.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, ProgressBar, SelectionList, Static

from fieldkit.files import locations
from fieldkit.sync import bundle, intake, merge
from fieldkit.sync import messages as words
from fieldkit.tui import text
from fieldkit.tui.safety import guarded
from fieldkit.tui.screens.sync.common import Busy, plain
from fieldkit.tui.screens.sync.devices_pane import missing_line, new_device_line

if TYPE_CHECKING:
    from fieldkit.tui.services import Services

TAB_IMPORT = "导入"
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


class ImportPane(VerticalScroll):
    """The import tab's controls; `busy` is shared with the export tab."""

    class Merged(Message):
        """An import (not a preview) finished: records and devices may have changed."""

    def __init__(self, busy: Busy) -> None:
        super().__init__()
        self.busy = busy
        self.files: list[Path] = []

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Label(IMPORT_FOLDER, classes="section-title")
        yield Input(str(locations.exports_dir(self.fk.root)), id="import-folder")
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

    @guarded
    def on_mount(self) -> None:
        self.query_one("#import-progress", ProgressBar).display = False

    @on(Button.Pressed, "#btn-find")
    @on(Input.Submitted, "#import-folder")
    @guarded
    def find_files(self) -> None:
        where = self.query_one("#import-folder", Input).value.strip()
        self.list_files(Path(where).expanduser() if where else locations.exports_dir(self.fk.root))

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
        if self.busy.on:
            return
        chosen = list(self.query_one("#files", SelectionList).selected)
        if not chosen:
            self.notify(NONE_CHOSEN if self.files else NOTHING_LISTED, severity="warning")
            return
        self.busy.on = True
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

    def _failed(self, error: BaseException) -> None:
        self.busy.on = False
        self.query_one("#import-progress", ProgressBar).display = False
        self.query_one("#import-status", Static).update("")
        self.fk.report_error(error)

    def _imported(self, report: merge.ImportReport) -> None:
        self.busy.on = False
        self._show_table(report)
        self._show_summary(report)
        self._show_notes(report)
        self.query_one("#import-status", Static).update("")
        if not report.dry_run:
            self.post_message(self.Merged())

    def _show_table(self, report: merge.ImportReport) -> None:
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
                plain(words.file_name(f)),
                result,
                *(plain(counts[k]) for k, _ in words.COUNT_LABELS),
                plain(counts["held"] or ""),
            )

    def _show_summary(self, report: merge.ImportReport) -> None:
        line = words.totals_line(report.totals)
        ok = len(report.files) - len(report.refused)
        line = (PREVIEWED if report.dry_run else IMPORTED).format(ok=ok, counts=line)
        if report.refused:
            line += " " + REFUSED.format(n=len(report.refused))
        summary = self.query_one("#import-summary", Static)
        summary.update(line)
        summary.set_class(bool(report.refused), "warn")

    def _show_notes(self, report: merge.ImportReport) -> None:
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
