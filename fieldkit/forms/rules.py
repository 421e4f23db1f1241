"""The rules of forms/rules.toml, typed: supervision periods, visit intervals, when a visit is
due soon, and case numbers.

Parsed once, when the forms load. The shipped rules.toml is the one source of defaults: a
setting an office's rules.toml leaves out (soon_days, the case number pattern and block) is
the shipped one. Supervision periods and visit rules are the office's as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fieldkit.forms.kinds import Fail, expect, kind_name

#: {years|months|days = N}, e.g. {"months": 1}
Period = Mapping[str, int]
INTERVAL_UNITS = ("years", "months", "days")
MAX_BLOCK = 100_000


@dataclass(frozen=True)
class VisitRule:
    """How often persons of a category (and of some of its levels) are visited."""

    category: str
    every: Period
    levels: frozenset[str] | None = None  # None: every level of the category
    joint: tuple[str, ...] = ()  # departments that must join the visit (codes)
    note: str = ""

    def applies(self, category: str | None, level: Any) -> bool:
        return self.category == category and (self.levels is None or str(level) in self.levels)


@dataclass(frozen=True)
class CaseNumbers:
    """Mediation case numbers: their pattern ({year}, {abbr}, {seq}) and the size of the block
    of numbers the office hands each laptop a year."""

    pattern: str
    block: int


@dataclass(frozen=True)
class Rules:
    supervision: Mapping[str, Period]  # category -> how long supervision lasts
    visits: tuple[VisitRule, ...]  # the first that applies wins
    soon_days: int  # a visit due within this many days is due soon
    case_numbers: CaseNumbers

    def visit_rule(self, category: str | None, level: Any) -> VisitRule | None:
        """The first rule for the category whose levels include `level` (or that lists none)."""
        return next((r for r in self.visits if r.applies(category, level)), None)


def parse_rules(doc: dict[str, Any], fail: Fail, defaults: Rules | None = None) -> Rules:
    """The typed rules of a rules.toml document; `defaults` (the shipped rules) fill in the
    settings it leaves out. Raises fail(message in Chinese) for a value that cannot work."""
    for key in ("supervision", "due", "case_number"):
        if key in doc:
            expect(doc[key], "table", f"[{key}]", fail)
    supervision = {}
    for category, period in doc.get("supervision", {}).items():
        supervision[category] = _interval(period, f"[supervision] {category}", fail)
    if "visits" in doc:
        expect(doc["visits"], "list of tables", "visits（[[visits]]）", fail)
    visits = tuple(
        _visit_rule(raw, f"第 {n} 条 [[visits]]", fail)
        for n, raw in enumerate(doc.get("visits", []), start=1)
    )
    due = doc.get("due", {})
    if "soon_days" in due:
        expect(due["soon_days"], "non-negative int", "[due] soon_days", fail)
    soon_days = due.get("soon_days", defaults.soon_days if defaults else None)
    if soon_days is None:
        raise fail("缺少 [due] soon_days")
    return Rules(supervision, visits, soon_days, _case_numbers(doc, fail, defaults))


def _visit_rule(raw: dict[str, Any], where: str, fail: Fail) -> VisitRule:
    if "category" not in raw or "every" not in raw:
        raise fail(f"{where} 缺少 category 或 every")
    expect(raw["category"], "str", f"{where} 的 category", fail)
    for key in ("levels", "joint"):
        if key in raw:
            expect(raw[key], "list of str", f"{where} 的 {key}", fail)
    if "note" in raw:
        expect(raw["note"], "str", f"{where} 的 note", fail)
    every = _interval(raw["every"], f"{where} 的 every", fail)
    levels = frozenset(raw["levels"]) if "levels" in raw else None
    return VisitRule(
        raw["category"], every, levels, tuple(raw.get("joint", ())), raw.get("note", "")
    )


def _interval(period: Any, where: str, fail: Fail) -> Period:
    example = "如 { months = 1 } 或 { days = 14 }"
    if not isinstance(period, dict) or not period or not set(period) <= set(INTERVAL_UNITS):
        raise fail(
            f"{where} 应写成 {{ years|months|days = 数字 }}，{example}，现在是{kind_name(period)}"
        )
    for unit, n in period.items():
        expect(n, "positive int", f"{where} 的 {unit}", fail)
    return dict(period)


_PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _case_numbers(doc: dict[str, Any], fail: Fail, defaults: Rules | None) -> CaseNumbers:
    case = doc.get("case_number", {})
    if "pattern" in case:
        expect(case["pattern"], "str", "[case_number] pattern", fail)
        if "{seq}" not in case["pattern"]:
            raise fail("[case_number] pattern 中要有 {seq}（案号的序号）")
        if set(_PLACEHOLDER.findall(case["pattern"])) != {"year", "abbr", "seq"}:
            raise fail("[case_number] pattern 应写成含 {year}、{abbr}、{seq} 的案号格式")
    if "block" in case:
        expect(case["block"], "positive int", "[case_number] block", fail)
        if case["block"] > MAX_BLOCK:
            raise fail(f"[case_number] block 应为 1 到 {MAX_BLOCK} 之间的整数")
    shipped = defaults.case_numbers if defaults else None
    pattern = case.get("pattern", shipped.pattern if shipped else None)
    block = case.get("block", shipped.block if shipped else None)
    if pattern is None or block is None:
        raise fail("缺少 [case_number] pattern 或 block")
    return CaseNumbers(pattern, block)
