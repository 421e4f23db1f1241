"""Changes that have not arrived: per device, the numbers missing below the highest one known.

Every version a device makes is numbered in its run (fieldkit.seals). A device whose own runs
come here directly (its files carry them) and whose numbers go up to n has sent everything
when this data dir holds each of 1..n; a number missing is a change in a file that never
arrived (a lost USB stick), until it comes. Rejected versions count as arrived: they came,
and are listed with their reasons elsewhere.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fieldkit import devices
from fieldkit.store import Store

REJECTED = "rejected"  # fieldkit.merge's table of versions that failed their form's checks


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


def ranges(missing: list[int]) -> list[list[int]]:
    """[3, 4, 5, 9] -> [[3, 5], [9, 9]]."""
    out: list[list[int]] = []
    for n in missing:
        if out and out[-1][1] == n - 1:
            out[-1][1] = n
        else:
            out.append([n, n])
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
        gaps = [n for n in range(1, top + 1) if n not in have]
        if gaps:
            card = doc.get("card", {})
            out.append(
                {
                    "device": device,
                    "fingerprint": devices.fingerprint(device),
                    "worker": card.get("worker", ""),
                    "grid": card.get("grid", ""),
                    "missing": ranges(gaps),
                    "count": len(gaps),
                    "from": gaps[0],
                }
            )
    return sorted(out, key=lambda r: (r["grid"], r["worker"], r["device"]))
