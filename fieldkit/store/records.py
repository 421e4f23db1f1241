"""Records and their versions: a version is one edit event, named by a hash of everything in it.

A record is a plain dict (a TinyDB document; it travels in bundles)::

    id            uuid4, given once (the record's identity everywhere)
    form, form_version, data, deleted
    parents       the versions this one was made from, sorted (none for a first version; two
                  or more for a conflict resolution)
    ancestors     every version this one descends from, sorted (parents included)
    device, seq   the device that made it and its number in that device's run of versions
                  (absent on versions converted from the first release, which carry `legacy`)
    created_at/by, updated_at/by
    version       sha256 over all of the above (and `merged_into` or `legacy` where present)

Because the version covers its parents, its device, its number and its time, every save that
changes a value is a new version, even when the content equals an earlier one (A → B → A is
three versions), and a version id cannot be kept while its content changes. Because it lists
every ancestor, whether one version supersedes another needs no walk through history.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

import orjson

Record = dict[str, Any]


def version_id(rec: Record) -> str:
    """The id a version must have: sha256 of its canonical JSON without the id itself."""
    body = {k: v for k, v in rec.items() if k != "version"}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def now_iso() -> str:
    """The current local time with its UTC offset, to the second."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


_HEX = "0123456789abcdef"


def is_record_id(value: Any) -> bool:
    """Whether `value` is a record id as fieldkit makes them (a lower-case uuid4). Plain string
    tests, not the regex: a 100k-version import checks every id."""
    return (
        type(value) is str
        and len(value) == 36
        and value[8] == value[13] == value[18] == value[23] == "-"
        and value[14] == "4"
        and value[19] in "89ab"
        and not value.replace("-", "", 4).strip(_HEX)
    )


def new_record_id() -> str:
    return str(uuid.uuid4())


def _sealed(rec: Record) -> Record:
    rec["version"] = version_id(rec)
    return rec


def first_version(
    form: str,
    form_version: int,
    data: dict[str, Any],
    *,
    author: str,
    device: str,
    seq: int,
    at: str | None = None,
    record_id: str | None = None,
) -> Record:
    """A record's first version."""
    at = at or now_iso()
    return _sealed(
        {
            "id": record_id or new_record_id(),
            "form": form,
            "form_version": form_version,
            "data": data,
            "deleted": False,
            "parents": [],
            "ancestors": [],
            "device": device,
            "seq": seq,
            "created_at": at,
            "created_by": author,
            "updated_at": at,
            "updated_by": author,
        }
    )


def next_version(
    heads: list[Record],
    data: dict[str, Any],
    *,
    author: str,
    device: str,
    seq: int,
    form_version: int | None = None,
    deleted: bool = False,
    at: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Record:
    """A version made from `heads` (the record's current version first; several for a
    conflict resolution) with new data or a deletion. `extra` adds fields (``merged_into``)."""
    base = heads[0]
    parents = sorted({h["version"] for h in heads})
    ancestors = sorted({a for h in heads for a in h["ancestors"]}.union(parents))
    rec = {
        "id": base["id"],
        "form": base["form"],
        "form_version": form_version or max(h["form_version"] for h in heads),
        "data": data,
        "deleted": deleted,
        "parents": parents,
        "ancestors": ancestors,
        "device": device,
        "seq": seq,
        "created_at": base["created_at"],
        "created_by": base["created_by"],
        "updated_at": at or now_iso(),
        "updated_by": author,
        **(extra or {}),
    }
    return _sealed(rec)


def same_content(a: Record, b: Record) -> bool:
    """Whether two versions say the same thing (data and deletion), whoever made them."""
    return a["deleted"] == b["deleted"] and a["data"] == b["data"]


def record_day(record: Record, date_field: str) -> str:
    """The ISO date a record is filed under (its form's date field), or '' if it has none."""
    return str(record["data"].get(date_field) or "")[:10]
