"""One demo year in the making: the seeded random generator, the dates, the device's run of
versions, and weighted draws of the choice codes the loaded forms have."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from fieldkit.forms.definitions import FormSet
from fieldkit.forms.rules import Rules, VisitRule
from fieldkit.store.records import first_version, next_version

TZ = "+08:00"
Weights = Mapping[str, float] | Sequence[tuple[str, float]]


class Weighted:
    """A weighted choice table for one random generator."""

    __slots__ = ("codes", "cum", "rng")

    def __init__(self, rng: random.Random, pairs: Iterable[tuple[Any, float]]):
        self.rng = rng
        self.codes: list[Any] = []
        self.cum: list[float] = []
        total = 0.0
        for code, w in pairs:
            total += w
            self.codes.append(code)
            self.cum.append(total)

    def __call__(self) -> Any:
        return self.rng.choices(self.codes, cum_weights=self.cum)[0]


class DemoYear:
    """What every part of the demo shares: randomness, dates, records and the forms."""

    def __init__(
        self,
        year: int,
        seed: int,
        *,
        worker: str,
        grid: str,
        device: str,
        forms: FormSet,
        abbr: str,
        today: date,
        total: int,
        history: bool = False,
        first_seq: int = 1,
    ):
        self.year, self.seed = year, seed
        self.worker, self.grid, self.device, self.abbr = worker, grid, device, abbr
        self.forms: FormSet = forms
        self.rules: Rules = forms.rules
        self.jan1 = date(year, 1, 1)
        self.cutoff = min(date(year, 12, 31), today)
        if self.cutoff < self.jan1:
            raise ValueError(f"{year} 年还没有开始，无法生成演示数据")
        self.rng = random.Random(f"fieldkit-demo/{year}/{seed}/{total}")
        self.seq = first_seq - 1  # the device's run: every version made takes the next number
        self.keep_history = history
        self.earlier: list[dict[str, Any]] = []  # replaced versions, when keep_history
        self.versions = {f.id: f.version for f in forms}
        self.order = {
            (f.id, fld.id): {c.code: i for i, c in enumerate(fld.all_choices())}
            for f in forms
            for fld in f.fields
            if fld.is_choice
        }
        self._rules: dict[tuple[str, str | None], VisitRule | None] = {}

    # -- choice codes, from the forms ------------------------------------------------------

    def pick(self, form: str, fld: str, weights: Weights, *, within: str = "") -> Weighted:
        """A weighted draw of the codes of a form's choice field (of its choice set `within`,
        for a field whose choices depend on another): codes the forms lack are never drawn."""
        f = self.forms[form].field(fld)
        choices = f.choice_sets.get(within, ()) if within else f.all_choices()
        table = dict(weights)
        pairs = [(c.code, table[c.code]) for c in choices if table.get(c.code)]
        if not pairs:
            raise ValueError(f"演示数据：表单 {form} 的字段 {fld} 没有演示数据认识的选项")
        return Weighted(self.rng, pairs)

    def has_set(self, form: str, fld: str, within: str) -> bool:
        return bool(self.forms[form].field(fld).choice_sets.get(within))

    def known(self, form: str, fld: str, codes: Iterable[Any]) -> list[Any]:
        """The entries whose code (an entry or its first item) the form's field has."""
        order = self.order[(form, fld)]
        return [c for c in codes if (c[0] if isinstance(c, tuple) else c) in order]

    def ordered(self, form: str, fld: str, codes: Iterable[str]) -> list[str]:
        """Choice codes in the form's order, as validation stores them; unknown ones dropped."""
        order = self.order[(form, fld)]
        return sorted((c for c in set(codes) if c in order), key=order.__getitem__)

    # -- the visit rules -------------------------------------------------------------------

    def rule(self, category: str, level: str | None) -> VisitRule | None:
        key = (category, level)
        if key not in self._rules:
            self._rules[key] = self.rules.visit_rule(category, level)
        return self._rules[key]

    def rule_days(self, category: str, level: str | None) -> float:
        rule = self.rule(category, level)
        if rule is None:
            return 91.0
        every = rule.every
        return every.get("days", 0) + 30.44 * every.get("months", 0) + 365 * every.get("years", 0)

    # -- days and times --------------------------------------------------------------------

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def day_in(self, lo: date, hi: date) -> date:
        return date.fromordinal(self.rng.randint(lo.toordinal(), hi.toordinal()))

    def workday(self, day: date, lo: date, hi: date) -> date:
        return workday(self.rng, day, lo, hi)

    def stamp(self, day: date, hour: int, minute: int) -> str:
        """An ISO timestamp with the China offset, never after the last day of the data."""
        day += timedelta(days=hour // 24)
        if day > self.cutoff:
            day, hour = self.cutoff, 23
        return f"{day.isoformat()}T{hour % 24:02d}:{minute:02d}:{self.rng.randrange(60):02d}{TZ}"

    def entered(self, day: date, *, after_hour: int = 16) -> str:
        """When a record of `day` was typed in: that afternoon or evening, or the next morning."""
        if self.rng.random() < 0.8:
            return self.stamp(day, self.rng.randint(after_hour, 21), self.rng.randrange(60))
        return self.stamp(day, 24 + self.rng.randint(8, 11), self.rng.randrange(60))

    # -- versions --------------------------------------------------------------------------

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def record(self, form: str, data: dict[str, Any], at: str) -> dict[str, Any]:
        return first_version(
            form,
            self.versions[form],
            data,
            author=self.worker,
            device=self.device,
            seq=self.next_seq(),
            at=at,
            record_id=self.uid(),
        )

    def edit(
        self, prev: dict[str, Any], data: dict[str, Any], at: str, *, deleted: bool = False
    ) -> dict[str, Any]:
        """The next version, saved at `at` or, if that is not later, soon after `prev`."""
        if at <= prev["updated_at"]:
            before = datetime.fromisoformat(prev["updated_at"])
            moment = before + timedelta(minutes=self.rng.randint(5, 90))
            end = datetime.combine(self.cutoff, time(23, 59, 59), before.tzinfo)
            if moment > end:
                moment = max(end, before + timedelta(seconds=1))
            at = moment.isoformat()
        if prev["data"] == data and prev["deleted"] == deleted:
            return prev
        new = next_version(
            [prev],
            data,
            author=self.worker,
            device=self.device,
            seq=self.next_seq(),
            at=at,
            deleted=deleted,
        )
        if self.keep_history:
            self.earlier.append(prev)
        return new


def workday(rng: random.Random, day: date, lo: date, hi: date) -> date:
    """The day itself, or a nearby weekday within [lo, hi] if it falls on a weekend."""
    wd = day.weekday()
    if wd < 5:
        return day
    before, after = day - timedelta(days=wd - 4), day + timedelta(days=7 - wd)
    for cand in (after, before) if rng.random() < 0.5 else (before, after):
        if lo <= cand <= hi:
            return cand
    return day


def split(total: int, shares: Mapping[str, float]) -> dict[str, int]:
    """`total` split by shares, largest remainders first, so the parts add up exactly."""
    weight = sum(shares.values())
    raw = {k: total * v / weight for k, v in shares.items()}
    out = {k: int(v) for k, v in raw.items()}
    left = total - sum(out.values())
    for k in sorted(raw, key=lambda k: raw[k] - out[k], reverse=True)[:left]:
        out[k] += 1
    return out
