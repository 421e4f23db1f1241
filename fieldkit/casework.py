"""The visit schedule applied to a data dir's records: the next visit the rules propose for a
follow-up, what to ask before saving one that looks like a slip, the departments a visit must
take along, and a person's effective level.

The rules themselves (periods, levels, joint visits) are in fieldkit.forms.schedule and
rules.toml; the forms of the schedule are found from the forms ([visits] in the visit form).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from fieldkit.forms import schedule
from fieldkit.forms.rules import VisitRule

if TYPE_CHECKING:
    from fieldkit.workspace import Workspace


def proposed_visit(ws: Workspace, data: dict[str, Any]) -> tuple[date | None, VisitRule | None]:
    """The next visit the rules give for a follow-up's answers (person, date, assessed risk
    level), and the rule used; (None, None) while the person or date is missing. Raises
    ValueError for an unparsable date."""
    visits, persons = ws.forms.visit_form, ws.forms.person_form
    if visits is None or visits.visits is None or persons is None:
        return None, None
    who, when = data.get(visits.visits.person), data.get(visits.date_field)
    person = ws.resolve(persons.id, who) if who else None
    if person is None or not when:
        return None, None
    day = date.fromisoformat(str(when)[:10])
    assessed = data.get(schedule.ASSESSED_LEVEL)
    return schedule.propose_next_visit(ws.forms.rules, person, day, assessed)


def concerns(
    ws: Workspace, form_id: str, raw: dict[str, Any], *, record_id: str | None = None
) -> list[str]:
    """What to ask before saving answers that pass every check but look like a slip, one
    sentence each: a second visit to the same person on the same day; a visit that the rules
    ask to be joint (3级 and above) without the departments that should have gone. An edit is
    asked only about what it changes. [] when the answers do not pass (the save lists the
    problems) or nothing needs asking."""
    visits = ws.forms.visit_form
    if visits is None or form_id != visits.id:
        return []
    prev = ws.get_live(record_id)["data"] if record_id else None
    answers = {**prev, **raw} if prev is not None else {**ws.defaults(form_id, raw), **raw}
    outcome = ws.check(form_id, answers, record_id=record_id)
    if not outcome.ok:
        return []
    found = _visit_concerns(ws, outcome.data, record_id)
    if prev is not None:
        before = _visit_concerns(ws, prev, record_id)
        found = [c for c in found if c not in before]
    return found


def _visit_concerns(ws: Workspace, data: dict[str, Any], record_id: str | None) -> list[str]:
    visits, persons = ws.forms.visit_form, ws.forms.person_form
    if visits is None or visits.visits is None or persons is None:
        return []
    fields, day = visits.visits, visits.date_field
    person = ws.resolve(persons.id, data.get(fields.person))
    when = str(data.get(day) or "")
    if person is None or not when:
        return []
    out = []
    name = person["data"].get(persons.title_field, "")
    same_day = [
        v
        for v in ws.store.lookup(visits.id, fields.person, person["id"])
        if v["id"] != record_id and str(v["data"].get(day, ""))[:10] == when[:10]
    ]
    if same_day:
        at = "、".join(sorted(str(v["data"][day])[11:16] for v in same_day))
        out.append(f"{name} 在 {when[:10]} {at} 已有随访记录，这是同一天的又一次随访。")
    try:
        _, rule = proposed_visit(ws, data)
    except ValueError:
        rule = None
    if rule is not None and rule.joint:
        went = set(data.get(fields.departments) or [])
        missing = [code for code in rule.joint if code not in went]
        if missing:
            names = _department_names(ws, missing)
            out.append(f"{rule.note or '这次随访须联合随访'}。本次参与部门中没有：{names}。")
    return out


def joint_departments(ws: Workspace, rule: VisitRule | None) -> str:
    """The departments a rule asks to join a visit, as labels ('卫健精防、派出所'); ''."""
    if rule is None or not rule.joint:
        return ""
    return _department_names(ws, rule.joint)


def _department_names(ws: Workspace, codes: Any) -> str:
    visits = ws.forms.visit_form
    if visits is None or visits.visits is None:
        return "、".join(codes)
    field = visits.field(visits.visits.departments)
    return "、".join(field.label_of(code) for code in codes)


def level_of(ws: Workspace, person: dict[str, Any]) -> str | None:
    """A person's effective level: the risk level assessed at their latest visit if it
    assessed one, else the registered level (as the visit schedule uses it)."""
    form = ws.forms.visit_form
    if form is None or form.visits is None:
        return schedule.effective_level(person, None)
    visits = ws.store.lookup(form.id, form.visits.person, person["id"])
    return schedule.effective_level(person, schedule.last_visit(visits))
