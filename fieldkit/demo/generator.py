"""Realistic, deterministic synthetic data: one grid's year of legal work, for demos and benchmarks.

`generate` builds complete records (persons and their follow-up visits on the schedule the rules
give, outreach events clustered on the theme days, mediations with sequential case numbers, the
legal adviser's log and the office's meetings) from a seeded random generator only: the same
(year, seed, records, today) gives the same records, ids and timestamps included. Different seeds
give different people: the ID numbers of seeds that differ modulo 50 can never coincide (the seed
picks part of the sequence digits). Each form has its part (persons, visits, outreach,
mediation, office), the wording and weights are in tables, and the choice codes drawn are those
the loaded forms have.

`fill` saves one demo year into a workspace in a single durable transaction.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import TYPE_CHECKING, Any

from fieldkit.demo import tables as T
from fieldkit.demo.chinese import chinese_number
from fieldkit.demo.mediation import Mediations
from fieldkit.demo.names import Names
from fieldkit.demo.office import Office
from fieldkit.demo.outreach import Outreach
from fieldkit.demo.persons import Persons
from fieldkit.demo.visits import Visits
from fieldkit.demo.year import DemoYear, split
from fieldkit.forms.definitions import FormSet
from fieldkit.store.changes import SEQ

if TYPE_CHECKING:
    from fieldkit.workspace import Workspace

__all__ = ["DEMO_ABBR", "DEMO_ORG", "SHARES", "demo_identity", "fill", "generate"]

DEMO_ORG = "示例街道办事处"
DEMO_ABBR = "示"

# Share of the requested record count per form. Follow-ups come from the visit schedule (the
# visiting pace is tuned to reach their share); the last four forms share what is left.
SHARES = {
    "person": 0.06,
    "followup": 0.60,
    "outreach": 0.12,
    "mediation": 0.12,
    "consultation": 0.07,
    "meeting": 0.03,
}
_REST = ("outreach", "mediation", "consultation", "meeting")


def demo_identity(seed: int) -> tuple[str, str]:
    """The demo grid worker and grid for a seed: seeds 1, 2, 3 are three laptops."""
    worker = T.DEMO_WORKERS[(seed - 1) % len(T.DEMO_WORKERS)]
    return worker, f"第{chinese_number(seed)}网格"


def _run(y: DemoYear, total: int) -> list[dict[str, Any]]:
    """The year's records, each form's by its part, persons first."""
    names = Names(y)
    persons, visits = Persons(y, names), Visits(y, names)
    outreach, mediations, office = (
        Outreach(y, names.community),
        Mediations(y, names),
        Office(y, names),
    )
    people = [persons.person() for _ in range(round(total * SHARES["person"]))]
    target = round(total * SHARES["followup"]) if people else 0
    visited = visits.visit_all(people, target)
    rest = max(0, total - len(people) - len(visited))
    counts = split(rest, {k: SHARES[k] for k in _REST})
    tombstones = total // 1500 if counts["outreach"] > 10 else 0
    out = [p.record for p in people]
    out += visited
    out += outreach.events(counts["outreach"], tombstones)
    out += mediations.cases(counts["mediation"])
    out += office.consultations(counts["consultation"])
    out += office.meetings(counts["meeting"])
    return y.earlier + out


def generate(
    year: int,
    seed: int = 1,
    records: int = 3000,
    *,
    worker: str,
    grid: str,
    device: str,
    forms: FormSet,
    abbr: str = DEMO_ABBR,
    today: date | None = None,
    history: bool = False,
    first_seq: int = 1,
) -> list[dict[str, Any]]:
    """About `records` complete records of one grid's `year`, deterministic in (year, seed,
    records, today). Persons come first, so a follow-up's person is always before it.

    `today` (default: the real today) ends the data when the year is not over yet; nothing is
    dated after it. A few records are later versions (a mediation closed after acceptance, a
    person discharged) and a few outreach duplicates are tombstones (deleted=True).

    With `history`, the versions those replaced come first in the list (same id, older
    version), so that saving the list in order leaves them readable in the store's history;
    then the list is longer than `records`, and it is a complete run of the device's versions
    numbered from `first_seq`. Without it, there is one dict per record id.
    """
    total = max(0, int(records))
    y = DemoYear(
        year,
        seed,
        worker=worker,
        grid=grid,
        device=device,
        forms=forms,
        abbr=abbr,
        today=today or date.today(),
        total=total,
        history=history,
        first_seq=first_seq,
    )
    return _run(y, total)


def fill(ws: Workspace, year: int, seed: int = 1, records: int = 3000) -> dict[str, int]:
    """Generate a demo year into a workspace in one save; live records per form id.

    Earlier versions of edited records (a mediation when accepted, a person before discharge)
    are saved too, so the store's history shows them.

    Without an identity the workspace gets the demo one for the seed (第一网格 for seed 1).
    """
    ident = ws.identity
    if ident is None:
        worker, grid = demo_identity(seed)
        ident = ws.set_identity(worker=worker, grid=grid, org=DEMO_ORG, abbr=DEMO_ABBR)
    recs = generate(
        year,
        seed,
        records,
        worker=ident.worker,
        grid=ident.grid,
        device=ident.device,
        forms=ws.forms,
        abbr=ident.abbr or DEMO_ABBR,
        today=ws.today(),
        history=True,
        first_seq=ws.store.get_meta(SEQ, 0) + 1,
    )
    with ws.store.transaction() as tx:
        for rec in recs:
            tx.save_record(rec)
        tx.set_meta(SEQ, max((r["seq"] for r in recs), default=tx.get_meta(SEQ, 0)))
    current = {r["id"]: r for r in recs}  # the last version of each id is its current one
    counts = Counter(r["form"] for r in current.values() if not r["deleted"])
    return {f.id: counts.get(f.id, 0) for f in ws.forms}
