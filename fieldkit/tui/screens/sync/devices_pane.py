"""The sync screen's 设备 tab: every device this data dir knows, and the office's say over them.

A file from a device nobody trusted yet is held, not merged. Here the office sees the new
device with its fingerprint, compares it with the 网格员信息 page of that laptop and trusts
it (Enter): the held files merge at once. R revokes a device (a lost laptop): what it sent is
kept, its later files are refused. The work is fieldkit.sync.roster's; it runs in thread workers
holding the app's `ws_lock`, and the pane posts `DevicesPane.Changed` when records may have
changed, so the screen refreshes its other tabs as after an import.

The sentences about imports and devices are the CLI's (`fieldkit import`, `fieldkit devices`),
with the app's way of acting in place of the command to type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from fieldkit.sync import devices, roster
from fieldkit.sync import messages as words
from fieldkit.sync.merge import FileResult
from fieldkit.tui.safety import guarded
from fieldkit.tui.screens.dialogs import Answer, ChoiceDialog

if TYPE_CHECKING:
    from fieldkit.tui.services import Services

TAB_DEVICES = "设备"
TAB_DEVICES_WAITING = "设备（{n} 台待信任）"
DEVICES_HINT = (
    "本机知道的电脑和它们的指纹。未信任电脑的文件先暂存、不合并：选中它按 Enter，"
    "核对指纹后信任，暂存的文件随即合并。按 R 停用选中的电脑（如电脑丢失）。"
)
NO_DEVICES = "还没有其他电脑的文件。"
COLUMNS = (
    ("fingerprint", "指纹"),
    ("worker", "网格员"),
    ("grid", "网格"),
    ("state", "状态"),
    ("versions", "已收变更"),
    ("held", "暂存记录"),
    ("missing", "缺少"),
)

WHO = "{worker}（{grid}，指纹 {fp}）"
TRUST_TITLE = "信任这台电脑？"
TRUST_BODY = (
    "网格员：{worker}\n网格：{grid}\n指纹：{fp}\n\n"
    "请与该电脑“网格员信息”页上的本机指纹逐位核对，一致才信任。"
)
TRUST_HELD = "信任后，暂存的 {n} 条记录立即合并。"
TRUST_AGAIN = "这台电脑已停用；重新信任后，它此后的文件又会接收。"
TRUST_OK, TRUST_NO = "指纹一致，信任", "取消"
REVOKE_TITLE = "停用这台电脑？"
REVOKE_BODY = (
    "网格员：{worker}\n网格：{grid}\n指纹：{fp}\n\n"
    "停用后，它已有的记录保留，此后导出的文件不再接收（用于电脑丢失或不再使用）。"
)
REVOKE_OK = "停用"
IS_SELF = "这是本机，不需要也不能改变对本机的信任。"
ALREADY_TRUSTED = "已信任这台电脑。要停用它请按 R。"
ALREADY_REVOKED = "这台电脑已停用。"
TRUSTED = "已信任 {who}。"
TRUSTED_SHORT = "已信任{worker}（{grid}）。"
REVOKED_SHORT = "已停用{worker}（{grid}）。"
REVOKED = "已停用 {who}：它已有的记录保留，此后的文件不再接收。"
MERGED = "暂存的{n}个文件已合并。"
WORKING = "正在处理……"
KEY_REVOKE = "停用"
KEY_REVOKE_TIP = "停用选中的电脑（如电脑丢失）：它已有的记录保留，此后的文件不再接收"

# How the user acts in the app, where the CLI names a command (fieldkit.sync.messages).
TRUST_HOW = "在“设备”页选中它按 Enter 信任。"
RESEND_HOW = "在“同步”页勾选“导出全部记录”，或运行 {command}"


def new_device_line(d: dict[str, Any]) -> str:
    return words.new_device_line(d, TRUST_HOW)


def missing_line(m: dict[str, Any]) -> str:
    return words.missing_line(m, RESEND_HOW.format(command=words.resend_command(m)))


def _undecided(row: dict[str, Any]) -> bool:
    return not (row["self"] or row["trusted"] or row["revoked"])


class DevicesPane(Vertical):
    """The device list with trust (Enter) and revoke (R)."""

    DEFAULT_CSS = """
    DevicesPane { height: auto; }
    DevicesPane #device-table { height: auto; max-height: 16; }
    DevicesPane #device-result { height: auto; margin: 1 0 0 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "revoke", KEY_REVOKE, id="sync.devices.revoke", tooltip=KEY_REVOKE_TIP),
    ]

    class Changed(Message):
        """Trust changed here; `merged` are the held files that merged (or were dropped)."""

        def __init__(self, merged: list[FileResult]) -> None:
            super().__init__()
            self.merged = merged

    class Loaded(Message):
        """The list was (re)read: the screen updates the tab's label."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[dict[str, Any]] = []
        self.deciding = False

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(DEVICES_HINT, classes="line", markup=False)
        table: DataTable = DataTable(id="device-table", cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static("", id="device-empty", classes="line", markup=False)
        yield Static("", id="device-result", markup=False)

    @property
    def waiting(self) -> int:
        """Devices not trusted (nor revoked) yet: the office's to decide."""
        return sum(1 for r in self.rows if _undecided(r))

    @work(thread=True, exclusive=True, group="sync-devices")
    def load(self) -> None:
        app = self.fk
        with app.ws_lock:
            rows = roster.rows(app.ws)
        app.call_from_thread(self._show, rows)

    def _show(self, rows: list[dict[str, Any]]) -> None:
        table = self.query_one("#device-table", DataTable)
        selected = self.selected()
        table.clear()
        self.rows = rows
        for row in rows:
            state = Text(words.standing_text(row))
            if not (row["self"] or row["trusted"]):
                state.stylize("bold yellow" if not row["revoked"] else "red")
            table.add_row(
                Text(row["fingerprint"]),
                Text(row["worker"]),
                Text(row["grid"]),
                state,
                Text(str(row["versions"])),
                Text(str(row["held"] or "")),
                Text(words.ranges_text(row["missing"]), style="yellow"),
                key=row["device"],
            )
        # While someone works in the list, its selection stays; otherwise (first shown, after
        # an import) it starts on the first device waiting for a decision.
        if selected is not None and table.has_focus:
            index = next((i for i, r in enumerate(rows) if r["device"] == selected["device"]), 0)
        else:
            index = next((i for i, r in enumerate(rows) if _undecided(r)), 0)
        table.move_cursor(row=index)
        others = any(not r["self"] for r in rows)
        self.query_one("#device-empty", Static).update("" if others else NO_DEVICES)
        self.screen.refresh_bindings()
        self.post_message(self.Loaded())

    def selected(self) -> dict[str, Any] | None:
        table = self.query_one("#device-table", DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowHighlighted, "#device-table")
    @guarded
    def highlighted(self) -> None:
        self.screen.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "revoke":
            row = self.selected()
            return (row is not None and not row["self"] and not row["revoked"]) or None
        return True

    # -- trust --------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#device-table")
    @guarded
    def ask_trust(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self.selected()
        if row is None or self.deciding:
            return
        if row["self"]:
            self.notify(IS_SELF, markup=False)
            return
        if row["trusted"] and not row.get("moved"):
            self.notify(ALREADY_TRUSTED, markup=False)
            return
        lines = [TRUST_BODY.format(worker=row["worker"], grid=row["grid"], fp=row["fingerprint"])]
        if row["revoked"]:
            lines.append(TRUST_AGAIN)
        if row["held"]:
            lines.append(TRUST_HELD.format(n=row["held"]))
        if note := words.namesake_note(row):
            lines.append(note)
        body = "\n".join(lines)

        def answered(answer: str | None) -> None:
            if answer == "trust":
                self._start(row, trust=True)

        self.app.push_screen(
            ChoiceDialog(
                TRUST_TITLE,
                body,
                [Answer("trust", TRUST_OK, "", "primary"), Answer("no", TRUST_NO)],
                cancel="no",
            ),
            answered,
        )

    @guarded
    def action_revoke(self) -> None:
        row = self.selected()
        if row is None or self.deciding:
            return
        if row["self"]:
            self.notify(IS_SELF, markup=False)
            return
        if row["revoked"]:
            self.notify(ALREADY_REVOKED, markup=False)
            return

        def answered(answer: str | None) -> None:
            if answer == "revoke":
                self._start(row, trust=False)

        body = REVOKE_BODY.format(worker=row["worker"], grid=row["grid"], fp=row["fingerprint"])
        self.app.push_screen(
            ChoiceDialog(
                REVOKE_TITLE,
                body,
                [Answer("revoke", REVOKE_OK, "", "error"), Answer("no", TRUST_NO)],
                cancel="no",
                danger=True,  # 取消 is focused: Enter alone never revokes
            ),
            answered,
        )

    def _start(self, row: dict[str, Any], *, trust: bool) -> None:
        self.deciding = True
        self.query_one("#device-result", Static).update(WORKING)
        self.decide(row["device"], trust)

    @work(thread=True, exclusive=True, group="sync-devices-decide", exit_on_error=False)
    def decide(self, device: str, trust: bool) -> None:
        app = self.fk
        try:
            with app.ws_lock:
                act = roster.trust if trust else roster.revoke
                result = act(app.ws, device)
        except Exception as exc:
            app.call_from_thread(self._failed, exc)
            return
        app.call_from_thread(self._decided, result, trust)

    def _failed(self, error: BaseException) -> None:
        self.deciding = False
        self.query_one("#device-result", Static).update("")
        self.fk.report_error(error)

    def _decided(self, result: roster.TrustResult, trust: bool) -> None:
        self.deciding = False
        card = result.card
        who = WHO.format(
            worker=card["worker"], grid=card["grid"], fp=devices.fingerprint(card["device"])
        )
        head = (TRUSTED if trust else REVOKED).format(who=who)
        lines = [head, *(words.file_line(f) for f in result.merged)]
        self.query_one("#device-result", Static).update("\n".join(lines))
        merged = [f for f in result.merged if f.error is None]
        short = (TRUSTED_SHORT if trust else REVOKED_SHORT).format(
            worker=card["worker"], grid=card["grid"]
        )
        self.notify(short + (MERGED.format(n=len(merged)) if merged else ""), markup=False)
        self.load()
        self.post_message(self.Changed(result.merged))
