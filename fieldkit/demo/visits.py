"""The demo's follow-up visits: every person visited on the schedule the rules give, at a
pace that reaches the visits' share of the records, a few visits late and a few missed."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from fieldkit.demo import tables as T
from fieldkit.demo.names import Names
from fieldkit.demo.persons import Person
from fieldkit.demo.year import DemoYear, workday
from fieldkit.forms import schedule

FORM = "followup"
OWN_DEPARTMENT = "grid"  # the grid worker goes to every visit


class Visits:
    def __init__(self, y: DemoYear, names: Names):
        self.y, self.rng = y, y.rng
        self.methods = {k: y.pick(FORM, "method", v) for k, v in T.METHODS.items()}
        self.join = {k: y.known(FORM, "departments", v) for k, v in T.JOIN.items()}
        self.help = {k: y.known(FORM, "assistance", v) for k, v in T.HELP.items()}
        self.colleagues = {dept: names.some(2) for dept in ("justice", "police", "health")}

    def visit_all(self, persons: list[Person], target: int) -> list[dict[str, Any]]:
        """Visit everyone on schedule, at a pace that reaches about `target` visits in all.

        The pace scales the gap between visits: 1 is every visit on its due date, below 1 is
        visiting earlier than due, as grid workers do. It is estimated from the schedule load,
        then corrected once by a dry run on a generator of its own (the output stays
        deterministic and the main generator's sequence is untouched).
        """
        if not persons or target <= 0:
            return []
        y = self.y
        load = sum(
            max(0, (p.last - p.first).days) / y.rule_days(p.category, p.level) for p in persons
        )
        base = len(persons) / 2  # about half a visit each is not paced (the first one)
        pace = _clamp(load / max(1.0, target - base)) if load else 1.0
        dry = random.Random(f"{self.rng.random()}/pace")
        planned = sum(len(self.plan(p, pace, dry)) for p in persons)
        if planned > base:
            pace = _clamp(pace * (planned - base) / max(1.0, target - base))
        out: list[dict[str, Any]] = []
        for p in persons:
            self.visit_person(p, pace)
            out += p.visits
        out.sort(key=lambda r: r["data"]["date"])
        return out

    def plan(self, p: Person, pace: float, rng: random.Random) -> list[tuple[date, str | None]]:
        """The days a person is visited, with the level assessed at each visit."""
        y = self.y
        interval = y.rule_days(p.category, p.level)
        if p.first > y.jan1:
            day = min(p.last, p.first + timedelta(days=rng.randint(0, 3)))  # on registering
        else:
            day = p.first + timedelta(days=rng.randint(0, max(0, int(interval * pace) - 1)))
        chain: list[tuple[date, str | None, date]] = []
        prev: date | None = None
        due = p.last
        while day <= p.last:
            if rng.random() < 0.8:  # mostly on weekdays, never later than due
                lo = prev + timedelta(days=1) if prev else p.first
                day = workday(rng, day, lo, min(due, p.last))
            level = _assess(rng, p.level) if p.category == "mental" else p.level
            nxt = self.next_visit(p.category, level, day)
            chain.append((day, level, nxt))
            prev, due = day, nxt
            gap = (nxt - day).days
            if rng.random() < 0.03:
                step = gap + rng.randint(1, 10)  # a late visit now and then
            else:
                step = min(gap, round(gap * pace * rng.uniform(0.8, 1.2)))
            day = day + timedelta(days=max(1, step))
        if p.overdue:
            # Missed the last visit(s): the latest next-visit date has already passed.
            margin = timedelta(days=rng.randint(1, 40))
            while len(chain) > 1 and chain[-1][2] >= y.cutoff - margin:
                chain.pop()
        return [(day, level) for day, level, _ in chain]

    def next_visit(self, category: str, level: str | None, day: date) -> date:
        rule = self.y.rule(category, level)
        return schedule.add_period(day, rule.every) if rule else day + timedelta(days=91)

    def visit_person(self, p: Person, pace: float) -> None:
        y, rng = self.y, self.rng
        chain = self.plan(p, pace, rng)
        for i, (day, level) in enumerate(chain):
            final = i == len(chain) - 1 and p.stop is not None
            data = self.visit_data(p, level, self.next_visit(p.category, level, day), final)
            if final and p.stop == "imprisoned":
                data.update(incident="crime", condition="unstable")
                data["incident_note"] = "违反监督管理规定，经司法所提请依法收监执行"
            hour, minute = self.visit_time()
            data["date"] = f"{day.isoformat()}T{hour:02d}:{minute:02d}"
            at = y.stamp(day, hour + rng.randint(0, 3), rng.randrange(60))
            p.visits.append(y.record(FORM, data, at))

    def visit_time(self) -> tuple[int, int]:
        roll = self.rng.random()
        if roll < 0.6:
            return self.rng.randint(8, 11), self.rng.randrange(0, 60, 5)
        if roll < 0.9:
            return self.rng.randint(14, 17), self.rng.randrange(0, 60, 5)
        return self.rng.randint(18, 20), self.rng.randrange(0, 60, 5)

    def visit_data(self, p: Person, level: str | None, nxt: date, final: bool) -> dict[str, Any]:
        y, rng = self.y, self.rng
        category = p.category
        rule = y.rule(category, level)
        joint = tuple(rule.joint) if rule else ()
        table = "joint" if joint else category if category in self.methods else "default"
        method = self.methods[table]()
        data: dict[str, Any] = {
            "person": p.record["id"],
            "method": method,
            "departments": self.departments(category, method, joint),
            "next_visit": nxt.isoformat(),
            "incident": "none",
        }
        data["visitors"] = self.visitors(data["departments"])
        high = category == "mental" and int(level or 0) >= 3
        roll = rng.random()
        if high:
            condition = "stable" if roll < 0.55 else "mostly_stable" if roll < 0.9 else "unstable"
        else:
            condition = "stable" if roll < 0.86 else "mostly_stable" if roll < 0.97 else "unstable"
        data["condition"] = condition
        if category == "mental":
            data["risk_level"] = level
            roll = rng.random()
            data["medication"] = (
                "regular" if roll < 0.75 else "intermittent" if roll < 0.95 else "none"
            )
        helps = self.help.get(category)
        if helps and rng.random() < 0.14:
            chosen = rng.sample(helps, min(len(helps), rng.choice((1, 1, 1, 2))))
            data["assistance"] = y.ordered(FORM, "assistance", chosen)
        incident = self.incident(category, high)
        if incident != "none":
            data["incident"] = incident
            data["condition"] = "unstable"
            data["incident_note"] = rng.choice(T.INCIDENTS[incident])
        if final and p.stop == "discharged":
            data["notes"] = "期满前谈话，告知解除管理有关事项"
        elif rng.random() < 0.1:
            data["notes"] = rng.choice(T.VISIT_NOTES[category])
        return data

    def departments(self, category: str, method: str, joint: tuple[str, ...]) -> list[str]:
        """Who went: the grid worker, the departments a rule asks for, sometimes others."""
        rng = self.rng
        depts = {OWN_DEPARTMENT}
        if joint:
            depts.update(joint)
            if rng.random() < 0.15:
                depts.add(rng.choice(("disabled", "civil", "comprehensive")))
        elif method in ("home", "interview"):
            for code, share in self.join.get(category, ()):
                if rng.random() < share:
                    depts.add(code)
        return self.y.ordered(FORM, "departments", depts)

    def visitors(self, departments: list[str]) -> str:
        names = [self.y.worker]
        for dept, label in (("justice", "司法所"), ("police", "民警"), ("health", "精防医生")):
            if dept in departments:
                names.append(label + self.rng.choice(self.colleagues[dept]))
        return "、".join(names)

    def incident(self, category: str, high: bool) -> str:
        roll = self.rng.random()
        if category == "mental":
            rate = 0.004 if high else 0.0006
            return "trouble" if roll < rate else "extreme" if roll < rate + 0.0003 else "none"
        if category in ("drug_rehab", "released", "corrections"):
            return "crime" if roll < 0.001 else "other" if roll < 0.0025 else "none"
        return "extreme" if roll < 0.0005 else "none"


def _clamp(pace: float) -> float:
    return min(1.0, max(0.4, pace))


def _assess(rng: random.Random, level: str | None) -> str:
    """A risk assessment: mostly the registered level, sometimes one better or worse."""
    base = int(level or 0)
    roll = rng.random()
    if roll < 0.08 and base > 0:
        base -= 1
    elif roll < 0.14 and base < 5:
        base += 1
    return str(base)
