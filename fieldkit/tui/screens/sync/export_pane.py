"""The sync screen's 导出 tab: who can open the export, what goes, and the export itself.

At the office the export goes to a grid's laptops or to one laptop; a laptop exports to the
office. The work is fieldkit.sync.export's, in thread workers holding the app's `ws_lock`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from fieldkit.errors import FieldkitError
from fieldkit.files import locations
from fieldkit.sync import devices, export, formsync
from fieldkit.sync import messages as words
from fieldkit.tui.safety import guarded
from fieldkit.tui.screens import folders
from fieldkit.tui.screens.sync.common import Busy

if TYPE_CHECKING:
    from fieldkit.tui.services import Services

TAB_EXPORT = "导出"
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


class ExportPane(VerticalScroll):
    """The export tab's controls; `busy` is shared with the import tab."""

    def __init__(self, busy: Busy) -> None:
        super().__init__()
        self.busy = busy

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("", id="export-encryption", classes="line", markup=False)
        yield Select[str]([], id="export-target", prompt=TARGET_PROMPT)
        yield Label(FOLDER, classes="section-title")
        yield Input(str(locations.exports_dir(self.fk.root)), id="export-folder")
        yield Checkbox(ALL_RECORDS, id="export-all")
        yield Static("", id="export-preview", classes="line", markup=False)
        with Horizontal(classes="button-bar"):
            yield Button(BTN_EXPORT, id="btn-export", variant="primary")
        yield Static("", id="export-result", classes="line ok", markup=False)

    @guarded
    def on_mount(self) -> None:
        self.query_one("#export-target", Select).display = False
        self.load_targets()
        self.load_preview()

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

    def load_preview(self) -> None:
        """What an export would hold, read in a thread (the choice is read here: widgets are
        read on the main thread only)."""
        self._read_preview(self._export_choice())

    @work(thread=True, exclusive=True, group="sync-preview")
    def _read_preview(self, choice: dict[str, Any]) -> None:
        app = self.fk
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
        if self.busy.on:
            return
        choice = self._export_choice()

        def export_to(folder: Path) -> None:
            if not self.busy.on:
                self.busy.on = True
                self.run_export(folder, choice)

        folders.when_ready(
            self.screen, self.query_one("#export-folder", Input).value, "导出", export_to
        )

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
        self.busy.on = False
        line = NOTHING_NEW
        if result.path is not None:
            line = EXPORTED.format(path=result.path)
            if result.manifest and not result.manifest.encrypted:
                line += EXPORTED_PLAIN
        if result.skipped_forms:
            line += "。" + formsync.skipped_note(result.skipped_forms)
        self.query_one("#export-result", Static).update(line)
        self.notify(line, markup=False)
        self.load_preview()

    def _failed(self, error: BaseException) -> None:
        self.busy.on = False
        self.fk.report_error(error)
