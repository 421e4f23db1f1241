"""A record's versions, oldest first: who saved each, when, and what it changed."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from fieldkit.tui import text
from fieldkit.tui.footer import KeyFooter
from fieldkit.tui.safety import guarded

if TYPE_CHECKING:
    from fieldkit.tui.app import FieldkitApp


class HistoryScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", text.KEY_BACK, id="history.back", tooltip=text.KEY_BACK_TIP),
    ]

    def __init__(self, record_id: str):
        super().__init__(classes="history-screen")
        self.record_id = record_id

    @property
    def fk(self) -> FieldkitApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        ws = self.fk.ws
        versions = ws.store.history(self.record_id)
        current = versions[-1]
        form = ws.form(current["form"])
        self.sub_title = text.HISTORY_TITLE.format(form=form.label)
        yield Header()
        with VerticalScroll(id="history-body"):
            yield Static(self.fk.describe(form, current), classes="detail-title", markup=False)
            missing = len(current.get("ancestors", [])) + 1 - len(versions)
            if missing > 0:
                yield Static(text.HISTORY_MISSING.format(n=missing), markup=False)
            previous = None
            for n, version in enumerate(versions, start=1 + max(missing, 0)):
                head = "　".join(
                    (
                        text.HISTORY_VERSION.format(n=n),
                        text.short_time(version["updated_at"]),
                        version["updated_by"],
                    )
                )
                lines = [head]
                if previous is None:
                    if missing <= 0:
                        lines.append("  " + text.HISTORY_CREATED)
                elif version.get("deleted"):
                    lines.append("  " + text.HISTORY_DELETED)
                else:
                    changes = ws.describe_changes(form, previous["data"], version["data"])
                    lines += [
                        "  "
                        + text.HISTORY_CHANGE.format(
                            label=label,
                            old=old or text.HISTORY_BLANK,
                            new=new or text.HISTORY_BLANK,
                        )
                        for label, old, new in changes
                    ] or ["  " + text.HISTORY_NO_DIFF]
                classes = "history-version" + (" -current" if version is current else "")
                yield Static("\n".join(lines), classes=classes, markup=False)
                previous = version
        yield KeyFooter()

    @guarded
    def action_back(self) -> None:
        self.dismiss(None)
