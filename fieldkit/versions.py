"""A record's known versions, and which of them are its heads (current version and conflicts).

Every version of a record that reached this store is kept: the current one in the records
tables, the other heads in ``conflicts``, the rest in ``history``. Bundles carry them all, so the
set of known versions of a record only grows, by union, wherever files travel. The heads are a
function of that set alone, which is what makes merging order-independent and idempotent.

Version `a` *knows* version `b` when b's number is in a's ancestors (a was made from b, or later)
or in a's ``replaces`` (learned when two records with the same content met). Versions are content
hashes, so the same number can stand for the same content reached twice (A → B → A, or a conflict
resolved by taking one side whole); one record per number is kept, the later one by order_key,
knowing what either knew. Then:

- a version known by another version is superseded, unless they know each other (an edit back
  to earlier content): in such a circle the latest by order_key wins;
- the heads are the versions left; the latest of them is the current version, the others are the
  record's open conflicts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from fieldkit.store import HISTORY_TABLE, Store, Transaction, history_key

if TYPE_CHECKING:
    from fieldkit.workspace import Workspace

Record = dict[str, Any]
Versions = dict[str, Record]  # version -> the record kept for it

CONFLICTS = "conflicts"  # record id -> {"id", "form", "heads": [the other heads, whole]}
REPLACES = "replaces"  # versions a record also knows, beyond its ancestors (sorted)


def moment(text: str) -> datetime:
    """An ISO time; one without an offset is taken as UTC, the same on every machine."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def order_key(rec: Record) -> tuple[datetime, str, str, bytes]:
    """The deterministic order of versions: later updated_at, then device, then version.

    The whole record breaks the last ties (the same content saved with other metadata).
    """
    return (
        moment(rec["updated_at"]),
        rec["device"],
        rec["version"],
        orjson.dumps(rec, option=orjson.OPT_SORT_KEYS),
    )


def knows(rec: Record) -> set[str]:
    """The version numbers a record supersedes directly."""
    return {*rec["ancestors"], *rec.get(REPLACES, ())}


def same_content(a: Record, b: Record) -> Record:
    """One record for two of the same version: the later one, also knowing what the other knew.

    Commutative and associative, so any number of copies meeting in any order give one result.
    """
    first, second = (a, b) if order_key(a) >= order_key(b) else (b, a)
    extra = knows(second) - knows(first) - {first["version"]}
    if not extra:
        return first
    return {**first, REPLACES: sorted({*first.get(REPLACES, ()), *extra})}


def add(versions: Versions, rec: Record) -> bool:
    """Put `rec` into a version set; whether the set changed."""
    old = versions.get(rec["version"])
    if old == rec:
        return False
    merged = rec if old is None else same_content(old, rec)
    if merged is old or merged == old:
        return False
    versions[rec["version"]] = merged
    return True


def heads_among(versions: Versions) -> list[Record]:
    """The heads of a version set, the current version first (others by version number)."""
    if len(versions) == 1:
        return list(versions.values())
    edges = {v: [w for w in knows(r) if w in versions and w != v] for v, r in versions.items()}
    reach: dict[str, set[str]] = {}
    for start in versions:
        seen: set[str] = set()
        stack = list(edges[start])
        while stack:
            v = stack.pop()
            if v not in seen:
                seen.add(v)
                stack.extend(edges[v])
        reach[start] = seen
    keys: dict[str, tuple] = {}

    def key(v: str) -> tuple:  # made only where needed: order_key is not cheap
        if v not in keys:
            keys[v] = order_key(versions[v])
        return keys[v]

    def superseded(b: str) -> bool:
        return any(
            b in reach[a] and (a not in reach[b] or key(a) > key(b)) for a in versions if a != b
        )

    heads = [v for v in versions if not superseded(v)]
    if len(heads) > 1:
        heads.sort(key=key, reverse=True)
    return [versions[heads[0]], *(versions[v] for v in sorted(heads[1:]))]


def ancestors_of_all(heads: Iterable[Record], exclude: str) -> list[str]:
    """The union of the heads' histories and versions, oldest first, without `exclude`."""
    seen: dict[str, None] = {}
    for h in sorted(heads, key=order_key):
        for v in [*h["ancestors"], h["version"]]:
            if v != exclude:
                seen[v] = None
    return list(seen)


def replaced_by_all(heads: Iterable[Record], ancestors: list[str], version: str) -> list[str]:
    """What the heads learned beyond their histories, for a record made from all of them."""
    return sorted(set().union(*(h.get(REPLACES, ()) for h in heads)) - {*ancestors, version})


# -- the versions a store holds ----------------------------------------------------------


def stored(store: Store, current: Record) -> Versions:
    """Every stored version of `current`'s record: its heads and, through what they know, the
    versions in history (a version never seen here is known by number only)."""
    rid = current["id"]
    versions: Versions = {current["version"]: current}
    doc = store.table(CONFLICTS).get(doc_id=rid)
    for h in doc["heads"] if doc else ():
        versions.setdefault(h["version"], h)
    history = store.table(HISTORY_TABLE)
    stack = [v for r in list(versions.values()) for v in knows(r)]
    while stack:
        v = stack.pop()
        if v in versions:
            continue
        past = history.get(doc_id=history_key(rid, v))
        if past is not None:
            versions[v] = dict(past)
            stack.extend(knows(past))
    return versions


def heads_of(ws: Workspace, record_id: str) -> list[Record]:
    """A record's heads: the current version first, then the versions it conflicts with
    (empty if the record is unknown here)."""
    current = ws.store.get(record_id)
    return heads_among(stored(ws.store, current)) if current else []


# -- storing a record's heads ------------------------------------------------------------


def write_heads(
    tx: Transaction,
    versions: Versions,
    heads: list[Record],
    dirty: set[str],
    had_conflict: bool,
) -> None:
    """Store a record's heads (its current version first, then its open conflicts) and keep
    every other version in history: those new or changed (`dirty`) and former heads."""
    cur = heads[0]
    rid = cur["id"]
    tx.save_record(cur)  # the replaced current version goes to history
    if len(heads) > 1:
        tx.put(CONFLICTS, rid, {"id": rid, "form": cur["form"], "heads": heads[1:]})
    elif had_conflict:
        tx.remove(CONFLICTS, rid)
    if len(versions) > len(heads):
        head_versions = {h["version"] for h in heads}
        for v, rec in versions.items():
            if v not in head_versions and (v in dirty or had_conflict):
                tx.put(HISTORY_TABLE, history_key(rid, v), rec)


def save_made_here(store: Store, tx: Transaction, rec: Record) -> Record:
    """Store a version made on this machine (an edit, a deletion, a resolution) as an import
    of it would: it joins its record's known versions, whose heads are then stored. So a
    version number already known (content edited back to what it was) keeps what that copy
    knew, and every machine that gets both copies ends the same. Returns the current version.

    One version per record and transaction: the record's versions are read from the store.
    """
    rid = rec["id"]
    current = store.get(rid)
    versions = stored(store, current) if current else {}
    add(versions, rec)
    heads = heads_among(versions)
    had_conflict = store.table(CONFLICTS).get(doc_id=rid) is not None
    write_heads(tx, versions, heads, {rec["version"]}, had_conflict)
    return heads[0]
