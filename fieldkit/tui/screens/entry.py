"""Entering or editing one record: a screen generated from the form definition.

Nothing here knows a particular form. Each field gets the editor of its type; after every
change the answers are checked by the workspace (the same checks the command line uses), which
decides what is shown (relevance), what is required, which choices are offered (level by
category) and what computed defaults propose (e.g. the next visit date). Problems of a field
appear when the user leaves it, and all of them on save. Whatever is typed is kept as a draft.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Input, Select, Static, TextArea

from fieldkit import casework
from fieldkit.forms.validation import Outcome, Problem, ValidationFailed, is_relevant, is_required
from fieldkit.tui import text
from fieldkit.tui.safety import guarded
from fieldkit.tui.screens.dialogs import Answer, ChoiceDialog
from fieldkit.tui.widgets.fields import FieldRow, MultiEditor, ReferenceEditor, as_raw, make_editor
from fieldkit.tui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from fieldkit.tui.services import Services


class FormScreen(Screen[None]):
    """A new record of `form_id`, or a new version of `record` (its current version).

    `prefill` starts a new record with some answers given (e.g. the person of a follow-up);
    `values` are the answers of a kept draft."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "save",
            text.KEY_SAVE,
            priority=True,
            id="form.save",
            tooltip=text.KEY_SAVE_TIP,
        ),
        Binding("escape", "leave", text.KEY_BACK, id="form.leave", tooltip=text.KEY_LEAVE_TIP),
    ]

    def __init__(
        self,
        form_id: str,
        *,
        record: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
        prefill: dict[str, Any] | None = None,
    ):
        super().__init__(classes="form-screen")
        self.form_id = form_id
        self.record = record
        self.prefill = dict(prefill or {})
        self.restored = values
        self.rows: dict[str, FieldRow] = {}
        self.pristine: dict[str, Any] = {}
        self.auto: dict[str, Any] = {}  # field -> the value a rule default last proposed
        self.rule_keys: dict[str, tuple] = {}
        self.refs: dict[str, dict | None] = {}
        self.current_row: FieldRow | None = None
        self.saving = False
        self.last_draft: dict[str, Any] | None = None
        self.outcome: Outcome | None = None
        self.offered: str | None = None  # the existing record already offered instead

    @property
    def fk(self) -> Services:
        return self.app  # type: ignore[return-value]

    @property
    def record_id(self) -> str | None:
        return self.record["id"] if self.record else None

    # -- building --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        ws = self.fk.ws
        self.form = ws.form(self.form_id)
        if self.record is not None:
            opened = self.record["data"]
            # A computed value left as the rules proposed it (the next visit for the level
            # assessed) follows its inputs on an edit too; one the user set stays.
            self.rule_keys = self._rule_inputs(opened)
            self.auto = {
                f.id: opened.get(f.id)
                for f in self.form.fields
                if ws.default_inputs(f)
                and opened.get(f.id) is not None
                and ws.default_for(self.form, f, opened) == opened.get(f.id)
            }
        else:
            opened = {**ws.defaults(self.form_id, self.prefill), **self.prefill}
            self.auto = {
                f.id: opened.get(f.id)
                for f in self.form.fields
                if ws.default_inputs(f) and f.id not in self.prefill
            }
        self.pristine = {f.id: as_raw(f, opened.get(f.id)) for f in self.form.fields}
        start = {**self.pristine, **(self.restored or {})}
        self.draft_on_disk = self.restored is not None
        if self.record is None:
            # The proposals in `opened` were made from these inputs: no need to redo them.
            self.rule_keys = self._rule_inputs({**opened, **(self.restored or {})})
        if self.restored:
            self.auto = {k: v for k, v in self.auto.items() if start.get(k) == v}
        title = text.FORM_EDIT if self.record else text.FORM_NEW
        self.sub_title = title.format(form=self.form.label)
        yield Header()
        # Under the title, where a notification (bottom right) never covers it.
        yield Static("", id="field-help", markup=False)
        # Not a Tab stop itself: Tab from the last field goes round to the first.
        with VerticalScroll(id="form-body", can_focus=False):
            yield Static("", id="problems", markup=False)
            for f in self.form.fields:
                editor = make_editor(f, start.get(f.id), start)
                row = FieldRow(f, editor, required=f.required)
                self.rows[f.id] = row
                yield row
        yield KeyFooter()

    @guarded
    def on_mount(self) -> None:
        self.refresh_form()
        first = next((r for r in self.rows.values() if r.display), None)
        if first is not None:
            first.editor.focus()

    # -- reading the answers ---------------------------------------------------------------

    def raw(self) -> dict[str, Any]:
        """What the editors hold, by field id (None for blank)."""
        return {fid: row.editor.get_raw() for fid, row in self.rows.items()}

    @property
    def dirty(self) -> bool:
        return self.raw() != self.pristine

    def _resolve_refs(self, raw: dict[str, Any]) -> dict[str, dict]:
        out = {}
        for f in self.form.fields:
            if f.type != "reference" or not raw.get(f.id):
                continue
            key = raw[f.id]
            if key not in self.refs:
                self.refs[key] = self.fk.ws.resolve(f.ref_form or "", key)
            if self.refs[key] is not None:
                out[f.id] = self.refs[key]
        return out

    def _rule_inputs(self, data: dict[str, Any]) -> dict[str, tuple]:
        ws = self.fk.ws
        return {
            f.id: tuple(str(data.get(i)) for i in ws.default_inputs(f))
            for f in self.form.fields
            if ws.default_inputs(f)
        }

    # -- reacting to changes -----------------------------------------------------------------

    @on(Input.Changed)
    @on(Select.Changed)
    @on(MultiEditor.Changed)
    @on(TextArea.Changed)
    @on(ReferenceEditor.Changed)
    @guarded
    def changed(self, event) -> None:
        if self.is_mounted:
            self.refresh_form()

    def refresh_form(self) -> None:
        """Re-check the answers and show what follows: relevance, required marks, dependent
        choices, computed defaults, problems of fields already visited, and the draft."""
        ws = self.fk.ws
        raw = self.raw()
        refs = self._resolve_refs(raw)
        outcome = ws.check(self.form_id, raw, record_id=self.record_id)
        data = outcome.data
        for f in self.form.fields:
            row = self.rows[f.id]
            if f.choices_by:
                row.editor.set_choices(f.choices_for(data))  # type: ignore[union-attr]
            row.display = is_relevant(f, data, refs)
            row.set_required(is_required(f, data, refs))
        self._propose_defaults(data)
        self.outcome = outcome
        self._show_notes(outcome)
        self._show_rule_notes(data, outcome)
        self._keep_draft(raw)
        self._offer_existing(data)

    def _show_rule_notes(self, data: dict[str, Any], outcome: Outcome) -> None:
        """A proposed next visit that the rules say must be joint says so next to the field."""
        errors = {p.field for p in outcome.errors}
        for fid, row in self.rows.items():
            default = row.field.default
            if not (isinstance(default, dict) and default.get("rule") == "next_visit"):
                continue
            note = self.fk.visit_note(data)
            if note and fid not in errors and row.display:
                row.set_note(note, "warning")

    def _offer_existing(self, data: dict[str, Any]) -> None:
        """A new record whose unique value (a person's ID number) is already registered: offer
        to open the existing one instead of typing a duplicate (asked once per record)."""
        if self.record is not None or not self.form.unique or self.saving:
            return
        other = self.fk.ws.duplicate_of(self.form_id, data)
        if other is None or other["id"] == self.offered:
            return
        self.offered = other["id"]
        self.fk.offer_existing(self, other)

    def _propose_defaults(self, data: dict[str, Any]) -> None:
        """Refresh computed defaults whose inputs changed, unless the user set the field."""
        ws = self.fk.ws
        for fid, key in self._rule_inputs(data).items():
            if self.rule_keys.get(fid) == key:
                continue
            self.rule_keys[fid] = key
            row = self.rows[fid]
            current = row.editor.get_raw()
            if current not in (None, self.auto.get(fid)):
                continue  # typed by the user: keep it
            value = ws.default_for(self.form, row.field, data)
            self.auto[fid] = value
            if value != current:
                row.editor.set_raw(value)

    def _show_notes(self, outcome: Outcome, *, everything: bool = False) -> None:
        errors = {p.field: p for p in outcome.errors}
        warnings = {p.field: p for p in outcome.warnings}
        for fid, row in self.rows.items():
            if not (row.touched or everything):
                row.set_note()
            elif fid in errors:
                row.set_note(errors[fid].message, "error")
            elif fid in warnings:
                row.set_note(warnings[fid].message, "warning")
            else:
                row.set_note(self._info(row, outcome), "info")
        problems = self.query_one("#problems", Static)
        shown = [
            p
            for p in outcome.errors
            if everything or (p.field in self.rows and self.rows[p.field].touched)
        ]
        if problems.has_class("-shown") and not shown:
            problems.update("")
            problems.remove_class("-shown")
        elif problems.has_class("-shown"):
            problems.update(_problem_list(shown))

    def _info(self, row: FieldRow, outcome: Outcome) -> str:
        if row.field.type == "id_number" and row.field.id in outcome.data:
            return self.fk.id_info(outcome.data[row.field.id])
        return ""

    def _keep_draft(self, raw: dict[str, Any]) -> None:
        if self.saving:
            return
        if raw == self.pristine:
            if self.draft_on_disk:
                self.fk.drafts.discard(self.form_id, self.record_id)
                self.draft_on_disk = False
            self.last_draft = None
        elif raw != self.last_draft:
            self.fk.drafts.save(self.form_id, self.record_id, raw)
            self.draft_on_disk = True
            self.last_draft = raw

    # -- focus: validation when leaving a field, help for the focused one --------------------

    def _row_of(self, widget: Widget | None) -> FieldRow | None:
        node = widget
        while node is not None and not isinstance(node, FieldRow):
            node = node.parent  # type: ignore[assignment]
        return node

    @guarded
    def on_descendant_focus(self, event) -> None:
        row = self._row_of(event.widget)
        if row is None or row is self.current_row:
            return
        previous, self.current_row = self.current_row, row
        self.query_one("#field-help", Static).update(row.help_line)
        if previous is not None and not previous.touched:
            previous.touched = True
            if self.outcome is not None:
                self._show_notes(self.outcome)

    @on(Input.Submitted)
    @guarded
    def next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    # -- saving and leaving ------------------------------------------------------------------

    @guarded
    def action_save(self) -> None:
        concerns = casework.concerns(self.fk.ws, self.form_id, self.raw(), record_id=self.record_id)
        if not concerns:
            self.save()
            return

        def answered(answer: str | None) -> None:
            if answer == "save":
                self.save()

        self.app.push_screen(
            ChoiceDialog(
                text.CONCERN_TITLE,
                "\n".join(f"· {c}" for c in concerns),
                [
                    Answer("back", text.CONCERN_BACK, "", "primary"),
                    Answer("save", text.CONCERN_SAVE, "y", "warning"),
                ],
                cancel="back",
            ),
            answered,
        )

    def save(self) -> None:
        """Save what the editors hold (checked again by the workspace)."""
        ws = self.fk.ws
        raw = self.raw()
        self.saving = True
        try:
            with self.fk.ws_lock:
                if self.record is None:
                    saved = ws.add(self.form_id, raw)
                else:
                    saved = ws.edit(self.record["id"], raw)
        except ValidationFailed as exc:
            self.saving = False
            self.show_problems(exc.outcome.errors)
            return
        except BaseException:
            self.saving = False
            raise
        self.fk.drafts.discard(self.form_id, self.record_id)
        self.fk.record_saved(saved)
        self.app.clear_notifications()  # an earlier "N problems" no longer applies
        if self.record is None:
            self.notify(text.SAVED)
            self._ask_again(saved)
        else:
            same = saved["version"] == self.record["version"]
            self.notify(text.NO_CHANGE if same else text.SAVED_EDIT)
            self.dismiss(None)

    def show_problems(self, problems: list[Problem]) -> None:
        """List every problem at the top and by its field; focus the first one."""
        for row in self.rows.values():
            row.touched = True
        outcome = self.outcome or Outcome({})
        outcome = Outcome(outcome.data, list(problems), outcome.warnings)
        self.outcome = outcome
        self._show_notes(outcome, everything=True)
        box = self.query_one("#problems", Static)
        box.update(_problem_list(problems))
        box.add_class("-shown")
        self.notify(text.PROBLEMS.format(n=len(problems)).rstrip("："), severity="error")
        first = next((self.rows[p.field] for p in problems if p.field in self.rows), None)
        if first is not None:
            first.editor.focus()
            self.call_after_refresh(first.scroll_visible, top=False)

    def _ask_again(self, saved: dict[str, Any]) -> None:
        title = self.fk.describe(self.form, saved)

        def answered(answer: str | None) -> None:
            if answer == "again":
                self.app.switch_screen(FormScreen(self.form_id))
            else:
                self.dismiss(None)

        self.app.push_screen(
            ChoiceDialog(
                text.SAVED_TITLE.format(form=self.form.label),
                title,
                [
                    Answer("again", text.SAVED_AGAIN, "n", "primary"),
                    Answer("done", text.SAVED_DONE, "", "default"),
                ],
                cancel="done",
            ),
            answered,
        )

    @guarded
    def action_leave(self) -> None:
        if not self.dirty:
            self.fk.drafts.discard(self.form_id, self.record_id)
            self.dismiss(None)
            return

        def answered(answer: str | None) -> None:
            if answer == "keep":
                self.fk.drafts.save(self.form_id, self.record_id, self.raw())
                self.saving = True
                self.dismiss(None)
            elif answer == "discard":
                self.fk.drafts.discard(self.form_id, self.record_id)
                self.saving = True
                self.dismiss(None)

        self.app.push_screen(
            ChoiceDialog(
                text.LEAVE_TITLE,
                text.LEAVE_BODY,
                [
                    Answer("keep", text.LEAVE_KEEP, "k", "primary"),
                    Answer("discard", text.LEAVE_DISCARD, "x", "error"),
                    Answer("stay", text.LEAVE_STAY, "", "default"),
                ],
                cancel="stay",
            ),
            answered,
        )

    @guarded
    def on_unmount(self) -> None:
        # Closing the app with the form open keeps what was typed.
        if not self.saving and self.dirty:
            with contextlib.suppress(OSError):
                self.fk.drafts.save(self.form_id, self.record_id, self.raw())


def _problem_list(problems: list[Problem]) -> str:
    lines = [text.PROBLEMS.format(n=len(problems))]
    lines += [f"  · {p}" for p in problems]
    return "\n".join(lines)
