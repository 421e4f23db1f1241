"""Half-filled forms kept on disk, so a closed or killed app loses nothing typed.

One JSON file per form (new entries) or per record (edits) in the data dir's drafts folder,
replaced atomically: a crash leaves either the old draft or the new one, never half of one.

A draft's file name is a hash of its form and record id, never the ids themselves: both may
have arrived in a file from elsewhere (an office's forms, an imported record), and an id such
as ``x\\..\\..\\Desktop\\evil`` or ``a:b`` must not name a file outside the folder or an NTFS
stream. The ids are checked too, as fieldkit makes them.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fieldkit.locations import drafts_dir
from fieldkit.records import is_record_id


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
        self.directory = drafts_dir(Path(root))

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
        """The saved draft, or None (a damaged draft file counts as none)."""
        paths = self._paths(form_id, record_id)
        for path in paths or ():
            try:
                raw = json.loads(path.read_text("utf-8"))
                return Draft(
                    form=raw["form"],
                    record_id=raw.get("record_id"),
                    values=dict(raw["values"]),
                    saved_at=str(raw.get("saved_at", "")),
                )
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return None

    def exists(self, form_id: str, record_id: str | None = None) -> bool:
        return any(p.exists() for p in self._paths(form_id, record_id) or ())

    def save(self, form_id: str, record_id: str | None, values: dict[str, Any]) -> None:
        """Write the draft atomically (temp file, fsync, rename)."""
        paths = self._paths(form_id, record_id)
        if paths is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        doc = {
            "form": form_id,
            "record_id": record_id,
            "values": values,
            "saved_at": datetime.now().isoformat(timespec="seconds"),
        }
        text = json.dumps(doc, ensure_ascii=False, indent=1)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".draft-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, paths[0])
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        paths[1].unlink(missing_ok=True)

    def discard(self, form_id: str, record_id: str | None = None) -> None:
        for path in self._paths(form_id, record_id) or ():
            path.unlink(missing_ok=True)

    def forms_with_drafts(self) -> set[str]:
        """Forms that have a draft of a new entry."""
        if not self.directory.is_dir():
            return set()
        found = set()
        for path in self.directory.glob("*.json"):
            if not path.stem.startswith("new-"):  # an earlier release's name: the form id
                if _safe_key(path.stem):
                    found.add(path.stem)
                continue
            try:
                form = json.loads(path.read_text("utf-8"))["form"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if isinstance(form, str) and path.stem == _safe_key(form):
                found.add(form)
        return found


def _safe_key(form_id: str) -> str | None:
    try:
        return draft_key(form_id)
    except ValueError:
        return None
