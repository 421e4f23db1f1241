"""Sync in the app: export a bundle, import bundles, and review what an import leaves to people
(conflicts, likely duplicate persons, rejected records, devices to trust).

One screen with a tab per task, each tab a module of its own (export_pane, import_pane,
conflicts_pane, duplicates_pane, rejected_pane, devices_pane). The work itself is the core's
(fieldkit.sync.export, merge, review, roster): reading and writing run in thread workers
holding the app's `ws_lock`, and the results come back to the tabs through
`call_from_thread`. A tab that changed records posts a message; the screen then reads the
other tabs anew.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, TabbedContent, TabPane

from fieldkit.tui import text
from fieldkit.tui.safety import guarded
from fieldkit.tui.screens.sync.common import TITLE, Busy, RecordsChanged
from fieldkit.tui.screens.sync.conflicts_pane import TAB_CONFLICTS, ConflictsPane
from fieldkit.tui.screens.sync.devices_pane import TAB_DEVICES, TAB_DEVICES_WAITING, DevicesPane
from fieldkit.tui.screens.sync.duplicates_pane import TAB_DUPLICATES, DuplicatesPane
from fieldkit.tui.screens.sync.export_pane import TAB_EXPORT, ExportPane
from fieldkit.tui.screens.sync.import_pane import TAB_IMPORT, ImportPane
from fieldkit.tui.screens.sync.rejected_pane import TAB_REJECTED, RejectedPane
from fieldkit.tui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from fieldkit.tui.services import Services

KEY_NEXT_TAB, KEY_PREV_TAB = "下一页", "上一页"
KEY_NEXT_TAB_TIP = "切换到下一个标签页（也可 Ctrl+PgDn）"
KEY_PREV_TAB_TIP = "切换到上一个标签页（也可 Ctrl+PgUp）"


def open_sync(app: Services) -> None:
    app.push_screen(SyncScreen())


class SyncScreen(Screen[None]):
    DEFAULT_CSS = """
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
    """
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
        self._busy = Busy()

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    @property
    def busy(self) -> bool:
        """An export or an import is running."""
        return self._busy.on

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="sync-tabs"):
            with TabPane(TAB_EXPORT, id="export"):
                yield ExportPane(self._busy)
            with TabPane(TAB_IMPORT, id="import"):
                yield ImportPane(self._busy)
            with TabPane(TAB_CONFLICTS, id="conflicts"):
                yield ConflictsPane()
            with TabPane(TAB_DUPLICATES, id="duplicates"):
                yield DuplicatesPane()
            with TabPane(TAB_REJECTED, id="rejected"):
                yield RejectedPane()
            with TabPane(TAB_DEVICES, id="devices"), VerticalScroll():
                yield DevicesPane(id="devices-pane")
        yield KeyFooter()

    @guarded
    def on_mount(self) -> None:
        self.sub_title = TITLE
        for pane in self.query(VerticalScroll):
            pane.can_focus = False  # Tab goes from the tabs straight to the pane's controls
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

    def _focus_pane(self, tries: int = 40) -> None:
        """Focus the active page's first control once the page is on screen and its content
        is there (it is shown a refresh or more after the tab changes, later on a busy
        machine; focusing it before then does nothing): tried every 50 ms for up to 2 s, until
        the focus is seen to be there."""
        tabs = self.query_one(TabbedContent)
        pane = tabs.get_pane(tabs.active)
        first = next(
            (w for w in pane.query("*") if w.can_focus and w.display and not w.disabled), None
        )
        if pane.has_focus_within:  # seen there (or the user has moved on within the page)
            return
        if first is not None and first.focusable:
            first.focus()
        if tries:
            self.set_timer(0.05, lambda: self._focus_pane(tries - 1))

    def records_changed(self, *, lists: bool = True) -> None:
        """After an import, a trust decision, a join or a resolved conflict: the review tabs
        and the export preview anew (and the app's record and person lists, when `lists`)."""
        if lists:
            self.fk.lists_changed()  # rebuilt from the merged store
        self.query_one(ConflictsPane).load()
        self.query_one(DuplicatesPane).load()
        self.query_one(RejectedPane).load()
        export = self.query_one(ExportPane)
        export.load_targets()
        export.load_preview()

    @on(ImportPane.Merged)
    @guarded
    def imported(self, event: ImportPane.Merged) -> None:
        event.stop()
        self.records_changed()
        self.query_one(DevicesPane).load()

    @on(RecordsChanged)
    @guarded
    def tab_changed_records(self, event: RecordsChanged) -> None:
        event.stop()
        self.records_changed(lists=event.lists)

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
