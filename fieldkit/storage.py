"""Durable TinyDB storage: a JSON snapshot plus an fsync'd, append-only journal.

Layout of a storage directory::

    snapshot.json   the whole database in TinyDB's format {table: {doc_id: doc}}
    journal.log     one line per committed transaction, appended and fsync'd

A journal line is ``<crc32 as 8 hex digits> <json>\\n`` where the JSON is a list of
operations ``[table, doc_id, doc]`` (``doc`` null means "remove"). Operations are
whole-document puts and removes, so replaying a line twice gives the same state; that
is what lets compaction (snapshot, then empty journal) survive a crash at any point
without sequence numbers.

The snapshot is ordinary JSON that stock TinyDB opens (``TinyDB(path, encoding="utf-8")``).
We write it in a fixed line layout (one table header per line, documents in lines of
``_CHUNK_DOCS`` members) so that loading can parse it piece by piece: a 100k-record
store then never holds the raw text and the parsed objects at the same time. Any other
valid JSON layout still loads, through one plain ``json.loads``.
"""

from __future__ import annotations

import errno
import gc
import json
import logging
import os
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from itertools import islice
from pathlib import Path
from typing import IO, Any

import orjson
from tinydb.storages import Storage

from fieldkit.errors import FieldkitError, os_reason
from fieldkit.outfiles import replace

log = logging.getLogger(__name__)

SNAPSHOT_NAME = "snapshot.json"
JOURNAL_NAME = "journal.log"
_TEMP_SUFFIX = ".tmp"

# On open, a journal bigger than max(this, snapshot size) is folded into the snapshot.
COMPACT_MIN_BYTES = 16 * 1024 * 1024
# Documents per line of the snapshot: big enough that per-line overhead vanishes,
# small enough that one line's text is a few hundred KB.
_CHUNK_DOCS = 1000

_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows would otherwise translate newlines
_datasync = getattr(os, "fdatasync", os.fsync)

Tables = dict[str, dict[str, Any]]
Op = Sequence[Any]  # [table: str, doc_id: str, doc: dict | None]


class StoreError(FieldkitError):
    """A storage problem to show to the user as it is (the message is one line, Chinese)."""


class StoreCorrupt(StoreError):
    """A data file cannot be read back: restore from a backup."""


def _dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)


def _loads(data: bytes) -> Any:
    return orjson.loads(data)


class _NotOurLayout(Exception):
    """The snapshot is valid JSON perhaps, but not in the line layout we write."""


class _BadOps(Exception):
    """A journal line decoded, but its operations are malformed."""


@contextmanager
def gc_paused() -> Iterator[None]:
    # Loading creates millions of objects none of which form cycles; letting the cyclic
    # collector run during that only re-scans them (about a third of the load time).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _fsync_dir(directory: Path) -> None:
    """Make a rename or a file creation in ``directory`` durable (POSIX only)."""
    if os.name == "nt":  # no directory handles to fsync; NTFS journals the metadata
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:  # some filesystems refuse fsync on directories
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def ensure_dir(directory: Path) -> None:
    """Create ``directory`` (and missing parents) so that it survives a power cut."""
    missing = []
    path = Path(directory).absolute()
    while not path.exists():
        missing.append(path)
        path = path.parent
    for path in reversed(missing):
        with suppress(FileExistsError):
            path.mkdir()
        _fsync_dir(path.parent)


def _check_ops(ops: Any) -> None:
    """Raise _BadOps unless decoded journal operations are well-formed."""
    if not isinstance(ops, list):
        raise _BadOps
    for op in ops:
        if not (isinstance(op, list) and len(op) == 3):
            raise _BadOps
        table, doc_id, doc = op
        if not (isinstance(table, str) and isinstance(doc_id, str)):
            raise _BadOps
        if doc is not None and not isinstance(doc, dict):
            raise _BadOps


