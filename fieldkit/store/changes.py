"""Making versions on this data dir: each one numbered in this device's run and saved at once.

A :class:`ChangeSet` lives inside one store transaction: every version it makes takes the next
number of this device's run (``seq`` in the meta table) and is stored in the same transaction,
so a number is never given twice and never skipped, whatever fails.
"""

from __future__ import annotations

from typing import Any

from fieldkit.errors import FieldkitError
from fieldkit.store.database import Store, Transaction
from fieldkit.store.records import Record, first_version, next_version
from fieldkit.store.versions import equivalents, heads_of, save_made_here

SEQ = "seq"  # meta: the last number this device gave a version


class ChangeSet:
    def __init__(self, store: Store, tx: Transaction, *, author: str, device: str):
        self.store = store
        self.tx = tx
        self.author = author
        self.device = device
        self._seq = tx.get_meta(SEQ, 0)

    def _next(self) -> int:
        self._seq += 1
        self.tx.set_meta(SEQ, self._seq)
        return self._seq

    def add(
        self,
        form: str,
        form_version: int,
        data: dict[str, Any],
        *,
        at: str | None = None,
        record_id: str | None = None,
    ) -> Record:
        """A new record."""
        rec = first_version(
            form,
            form_version,
            data,
            author=self.author,
            device=self.device,
            seq=self._next(),
            at=at,
            record_id=record_id,
        )
        self.tx.save_record(rec)
        return rec

    def edit(
        self,
        record_id: str,
        data: dict[str, Any],
        *,
        form_version: int | None = None,
        deleted: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> Record | None:
        """A new version of a record made from its current version (and the heads that say the
        same); None when no value changes. Returns the new version."""
        heads = heads_of(self.store, record_id)
        if not heads:
            raise FieldkitError(f"找不到记录 {record_id}")
        current = heads[0]
        if current["data"] == data and current["deleted"] == deleted and not extra:
            return None
        return self._save(equivalents(heads), data, deleted, form_version, extra)

    def resolve(self, heads: list[Record], data: dict[str, Any], deleted: bool) -> Record:
        """A version made from every head of a record in conflict: it supersedes them all."""
        return self._save(heads, data, deleted, None, None)

    def _save(
        self,
        parents: list[Record],
        data: dict[str, Any],
        deleted: bool,
        form_version: int | None,
        extra: dict[str, Any] | None,
    ) -> Record:
        rec = next_version(
            parents,
            data,
            author=self.author,
            device=self.device,
            seq=self._next(),
            form_version=form_version,
            deleted=deleted,
            extra=extra,
        )
        save_made_here(self.store, self.tx, rec)
        return rec
