"""Half-filled forms kept on disk, so a closed or killed app loses nothing typed.

One JSON file per form (new entries) or per record (edits) in the data dir's drafts folder,
replaced atomically: a crash leaves either the old draft or the new one, never half of one.
In a data dir with a passphrase the file is sealed under its data key (fieldkit.vault), bound
to its name, and it is sealed before it is written: no temporary file holds it in clear.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fieldkit import vault
from fieldkit.errors import FieldkitError
from fieldkit.locations import drafts_dir


@dataclass(frozen=True)
class Draft:
    form: str
    record_id: str | None
    values: dict[str, Any]
    saved_at: str  # local time, ISO, to the second


def draft_key(form_id: str, record_id: str | None = None) -> str:
    """The file stem of a draft: the form for a new entry, form and record for an edit."""
    return f"{form_id}--{record_id}" if record_id else form_id


class Drafts:
    """The drafts of one data dir."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.directory = drafts_dir(self.root)

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def load(self, form_id: str, record_id: str | None = None) -> Draft | None:
        """The saved draft, or None (a damaged or changed draft file counts as none)."""
        path = self._path(draft_key(form_id, record_id))
        try:
            blob = vault.unprotect(self.root, "draft", path.name, path.read_bytes(), path)
            raw = json.loads(blob.decode("utf-8"))
            return Draft(
                form=raw["form"],
                record_id=raw.get("record_id"),
                values=dict(raw["values"]),
                saved_at=str(raw.get("saved_at", "")),
            )
        except (OSError, ValueError, KeyError, TypeError, FieldkitError):
            return None

    def exists(self, form_id: str, record_id: str | None = None) -> bool:
        return self._path(draft_key(form_id, record_id)).exists()

    def save(self, form_id: str, record_id: str | None, values: dict[str, Any]) -> None:
        """Write the draft atomically (temp file, fsync, rename), sealed with a passphrase."""
        doc = {
            "form": form_id,
            "record_id": record_id,
            "values": values,
            "saved_at": datetime.now().isoformat(timespec="seconds"),
        }
        path = self._path(draft_key(form_id, record_id))
        text = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
        vault.write_file(path, vault.protect(self.root, "draft", path.name, text))

    def discard(self, form_id: str, record_id: str | None = None) -> None:
        self._path(draft_key(form_id, record_id)).unlink(missing_ok=True)

    def forms_with_drafts(self) -> set[str]:
        """Forms that have a draft of a new entry."""
        if not self.directory.is_dir():
            return set()
        return {p.stem for p in self.directory.glob("*.json") if "--" not in p.stem}
