"""The record store of one data directory: current versions, history and small tables.

A :class:`Store` is the only writer of a data directory (an exclusive file lock makes
sure of it). ``Store(directory, read_only=True)`` is a reader beside it: no lock, nothing
written, the state the files hold when it opens (see JournalStorage); a write raises
:class:`StoreReadOnly`. Documents live in TinyDB tables kept in memory by
:class:`~fieldkit.store.storage.JournalStorage`; every change is one durable transaction.

Tables:

``records:<form>``
    the current version of each record of a form, keyed by record id (tombstones too)
``history``
    every other version of each record (superseded versions, the other heads of a record in
    conflict), keyed by ``history_key(record_id, version)``
``meta``
    small settings, ``{"value": ...}`` keyed by name (see :meth:`Store.get_meta`)
anything else
    free tables for other modules (``conflicts``, ``rejected``, ...)

Reads of one record (:meth:`Store.get`, :meth:`Store.get_meta`) return deep copies that are
safe to edit. Bulk reads (:meth:`Store.current`,
:meth:`Store.lookup`, :meth:`Store.table_docs`) return the stored documents themselves:
copying 100k records would cost a second of time and ~60 MB, and a shallow copy (what
TinyDB hands out) would not protect the nested ``data`` anyway. Treat them as read-only;
to change a record, build a new version (``records.next_version``) and save it.
Everything saved is decoded back from the journal line that was written, so the store
never shares objects with its callers' documents.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import orjson
from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.table import Table

from fieldkit.files.durable import ensure_dir
from fieldkit.store.storage import (
    JournalStorage,
    StoreCorrupt,
    StoreEncrypted,
    StoreError,
    StoreReadOnly,
    gc_paused,
)

if TYPE_CHECKING:
    from fieldkit.store.vault import Cipher

__all__ = [
    "HISTORY_TABLE",
    "META_TABLE",
    "RECORDS_PREFIX",
    "Store",
    "StoreCorrupt",
    "StoreEncrypted",
    "StoreError",
    "StoreLocked",
    "StoreReadOnly",
    "Transaction",
    "history_key",
    "records_table",
]

RECORDS_PREFIX = "records:"
HISTORY_TABLE = "history"
META_TABLE = "meta"
LOCK_NAME = "lock"


class StoreLocked(StoreError):
    """Another program holds the data directory."""


class _StrIdTable(Table):
    """A TinyDB table whose document ids are strings (record ids, version keys)."""

    document_id_class = str


class _TinyDB(TinyDB):
    table_class = _StrIdTable


def records_table(form: str) -> str:
    """Name of the table holding the current versions of ``form``'s records."""
    return RECORDS_PREFIX + form


def history_key(record_id: str, version: str) -> str:
    """Document id of a superseded version in the history table."""
    return f"{record_id}:{version}"


def _deep_copy(doc: Any) -> Any:
    # Stored documents are plain JSON values; a JSON round trip is the fastest deep copy.
    return orjson.loads(orjson.dumps(doc))


def _index_key(value: Any) -> Hashable:
    """A hashable stand-in for a JSON value, equal for values that compare equal."""
    if isinstance(value, list):
        return ("\0list", tuple(_index_key(v) for v in value))
    if isinstance(value, dict):
        return ("\0dict", tuple(sorted((k, _index_key(v)) for k, v in value.items())))
    return value


def _check_record(record: Any) -> None:
    if not isinstance(record, dict):
        raise TypeError(f"无法保存：记录必须是字典，收到的是 {type(record).__name__}。")
    for key in ("id", "form", "version"):
        if not isinstance(record.get(key), str) or not record[key]:
            raise ValueError(f"无法保存：记录缺少字段 {key}（记录 {record.get('id')!r}）。")


