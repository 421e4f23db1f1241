"""A record's heads: its current version and the versions it conflicts with.

A version supersedes the versions in its ``ancestors``. The heads of a record are the versions
no other version supersedes; they are a function of the set of versions alone, so merging
(a union of sets) is order-independent and idempotent. The latest head (by time, then device,
then version id) is the current version; the others are kept as open conflicts. Heads that say
the same thing (two laptops made the same change) are not a conflict a person must resolve,
and the next edit descends from all of them.

In the store, a record's current version is in its form's records table, every other version
in ``history``, and a record with more than one head has a ``conflicts`` document listing the
others.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from fieldkit.store.database import HISTORY_TABLE, Store, Transaction, history_key, records_table
from fieldkit.store.records import Record, same_content

CONFLICTS = "conflicts"  # record id -> {"id", "form", "heads": [version ids of the other heads]}


def moment(text: str) -> datetime:
    """An ISO time; one without an offset is taken as UTC, the same on every machine."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def order_key(rec: Record) -> tuple[datetime, str, str]:
    """The deterministic order of heads: later updated_at, then device, then version."""
    return (moment(rec["updated_at"]), rec["device"], rec["version"])


def ordered(heads: Iterable[Record]) -> list[Record]:
    """Heads with the current one (the latest) first, the others by version id."""
    heads = list(heads)
    if len(heads) < 2:
        return heads
    current = max(heads, key=order_key)
    return [current, *sorted((h for h in heads if h is not current), key=lambda h: h["version"])]


def heads_among(versions: Iterable[Record]) -> list[Record]:
    """The heads of a set of versions of one record, the current one first."""
    by_id = {v["version"]: v for v in versions}
    superseded = {a for v in by_id.values() for a in v["ancestors"]}
    return ordered(v for k, v in by_id.items() if k not in superseded)


def join(heads: list[Record], rec: Record) -> list[Record] | None:
    """The heads after `rec` arrives, or None when they stay as they are (`rec` is a head or
    superseded by one)."""
    version = rec["version"]
    for h in heads:
        if h["version"] == version or version in h["ancestors"]:
            return None
    superseded = set(rec["ancestors"])
    return ordered([*(h for h in heads if h["version"] not in superseded), rec])


def in_conflict(heads: list[Record]) -> bool:
    """Whether the heads disagree (a person must choose), not merely several equal copies."""
    return any(not same_content(heads[0], h) for h in heads[1:])


def equivalents(heads: list[Record]) -> list[Record]:
    """The current head and every head saying the same: what a new edit is made from."""
    return [h for h in heads if h is heads[0] or same_content(heads[0], h)]


# -- in the store ------------------------------------------------------------------------


def heads_of(store: Store, record_id: str) -> list[Record]:
    """A record's heads, the current version first (empty if the record is unknown here).

    The documents are the store's own: read them, don't change them.
    """
    current = store.record_doc(record_id)
    if current is None:
        return []
    doc = store.doc(CONFLICTS, record_id)
    if not doc:
        return [current]
    others = [store.stored_version(record_id, v) for v in doc["heads"]]
    return [current, *(h for h in others if h is not None)]


def all_versions(store: Store, record_id: str) -> list[Record]:
    """Every version of a record held here (read only): its heads and the ancestors of them
    that reached this store (a version may be known by id only, if it was never received)."""
    heads = heads_of(store, record_id)
    out = {h["version"]: h for h in heads}
    for h in heads:
        for a in h["ancestors"]:
            if a not in out and (past := store.stored_version(record_id, a)) is not None:
                out[a] = past
    return list(out.values())


def write_heads(
    tx: Transaction, before: list[Record], after: list[Record], added: list[Record]
) -> None:
    """Store a record's new heads (current first) and the versions `added` to it: the current
    version in its table, every other version in history, the other heads in ``conflicts``."""
    current = after[0]
    rid = current["id"]
    if not before and len(after) == 1 and added == [current]:
        tx.put(records_table(current["form"]), rid, current)  # a new record: the common case
        return
    tx.save_record(current)  # the replaced current version moves to history
    new = {rec["version"] for rec in added}
    if before and current["version"] != before[0]["version"] and current["version"] not in new:
        tx.remove(HISTORY_TABLE, history_key(rid, current["version"]))  # a head, now current
    for rec in added:
        if rec["version"] != current["version"]:
            tx.put(HISTORY_TABLE, history_key(rid, rec["version"]), rec)
    if len(after) > 1:
        tx.put(CONFLICTS, rid, {"id": rid, "form": current["form"], "heads": _ids(after[1:])})
    elif len(before) > 1:
        tx.remove(CONFLICTS, rid)


def _ids(heads: list[Record]) -> list[str]:
    return [h["version"] for h in heads]


def save_made_here(store: Store, tx: Transaction, rec: Record) -> Record:
    """Store a version made on this machine (an edit, a deletion, a resolution): it joins its
    record's heads as an imported version would. Returns the record's current version.

    One version per record and transaction: the record's heads are read from the store.
    """
    before = heads_of(store, rec["id"])
    after = join(before, rec) if before else [rec]
    if after is None:  # cannot happen for a new version, whose id is new
        return before[0]
    write_heads(tx, before, after, [rec])
    return after[0]
