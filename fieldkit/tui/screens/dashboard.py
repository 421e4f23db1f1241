"""The year at a glance: this month's and this year's figures, each with a bar per month.

The figures come from `views.monthly.monthly_series` (the same counting as the annual report),
computed in a thread worker; G switches between this worker's grid and every grid, ←/→ the year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Label, Sparkline, Static

from fieldkit.reports.figures import MONTHLY_SERIES
from fieldkit.tui import text
from fieldkit.tui.safety import guarded
from fieldkit.tui.widgets.footer import KeyFooter
from fieldkit.views.monthly import monthly_series

if TYPE_CHECKING:
    from fieldkit.tui.services import Services

RATE = "success_rate"


class DashboardScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", text.KEY_BACK, id="dashboard.back", tooltip=text.KEY_BACK_TIP),
        Binding(
            "g",
            "toggle_grid",
            text.KEY_GRID_TOGGLE,
            id="dashboard.grid",
            tooltip=text.KEY_GRID_TOGGLE_TIP,
        ),
        Binding("left", "year(-1)", text.KEY_YEAR_PREV, id="dashboard.prev", tooltip=""),
        Binding("right", "year(1)", text.KEY_YEAR_NEXT, id="dashboard.next", tooltip=""),
    ]

    def __init__(self) -> None:
        super().__init__(classes="dashboard-screen")
        self.year = 0
        self.all_grids = True  # outreach, mediation … belong to the office, not a grid
        self.series: dict[str, list[int]] | None = None

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        self.year = self.year or self.fk.today().year
        self.sub_title = text.DASHBOARD_TITLE
        yield Header()
        with VerticalScroll(id="dashboard-body"):
            yield Static(text.LOADING, id="dash-head", markup=False)
            with Horizontal(classes="dash-row dash-header"):
                yield Label(text.DASH_COL_ITEM, classes="dash-label")
                yield Label(text.DASH_COL_MONTH, classes="dash-num")
                yield Label(text.DASH_COL_YEAR, classes="dash-num")
                yield Label(text.DASH_COL_TREND, classes="dash-trend-head")
            for key, label in [*MONTHLY_SERIES.items(), (RATE, text.DASH_SUCCESS_RATE)]:
                with Horizontal(classes="dash-row", id=f"dash-{key}"):
                    yield Label(label, classes="dash-label")
                    yield Label("…", classes="dash-num dash-month")
                    yield Label("…", classes="dash-num dash-year")
                    yield Sparkline([0] * 12, classes="dash-trend")
        yield KeyFooter()

    @guarded
    def on_mount(self) -> None:
        self.load()

    def _grid(self) -> str | None:
        ident = self.fk.ws.identity
        return None if self.all_grids or ident is None else ident.grid

    @work(thread=True, exclusive=True, group="dashboard")
    def load(self) -> None:
        year, grid = self.year, self._grid()
        series = monthly_series(self.fk.ws, year, grid, self.fk.ws_lock)
        self.app.call_from_thread(self._show, series, year, grid)

    def _show(self, series: dict[str, list[int]], year: int, grid: str | None) -> None:
        if year != self.year or grid != self._grid():
            return  # a later request is on its way
        self.series = series
        today = self.fk.today()
        month = today.month - 1 if year == today.year else 11
        scope = text.DASH_GRID_ONE.format(grid=grid) if grid else text.DASH_GRID_ALL
        head = text.DASH_HEAD.format(year=year, month=month + 1)
        self.query_one("#dash-head", Static).update(f"{head}　　{scope}")
        for key, values in series.items():
            self._row(key, str(values[month]), str(sum(values)), values)
        done, total = series["mediations_succeeded"], series["mediations"]
        rates = [d / t if t else 0.0 for d, t in zip(done, total, strict=True)]
        self._row(RATE, _rate(done[month], total[month]), _rate(sum(done), sum(total)), rates)

    def _row(self, key: str, month: str, year: str, values: list) -> None:
        row = self.query_one(f"#dash-{key}", Horizontal)
        row.query_one(".dash-month", Label).update(month)
        row.query_one(".dash-year", Label).update(year)
        row.query_one(Sparkline).data = values

    @guarded
    def action_toggle_grid(self) -> None:
        self.all_grids = not self.all_grids
        self.load()

    @guarded
    def action_year(self, step: int) -> None:
        self.year += step
        self.load()

    @guarded
    def action_back(self) -> None:
        self.dismiss(None)


def _rate(done: int, total: int) -> str:
    return text.DASH_RATE.format(rate=done / total) if total else text.DASH_NO_RATE


def open_dashboard(app: Services) -> None:
    app.push_screen(DashboardScreen())