def _apply(tables: Tables, ops: Sequence[Op]) -> None:
    """Apply well-formed operations to ``tables``."""
    for table, doc_id, doc in ops:
        if doc is None:
            existing = tables.get(table)
            if existing is not None:
                existing.pop(doc_id, None)
        else:
            tables.setdefault(table, {})[doc_id] = doc


def _corrupt(path: Path, detail: str) -> StoreCorrupt:
    return StoreCorrupt(f"数据文件已损坏：{path} {detail}。请从备份恢复。")


class JournalStorage(Storage):
    """TinyDB storage keeping everything in memory, persisted as snapshot + journal.

    Writes of records go through :meth:`commit` (one durable journal line per
    transaction). TinyDB's own ``write`` also works but rewrites the snapshot each time.
    """

    def __init__(self, directory: Path) -> None:
        """Open (creating if needed) the storage in ``directory`` and load it into memory.

        Raises :class:`StoreCorrupt` if the snapshot or a journal line other than the last
        cannot be read. A torn last journal line (a transaction that was never
        acknowledged) is dropped and cut from the file.
        """
        super().__init__()
        self.directory = Path(directory)
        ensure_dir(self.directory)
        self.snapshot_path = self.directory / SNAPSHOT_NAME
        self.journal_path = self.directory / JOURNAL_NAME
        self._lock = threading.RLock()
        self._fd = -1
        self._journal_size = 0
        self._failed: str | None = None
        #: bytes of a torn last journal line dropped on open (0 when the file was clean)
        self.dropped_tail = 0

        self._remove_temp_files()
        with gc_paused():
            self._data: Tables = self._read_snapshot()
            self._replay_journal()
        self._open_journal()
        snapshot_size = self.snapshot_path.stat().st_size if self.snapshot_path.exists() else 0
        if self._journal_size > max(COMPACT_MIN_BYTES, snapshot_size):
            # Only to keep the next open fast: if it fails (disk full), the journal still
            # holds everything, so opening goes on.
            self._compact_or_put_off()

    # TinyDB's Storage interface -------------------------------------------------------

    def read(self) -> Tables:
        """Return the live in-memory tables (TinyDB reads from them; do not modify)."""
        return self._data

    def write(self, data: Tables) -> None:
        """Replace the whole state and persist it durably (a compaction)."""
        with self._lock:
            self._check_usable()
            self._data = data
            self.compact()

    def close(self) -> None:
        """Fold the journal into the snapshot if it holds anything, then close the file.

        If that compaction fails (disk full, a file held open by another program on
        Windows), nothing is lost: the journal keeps every transaction for the next open.
        """
        with self._lock:
            if self._fd < 0:
                return
            try:
                if self._journal_size and self._failed is None:
                    self._compact_or_put_off()
            finally:
                self._close_journal()

    def _compact_or_put_off(self) -> None:
        """Compact; if the disk is full or a file is held by another program (a backup tool
        reading the snapshot on Windows), say so and leave it for the next time: the journal
        keeps every transaction, nothing is lost."""
        try:
            self.compact()
        except OSError as exc:
            if exc.errno == errno.EROFS:  # a read-only medium: nothing to tidy up there
                return
            if isinstance(exc, PermissionError):
                why = "正被其他程序（如备份或杀毒软件）使用"
            else:
                why = f"无法写入（{os_reason(exc)}）"
            log.warning(
                "数据完好，没有丢失；整理数据文件时 %s %s，下次关闭程序时会再整理。",
                self.directory,
                why,
            )

    # Writes ------------------------------------------------------------------------------

    def commit(self, ops: Sequence[Op], *, adopt: bool = False) -> None:
        """Durably apply one transaction: ``ops`` is a list of ``(table, doc_id, doc)``.

        ``doc`` None removes the document. The whole list becomes one journal line,
        written and fsync'd before the in-memory state changes: when this returns, the
        transaction survives a crash or power cut; if it raises, nothing was applied.
        The in-memory documents are decoded from the written line, so they are exactly
        what a reload gives and share nothing with the caller's objects. With ``adopt``
        the caller hands its documents over instead (a bulk import saves the decode): they
        must be plain JSON values, as parsed from JSON, that the caller never changes again.
        """
        if not ops:
            return
        for op in ops:
            table, doc_id, doc = op
            if not (isinstance(table, str) and isinstance(doc_id, str)):
                raise TypeError(f"无法保存：表名和文档编号必须是字符串（{table!r}, {doc_id!r}）。")
            if doc is not None and not isinstance(doc, dict):
                raise TypeError(f"无法保存：{table} 中的 {doc_id} 不是字典。")
        try:
            payload = _dumps(ops)
        except TypeError as exc:
            raise ValueError(f"无法保存：数据中有不能写成 JSON 的值（{exc}）。") from exc
        line = b"".join((b"%08x " % zlib.crc32(payload), payload, b"\n"))
        with self._lock:
            self._check_usable()
            self._append(line)
            with gc_paused():
                _apply(self._data, ops if adopt else _loads(payload))

    def _append(self, line: bytes) -> None:
        view = memoryview(line)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError:
            # Cut the partial line off so the next commit doesn't follow a torn line
            # (which a reload would take for corruption in the middle of the journal).
            try:
                os.ftruncate(self._fd, self._journal_size)
            except OSError:
                self._failed = "写入日志失败且无法撤销"
            raise
        try:
            _datasync(self._fd)
        except OSError:
            # After a failed fsync the kernel may have dropped the dirty pages: we can no
            # longer tell what is on disk, so refuse further writes (reopen to recover).
            self._failed = "写入磁盘失败"
            raise
        self._journal_size += len(line)

    def compact(self) -> None:
        """Write the whole state as a new snapshot and empty the journal.

        Crash-safe at every step: the new snapshot replaces the old one atomically
        (temp file, fsync, rename, directory fsync), and only then is the journal
        replaced by an empty file the same way. Until then the old journal replays
        harmlessly over the new snapshot.
        """
        with self._lock:
            self._check_usable()
            tmp = self.snapshot_path.with_name(SNAPSHOT_NAME + _TEMP_SUFFIX)
            try:
                with open(tmp, "wb") as f:
                    self._write_snapshot(f)
                    f.flush()
                    os.fsync(f.fileno())
                replace(tmp, self.snapshot_path)
            except BaseException:
                with suppress(OSError):
                    tmp.unlink()
                raise
            _fsync_dir(self.directory)

            # Windows cannot replace a file that is open, so close our handle first.
            self._close_journal()
            try:
                empty = self.journal_path.with_name(JOURNAL_NAME + _TEMP_SUFFIX)
                with open(empty, "wb") as f:
                    os.fsync(f.fileno())
                replace(empty, self.journal_path)
                _fsync_dir(self.directory)
            finally:
                self._open_journal()

    # Loading ------------------------------------------------------------------------------

    def _remove_temp_files(self) -> None:
        # Left by a crash during compaction; the files they were meant to replace are
        # still complete, so these are garbage.
        for name in (SNAPSHOT_NAME, JOURNAL_NAME):
            # Not there, held by another program, or a read-only medium: harmless to leave.
            with suppress(OSError):
                (self.directory / (name + _TEMP_SUFFIX)).unlink()

    def _read_snapshot(self) -> Tables:
        try:
            f = open(self.snapshot_path, "rb")  # noqa: SIM115 - closed below, two paths
        except FileNotFoundError:
            return {}
        with f:
            if f.readline() == b"{\n":
                try:
                    return self._read_layout(f)
                except _NotOurLayout:
                    pass
            f.seek(0)
            raw = f.read()
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise _corrupt(self.snapshot_path, f"不是有效的 JSON（{exc}）") from None
        if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            raise _corrupt(self.snapshot_path, "不是 fieldkit 的数据格式")
        return data

    @staticmethod
    def _read_layout(f: IO[bytes]) -> Tables:
        """Parse the line layout written by ``_write_snapshot`` (after its first line)."""
        tables: Tables = {}
        more_tables = True
        for header in f:
            if not more_tables:
                if header.strip() != b"}" or f.read().strip():
                    raise _NotOurLayout
                return tables
            if not header.endswith(b":{\n"):
                raise _NotOurLayout
            try:
                name = _loads(header[:-3])
            except ValueError:
                raise _NotOurLayout from None
            if not isinstance(name, str) or name in tables:
                raise _NotOurLayout
            table: dict[str, Any] = {}
            expect_more = False  # did the previous body line end with a comma?
            for line in f:
                if line.startswith(b"}"):
                    if expect_more or line not in (b"}\n", b"},\n"):
                        raise _NotOurLayout
                    more_tables = line == b"},\n"
                    break
                if line.endswith(b",\n"):
                    body, expect_more = line[:-2], True
                elif line.endswith(b"\n") and (expect_more or not table):
                    body, expect_more = line[:-1], False
                else:
                    raise _NotOurLayout
                try:
                    chunk = _loads(b"{" + body + b"}")
                except ValueError:
                    raise _NotOurLayout from None
                if not all(isinstance(doc, dict) for doc in chunk.values()):
                    raise _NotOurLayout
                table.update(chunk)
            else:
                raise _NotOurLayout
            tables[name] = table
        raise _NotOurLayout

    def _replay_journal(self) -> None:
        path = self.journal_path
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return
        good = 0
        with open(path, "rb") as f:
            for lineno, line in enumerate(f, start=1):
                ops = self._decode_line(line)
                if ops is None:
                    if good + len(line) < size:
                        raise _corrupt(path, f"第 {lineno} 行校验失败")
                    # The last line was being written when the program stopped: that
                    # transaction was never acknowledged, so it is dropped.
                    self.dropped_tail = len(line)
                    break
                try:
                    _check_ops(ops)
                except _BadOps:
                    raise _corrupt(path, f"第 {lineno} 行内容无效") from None
                _apply(self._data, ops)
                good += len(line)
        if good < size:
            with open(path, "r+b") as f:
                f.truncate(good)
                f.flush()
                os.fsync(f.fileno())

    @staticmethod
    def _decode_line(line: bytes) -> Any:
        """Return a journal line's operations, or None if it is torn or damaged."""
        if len(line) < 11 or line[8:9] != b" " or not line.endswith(b"\n"):
            return None
        try:
            crc = int(line[:8], 16)
        except ValueError:
            return None
        payload = line[9:-1]
        if zlib.crc32(payload) != crc:
            return None
        try:
            return _loads(payload)
        except ValueError:
            return None

    # Snapshot writing and the journal handle --------------------------------------------

    def _write_snapshot(self, f: IO[bytes]) -> None:
        names = list(self._data)
        f.write(b"{\n")
        for i, name in enumerate(names):
            f.write(_dumps(name) + b":{\n")
            items = iter(self._data[name].items())
            first = True
            while chunk := dict(islice(items, _CHUNK_DOCS)):
                if not first:
                    f.write(b",\n")
                f.write(_dumps(chunk)[1:-1])
                first = False
            if not first:
                f.write(b"\n")
            f.write(b"},\n" if i < len(names) - 1 else b"}\n")
        f.write(b"}\n")

    def _open_journal(self) -> None:
        created = not self.journal_path.exists()
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _O_BINARY
        self._fd = os.open(self.journal_path, flags, 0o644)
        self._journal_size = os.fstat(self._fd).st_size
        if created:
            _fsync_dir(self.directory)

    def _close_journal(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)

    def _check_usable(self) -> None:
        if self._fd < 0:
            raise StoreError(f"数据目录 {self.directory} 已关闭，不能再写入。")
        if self._failed is not None:
            raise StoreError(
                f"数据目录 {self.directory} {self._failed}，不能再写入。请关闭程序后重新打开。"
            )
