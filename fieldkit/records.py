"""Records and their versions: identity, content hash, edit history and tombstones.

A record is a plain dict (it is stored as a TinyDB document and travels in bundles):
id, form, form_version, data, version, ancestors, created_at/by, updated_at/by, device, deleted.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any


def content_version(form: str, data: dict[str, Any], deleted: bool) -> str:
    """The version: a hash of what the record says, so equal content is one version everywhere."""
    text = json.dumps(
        [form, data, deleted], ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def now_iso() -> str:
    """The current local time with its UTC offset, to the second."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def new_record(
    form: str,
    form_version: int,
    data: dict[str, Any],
    *,
    author: str,
    device: str,
    at: str | None = None,
    record_id: str | None = None,
) -> dict[str, Any]:
    """A record's first version."""
    at = at or now_iso()
    return {
        "id": record_id or str(uuid.uuid4()),
        "form": form,
        "form_version": form_version,
        "data": data,
        "version": content_version(form, data, False),
        "ancestors": [],
        "created_at": at,
        "created_by": author,
        "updated_at": at,
        "updated_by": author,
        "device": device,
        "deleted": False,
    }


def next_version(
    prev: dict[str, Any],
    data: dict[str, Any],
    *,
    author: str,
    device: str,
    form_version: int | None = None,
    deleted: bool = False,
    at: str | None = None,
) -> dict[str, Any] | None:
    """The version after `prev` with new data (or a tombstone); None when nothing changed."""
    version = content_version(prev["form"], data, deleted)
    if version == prev["version"]:
        return None
    return {
        **prev,
        "form_version": form_version or prev["form_version"],
        "data": data,
        "version": version,
        "ancestors": [*(a for a in prev["ancestors"] if a != version), prev["version"]],
        "updated_at": at or now_iso(),
        "updated_by": author,
        "device": device,
        "deleted": deleted,
    }


def descends_from(record: dict[str, Any], other: dict[str, Any]) -> bool:
    """True when `other`'s version is in `record`'s history (record is a later edit of it)."""
    return other["version"] in record["ancestors"]


def record_day(record: dict[str, Any], date_field: str) -> str:
    """The ISO date a record is filed under (its form's date field), or '' if it has none."""
    return str(record["data"].get(date_field) or "")[:10]
