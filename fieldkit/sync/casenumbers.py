"""Mediation case numbers, unique across the street: the office hands out the numbers.

A case number names the year, the 调委会's abbreviation and a number that must not repeat in
the year (（2026）东人调字第12号). Laptops work offline, so the office gives each laptop a *block*
of numbers per year (a signed statement carried in its files, like its trust decisions); a laptop
numbers its new cases from its block, so two laptops can never give the same number. The office
numbers its own cases above every block, and when it merges it numbers the cases that came
without one (a laptop with no block yet, or whose block ran out) and renumbers any number that
came twice (typed by hand, or from the first release), keeping it on the earliest case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from fieldkit.store.database import Transaction
from fieldkit.store.records import Record, now_iso
from fieldkit.sync import devices

if TYPE_CHECKING:
    from fieldkit.workspace import Workspace

BLOCKS = "caseblocks"  # "<office>:<device>:<year>" -> a block the office signed
FORM, FIELD = "mediation", "case_no"
BLOCK_FIELDS = ("by", "device", "year", "first", "last", "at", "sig")


def normalised(number: str) -> str:
    """A case number as compared: half-width brackets (the first release's) as full-width."""
    return number.strip().replace("(", "（").replace(")", "）")


def _regex(pattern: str, year: str, abbr: str) -> re.Pattern[str]:
    return re.compile(
        re.escape(pattern)
        .replace(r"\{year\}", re.escape(year))
        .replace(r"\{abbr\}", re.escape(abbr))
        .replace(r"\{seq\}", r"(\d+)")
    )


def _year(accepted: str) -> str:
    return accepted[:4] if re.fullmatch(r"\d{4}", accepted[:4]) else str(date.today().year)


def used(ws: Workspace, year: str) -> set[int]:
    """The numbers of `year` that cases carry or carried (deleted ones too: a number is never
    given twice), in this data dir's pattern, either bracket style."""
    pattern = ws.forms.rules.case_numbers.pattern
    ident = ws.require_identity()
    regex = _regex(normalised(pattern), year, ident.abbr)
    return {
        int(m.group(1))
        for r in ws.store.current(FORM, include_deleted=True)
        if (m := regex.fullmatch(normalised(str(r["data"].get(FIELD, "")))))
    }


# -- blocks ------------------------------------------------------------------------------


def block_key(by: str, device: str, year: str) -> str:
    return f"{by}:{device}:{year}"


def block_problem(doc: Any, office_public: bytes) -> str | None:
    """Why `doc` is not a block signed by the office (Chinese), or None."""
    if type(doc) is not dict or set(doc) != set(BLOCK_FIELDS):
        return "案号段格式不对"
    if not (
        type(doc["first"]) is int and type(doc["last"]) is int and 1 <= doc["first"] <= doc["last"]
    ):
        return "案号段格式不对"
    if not (type(doc["year"]) is str and re.fullmatch(r"\d{4}", doc["year"])):
        return "案号段格式不对"
    if not devices.verifies("caseblock", doc, office_public):
        return "案号段的签名不对"
    return None


def own_block(ws: Workspace, year: str) -> dict[str, Any] | None:
    """This laptop's block for `year`, from its office."""
    ident = ws.require_identity()
    if ident.office is None:
        return None
    return ws.store.doc(BLOCKS, block_key(ident.office, ident.device, year))


def hand_out(ws: Workspace, tx: Transaction, device_ids: list[str], year: str) -> list[dict]:
    """At the office: a block of `year` for every device in `device_ids` that has none, above
    every block and every number given so far. The new blocks."""
    ident = ws.require_identity()
    size = ws.forms.rules.case_numbers.block
    blocks = [b for b in ws.store.table_docs(BLOCKS).values() if b["year"] == year]
    have = {b["device"] for b in blocks if b["by"] == ident.device}  # (an older key's don't count)
    top = max([*(b["last"] for b in blocks), *used(ws, year)], default=0)
    out = []
    for device in device_ids:
        if device in have:
            continue
        body = {
            "by": ident.device,
            "device": device,
            "year": year,
            "first": top + 1,
            "last": top + size,
            "at": now_iso(),
        }
        block = devices.signed(ws.keys, "caseblock", body)
        tx.put(BLOCKS, block_key(ident.device, device, year), block)
        out.append(block)
        top += size
    return out


def blocks_made_here(ws: Workspace) -> list[dict[str, Any]]:
    """The blocks this office handed out (carried in its files)."""
    me = ws.require_identity().device
    return [b for b in ws.store.table_docs(BLOCKS).values() if b["by"] == me]


# -- numbering ---------------------------------------------------------------------------


GIVEN = "casenumbers.given"  # meta: {year: the highest number the office gave}


def _office_top(ws: Workspace, year: str) -> int:
    """The highest number of `year` taken anywhere: blocks, cases, numbers the office gave."""
    blocks = [b["last"] for b in ws.store.table_docs(BLOCKS).values() if b["year"] == year]
    given = ws.store.get_meta(GIVEN, {}).get(year, 0)
    return max([given, *blocks, *used(ws, year)], default=0)


def next_number(ws: Workspace, accepted: str) -> str:
    """The number a new case gets: from this laptop's block, or at the office above every
    block and number; '' on a laptop with no number left (the office gives one when it merges)."""
    ident = ws.require_identity()
    pattern = ws.forms.rules.case_numbers.pattern
    year = _year(accepted)
    if ident.role == "office":
        seq = _office_top(ws, year) + 1
    else:
        block = own_block(ws, year)
        if block is None:
            return ""
        mine = [n for n in used(ws, year) if block["first"] <= n <= block["last"]]
        seq = max(mine, default=block["first"] - 1) + 1
        if seq > block["last"]:
            return ""
    return pattern.format(year=year, abbr=ident.abbr, seq=seq)


@dataclass(frozen=True)
class Renumbered:
    record: Record
    old: str  # '' when it had none
    new: str


def confirm(ws: Workspace) -> list[Renumbered]:
    """At the office: a number for every live case without one, and a new number for every
    case whose number an earlier case has already. In one transaction; each change is an
    ordinary version that travels back to the laptops."""
    cases = sorted(
        ws.store.current(FORM),
        key=lambda r: (str(r["data"].get("accepted", "")), r["created_at"], r["id"]),
    )
    seen: set[str] = set()
    todo = []
    for rec in cases:
        number = normalised(str(rec["data"].get(FIELD) or ""))
        if not number or number in seen:
            todo.append(rec)
        seen.add(number)
    if not todo:
        return []
    pattern = ws.forms.rules.case_numbers.pattern
    abbr = ws.require_identity().abbr
    tops: dict[str, int] = {}
    out = []
    with ws.changes() as c:
        for rec in todo:
            year = _year(str(rec["data"].get("accepted", "")))
            if year not in tops:
                tops[year] = _office_top(ws, year)
            tops[year] += 1
            new = pattern.format(year=year, abbr=abbr, seq=tops[year])
            c.edit(rec["id"], {**rec["data"], FIELD: new})
            out.append(Renumbered(rec, str(rec["data"].get(FIELD) or ""), new))
        c.tx.set_meta(GIVEN, {**ws.store.get_meta(GIVEN, {}), **tops})
    return out
