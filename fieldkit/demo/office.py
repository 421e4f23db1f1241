"""The demo's office work: the legal adviser's log (法律顾问) and the meetings (学法与会议)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fieldkit.demo import tables as T
from fieldkit.demo.names import Names
from fieldkit.demo.year import DemoYear, split


class Office:
    def __init__(self, y: DemoYear, names: Names):
        self.y, self.rng = y, y.rng
        self.adviser_kind = y.pick("consultation", "kind", T.ADVISER_KINDS)
        self.requesters = {
            kind: y.pick("consultation", "requester", weights)
            for kind, weights in T.ADVISER_REQUESTERS.items()
        }
        self.meeting_shares = dict(y.known("meeting", "kind", T.MEETING_KINDS))
        firms = T.FIRMS
        self.advisors = [
            f"{name}律师（{firms[(y.seed + i) % len(firms)]}）"
            for i, name in enumerate(names.some(2))
        ]

    def consultations(self, count: int) -> list[dict[str, Any]]:
        y, rng = self.y, self.rng
        out = []
        for _ in range(count):
            kind = self.adviser_kind()
            topics, outcomes = T.ADVISER_TEXT[kind]
            day = y.workday(y.day_in(y.jan1, y.cutoff), y.jan1, y.cutoff)
            data = {
                "date": day.isoformat(),
                "kind": kind,
                "requester": self.requesters[kind](),
                "topic": rng.choice(topics).format(year=y.year),
                "advisor": rng.choice(self.advisors),
                "outcome": rng.choice(outcomes).format(n=rng.randint(1, 6)),
            }
            out.append(y.record("consultation", data, y.entered(day)))
        out.sort(key=lambda r: r["data"]["date"])
        return out

    def meetings(self, count: int) -> list[dict[str, Any]]:
        """Meetings by kind in fixed shares, each kind spread evenly over the months so far
        (the party committee takes up rule-of-law work about twice a month)."""
        y, rng = self.y, self.rng
        out = []
        span = (y.cutoff - y.jan1).days + 1
        for kind, n in split(count, self.meeting_shares).items():
            titles, lo, hi = T.MEETING_TEXT[kind]
            for i in range(n):
                first = y.jan1 + timedelta(days=span * i // n)
                last = max(first, y.jan1 + timedelta(days=span * (i + 1) // n - 1))
                day = y.workday(y.day_in(first, last), first, last)
                data: dict[str, Any] = {
                    "date": day.isoformat(),
                    "kind": kind,
                    "title": rng.choice(titles).format(year=y.year),
                    "participants": rng.randint(lo, hi),
                }
                if kind == "enforcement_training" and "考试" in data["title"]:
                    data["notes"] = f"参考{data['participants']}人，全部合格"
                out.append(y.record("meeting", data, y.entered(day)))
        out.sort(key=lambda r: r["data"]["date"])
        return out
