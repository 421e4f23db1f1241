"""The demo's mediation cases (矛盾纠纷调解): numbered in order of acceptance, most closed
within weeks, most of the successes revisited."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from fieldkit.demo import tables as T
from fieldkit.demo.names import Names
from fieldkit.demo.year import DemoYear

FORM = "mediation"
# Demo laptop n numbers its mediation cases from (n - 1) * DEMO_CASE_BLOCK + 1 (see
# fieldkit.sync.casenumbers: numbers never repeat across the street's laptops).
DEMO_CASE_BLOCK = 5000


class Mediations:
    def __init__(self, y: DemoYear, names: Names):
        self.y, self.rng, self.names = y, y.rng, names
        self.source = y.pick(FORM, "source", T.SOURCES)
        self.kind = y.pick(FORM, "kind", T.KINDS)
        self.dispute = y.pick(FORM, "dispute_type", {k: v[0] for k, v in T.DISPUTES.items()})
        self.mediators = names.some(3)

    def cases(self, count: int) -> list[dict[str, Any]]:
        y = self.y
        days = sorted(y.workday(self.accepted_day(), y.jan1, y.cutoff) for _ in range(count))
        # Each demo laptop numbers from its own range, as from blocks the office handed out.
        first = (y.seed - 1) * DEMO_CASE_BLOCK + 1
        return [self.case(seq, accepted) for seq, accepted in enumerate(days, start=first)]

    def case(self, seq: int, accepted: date) -> dict[str, Any]:
        y, rng = self.y, self.rng
        dispute, source, kind = self.dispute(), self.source(), self.kind()
        if source == "court" and rng.random() < 0.3:
            kind = "judicial"
        parties, n = self.parties(dispute)
        summary = rng.choice(T.SUMMARIES[dispute]).format(n=max(2, n - 1))
        mediators = [y.worker, *rng.sample(self.mediators, rng.randint(0, 2))]
        data: dict[str, Any] = {
            "case_no": y.rules.case_numbers.pattern.format(year=y.year, abbr=y.abbr, seq=seq),
            "accepted": accepted.isoformat(),
            "source": source,
            "dispute_type": dispute,
            "kind": kind,
            "parties": parties,
            "party_count": n,
            "mediators": "、".join(mediators),
            "summary": summary,
            "result": "ongoing",
        }
        _, with_amount, lo, hi = T.DISPUTES[dispute]
        if rng.random() < with_amount:
            amount = math.exp(rng.uniform(math.log(lo), math.log(hi)))
            step = 10 if amount < 5000 else 100 if amount < 100000 else 1000
            data["amount"] = float(max(step, round(amount / step) * step))
        if source == "court":
            data["notes"] = "法院委派诉前调解"
        rec = y.record(FORM, data, y.entered(accepted, after_hour=10))
        took = min(60 if source == "court" else 30, int(rng.expovariate(1 / 9)) + 1)
        closed = accepted + timedelta(days=took)
        if closed > y.cutoff or rng.random() < 0.01:
            return rec  # still being mediated at the end of the data
        data = self.closed(data, dispute, closed)
        rec = y.edit(rec, data, y.entered(closed, after_hour=10))
        revisit = closed + timedelta(days=rng.randint(7, 30))
        if data["result"] == "success" and revisit <= y.cutoff and rng.random() < 0.8:
            data = {**data, "revisit_date": revisit.isoformat(), "fulfilment": self.fulfilment()}
            rec = y.edit(rec, data, y.entered(revisit, after_hour=10))
        return rec

    def closed(self, data: dict[str, Any], dispute: str, closed: date) -> dict[str, Any]:
        """The case's answers once it is closed: the result, the agreement and its notes."""
        rng = self.rng
        data = dict(data)
        roll = rng.random()
        result = "success" if roll < 0.92 else "failed" if roll < 0.97 else "terminated"
        data["result"] = result
        data["closed"] = closed.isoformat()
        if result == "success":
            oral = dispute in ("neighbour", "other") and rng.random() < 0.5
            data["agreement"] = "oral" if oral or rng.random() < 0.15 else "written"
            data["fulfilment"] = "done" if rng.random() < 0.45 else "pending"
        else:
            if rng.random() < 0.5:
                data["agreement"] = "none"
            notes = T.FAILED_NOTES if result == "failed" else T.TERMINATED_NOTES
            data["notes"] = "；".join(filter(None, (data.get("notes"), rng.choice(notes))))
        return data

    def fulfilment(self) -> str:
        """How an agreement stands at the revisit."""
        roll = self.rng.random()
        if roll < 0.86:
            return "done"
        return "partial" if roll < 0.94 else "not_done" if roll < 0.97 else "pending"

    def accepted_day(self) -> date:
        # Wage disputes pile up before the Spring Festival and at the end of the year.
        y = self.y
        if self.rng.random() < 0.08:
            month = self.rng.choice((1, 1, 12))
            lo, hi = date(y.year, month, 1), date(y.year, month, 28)
            if lo <= y.cutoff:
                return y.day_in(lo, min(hi, y.cutoff))
        return y.day_in(y.jan1, y.cutoff)

    def parties(self, dispute: str) -> tuple[str, int]:
        rng = self.rng
        a = self.names.name()[0]
        if dispute == "labour" and rng.random() < 0.5:
            workers = rng.randint(3, 40)
            return f"{a}等{workers}人、{rng.choice(T.COMPANIES)}", workers + 1
        if dispute == "property_mgmt":
            return f"{a}、{rng.choice(T.PROPERTY_COMPANIES)}", 2
        if dispute in ("contract", "labour") and rng.random() < 0.5:
            return f"{a}、{rng.choice(T.COMPANIES)}", 2
        if dispute == "demolition":
            return f"{a}、区房屋征收事务中心", 2
        if dispute == "medical":
            return f"{a}、{rng.choice(('区人民医院', '社区卫生服务中心', '某口腔诊所'))}", 2
        if dispute == "abnormal_death":
            kin = rng.randint(2, 5)
            return f"{a}等{kin}名死者家属、{rng.choice(T.COMPANIES)}", kin + 1
        names = [a, *self.names.some(rng.choice((1, 1, 1, 1, 2, 3)))]
        return "、".join(names), len(names)