class Transaction:
    """Changes collected inside :meth:`Store.transaction`, committed together on exit.

    Reads through a transaction (:meth:`get`) see its own pending changes.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._changes: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._forms: dict[str, str | None] = {}  # record id -> form, pending changes
        self._open = True

    def _doc(self, table: str, doc_id: str) -> dict[str, Any] | None:
        key = (table, doc_id)
        if key in self._changes:
            return self._changes[key]
        return self._store._raw(table, doc_id)

    def _form_of(self, record_id: str) -> str | None:
        if record_id in self._forms:
            return self._forms[record_id]
        return self._store._form_of.get(record_id)

    def _check(self) -> None:
        if not self._open:
            raise RuntimeError("事务已结束，不能再写入。")

    def get(self, record_id: str) -> dict[str, Any] | None:
        """The current version of a record as this transaction sees it (a deep copy)."""
        form = self._form_of(record_id)
        if form is None:
            return None
        doc = self._doc(records_table(form), record_id)
        return None if doc is None else _deep_copy(doc)

    def save_record(self, record: dict[str, Any]) -> None:
        """Make ``record`` the current version for its id; the one it replaces (if its
        version differs) moves to history. Don't modify ``record`` afterwards."""
        self._check()
        _check_record(record)
        record_id, form = record["id"], record["form"]
        old_form = self._form_of(record_id)
        if old_form is not None:
            old = self._doc(records_table(old_form), record_id)
            if old is not None:
                if old == record:
                    return
                if old.get("version") != record["version"]:
                    self.put(HISTORY_TABLE, history_key(record_id, old["version"]), old)
                if old_form != form:  # never two current versions of one record
                    self.remove(records_table(old_form), record_id)
        self.put(records_table(form), record_id, record)

    def put(self, table: str, doc_id: str, doc: dict[str, Any]) -> None:
        """Store ``doc`` under ``doc_id`` in ``table``, replacing any document there."""
        self._check()
        if not isinstance(doc, dict):
            raise TypeError(f"无法保存：{table} 中的 {doc_id} 必须是字典。")
        self._changes[(table, doc_id)] = doc
        if table.startswith(RECORDS_PREFIX):
            self._forms[doc_id] = table[len(RECORDS_PREFIX) :]

    def remove(self, table: str, doc_id: str) -> None:
        """Remove a document (nothing happens if it isn't there)."""
        self._check()
        self._changes[(table, doc_id)] = None
        if (
            table.startswith(RECORDS_PREFIX)
            and self._form_of(doc_id) == table[len(RECORDS_PREFIX) :]
        ):
            self._forms[doc_id] = None

    def set_meta(self, key: str, value: Any) -> None:
        """Set a small setting (any JSON value) in the meta table."""
        self.put(META_TABLE, key, {"value": value})

    def get_meta(self, key: str, default: Any = None) -> Any:
        """A setting as this transaction sees it (a deep copy), or ``default``."""
        doc = self._doc(META_TABLE, key)
        return default if doc is None else _deep_copy(doc.get("value"))

    def read(self, table: str, doc_id: str) -> dict[str, Any] | None:
        """A document as this transaction sees it (a deep copy), or None."""
        doc = self._doc(table, doc_id)
        return None if doc is None else _deep_copy(doc)


