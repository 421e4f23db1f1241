"""The demo's outreach events (普法宣传): clustered on the theme days, a few typed in twice and
deleted the next day."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from fieldkit.demo import tables as T
from fieldkit.demo.year import DemoYear

FORM = "outreach"
DAILY, OTHER = "daily", "other"  # themes without a day of their own


class Outreach:
    def __init__(self, y: DemoYear, community: str):
        self.y, self.rng, self.community = y, y.rng, community
        self.theme = y.pick(FORM, "theme", {k: v[0] for k, v in T.THEMES.items()})
        self.venue = y.pick(FORM, "venue_type", T.VENUES)
        self.daily_law = y.pick(FORM, "laws", T.DAILY_LAWS)
        self.activities = y.known(FORM, "activities", T.ACTIVITIES)
        venues = y.forms[FORM].field("venue_type").all_choices()
        self.venue_labels = {c.code: c.label for c in venues}

    def events(self, count: int, tombstones: int) -> list[dict[str, Any]]:
        y, rng = self.y, self.rng
        tombstones = min(tombstones, count // 2)
        out = [self.event() for _ in range(count - tombstones)]
        out.sort(key=lambda r: r["data"]["date"])
        # A few events typed in twice by mistake and deleted the next day: the tombstones
        # travel in bundles like any other version.
        for original in rng.sample(out, tombstones):
            data = {**original["data"], "participants": original["data"]["participants"] + 1}
            day = date.fromisoformat(data["date"])
            dup = y.record(FORM, data, y.entered(day))
            at = y.stamp(min(day + timedelta(days=1), y.cutoff), 9, rng.randrange(60))
            out.append(y.edit(dup, data, at, deleted=True))
        return out

    def theme_day(self, theme: str) -> date | None:
        y = self.y
        _, start, end, peak, peak_share = T.THEMES[theme]
        if start is None:
            return None
        if peak and self.rng.random() < peak_share:
            day = date(y.year, *peak)
        else:
            day = y.day_in(date(y.year, *start), date(y.year, *end))
        return day if day <= y.cutoff else None

    def event(self) -> dict[str, Any]:
        y, rng = self.y, self.rng
        theme = self.theme()
        day = self.theme_day(theme)
        if theme == DAILY or (day is None and theme != OTHER):
            theme = DAILY
            stem, laws, partners = rng.choice(T.DAILY_STEMS), None, T.DAILY_PARTNERS
        elif theme == OTHER:
            stem, laws, partners, month = rng.choice(T.OTHER_THEMES)
            if month and date(y.year, month, 1) <= y.cutoff:
                day = y.day_in(date(y.year, month, 1), date(y.year, month, 28))
                day = min(day, y.cutoff)
        else:
            stems, laws, partners = T.THEME_TEXT[theme]
            stem = rng.choice(stems)
        if day is None:
            day = y.day_in(y.jan1, y.cutoff)
        if laws is None:
            laws = {self.daily_law() for _ in range(rng.choice((1, 1, 2, 3)))}
        venue = self.venue()
        place = rng.choice(T.VENUE_PLACES[venue]).format(
            community=self.community,
            estate=rng.choice(T.ESTATES),
            company=rng.choice(T.COMPANIES),
        )
        acts = {code for code, share in self.activities if rng.random() < share} or {"materials"}
        median = 70 if theme in (DAILY, OTHER) else 180
        people = int(min(500, max(20, rng.lognormvariate(math.log(median), 0.6))))
        data: dict[str, Any] = {
            "date": day.isoformat(),
            "title": stem + self.venue_labels[venue],
            "venue_type": venue,
            "location": place,
            "theme": theme,
            "laws": y.ordered(FORM, "laws", laws),
            "activities": y.ordered(FORM, "activities", acts),
            "participants": people,
        }
        if rng.random() < 0.6:
            k = min(len(partners), rng.randint(1, 2))
            data["partners"] = "、".join(rng.sample(partners, k))
        if "materials" in acts:
            handed = min(2000, max(50, people * rng.uniform(1.0, 3.5)))
            data["materials"] = int(handed) // 10 * 10
        if "consulting" in acts:
            data["consultations"] = max(1, int(people * rng.uniform(0.04, 0.25)))
        return y.record(FORM, data, y.entered(day))
