"""Converting a data dir written by the first release, once, when it is first opened.

The first release named a version by a hash of its content, kept a record's history as a list
of such names, and had no device keys. Conversion keeps every record and every stored version:

1. the journal is folded into the snapshot, and the snapshot is copied to
   ``<data dir>/store-backup-format1-<time>/`` (kept, never touched again);
2. this data dir gets its keys (fieldkit.sync.keys) and its identity the new fields: the first
   release's office key configured here stays its encryption key, and a data dir holding the
   first release's office private key becomes the office;
3. every stored version becomes a new-style version with the same content, device, author and
   times, ``legacy`` naming the old version, and as parents the nearest of its old ancestors
   that are stored here (in time order, so the first release's circles A → B → A are cut);
   the same old versions convert to the same new ones on every data dir;
4. this data dir signs one *legacy seal* listing the converted versions, so they travel and
   verify like any other, and its next export carries everything;
5. the new state replaces the old snapshot atomically.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldkit.files.locations import store_dir
from fieldkit.store.changes import SEQ
from fieldkit.store.database import HISTORY_TABLE, META_TABLE, RECORDS_PREFIX, Store, history_key
from fieldkit.store.records import Record, version_id
from fieldkit.store.versions import CONFLICTS, heads_among, moment
from fieldkit.sync import devices, keys
from fieldkit.sync.export import EVERYTHING_NEXT, LAST
from fieldkit.sync.seals import SEALED, SEALS, make_legacy_seal, seal_key

if TYPE_CHECKING:
    from fieldkit.workspace import Identity

FORMAT = "format"  # meta: the store's format
CURRENT_FORMAT = 2
_OLD_EXPORT_SENT = "export.sent"
_KEPT_FIELDS = ("id", "form", "form_version", "data", "deleted", "device")


def needs_conversion(store: Store) -> bool:
    """Whether the store was written by the first release."""
    if store.get_meta(FORMAT) == CURRENT_FORMAT:
        return False
    old_identity = store.get_meta("identity")
    if old_identity is not None and "role" not in old_identity:
        return True
    return any("parents" not in doc for doc in store.all_documents())


def convert(root: Path, store: Store, identity_from_old: Any) -> Path:
    """Convert the store in place (see the module's doc); returns the backup folder.

    `identity_from_old` turns the old identity dict (or None) into the new Identity, given
    this data dir's keys.
    """
    store.compact()
    backup = _backup(root)
    device_keys = keys.load_or_create(root)
    tables = store.all_tables()
    at = datetime.now().astimezone().isoformat(timespec="seconds")
    new_tables, converted = _converted_records(tables)
    meta = dict(tables.get(META_TABLE, {}))
    meta.pop(_OLD_EXPORT_SENT, None)
    ident: Identity | None = identity_from_old(store.get_meta("identity"), device_keys, root)
    for key, value in (
        (FORMAT, CURRENT_FORMAT),
        (SEQ, 0),
        (SEALED, 0),
        (EVERYTHING_NEXT, True),
        ("identity", asdict(ident) if ident else None),
    ):
        if value is not None:
            meta[key] = {"value": value}
    if meta.get(LAST) is None:
        meta[LAST] = {"value": {"file": "", "at": at, "records": 0}}  # it did export before
    new_tables[META_TABLE] = meta
    for name, table in tables.items():
        if not (name.startswith(RECORDS_PREFIX) or name in (HISTORY_TABLE, CONFLICTS, META_TABLE)):
            new_tables[name] = dict(table)  # rejected and the like: kept as they were
    if converted:
        seal = make_legacy_seal(device_keys, converted, at)
        new_tables.setdefault(SEALS, {})[seal_key(seal)] = seal
    if ident is not None:
        card = devices.make_card(
            device_keys, worker=ident.worker, grid=ident.grid, org=ident.org, role=ident.role
        )
        doc = {"card": card, "first_seen": at, "made": 0, "direct": False}
        new_tables.setdefault(devices.DEVICES, {})[ident.device] = doc
    store.rewrite(new_tables)
    return backup


def _backup(root: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target, n = root / f"store-backup-format1-{stamp}", 2
    while target.exists():  # a conversion stopped half-way (its backup is complete or partial)
        target, n = root / f"store-backup-format1-{stamp}-{n}", n + 1
    source = store_dir(root)
    target.mkdir(parents=True)
    for path in source.iterdir():
        if path.is_file() and path.name != "lock":
            shutil.copy2(path, target / path.name)
    return target


def _converted_records(tables: dict[str, dict[str, Any]]) -> tuple[dict[str, dict], list[str]]:
    """The new records, history and conflicts tables, and the ids of every converted version."""
    old: dict[str, dict[str, Record]] = {}  # record id -> old version -> doc
    for name, table in tables.items():
        if name.startswith(RECORDS_PREFIX):
            for doc in table.values():
                old.setdefault(doc["id"], {})[doc["version"]] = doc
    for doc in tables.get(CONFLICTS, {}).values():
        for head in doc.get("heads", []):
            old.setdefault(head["id"], {}).setdefault(head["version"], head)
    for doc in tables.get(HISTORY_TABLE, {}).values():
        old.setdefault(doc["id"], {}).setdefault(doc["version"], doc)
    out: dict[str, dict] = {HISTORY_TABLE: {}, CONFLICTS: {}}
    converted: list[str] = []
    for rid, versions in old.items():
        new_versions = _convert_record(versions)
        converted.extend(v["version"] for v in new_versions)
        heads = heads_among(new_versions)
        current = heads[0]
        out.setdefault(RECORDS_PREFIX + current["form"], {})[rid] = current
        for v in new_versions:
            if v is not current:
                out[HISTORY_TABLE][history_key(rid, v["version"])] = v
        if len(heads) > 1:
            ids = [h["version"] for h in heads[1:]]
            out[CONFLICTS][rid] = {"id": rid, "form": current["form"], "heads": ids}
    return out, converted


def _convert_record(old: dict[str, Record]) -> list[Record]:
    """One record's old versions as new ones, oldest first."""
    order = sorted(old.values(), key=lambda d: (moment(d["updated_at"]), d["device"], d["version"]))
    rank = {d["version"]: n for n, d in enumerate(order)}
    known: dict[
        str, set[str]
    ] = {}  # old version -> old versions it descends from (stored, earlier)
    new: dict[str, Record] = {}  # old version -> new version
    for doc in order:
        v = doc["version"]
        earlier = {
            a
            for a in [*doc.get("ancestors", []), *doc.get("replaces", [])]
            if a in rank and rank[a] < rank[v]
        }
        known[v] = earlier.union(*(known[a] for a in earlier))
        parents = [a for a in earlier if not any(a in known[b] for b in earlier)]
        new[v] = _new_version(doc, [new[p] for p in parents])
    return [new[d["version"]] for d in order]


def _new_version(doc: Record, parents: list[Record]) -> Record:
    parent_ids = sorted(p["version"] for p in parents)
    rec: dict[str, Any] = {k: doc[k] for k in _KEPT_FIELDS}
    rec.update(
        parents=parent_ids,
        ancestors=sorted({a for p in parents for a in p["ancestors"]}.union(parent_ids)),
        created_at=doc.get("created_at", doc["updated_at"]),
        created_by=doc.get("created_by", doc.get("updated_by", "")),
        updated_at=doc["updated_at"],
        updated_by=doc.get("updated_by", ""),
        legacy=doc["version"],
    )
    if doc.get("merged_into"):
        rec["merged_into"] = doc["merged_into"]
    rec["version"] = version_id(rec)
    return rec
