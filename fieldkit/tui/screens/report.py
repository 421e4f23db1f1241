"""The report screen: pick a year (and a grid), see the year's figures, and write the annual
report draft and the ledgers, with progress and the paths they were written to.

Reading the store and writing the files run in thread workers; the records are copied under
the app's `ws_lock` first, so a long generation never holds up a save.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import platformdirs
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
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
    Static,
)

from fieldkit.errors import FieldkitError, os_reason
from fieldkit.files.locations import exports_dir
from fieldkit.reports import figures as F
from fieldkit.store import vault
from fieldkit.sync import messages as words
from fieldkit.tui.screens import folders
from fieldkit.tui.widgets.chinese import Paragraph
from fieldkit.tui.widgets.footer import KeyFooter
from fieldkit.views.chinese import natural_key
from fieldkit.views.monthly import snapshot

if TYPE_CHECKING:
    from fieldkit.tui.services import Services

TITLE = "年度报告和台账"
HELP = "查看全年统计数字，生成《法治政府建设年度报告》草稿（.docx）和台账（.xlsx）"
ALL_GRIDS = "全部网格"
LOADING = "正在统计……"
EMPTY_YEAR = "{year}年没有任何工作记录，不能生成报告草稿和台账。"
SUMMARY = (
    "{year}年：普法活动 {events} 场次，随访 {visits} 次（联合随访 {joint} 次），"
    "异常情况 {incidents} 起，受理纠纷 {mediations} 件（成功率 {rate}），法律顾问服务 {adviser} 次"
)
UNGRIDDED = "注意：{detail} 没有网格信息，未计入“{grid}”。"
WRITTEN = "已写入：{path}"
KEPT = "同名文件 {name} 已存在（可能已修改过），没有覆盖它；新文件：{path}"
DONE_REPORT = "报告草稿已生成。黄色底纹的【待补充】处需要人工补写。"
DONE_LEDGER = "台账已生成（{masked}）。"
MASKED = "已脱敏，可对外报送"
UNMASKED = "含完整的姓名、身份证号和电话，仅供内部使用"
BUSY = "正在生成，请稍候……"
SAVE_TO = "保存到"
SAVE_TO_TIP = "报告草稿和台账保存到这个文件夹（如 U 盘）。数据目录已加密时，含完整信息的台账不能存在数据目录中"
COL_ITEM, COL_VALUE = "项目", "数量"
BTN_REPORT, BTN_LEDGER, BTN_BOTH = "生成报告草稿（D）", "生成台账（L）", "全部生成（G）"
# Three options side by side within 80 columns: short labels, the rest in tooltips.
MASK_LABEL = "台账脱敏（对外报送）"
MASK_TIP = "姓名只留姓，身份证号和电话打码，地址只到社区，不含备注和健康、违法细节"
EXACT_LABEL = "数字照实写"
EXACT_TIP = "报告中的数字照实写，不写成“2万余”"
SEAL_LABEL = "加盖印章的署名"
SEAL_TIP = "署名和成文日期按加盖印章的格式排（GB/T 9704 7.3.5.1）"

DEFAULT_CSS_TEXT = """
ReportScreen #report-body { padding: 0 2; }
ReportScreen .pickers { height: 1; margin: 1 0 0 0; }
ReportScreen .pickers Label { padding: 0 1 0 0; }
ReportScreen .pickers Select { margin: 0 2 0 0; }
ReportScreen #year { width: 12; }
ReportScreen #grid { width: 20; }
ReportScreen #summary { margin: 1 0 0 0; }
ReportScreen #ungridded { color: $warning; }
ReportScreen #figures { height: 1fr; min-height: 4; width: auto; max-width: 100%; }
ReportScreen .options { height: 1; margin: 1 0 0 0; }
ReportScreen .options Checkbox { margin: 0 2 0 0; }
ReportScreen .save-to { height: 1; margin: 1 0 0 0; }
ReportScreen .save-to Label { padding: 0 1 0 0; }
ReportScreen #save-folder { width: 1fr; }
ReportScreen #report-buttons { height: 1; margin: 1 0 0 0; }
ReportScreen #report-buttons Button { margin: 0 2 0 0; }
ReportScreen #progress-row { height: auto; }
ReportScreen #progress { width: 40; }
ReportScreen #status { padding: 0 0 0 2; }
ReportScreen #written { color: $success; height: auto; }
"""


@dataclass(frozen=True)
class Job:
    report: bool
    ledger: bool
    forms: int  # how many forms are loaded: the ledgers have a sheet for each

    @property
    def steps(self) -> int:
        # Progress messages: report 3 (统计, 排版, 保存); ledgers 2 (统计, 保存) + one per form.
        return (3 if self.report else 0) + (2 + self.forms if self.ledger else 0)


class ReportScreen(Screen[None]):
    DEFAULT_CSS = DEFAULT_CSS_TEXT
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "返回", id="report.back", tooltip="回到上一个界面"),
        Binding("d", "generate('report')", "报告草稿", id="report.draft", tooltip=HELP),
        Binding("l", "generate('ledger')", "台账", id="report.ledger", tooltip="生成全年台账"),
        Binding("g", "generate('both')", "全部生成", id="report.both", tooltip="报告和台账"),
    ]

    def __init__(self) -> None:
        super().__init__(id="report")
        self.busy = False
        self.figures: F.Figures | None = None
        self.written: list[Path] = []

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        self.sub_title = TITLE
        yield Header()
        with Vertical(id="report-body"):
            yield Label(TITLE, classes="section-title")
            with Horizontal(classes="pickers"):
                yield Label("年度")
                yield Select([], id="year", allow_blank=True, prompt="年度", compact=True)
                yield Label("网格")
                yield Select([], id="grid", allow_blank=True, prompt=ALL_GRIDS, compact=True)
            yield Static(LOADING, id="summary", markup=False)
            yield Static("", id="ungridded", markup=False)
            table: DataTable = DataTable(id="figures", cursor_type="row", zebra_stripes=True)
            table.add_column(COL_ITEM, key="item", width=42)
            table.add_column(COL_VALUE, key="value", width=12)
            yield table
            with Horizontal(classes="options"):
                yield Checkbox(MASK_LABEL, id="mask", tooltip=MASK_TIP, compact=True)
                yield Checkbox(EXACT_LABEL, id="exact", tooltip=EXACT_TIP, compact=True)
                yield Checkbox(SEAL_LABEL, id="seal", tooltip=SEAL_TIP, compact=True)
            with Horizontal(classes="save-to"):
                yield Label(SAVE_TO)
                yield Input(
                    str(default_folder(self.fk.ws.root)),
                    id="save-folder",
                    tooltip=SAVE_TO_TIP,
                    compact=True,
                    select_on_focus=False,
                )
            with Horizontal(id="report-buttons"):
                yield Button(BTN_REPORT, id="btn-report", variant="primary", compact=True)
                yield Button(BTN_LEDGER, id="btn-ledger", compact=True)
                yield Button(BTN_BOTH, id="btn-both", compact=True)
            with Horizontal(id="progress-row"):
                yield ProgressBar(id="progress", show_eta=False)
                yield Static("", id="status", markup=False)
            yield Static("", id="written", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#progress", ProgressBar).display = False
        self.load_choices()

    # -- year and grid ---------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="report-choices")
    def load_choices(self) -> None:
        app = self.fk
        with app.ws_lock:
            records = snapshot(app.ws)
        years = F.years(records, app.ws.forms)
        this_year = app.today().year
        if this_year not in years:
            years = sorted({this_year, *years}, reverse=True)
        grids = sorted(F.grids(records), key=natural_key)  # 第二网格 before 第十网格
        app.call_from_thread(self._show_choices, years, grids)

    def _show_choices(self, years: list[int], grids: list[str]) -> None:
        year_select = self.query_one("#year", Select)
        year_select.set_options([(f"{y}年", y) for y in years])
        this_year = self.fk.today().year
        # Reports are written in the first quarter, about the year before.
        early = self.fk.today().month <= 3 and this_year - 1 in years
        self.query_one("#grid", Select).set_options([(g, g) for g in grids])
        year_select.value = this_year - 1 if early else this_year  # Changed: figures load

    @on(Select.Changed)
    def choice_changed(self, event: Select.Changed) -> None:
        event.stop()
        if self.year is not None:
            self.load_figures()

    @property
    def year(self) -> int | None:
        value = self.query_one("#year", Select).value
        return value if isinstance(value, int) else None

    @property
    def grid(self) -> str | None:
        value = self.query_one("#grid", Select).value
        return value if isinstance(value, str) and value else None

    # -- the figures -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="report-figures")
    def load_figures(self) -> None:
        app = self.fk
        year, grid = self.year, self.grid
        if year is None:
            return
        with app.ws_lock:
            records = snapshot(app.ws)
        figs = F.compute(records, app.ws.forms, year, grid=grid, today=app.today())
        from fieldkit.reports.annual import load_template, stat_tables

        tables = stat_tables(figs, load_template(app.ws.forms))
        app.call_from_thread(self._show_figures, figs, tables)

    def _show_figures(self, figs: F.Figures, tables: list[Any]) -> None:
        from fieldkit.reports.annual import percent, stat_value_text

        if (figs.year, figs.grid) != (self.year, self.grid):
            return  # an older choice's figures, overtaken by the current one
        self.figures = figs
        m, p = figs.mediation, figs.population
        summary = SUMMARY.format(
            year=figs.year,
            events=figs.outreach.events,
            visits=p.visits,
            joint=p.joint_visits,
            incidents=p.incidents,
            mediations=m.accepted,
            rate=percent(m.success_rate),
            adviser=figs.adviser.total,
        )
        if not figs.work_records:
            summary = EMPTY_YEAR.format(year=figs.year)
        self.query_one("#summary", Static).update(Paragraph(summary))
        left_out = ""
        if figs.grid and figs.ungridded:
            labels = {f.id: f.label for f in self.fk.ws.forms}
            detail = words.form_counts(figs.ungridded, labels, unit=" 条", sep="、")
            left_out = UNGRIDDED.format(detail=detail, grid=figs.grid)
        self.query_one("#ungridded", Static).update(left_out)
        table = self.query_one("#figures", DataTable)
        table.clear()
        for t in tables:
            table.add_row(t.title, "")
            for row in t.rows:
                label = f"　　{row.label}" if row.kind == "item" else f"  {row.label}"
                table.add_row(label, stat_value_text(row))

    # -- generating ------------------------------------------------------------------------

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        what = {"btn-report": "report", "btn-ledger": "ledger", "btn-both": "both"}
        if event.button.id in what:
            self.action_generate(what[event.button.id])

    def action_generate(self, what: str) -> None:
        if self.busy:
            self.notify(BUSY)
            return
        year = self.year
        if year is None:
            return
        job = Job(
            report=what in ("report", "both"),
            ledger=what in ("ledger", "both"),
            forms=len(self.fk.ws.forms.forms),
        )
        grid = self.grid
        options = {
            "mask": self.query_one("#mask", Checkbox).value,
            "exact": self.query_one("#exact", Checkbox).value,
            "seal": self.query_one("#seal", Checkbox).value,
        }

        def write_into(folder: Path) -> None:
            if self.busy:
                return
            self.busy = True
            bar = self.query_one("#progress", ProgressBar)
            bar.update(total=job.steps, progress=0)
            bar.display = True
            self.query_one("#written", Static).update("")
            self.generate(job, year, grid, folder, **options)

        typed = self.query_one("#save-folder", Input).value
        folders.when_ready(self, typed, "保存", write_into, default_folder(self.fk.ws.root))

    # Errors reach the app's handler: a FieldkitError shows as its message, the app goes on.
    @work(thread=True, exclusive=True, group="report-generate")
    def generate(
        self,
        job: Job,
        year: int,
        grid: str | None,
        folder: Path,
        *,
        mask: bool,
        exact: bool,
        seal: bool,
    ) -> None:
        """Write what `job` asks for. An existing file is never replaced: the new one gets the
        next free name (…（草稿2）.docx), and the screen says where it went."""
        from fieldkit.reports import annual as report
        from fieldkit.reports import ledger

        app = self.fk

        def say(message: str) -> None:
            app.call_from_thread(self._step, message)

        try:
            _make_folder(folder)
            with app.ws_lock:
                records = snapshot(app.ws)
                draft_name = report.draft_target(app.ws, year, grid, folder).path
                ledger_name = ledger.ledger_target(app.ws, year, grid, folder, mask=mask).path
            written: list[tuple[Path, Path, str]] = []
            if job.report:
                path, _ = report.write_report(
                    app.ws,
                    year,
                    output=folder,
                    grid=grid,
                    exact=exact,
                    seal=seal,
                    records=records,
                    progress=say,
                )
                written.append((path, draft_name, DONE_REPORT))
            if job.ledger:
                path, _ = ledger.write_ledger(
                    app.ws, year, output=folder, grid=grid, mask=mask, records=records, progress=say
                )
                done = DONE_LEDGER.format(masked=MASKED if mask else UNMASKED)
                written.append((path, ledger_name, done))
            app.call_from_thread(self._done, written)
        finally:
            app.call_from_thread(self._idle)

    def _step(self, message: str) -> None:
        self.query_one("#progress", ProgressBar).advance(1)
        self.query_one("#status", Static).update(message)

    def _done(self, written: list[tuple[Path, Path, str]]) -> None:
        self.written = [path for path, _, _ in written]
        lines = [
            WRITTEN.format(path=path)
            if path == intended
            else KEPT.format(name=intended.name, path=path)
            for path, intended, _ in written
        ]
        # On the screen, not in a toast: a toast over Chinese text loses characters where it
        # overlaps the widgets below (Textual issue #6357).
        self.query_one("#written", Static).update(Paragraph("\n".join(lines)))
        self.query_one("#status", Static).update(Paragraph(" ".join(d for _, _, d in written)))

    def _idle(self) -> None:
        self.busy = False
        bar = self.query_one("#progress", ProgressBar)
        bar.display = bar.progress > 0 and bar.progress >= (bar.total or 0)

    def action_back(self) -> None:
        self.app.pop_screen()


def default_folder(root: Path) -> Path:
    """Where reports and ledgers go unless the user writes another folder: the data dir's
    exports folder, or the user's documents once the data dir is encrypted (a full ledger
    must not lie unencrypted inside it)."""
    if vault.is_encrypted(root):
        return platformdirs.user_documents_path()
    return exports_dir(root)


def _make_folder(folder: Path) -> None:
    """The folder the user agreed to have made (see folders.when_ready)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FieldkitError(f"无法新建文件夹 {folder}：{os_reason(exc)}") from None


def open_report(app: Services) -> None:
    """Push the report screen (the home screen's action)."""
    app.push_screen(ReportScreen())
