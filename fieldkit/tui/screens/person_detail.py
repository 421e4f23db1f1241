"""One person: base data (the full ID number only here), what derives from it, where they stand
on the visit schedule, and every visit newest first. From here a follow-up starts with the
person filled in, the person is edited, or their status changed (which stops the schedule)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Label, Static

from fieldkit import casework
from fieldkit.forms import idnumber, schedule
from fieldkit.tui import text
from fieldkit.tui.messages import OpenHistory
from fieldkit.tui.safety import guarded
from fieldkit.tui.screens.dialogs import Answer, ChoiceDialog
from fieldkit.tui.screens.persons import due_state
from fieldkit.tui.widgets.chinese import Paragraph
from fieldkit.tui.widgets.footer import KeyFooter
from fieldkit.views.persons import supervision_end, visits_of

if TYPE_CHECKING:
    from fieldkit.tui.services import Services

BASE_FIELDS = ("name", "id_number", "category", "level", "phone", "address", "grid")
MORE_FIELDS = ("start_date", "status", "guardian", "notes")


class PersonDetailScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", text.KEY_BACK, id="person.back", tooltip=text.KEY_BACK_TIP),
        Binding(
            "f", "followup", text.KEY_FOLLOWUP, id="person.followup", tooltip=text.KEY_FOLLOWUP_TIP
        ),
        Binding("e", "edit", text.KEY_EDIT, id="person.edit", tooltip=text.KEY_EDIT_PERSON_TIP),
        Binding("s", "status", text.KEY_STATUS, id="person.status", tooltip=text.KEY_STATUS_TIP),
        Binding(
            "h", "history", text.KEY_HISTORY, id="person.history", tooltip=text.KEY_HISTORY_TIP
        ),
    ]

    def __init__(self, person_id: str):
        super().__init__(classes="detail-screen person-screen")
        self.person_id = person_id
        self.seen_version = -1

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    def _visits(self) -> list[dict[str, Any]]:
        with self.fk.ws_lock:
            return visits_of(self.fk.ws, self.person_id)

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail-body"):
            yield Label("", classes="detail-title", id="person-title", markup=False)
            yield Static("", id="person-base")
            yield Label(text.PERSON_SCHEDULE, classes="section-title")
            yield Static("", id="person-schedule")
            yield Label("", classes="section-title", id="person-timeline-title", markup=False)
            yield Static("", id="person-visits")
        yield KeyFooter()

    @guarded
    def on_mount(self) -> None:
        self.fill()

    def fill(self) -> None:
        """Show the person as stored now (again after a visit, an edit or a status change)."""
        ws = self.fk.ws
        self.seen_version = self.fk.data_version
        person = ws.get_live(self.person_id)
        form = ws.forms.schedule_forms()[0]
        data = person["data"]
        visits = self._visits()
        today = ws.today()
        self.sub_title = text.PERSON_TITLE.format(name=data.get("name", ""))

        base = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
        # Long values wrap (an address, a guardian's phone): nothing is cut.
        base.add_column(style="dim", no_wrap=True, width=12)
        base.add_column(ratio=1, overflow="fold")
        base.add_column(style="dim", no_wrap=True, width=12)
        base.add_column(ratio=1, overflow="fold")
        pairs: list[tuple[str, str]] = []
        for fid in BASE_FIELDS + MORE_FIELDS:
            f = form.field(fid)
            value = ws.display(form, f, data, masked=False)
            if fid == "level":
                value = self._level(person, visits, value)
            if fid in ("level", "guardian") and not value:
                continue
            pairs.append((f.label, value or text.EMPTY_VALUE))
            if fid == "id_number":
                pairs.extend(self._derived(str(data.get("id_number", "")), today))
        end = supervision_end(ws.forms.rules, person)
        pairs.append((text.PERSON_SUPERVISION_END, end.isoformat() if end else text.PERSON_NO_END))
        for i in range(0, len(pairs), 2):
            left = pairs[i]
            right = pairs[i + 1] if i + 1 < len(pairs) else ("", "")
            # Values wrap as Chinese does, a phone number or a date never split.
            base.add_row(Text(left[0]), Paragraph(left[1]), Text(right[0]), Paragraph(right[1]))

        self.query_one("#person-title", Label).update(self.fk.describe(form, person))
        self.query_one("#person-base", Static).update(base)
        self.query_one("#person-schedule", Static).update(
            self._schedule_text(person, visits, today)
        )
        self.query_one("#person-timeline-title", Label).update(
            text.PERSON_TIMELINE.format(n=len(visits))
        )
        self.query_one("#person-visits", Static).update(self._timeline(visits))

    def _level(self, person: dict[str, Any], visits: list[dict[str, Any]], registered: str) -> str:
        """The effective level (as everywhere else), saying where it comes from when a visit's
        assessment differs from the registered one: '3级（2026-11-20 随访评估，登记为 2级）'."""
        ws = self.fk.ws
        form = ws.forms.schedule_forms()[0]
        level = casework.level_of(ws, person)
        if level is None:
            return registered
        shown = form.field("level").label_of(level, person["data"])
        if shown == registered or not visits:
            return shown
        return text.PERSON_LEVEL_FROM_VISIT.format(
            level=shown,
            day=str(visits[0]["data"].get("date", ""))[:10],
            registered=registered or text.EMPTY_VALUE,
        )

    @staticmethod
    def _derived(value: str, today: date) -> list[tuple[str, str]]:
        born = idnumber.birth_date(value)
        age = idnumber.age(value, today)
        if born is None or age is None:
            return []
        return [
            (text.PERSON_GENDER, idnumber.gender(value)),
            (text.PERSON_AGE, text.PERSON_AGE_VALUE.format(age=age, birth=born.isoformat())),
        ]

    def _schedule_text(self, person: dict, visits: list[dict], today: date) -> Text:
        ws = self.fk.ws
        form = ws.forms.schedule_forms()[0]
        due = schedule.schedule(ws.forms.rules, person, visits, today)
        out = Text()
        if due is None:
            status = ws.display(form, form.field("status"), person["data"])
            out.append(text.PERSON_NEXT_NONE.format(status=status), style="dim")
            return out
        level = schedule.effective_level(person, due.last_visit)
        if level is not None:
            label = form.field("level").label_of(level, person["data"])
            out.append(f"{text.PERSON_LEVEL_NOW}：{label}　　")
        state, style = due_state(due, ws.forms.rules.soon_days)
        line = text.PERSON_NEXT.format(day=due.next_due.isoformat(), state=state)
        out.append(line if state else line.replace("（）", ""), style=style or "bold")
        joint = casework.joint_departments(ws, due.rule)
        if joint:
            out.append("\n")
            out.append(text.PERSON_JOINT.format(departments=joint), style="bold magenta")
        return out

    def _timeline(self, visits: list[dict[str, Any]]) -> Table | Text:
        if not visits:
            return Text(text.PERSON_NO_VISITS, style="dim")
        ws = self.fk.ws
        form = ws.forms.schedule_forms()[1]
        table = Table(box=None, padding=(0, 1, 0, 0), expand=True, header_style="bold")
        columns = [
            ("date", text.COL_VISIT_DATE),
            ("method", text.COL_METHOD),
            ("departments", text.COL_DEPARTMENTS),
            ("condition", text.COL_CONDITION),
            ("risk_level", text.COL_RISK),
            ("incident", text.COL_INCIDENT),
            ("assistance", text.COL_HELP),
        ]
        for fid, label in columns:
            table.add_column(label, no_wrap=fid == "date", overflow="fold")
        for visit in visits:
            data = visit["data"]
            cells = [ws.display(form, form.field(fid), data) or "" for fid, _ in columns]
            style = "red" if data.get("incident") not in (None, "", "none") else ""
            table.add_row(*(Text(c, style=style) for c in cells))
        return table

    # -- keeping current -----------------------------------------------------------------------

    def reload(self, *_: object) -> None:
        if self.is_attached:
            self.fill()

    @guarded
    def on_screen_resume(self) -> None:
        if self.seen_version != self.fk.data_version:
            self.reload()

    # -- actions -------------------------------------------------------------------------------

    @guarded
    def action_back(self) -> None:
        self.dismiss(None)

    @guarded
    def action_followup(self) -> None:
        _, visits, ref = self.fk.ws.forms.schedule_forms()
        self.fk.open_form(visits.id, prefill={ref: self.person_id}, callback=self.reload)

    @guarded
    def action_edit(self) -> None:
        record = self.fk.ws.get_live(self.person_id)
        self.fk.open_form(record["form"], record, callback=self.reload)

    @guarded
    def action_history(self) -> None:
        self.post_message(OpenHistory(self.person_id))

    @guarded
    def action_status(self) -> None:
        ws = self.fk.ws
        person = ws.get_live(self.person_id)
        field = ws.forms.schedule_forms()[0].field("status")
        current = person["data"].get("status")
        answers = [
            Answer(c.code, c.label, str(i), "primary" if c.code == current else "default")
            for i, c in enumerate(field.choices, start=1)
        ]
        answers.append(Answer("cancel", text.CANCEL, "", "default"))

        def answered(code: str | None) -> None:
            if not code or code in ("cancel", current):
                return
            with self.fk.ws_lock:
                saved = ws.edit(self.person_id, {"status": code})
            self.fk.record_saved(saved)
            self.notify(text.STATUS_CHANGED.format(status=field.label_of(code)))
            self.reload()

        self.app.push_screen(
            ChoiceDialog(
                text.STATUS_TITLE,
                text.STATUS_BODY.format(
                    name=person["data"].get("name", ""), status=field.label_of(current)
                ),
                answers,
                cancel="cancel",
            ),
            answered,
        )
