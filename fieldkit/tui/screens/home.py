"""The home screen: who is working, each form with this month's and this year's counts, and
the other things the app can do.

Other parts of the app hook in through `more_actions()`: one HomeAction per feature (a key, a
label, and what it opens). They appear as buttons here and in the command palette.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, DataTable, Header, Label, Static

from fieldkit.tui import text
from fieldkit.tui.messages import OpenPlace, WorkspaceReady
from fieldkit.tui.safety import guarded
from fieldkit.tui.widgets.footer import KeyFooter
from fieldkit.views.persons import DueCounts

if TYPE_CHECKING:
    from fieldkit.tui.services import Services


@dataclass(frozen=True)
class HomeAction:
    """One thing the home screen offers besides the forms."""

    id: str  # stable; also names the button (#action-<id>)
    label: str
    help: str  # one line, shown in the command palette and as the button's tooltip
    key: str  # a key on the home screen ("" for none)
    run: Callable[[Services], object]


def more_actions() -> list[HomeAction]:
    """What the home screen offers besides the forms, in order.

    Add one entry per feature; a place's screen is opened by fieldkit.tui.navigation.
    """
    return [
        HomeAction(
            "identity",
            text.CMD_IDENTITY,
            text.CMD_IDENTITY_HELP,
            "i",
            lambda app: app.action_identity(),
        ),
        HomeAction(
            "persons",
            text.PERSONS_TITLE,
            text.PERSONS_HELP,
            "p",
            lambda app: app.post_message(OpenPlace("persons")),
        ),
        HomeAction(
            "due",
            text.DUE_TITLE,
            text.DUE_HELP,
            "v",
            lambda app: app.post_message(OpenPlace("due")),
        ),
        HomeAction(
            "dashboard",
            text.DASHBOARD_TITLE,
            text.DASHBOARD_HELP,
            "t",
            lambda app: app.post_message(OpenPlace("dashboard")),
        ),
        HomeAction(
            "report",
            text.REPORT_LABEL,
            "查看全年统计数字，生成年度报告草稿（.docx）和台账（.xlsx）",
            "y",
            lambda app: app.post_message(OpenPlace("report")),
        ),
        HomeAction(
            "sync",
            text.SYNC_LABEL,
            "导出交给街道的文件；街道导入各网格的文件，处理冲突和重复人员",
            "s",
            lambda app: app.post_message(OpenPlace("sync")),
        ),
        HomeAction("lock", text.CMD_LOCK, text.CMD_LOCK_HELP, "l", lambda app: app.action_lock()),
        HomeAction("help", text.CMD_HELP, text.CMD_HELP_HELP, "f1", lambda app: app.action_help()),
    ]


class HomeScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", text.KEY_NEW, id="home.new", tooltip=text.KEY_NEW_TIP),
        Binding("r", "records", text.KEY_RECORDS, id="home.records", tooltip=text.KEY_RECORDS_TIP),
    ]

    def __init__(self) -> None:
        super().__init__(id="home")
        self.form_ids: list[str] = []
        self.seen_version = -1

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home-body"):
            yield Static(text.OPENING, id="who", markup=False)
            yield Static("", id="due-count", markup=False)
            yield Static("", id="at-rest", markup=False)
            with Horizontal(classes="title-line"):
                yield Label(text.HOME_FORMS, classes="section-title")
                yield Static(text.HOME_HINT, id="home-hint", markup=False)
            table: DataTable = DataTable(id="forms", cursor_type="row", zebra_stripes=True)
            table.add_column("", key="n", width=2)
            table.add_column(text.COL_FORM, key="form", width=12)
            table.add_column(text.COL_MONTH, key="month", width=5)
            table.add_column(text.COL_YEAR, key="year", width=6)
            table.add_column(text.COL_DRAFT, key="draft", width=6)
            yield table
            with Horizontal(classes="button-bar", id="form-buttons"):
                yield Button(
                    f"{text.BTN_NEW}（Enter）", id="btn-new", variant="primary", compact=True
                )
                yield Button(f"{text.BTN_RECORDS}（R）", id="btn-records", compact=True)
            yield Label(text.HOME_MORE, classes="section-title")
            with Horizontal(classes="button-bar", id="more"):
                for action in more_actions():
                    key = f"（{action.key.upper()}）" if action.key else ""
                    button = Button(action.label + key, id=f"action-{action.id}", compact=True)
                    button.tooltip = action.help
                    yield button
        yield KeyFooter()

    @guarded
    def on_mount(self) -> None:
        self.query_one("#forms", DataTable).focus()
        if self.fk.ready:
            self.fill()

    @on(WorkspaceReady)
    @guarded
    def fill(self) -> None:
        if not self.fk.ready:
            self.query_one("#who", Static).update(self.fk.open_error or "")
            return
        ws = self.fk.ws
        self.update_who()
        table = self.query_one("#forms", DataTable)
        if not self.form_ids:
            drafts = self.fk.drafts.forms_with_drafts(f.id for f in ws.forms)
            for i, form in enumerate(ws.forms, start=1):
                mark = text.DRAFT_MARK if form.id in drafts else ""
                table.add_row(str(i), form.label, "…", "…", mark, key=form.id)
                self.form_ids.append(form.id)
        self.load_counts()

    def update_who(self) -> None:
        # Going without a passphrase is a choice, and home keeps saying what it means.
        plain = not self.fk.ws.encrypted and not self.fk.demo
        warning = self.query_one("#at-rest", Static)
        warning.update(text.HOME_PLAIN if plain else "")
        warning.display = plain
        ident = self.fk.ws.identity
        day = text.long_date(self.fk.today())
        if ident is None:
            self.query_one("#who", Static).update(day)
            return
        org = f" · {ident.org}" if ident.org else ""
        who = text.HOME_WHO.format(worker=ident.worker, grid=ident.grid, org=org)
        self.query_one("#who", Static).update(f"{who}　{day}")

    @work(thread=True, exclusive=True, group="home-counts")
    def load_counts(self) -> None:
        version = self.fk.data_version
        counts = self.fk.counts()
        self.app.call_from_thread(self._show_counts, counts, version)
        if self.fk.ws.identity is not None:
            index = self.fk.person_index()
            grid = self.fk.own_grid()
            due = index.due_counts(grid)
            self.app.call_from_thread(self._show_due, due, index.in_management(grid))

    def _show_due(self, due: DueCounts, managed: int) -> None:
        parts = [text.HOME_MANAGED.format(n=managed)]
        if due.total:
            parts.append(text.HOME_DUE.format(counts=text.due_summary(due)))
        else:
            parts.append(text.HOME_DUE_NONE)
        label = self.query_one("#due-count", Static)
        label.update("　".join(parts))
        label.set_class(due.overdue > 0, "-overdue")

    def _show_counts(self, counts: dict[str, tuple[int, int]], version: int) -> None:
        table = self.query_one("#forms", DataTable)
        drafts = self.fk.drafts.forms_with_drafts(self.form_ids)
        for form_id in self.form_ids:
            month, year = counts.get(form_id, (0, 0))
            table.update_cell(form_id, "month", str(month))
            table.update_cell(form_id, "year", str(year))
            table.update_cell(form_id, "draft", text.DRAFT_MARK if form_id in drafts else "")
        self.seen_version = version

    @guarded
    def on_screen_resume(self) -> None:
        if self.fk.ready and self.form_ids:
            self.update_who()
            self.load_counts()

    # -- actions ---------------------------------------------------------------------------

    def _highlighted(self) -> str | None:
        table = self.query_one("#forms", DataTable)
        if not self.form_ids:
            return None
        return self.form_ids[min(table.cursor_row, len(self.form_ids) - 1)]

    @guarded
    def action_new(self) -> None:
        form_id = self._highlighted()
        if form_id:
            self.fk.open_form(form_id)

    @guarded
    def action_records(self) -> None:
        form_id = self._highlighted()
        if form_id:
            self.fk.open_records(form_id)

    @on(DataTable.RowSelected, "#forms")
    @guarded
    def row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_new()

    @on(Button.Pressed)
    @guarded
    def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        bid = event.button.id or ""
        if bid == "btn-new":
            self.action_new()
        elif bid == "btn-records":
            self.action_records()
        elif bid.startswith("action-"):
            for action in more_actions():
                if action.id == bid.removeprefix("action-"):
                    action.run(self.fk)

    @guarded
    def on_key(self, event) -> None:
        key = event.key
        if key.isdigit() and 1 <= int(key) <= len(self.form_ids):
            event.stop()
            self.query_one("#forms", DataTable).move_cursor(row=int(key) - 1)
            self.fk.open_form(self.form_ids[int(key) - 1])
            return
        for action in more_actions():
            if action.key and action.key == key and action.key != "f1":
                event.stop()
                action.run(self.fk)
                return