class Store:
    """The records of one data directory, with durable all-or-nothing saves."""

    def __init__(
        self,
        directory: Path,
        *,
        cipher: Cipher | None = None,
        allow_plain: bool = False,
        read_only: bool = False,
    ) -> None:
        """Open the store in ``directory`` (created if needed) and lock it for this program.

        Raises :class:`StoreLocked` if another program (or another Store in this one)
        has it open, :class:`StoreCorrupt` if its files cannot be read. With ``cipher`` (an
        unlocked data dir's, fieldkit.store.vault) the files are encrypted; ``allow_plain`` reads
        plain ones once, while the data dir is being encrypted (see JournalStorage).

        With ``read_only`` the store is read as it stands, without the lock, even while
        another program writes to it or on read-only media; nothing is created or written,
        and every write raises :class:`StoreReadOnly`.
        """
        self.directory = Path(directory)
        self.read_only = read_only
        self._file_lock: FileLock | None = None
        if read_only:
            self._db = _TinyDB(
                self.directory, storage=JournalStorage, cipher=cipher, read_only=True
            )
        else:
            ensure_dir(self.directory)
            self._file_lock = self._lock_directory()
            try:
                self._db = _TinyDB(
                    self.directory, storage=JournalStorage, cipher=cipher, allow_plain=allow_plain
                )
            except BaseException:
                self._file_lock.release()
                raise
        self._storage: JournalStorage = self._db.storage  # type: ignore[assignment]
        self._write_lock = threading.RLock()
        self._in_transaction = False
        self._closed = False
        # record id -> form, so get() needs no scan
        self._form_of: dict[str, str] = {}
        for name, table in self._storage.read().items():
            if name.startswith(RECORDS_PREFIX):
                form = name[len(RECORDS_PREFIX) :]
                self._form_of.update(dict.fromkeys(table, form))
        # form -> field -> index key -> record ids; built on first lookup()
        self._indexes: dict[str, dict[str, dict[Hashable, set[str]]]] = {}

    # Lifecycle ----------------------------------------------------------------------------

    def _lock_directory(self) -> FileLock:
        # Not thread-local: the app opens the store in a worker thread and may close it in
        # another; the lock belongs to the Store, not to the thread that took it.
        lock = FileLock(str(self.directory / LOCK_NAME), timeout=0, thread_local=False, mode=0o600)
        try:
            lock.acquire()
        except Timeout:
            raise StoreLocked(
                f"数据目录 {self.directory} 正被另一个 fieldkit 程序使用。请先关闭它再试。"
            ) from None
        return lock

    def close(self) -> None:
        """Fold the journal into the snapshot, close the files and release the lock."""
        if self._closed:
            return
        self._closed = True
        try:
            self._db.close()
        finally:
            if self._file_lock is not None:
                self._file_lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def compact(self) -> None:
        """Write a fresh snapshot and empty the journal (also done by close())."""
        with self._write_lock:
            self._check_writable()
            self._storage.compact()

    @property
    def encrypted(self) -> bool:
        return self._storage.encrypted

    @property
    def dropped_tail(self) -> int:
        """Bytes of an unfinished last transaction dropped on opening (0: none)."""
        return self._storage.dropped_tail

    def encrypt(self, cipher: Cipher) -> None:
        """Keep the files encrypted with ``cipher`` from now on (rewritten at once)."""
        with self._write_lock:
            self._check_writable()
            self._storage.encrypt(cipher)

    def all_tables(self) -> dict[str, dict[str, Any]]:
        """Every table by name (new dicts of the store's own documents: read only)."""
        return {name: dict(table) for name, table in self._tables().items()}

    def rewrite(self, tables: dict[str, dict[str, Any]]) -> None:
        """Replace everything with `tables` at once, as a new snapshot (a format conversion).

        Crash-safe when the journal is empty (compact first): the snapshot is replaced
        atomically, so the old state or the new one is on disk, never a mix.
        """
        with self._write_lock:
            self._check_writable()
            names = set(self._tables()) | set(tables)
            self._storage.write(tables)
            self._form_of = {
                doc_id: name[len(RECORDS_PREFIX) :]
                for name, table in tables.items()
                if name.startswith(RECORDS_PREFIX)
                for doc_id in table
            }
            self._indexes.clear()
            for name in names:
                self._db.table(name).clear_cache()

    # Reads --------------------------------------------------------------------------------

    def _tables(self) -> dict[str, dict[str, Any]]:
        return self._storage.read()

    def _raw(self, table: str, doc_id: str) -> dict[str, Any] | None:
        return self._tables().get(table, {}).get(doc_id)

    def get(self, record_id: str) -> dict[str, Any] | None:
        """The current version of a record (tombstones included), or None."""
        form = self._form_of.get(record_id)
        if form is None:
            return None
        doc = self._raw(records_table(form), record_id)
        return None if doc is None else _deep_copy(doc)

    def current(self, form: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        """The current versions of all records of ``form`` (without tombstones unless asked).

        The documents are the store's own: read them, don't modify them.
        """
        table = self._tables().get(records_table(form), {})
        if include_deleted:
            return list(table.values())
        return [doc for doc in table.values() if not doc.get("deleted")]

    def count(self, form: str, include_deleted: bool = False) -> int:
        """How many records of ``form`` there are (without tombstones unless asked)."""
        table = self._tables().get(records_table(form), {})
        if include_deleted:
            return len(table)
        return sum(1 for doc in table.values() if not doc.get("deleted"))

    def forms(self) -> list[str]:
        """The forms that have records here, sorted."""
        return sorted(
            name[len(RECORDS_PREFIX) :]
            for name, table in self._tables().items()
            if name.startswith(RECORDS_PREFIX) and table
        )

    def all_documents(self) -> Iterator[dict[str, Any]]:
        """Every version held: current ones (tombstones too) and history. Read only."""
        for name, table in self._tables().items():
            if name.startswith(RECORDS_PREFIX) or name == HISTORY_TABLE:
                yield from table.values()

    def stored_version(self, record_id: str, version: str) -> dict[str, Any] | None:
        """The stored document of a version (current or in history), not a copy: read only."""
        current = self.record_doc(record_id)
        if current is not None and current.get("version") == version:
            return current
        return self._raw(HISTORY_TABLE, history_key(record_id, version))

    def record_doc(self, record_id: str) -> dict[str, Any] | None:
        """The stored current version of a record, not a copy: read only."""
        form = self._form_of.get(record_id)
        return None if form is None else self._raw(records_table(form), record_id)

    def lookup(self, form: str, field: str, value: Any) -> list[dict[str, Any]]:
        """Current, non-deleted records of ``form`` whose ``data[field] == value``.

        Backed by an index built on first use for each (form, field) and kept up to date
        by every save, so it's cheap to call often (e.g. persons by ID number). The
        documents are the store's own: read them, don't modify them.
        """
        index = self._index(form, field)
        ids = index.get(_index_key(value))
        if not ids:
            return []
        table = self._tables().get(records_table(form), {})
        return [table[record_id] for record_id in sorted(ids)]

    def doc(self, table: str, doc_id: str) -> dict[str, Any] | None:
        """One document of a free table, not a copy: read only."""
        return self._raw(table, doc_id)

    def table_docs(self, table: str) -> dict[str, dict[str, Any]]:
        """All documents of a free table (e.g. ``conflicts``) by document id.

        A new dict, but the documents are the store's own: don't modify them.
        """
        return dict(self._tables().get(table, {}))

    def table(self, name: str) -> Table:
        """The TinyDB table ``name``, for reads with TinyDB's Query API.

        Read only: write through :meth:`transaction`, or indexes and the journal are
        bypassed.
        """
        return self._db.table(name)

    def get_meta(self, key: str, default: Any = None) -> Any:
        """A setting saved with :meth:`set_meta`, or ``default``."""
        doc = self._raw(META_TABLE, key)
        return default if doc is None else _deep_copy(doc.get("value"))

    # Writes -------------------------------------------------------------------------------

    @contextmanager
    def transaction(self, *, adopt: bool = False) -> Iterator[Transaction]:
        """Collect changes and commit them as one durable, all-or-nothing transaction.

        Nothing is written if the block raises. Transactions don't nest. With ``adopt`` the
        store keeps the documents given (plain JSON values, never changed afterwards)
        instead of copies read back from the journal: see JournalStorage.commit.
        """
        with self._write_lock:
            self._check_writable()
            if self._in_transaction:
                raise RuntimeError("事务不能嵌套。")
            self._in_transaction = True
            tx = Transaction(self)
            try:
                yield tx
                tx._open = False
                self._commit(tx._changes, adopt)
            finally:
                tx._open = False
                self._in_transaction = False

    def save(self, records: list[dict[str, Any]]) -> None:
        """Save records in one durable transaction: each becomes current for its id, and
        the version it replaces (if different) moves to history."""
        with self.transaction() as tx:
            for record in records:
                tx.save_record(record)

    def set_meta(self, key: str, value: Any) -> None:
        """Durably set a small setting (any JSON value)."""
        with self.transaction() as tx:
            tx.set_meta(key, value)

    def _commit(self, changes: dict[tuple[str, str], dict[str, Any] | None], adopt: bool) -> None:
        if not changes:
            return
        # A big transaction makes several objects per document, none of them cyclic.
        with gc_paused():
            self._commit_changes(changes, adopt)

    def _commit_changes(
        self, changes: dict[tuple[str, str], dict[str, Any] | None], adopt: bool
    ) -> None:
        tables = self._tables()
        touched_records = [
            (table, doc_id, tables.get(table, {}).get(doc_id))
            for table, doc_id in changes
            if table.startswith(RECORDS_PREFIX)
        ]
        ops = [(table, doc_id, doc) for (table, doc_id), doc in changes.items()]
        self._storage.commit(ops, adopt=adopt)

        tables = self._tables()
        for table, record_id, old in touched_records:
            form = table[len(RECORDS_PREFIX) :]
            new = tables.get(table, {}).get(record_id)
            if new is not None:
                self._form_of[record_id] = form
            elif self._form_of.get(record_id) == form:
                del self._form_of[record_id]
            for field, index in self._indexes.get(form, {}).items():
                _unindex(index, field, record_id, old)
                _add_to_index(index, field, record_id, new)
        for table in {table for table, _ in changes}:
            self._db.table(table).clear_cache()

    # Internals ----------------------------------------------------------------------------

    def _index(self, form: str, field: str) -> dict[Hashable, set[str]]:
        by_field = self._indexes.setdefault(form, {})
        index = by_field.get(field)
        if index is None:
            index = {}
            for record_id, doc in self._tables().get(records_table(form), {}).items():
                _add_to_index(index, field, record_id, doc)
            by_field[field] = index
        return index

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"数据目录 {self.directory} 已关闭。")

    def _check_writable(self) -> None:
        self._check_open()
        if self.read_only:
            raise StoreReadOnly(self.directory)


def _indexed_value(field: str, doc: dict[str, Any] | None) -> tuple[bool, Hashable]:
    if doc is None or doc.get("deleted"):
        return False, None
    data = doc.get("data")
    if not isinstance(data, dict) or field not in data:
        return False, None
    return True, _index_key(data[field])


def _add_to_index(
    index: dict[Hashable, set[str]], field: str, record_id: str, doc: dict[str, Any] | None
) -> None:
    present, key = _indexed_value(field, doc)
    if present:
        index.setdefault(key, set()).add(record_id)


def _unindex(
    index: dict[Hashable, set[str]], field: str, record_id: str, doc: dict[str, Any] | None
) -> None:
    present, key = _indexed_value(field, doc)
    if present:
        ids = index.get(key)
        if ids is not None:
            ids.discard(record_id)
            if not ids:
                del index[key]
