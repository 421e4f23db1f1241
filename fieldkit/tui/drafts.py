"""Half-filled forms kept on disk, so a closed or killed app loses nothing typed.

One JSON file per form (new entries) or per record (edits) in the data dir's drafts folder,
replaced atomically: a crash leaves either the old draft or the new one, never half of one.
In a data dir with a passphrase the file is sealed under its data key (fieldkit.store.vault), bound
to its name, and it is sealed before it is written: no temporary file holds it in clear.

A draft's file name is a hash of its form and record id, never the ids themselves: both may
have arrived in a file from elsewhere (an office's forms, an imported record), and an id such
as ``x\\..\\..\\Desktop\\evil`` or ``a:b`` must not name a file outside the folder or an NTFS
stream. The ids are checked too, as fieldkit makes them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fieldkit.errors import FieldkitError
from fieldkit.files import durable
from fieldkit.files.locations import drafts_dir
from fieldkit.store import vault
from fieldkit.store.records import is_record_id


@dataclass(frozen=True)
class Draft:
    form: str
    record_id: str | None
    values: dict[str, Any]
    saved_at: str  # local time, ISO, to the second


def draft_key(form_id: str, record_id: str | None = None) -> str:
    """The file stem of a draft: a hash of the form (a new entry) or of form and record (an
    edit). ValueError for ids fieldkit does not make."""
    if not (form_id.isidentifier() and form_id.isascii()):
        raise ValueError(f"not a form id: {form_id!r}")
    if record_id is not None and not is_record_id(record_id):
        raise ValueError(f"not a record id: {record_id!r}")
    kind, what = ("edit", f"{form_id}\n{record_id}") if record_id else ("new", form_id)
    return f"{kind}-{hashlib.sha256(what.encode()).hexdigest()[:32]}"


class Drafts:
    """The drafts of one data dir."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.directory = drafts_dir(self.root)

    def _paths(self, form_id: str, record_id: str | None) -> tuple[Path, Path] | None:
        """The draft's file and the name an earlier release gave it (form id, record id:
        safe once checked), or None for ids fieldkit does not make (they have no draft)."""
        try:
            key = draft_key(form_id, record_id)
        except ValueError:
            return None
        legacy = f"{form_id}--{record_id}" if record_id else form_id
        return self.directory / f"{key}.json", self.directory / f"{legacy}.json"

    def load(self, form_id: str, record_id: str | None = None) -> Draft | None:
        """The saved draft, or None (a damaged or changed draft file counts as none; so does
        one whose content names another form or record than its name says)."""
        for path in self._paths(form_id, record_id) or ():
            try:
                blob = vault.unprotect(self.root, "draft", path.name, path.read_bytes(), path)
                raw = json.loads(blob.decode("utf-8"))
                if raw["form"] != form_id or raw.get("record_id") != record_id:
                    continue
                return Draft(
                    form=raw["form"],
                    record_id=raw.get("record_id"),
                    values=dict(raw["values"]),
                    saved_at=str(raw.get("saved_at", "")),
                )
            except (OSError, ValueError, KeyError, TypeError, FieldkitError):
                continue
        return None

    def exists(self, form_id: str, record_id: str | None = None) -> bool:
        return any(p.exists() for p in self._paths(form_id, record_id) or ())

    def save(self, form_id: str, record_id: str | None, values: dict[str, Any]) -> None:
        """Write the draft atomically (temp file, fsync, rename), sealed with a passphrase."""
        paths = self._paths(form_id, record_id)
        if paths is None:
            return
        doc = {
            "form": form_id,
            "record_id": record_id,
            "values": values,
            "saved_at": datetime.now().isoformat(timespec="seconds"),
        }
        text = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
        path = paths[0]
        durable.write_file(path, vault.protect(self.root, "draft", path.name, text))
        paths[1].unlink(missing_ok=True)

    def discard(self, form_id: str, record_id: str | None = None) -> None:
        for path in self._paths(form_id, record_id) or ():
            path.unlink(missing_ok=True)

    def forms_with_drafts(self, form_ids: Iterable[str]) -> set[str]:
        """Those of `form_ids` that have a draft of a new entry."""
        if not self.directory.is_dir():
            return set()
        return {form_id for form_id in form_ids if self.load(form_id) is not None}
