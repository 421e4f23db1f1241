"""The demo's special populations: persons registered with a category and level, under
management for the period the rules give, a few leaving management during the year."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from fieldkit.demo import tables as T
from fieldkit.demo.chinese import cn_date, months_text
from fieldkit.demo.names import Names
from fieldkit.demo.year import DemoYear, Weighted
from fieldkit.forms import schedule

FORM = "person"


@dataclass
class Person:
    """A person being generated, with what the visit schedule needs."""

    record: dict[str, Any]
    category: str
    level: str | None
    first: date  # first day in the year under management
    last: date  # last day in the year under management (the cutoff, or when it ended)
    overdue: bool
    stop: str | None = None  # the status the person left management with, if any
    visits: list[dict[str, Any]] = field(default_factory=list)


class Persons:
    def __init__(self, y: DemoYear, names: Names):
        self.y, self.names, self.rng = y, names, y.rng
        self.category = y.pick(FORM, "category", T.CATEGORIES)
        self.levels = {
            category: y.pick(FORM, "level", weights, within=category)
            for category, weights in T.LEVELS.items()
            if y.has_set(FORM, "level", category)
        }
        self.corrections_kind = Weighted(y.rng, T.CORRECTIONS_KINDS)
        self.diagnosis = Weighted(y.rng, T.DIAGNOSES)
        self.guardian = Weighted(y.rng, T.GUARDIANS)

    def person(self) -> Person:
        y, rng = self.y, self.rng
        category = self.category()
        level = self.levels[category]() if category in self.levels else None
        gender = "男" if rng.random() < T.MALE_SHARE[category] else "女"
        name, gender = self.names.name(gender)
        lo_age, hi_age = T.AGES[category]
        age = rng.randint(lo_age, hi_age)
        born = y.day_in(date(y.year - age, 1, 1), date(y.year - age, 12, 31))
        start, end, notes = self.term(category, born)
        data: dict[str, Any] = {
            "category": category,
            "name": name,
            "id_number": self.names.id_number(gender, born),
            "address": self.names.address(),
            "grid": y.grid,
            "start_date": start.isoformat(),
            "status": schedule.ACTIVE,
        }
        if rng.random() < 0.92:
            data["phone"] = self.names.phone()
        if end:
            data["end_date"] = end.isoformat()
        if level is not None:
            data["level"] = level
        if category == "mental":
            data["guardian"] = self.guardian_of(name, age)
        if notes:
            data["notes"] = notes
        first = max(start, y.jan1)
        stop, stop_day = self.leaving(category, level, age, first, end)
        record = y.record(FORM, data, y.entered(start))
        if stop and stop_day:
            changed = {**data, "status": stop}
            note = T.STATUS_NOTES[stop].format(day=cn_date(stop_day))
            changed["notes"] = f"{notes}；{note}" if notes else note
            record = y.edit(record, changed, y.entered(stop_day, after_hour=9))
        last = stop_day if stop_day else y.cutoff
        overdue = stop is None and rng.random() < 0.06
        return Person(record, category, level, first, last, overdue, stop)

    def term(self, category: str, born: date) -> tuple[date, date | None, str]:
        """Start, end and notes: registered when an adult; a registration reaches back as far
        as the category's supervision lasts, so that everyone is under management this year."""
        y, rng = self.y, self.rng
        supervision = y.rules.supervision.get(category)
        term: dict[str, int] | None = None
        notes = ""
        if supervision:
            back = {unit: -n for unit, n in supervision.items()}
            earliest = schedule.add_period(y.jan1, back) + timedelta(days=1)
        elif category == "corrections":
            kind = self.corrections_kind()
            months = {
                "缓刑": rng.choice((12, 12, 18, 24, 24, 36, 36, 48, 60)),
                "假释": rng.randint(3, 24),
                "暂予监外执行": rng.randint(6, 36),
                "管制": rng.randint(3, 24),
            }[kind]
            term = {"months": months}
            earliest = schedule.add_period(y.jan1, {"months": -months}) + timedelta(days=1)
            notes = f"{rng.choice(T.CRIMES)}，{kind}，矫正期限{months_text(months)}"
        else:
            earliest = y.jan1.replace(year=y.year - T.HISTORY_YEARS[category])
        adult = schedule.add_period(born, {"years": 18})
        start = y.day_in(max(earliest, adult), y.cutoff)
        end: date | None = None
        if supervision:
            end = schedule.supervision_end(y.rules, category, start)
        elif term:
            end = schedule.add_period(start, term) - timedelta(days=1)
        if category == "released":
            notes = f"{rng.choice(T.CRIMES)}，刑满释放"
        elif category == "mental":
            notes = f"诊断：{self.diagnosis()}"
        return start, end, notes

    def leaving(
        self, category: str, level: str | None, age: int, first: date, end: date | None
    ) -> tuple[str | None, date | None]:
        """Leaving management this year: at the end of supervision, or moving, dying, prison."""
        y, rng = self.y, self.rng
        if end is not None and end <= y.cutoff:
            return "discharged", end
        roll = rng.random()
        stop = None
        if roll < 0.03:
            stop = "moved"
        elif roll < 0.04 and category == "corrections" and level == "strict":
            stop = "imprisoned"
        elif roll < 0.036 and category in ("mental", "cult") and age > 60:
            stop = "deceased"
        lo, hi = first + timedelta(days=30), y.cutoff - timedelta(days=7)
        if stop and lo <= hi:
            return stop, y.day_in(lo, hi)
        return None, None

    def guardian_of(self, name: str, age: int) -> str:
        rng = self.rng
        relation = self.guardian()
        if relation in ("父亲", "母亲") and age > 55:
            relation = rng.choice(("配偶", "儿子", "女儿"))
        if relation in ("儿子", "女儿") and age < 40:
            relation = rng.choice(("父亲", "母亲", "配偶"))
        gender = "男" if relation in ("父亲", "儿子", "哥哥") else "女"
        if relation == "配偶":
            gender = rng.choice(("男", "女"))
        guardian = self.names.relative(name, relation, gender)
        return f"{guardian}（{relation}）{self.names.phone()}"
