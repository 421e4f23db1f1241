"""Visit schedules for special populations, from the rules in forms/rules.toml.

How often a person is visited depends on category and level; for 严重精神障碍患者 the latest
assessed risk level counts. Supervision ends after a period that also depends on the category.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fieldkit.forms.rules import Period, Rules, VisitRule

ACTIVE = "active"
# The fields that set the schedule's level: the person's registered level, replaced by the
# level assessed at the latest visit that assessed one.
LEVEL, ASSESSED_LEVEL = "level", "risk_level"


@dataclass(frozen=True)
class Due:
    """One person's place on the visit schedule."""

    person: dict[str, Any]
    last_visit: dict[str, Any] | None
    next_due: date
    days_overdue: int  # negative: due in that many days
    rule: VisitRule | None

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0

    @property
    def joint(self) -> bool:
        """The rule asks for a joint visit (with other departments)."""
        return bool(self.rule and self.rule.joint)


def add_period(day: date, period: Period) -> date:
    """Add {days|months|years = N} to a date; month ends clamp (1-31 + 1 month = 2-28/29)."""
    months = period.get("months", 0) + 12 * period.get("years", 0)
    if months:
        index = day.month - 1 + months
        year, month = day.year + index // 12, index % 12 + 1
        last_day = calendar.monthrange(year, month)[1]
        day = day.replace(year=year, month=month, day=min(day.day, last_day))
    return day + timedelta(days=period.get("days", 0))


def supervision_end(rules: Rules, category: str | None, start: date) -> date | None:
    """When supervision ends for a category, counted from the start; None if it has no fixed end."""
    period = rules.supervision.get(category or "")
    return add_period(start, period) if period else None


def last_visit(visits: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """A person's latest visit (by the visit's date), tombstones left out; None if none."""
    live = [v for v in visits if not v.get("deleted")]
    return max(live, key=lambda v: str(v["data"].get("date", "")), default=None)


def effective_level(person: dict[str, Any], last_visit: dict[str, Any] | None) -> str | None:
    """The level that sets the schedule: a visit's risk assessment overrides the registered one."""
    if last_visit and last_visit["data"].get(ASSESSED_LEVEL) is not None:
        return last_visit["data"][ASSESSED_LEVEL]
    return person["data"].get(LEVEL)


def propose_next_visit(
    rules: Rules,
    person: dict[str, Any],
    visit_day: date,
    assessed_level: str | None = None,
) -> tuple[date | None, VisitRule | None]:
    """The next visit date the rules give after a visit on visit_day, and the rule used."""
    level = assessed_level if assessed_level is not None else person["data"].get(LEVEL)
    rule = rules.visit_rule(person["data"].get("category"), level)
    return (add_period(visit_day, rule.every) if rule else None), rule


def schedule(
    rules: Rules, person: dict[str, Any], visits: Iterable[dict[str, Any]], today: date
) -> Due | None:
    """Where a person stands: None if not under active supervision (status, end date, no rule)."""
    data = person["data"]
    if person.get("deleted") or data.get("status") != ACTIVE:
        return None
    if data.get("end_date") and date.fromisoformat(data["end_date"]) < today:
        return None
    last = last_visit(visits)
    rule = rules.visit_rule(data.get("category"), effective_level(person, last))
    if last is None:
        start = date.fromisoformat(data["start_date"])
        next_due = add_period(start, rule.every) if rule else start
    elif last["data"].get("next_visit"):
        next_due = date.fromisoformat(last["data"]["next_visit"])
    elif rule:
        next_due = add_period(date.fromisoformat(last["data"]["date"][:10]), rule.every)
    else:
        return None
    return Due(person, last, next_due, (today - next_due).days, rule)


# -- under management ------------------------------------------------------------------------


def management_end(person: dict[str, Any]) -> date | None:
    """When a person's management ended: the end date registered, or for a person no longer
    active without one, the day the record last changed (the status change); None while it
    goes on with no end date."""
    data = person["data"]
    end = _day(data.get("end_date"))
    if end is None and data.get("status") not in (None, "", ACTIVE):
        end = _day(person.get("updated_at"))
    return end


def managed_on(person: dict[str, Any], day: date, today: date) -> bool:
    """Whether a person was under management on `day`, as the record stands `today`.

    The status is today's. An active person counts from the start date until the end date
    (that day included). A person no longer active counts only when the end date says they
    still were on `day` (the figures of an earlier year, or the day they left).
    """
    data = person["data"]
    start, end = _day(data.get("start_date")), _day(data.get("end_date"))
    if start is None or start > day:
        return False
    if data.get("status") in (None, "", ACTIVE):
        return end is None or end >= day
    return end is not None and day <= end <= today


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
