"""Changes that have not arrived: per device, the numbers missing below the highest one known.

Every version a device makes is numbered in its run (fieldkit.sync.seals). A device whose own runs
come here directly (its files carry them) and whose numbers go up to n has sent everything
when this data dir holds each of 1..n; a number missing is a change in a file that never
arrived (a lost USB stick), until it comes. Rejected versions count as arrived: they came,
and are listed with their reasons elsewhere.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fieldkit.store.database import Store
from fieldkit.sync import devices

REJECTED = "rejected"  # fieldkit.sync.merge's table of versions that failed their form's checks


def numbers_held(store: Store) -> dict[str, set[int]]:
    """Per device, the numbers of its versions held here (stored or rejected)."""
    out: dict[str, set[int]] = defaultdict(set)
    for rec in store.all_documents():
        seq = rec.get("seq")
        if seq is not None:
            out[rec["device"]].add(seq)
    for doc in store.table_docs(REJECTED).values():
        rec = doc.get("record", {})
        if type(rec.get("seq")) is int:
            out[rec["device"]].add(rec["seq"])
    return out


def holes(have: set[int], top: int) -> list[list[int]]:
    """The runs of numbers from 1 to `top` not in `have`: {1, 2, 6}, 9 -> [[3, 5], [7, 9]].
    Worked out from the numbers held, never by listing 1..top (a device may claim any top)."""
    out: list[list[int]] = []
    expected = 1
    for n in sorted(x for x in have if x <= top):
        if n > expected:
            out.append([expected, n - 1])
        expected = n + 1
    if expected <= top:
        out.append([expected, top])
    return out


def missing_changes(store: Store, book: devices.TrustBook) -> list[dict[str, Any]]:
    """Devices whose earlier changes have not arrived, with the numbers missing."""
    held = None
    out = []
    for device, doc in store.table_docs(devices.DEVICES).items():
        if not doc.get("direct") or device == book.me or not book.standing(device).trusted:
            continue
        if held is None:
            held = numbers_held(store)
        have = held.get(device, set())
        top = max(doc.get("made", 0), max(have, default=0))
        missing = holes(have, top)
        if missing:
            card = doc.get("card", {})
            out.append(
                {
                    "device": device,
                    "fingerprint": devices.fingerprint(device),
                    "worker": card.get("worker", ""),
                    "grid": card.get("grid", ""),
                    "missing": missing,
                    "count": sum(b - a + 1 for a, b in missing),
                    "from": missing[0][0],
                }
            )
    return sorted(out, key=lambda r: (r["grid"], r["worker"], r["device"]))
