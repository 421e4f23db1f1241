"""A record's versions, oldest first: who made each, when, on which device, what kind of
change it was and what it changed; the current version and any it conflicts with marked."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Static

from fieldkit.sync import messages as words
from fieldkit.tui import text
from fieldkit.tui.safety import guarded
from fieldkit.tui.widgets.footer import KeyFooter
from fieldkit.views.history import Step, record_history

if TYPE_CHECKING:
    from fieldkit.tui.services import Services


class HistoryScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", text.KEY_BACK, id="history.back", tooltip=text.KEY_BACK_TIP),
    ]

    def __init__(self, record_id: str):
        super().__init__(classes="history-screen")
        self.record_id = record_id

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        ws = self.fk.ws
        with self.fk.ws_lock:
            steps = record_history(ws, self.record_id)
        current = next(s for s in steps if s.current).version
        form = ws.form(current["form"])
        self.sub_title = text.HISTORY_TITLE.format(form=form.label)
        heads = sum(s.head for s in steps)
        summary = text.HISTORY_COUNT.format(n=len(steps))
        if heads > 1:
            summary += text.HISTORY_IN_CONFLICT.format(n=heads)
        yield Header()
        with VerticalScroll(id="history-body"):
            yield Static(self.fk.describe(form, current), classes="detail-title", markup=False)
            yield Static(summary, id="history-summary", markup=False)
            numbers = {s.version["version"]: n for n, s in enumerate(steps, start=1)}
            for n, step in enumerate(steps, start=1):
                classes = "history-version"
                if step.current:
                    classes += " -current"
                elif step.head:
                    classes += " -conflict"
                yield Static(_step_content(n, step, numbers), classes=classes)
        yield KeyFooter()

    @guarded
    def action_back(self) -> None:
        self.dismiss(None)


def _step_content(n: int, step: Step, numbers: dict[str, int]) -> Content:
    """One version: a heading line, its device, then what it changed."""
    v = step.version
    head: list[tuple[str, str] | str] = [
        (text.HISTORY_VERSION.format(n=n), "bold"),
        "　" + text.short_time(v["updated_at"]) + "　" + v["updated_by"] + "　",
        (words.HISTORY_KINDS.get(step.kind, step.kind), "bold"),
    ]
    base = numbers.get(step.base["version"]) if step.base else None
    if step.kind == "resolved":
        joined = sorted(numbers[p] for p in v["parents"] if p in numbers)
        head.append(text.HISTORY_JOINS.format(ns="、".join(map(str, joined))))
    elif step.kind != "partial" and base is not None and base != n - 1:
        head.append(text.HISTORY_FROM.format(n=base))
    if step.current:
        head.append((text.HISTORY_CURRENT, "bold $accent"))
    elif step.head:
        head.append((text.HISTORY_CONFLICTING, "bold $warning"))
    lines = [
        Content.assemble(*head),
        Content.styled("  " + text.HISTORY_DEVICE.format(device=step.device), "dim"),
    ]
    if step.kind == "partial" and base is not None:
        lines.append(Content("  " + text.HISTORY_PARTIAL_BASE.format(n=base)))
    for label, old, new in step.changes:
        change = text.HISTORY_CHANGE.format(
            label=label, old=old or text.HISTORY_BLANK, new=new or text.HISTORY_BLANK
        )
        lines.append(Content("  " + change))
    if step.base is not None and not step.changes and step.kind in ("edited", "partial"):
        lines.append(Content("  " + text.HISTORY_NO_DIFF))
    return Content("\n").join(lines)
