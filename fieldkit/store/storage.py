"""Durable TinyDB storage: a JSON snapshot plus an fsync'd, append-only journal.

Layout of a storage directory::

    snapshot.json   the whole database in TinyDB's format {table: {doc_id: doc}}
    journal.log     one line per committed transaction, appended and fsync'd

A journal line is ``<crc32 as 8 hex digits> <json>\\n`` where the JSON is a list of
operations ``[table, doc_id, doc]`` (``doc`` null means "remove"). Operations are
whole-document puts and removes, so replaying a line twice gives the same state; that
is what lets compaction (snapshot, then empty journal) survive a crash at any point
without sequence numbers.

A storage opened with ``read_only=True`` takes no lock and changes no byte: it reads the
snapshot and the journal as they stand, beside the one writer (the app), and refuses writes.
See :meth:`JournalStorage._load_read_only` for why what it reads is a state the writer had.

The snapshot is ordinary JSON that stock TinyDB opens (``TinyDB(path, encoding="utf-8")``).
We write it in a fixed line layout (one table header per line, documents in lines of
``_CHUNK_DOCS`` members) so that loading can parse it piece by piece: a 100k-record
store then never holds the raw text and the parsed objects at the same time. Any other
valid JSON layout still loads, through one plain ``json.loads``.

Encrypted (a ``cipher`` given: the data dir has a passphrase, fieldkit.store.vault). The same two
files, the same guarantees, every piece sealed with AES-256-GCM (fresh random nonce each):

    snapshot.json   ``FKS1 <base64 sealed header>\\n`` then records ``<4-byte length><sealed>``:
                    a table name (``T``), up to ``_CHUNK_DOCS`` documents (``D``), and an end
                    record (``E``) with the number of records before it (a cut file is refused)
    journal.log     ``FKJ1 <base64 sealed header>\\n`` then one line per transaction:
                    ``<length of the base64 as 8 hex digits> <base64 sealed operations>\\n``,
                    appended and fsync'd

Each header names the file's random *generation*; the snapshot's also names the journal that
follows it and the one it was folded from, the journal's the snapshot it follows. Every record
and line is sealed with its file's kind, generation and position as associated data, so no
piece can be changed, reordered, or moved into another file (or an older journal put next to a
newer snapshot) unnoticed. Replay is unchanged: a torn or damaged last line is dropped, a bad
line before it refuses the journal naming the file and line. The length in front of each line
tells a torn line (shorter) from two lines run together by a changed newline (longer): only the
first is what a crash leaves, so only it is dropped. After a crash between replacing the
snapshot and replacing the journal, the old journal (the one the snapshot names as folded from)
replays harmlessly, as in the plain layout.
"""

from __future__ import annotations

import binascii
import errno
import gc
import json
import logging
import os
import struct
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson
from tinydb.storages import Storage

from fieldkit.errors import FieldkitError, os_reason
from fieldkit.files.durable import FILE_MODE, ensure_dir, fsync_dir, replace_with

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from fieldkit.store.vault import Cipher

SNAPSHOT_NAME = "snapshot.json"
JOURNAL_NAME = "journal.log"
_TEMP_SUFFIX = ".tmp"

# On open, a journal bigger than max(this, snapshot size) is folded into the snapshot.
COMPACT_MIN_BYTES = 16 * 1024 * 1024
# Documents per line of the snapshot: big enough that per-line overhead vanishes,
# small enough that one line's text is a few hundred KB.
_CHUNK_DOCS = 1000

_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows would otherwise translate newlines

# The encrypted layout (see the module's doc).
SNAPSHOT_MAGIC = b"FKS1 "
JOURNAL_MAGIC = b"FKJ1 "
_SNAPSHOT_HEADER_AAD = b"fieldkit/snapshot-header/1\0"
_SNAPSHOT_AAD = b"fieldkit/snapshot/1\0"
_JOURNAL_HEADER_AAD = b"fieldkit/journal-header/1\0"
_JOURNAL_AAD = b"fieldkit/journal/1\0"
_PLAIN = "plain"  # the snapshot was folded from a plain journal (the first encryption)
_CHANGED = object()  # a journal line changed in a way no crash can leave
_MAX_RECORD = 1 << 30
_INDEX = struct.Struct(">Q")
_LENGTH = struct.Struct(">I")
_datasync = getattr(os, "fdatasync", os.fsync)

Tables = dict[str, dict[str, Any]]
Op = Sequence[Any]  # [table: str, doc_id: str, doc: dict | None]


class StoreError(FieldkitError):
    """A storage problem to show to the user as it is (the message is one line, Chinese)."""


class StoreCorrupt(StoreError):
    """A data file cannot be read back: restore from a backup."""


class StoreEncrypted(StoreError):
    """The files are encrypted and no key was given."""


class StoreReadOnly(StoreError):
    """A write was attempted on a storage opened for reading only."""

    def __init__(self, directory: Path):
        super().__init__(
            f"数据目录 {directory} 是以只读方式打开的（用于生成报告、台账和查询），不能写入。"
        )


# A read-only open starts again when the writer compacted while it was opening the files.
_READ_ATTEMPTS = 20


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
    """Python's cyclic garbage collector off for a bulk job: loading a store, an import, a
    report. They make millions of objects none of which form cycles; letting the collector
    run only re-scans them (about a third of a load's time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
    With a ``cipher`` every file is encrypted (see the module's doc).
    """

    def __init__(
        self,
        directory: Path,
        cipher: Cipher | None = None,
        allow_plain: bool = False,
        *,
        read_only: bool = False,
    ) -> None:
        """Open (creating if needed) the storage in ``directory`` and load it into memory.

        Raises :class:`StoreCorrupt` if the snapshot or a journal line other than the last
        cannot be read. A torn last journal line (a transaction that was never
        acknowledged) is dropped and cut from the file. With a ``cipher`` the files must be
        encrypted with it, except with ``allow_plain`` (a data dir being encrypted): then plain
        files are read and at once rewritten encrypted. Without one, encrypted files raise
        :class:`StoreEncrypted`.

        With ``read_only`` nothing is created, cut, compacted or locked: the files are read as
        they stand (a missing directory reads as empty) and every write raises
        :class:`StoreReadOnly`.
        """
        super().__init__()
        self.directory = Path(directory)
        self.read_only = read_only
        self.snapshot_path = self.directory / SNAPSHOT_NAME
        self.journal_path = self.directory / JOURNAL_NAME
        self._lock = threading.RLock()
        self._fd = -1
        self._journal_size = 0
        self._failed: str | None = None
        #: bytes of a torn last journal line dropped on open (0 when the file was clean)
        self.dropped_tail = 0
        self._cipher = cipher
        self._allow_plain = allow_plain
        self._read_plain = False  # some file was plain (to be rewritten encrypted)
        self._snapshot_header: dict[str, Any] | None = None  # of an encrypted snapshot
        # The open encrypted journal: its generation, its header's size, lines (header too).
        self._journal_gen: str | None = None
        self._journal_header = 0
        self._journal_lines = 0
        if read_only:
            with gc_paused():
                self._data: Tables = self._load_read_only()
            return

        ensure_dir(self.directory)
        self._remove_temp_files()
        with gc_paused():
            self._data = self._read_snapshot()
            self._replay_journal()
        self._open_journal()
        if self._cipher is not None and self._read_plain:
            self.compact()  # the first encryption: no plain copy of the store stays behind
            return
        snapshot_size = self.snapshot_path.stat().st_size if self.snapshot_path.exists() else 0
        if self._journal_size > max(COMPACT_MIN_BYTES, snapshot_size):
            # Only to keep the next open fast: if it fails (disk full), the journal still
            # holds everything, so opening goes on.
            self._compact_or_put_off()

    @property
    def encrypted(self) -> bool:
        return self._cipher is not None

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
                if self._journal_size > self._journal_header and self._failed is None:
                    self._compact_or_put_off()
            finally:
                self._close_journal()

    def encrypt(self, cipher: Cipher) -> None:
        """From now on keep the files encrypted with ``cipher``: rewrites them at once."""
        with self._lock:
            self._check_usable()
            self._cipher = cipher
            self.compact()

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
        with self._lock:
            self._check_usable()
            if self._journal_gen is None:
                line = b"".join((b"%08x " % zlib.crc32(payload), payload, b"\n"))
            else:
                line = self._sealed_line(self._journal_lines + 1, payload)
            self._append(line)
            with gc_paused():
                _apply(self._data, ops if adopt else _loads(payload))

    def _sealed_line(self, lineno: int, payload: bytes) -> bytes:
        assert self._cipher is not None and self._journal_gen is not None
        aad = _JOURNAL_AAD + bytes.fromhex(self._journal_gen) + _INDEX.pack(lineno)
        text = binascii.b2a_base64(self._cipher.seal(aad, payload), newline=True)
        return b"%08x %s" % (len(text) - 1, text)

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
        self._journal_lines += 1

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
            header = None
            if self._cipher is not None:
                header = {
                    "gen": os.urandom(16).hex(),
                    "journal": os.urandom(16).hex(),
                    "after": self._journal_gen or _PLAIN,
                }

            def write(f: IO[bytes]) -> None:
                if header is None:
                    self._write_snapshot(f)
                else:
                    self._write_sealed_snapshot(f, header)

            replace_with(self.snapshot_path, write, temp=tmp)
            self._snapshot_header = header

            # Windows cannot replace a file that is open, so close our handle first.
            self._close_journal()
            try:
                empty = self.journal_path.with_name(JOURNAL_NAME + _TEMP_SUFFIX)
                first = b""
                if header is not None:
                    first = self._journal_header_line(header["journal"], header["gen"])
                replace_with(self.journal_path, lambda f: f.write(first), temp=empty)
                self._journal_gen = header["journal"] if header is not None else None
                self._journal_header = len(first)
                self._journal_lines = 1 if header is not None else 0
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

    def _plain_allowed(self, path: Path) -> None:
        """A plain file: fine without a cipher or while encrypting; refused otherwise."""
        if self._cipher is None:
            return
        if not self._allow_plain:
            raise _corrupt(path, "不是加密的（文件可能被替换过）")
        self._read_plain = True

    def _encrypted_found(self) -> StoreEncrypted:
        return StoreEncrypted(f"数据目录 {self.directory.parent} 已加密，需要口令才能打开。")

    def _read_snapshot(self) -> Tables:
        try:
            f = open(self.snapshot_path, "rb")  # noqa: SIM115 - closed in _read_snapshot_file
        except FileNotFoundError:
            return {}
        with f:
            return self._read_snapshot_file(f)

    def _read_snapshot_file(self, f: IO[bytes]) -> Tables:
        first = f.readline()
        if first.startswith(SNAPSHOT_MAGIC):
            if self._cipher is None:
                raise self._encrypted_found()
            return self._read_sealed_snapshot(first, f)
        self._plain_allowed(self.snapshot_path)
        if first == b"{\n":
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

    def _open_header(self, path: Path, line: bytes, magic: bytes, aad: bytes, keys: tuple):
        """The sealed header of an encrypted file, checked; StoreCorrupt otherwise."""
        assert self._cipher is not None
        header = None
        if line.endswith(b"\n"):
            blob = _unbase64(line[len(magic) :])
            plain = self._cipher.open(aad, blob) if blob is not None else None
            try:
                header = _loads(plain) if plain is not None else None
            except ValueError:
                header = None
        if not (
            isinstance(header, dict)
            and set(header) == set(keys)
            and all(v is None or _is_gen(v) for v in header.values())
        ):
            raise _corrupt(path, "文件头校验失败（文件已损坏、被改动，或不属于这个数据目录）")
        return header

    def _read_sealed_snapshot(self, first: bytes, f: IO[bytes]) -> Tables:
        """Read the encrypted layout written by ``_write_sealed_snapshot``."""
        assert self._cipher is not None
        path = self.snapshot_path
        header = self._open_header(
            path, first, SNAPSHOT_MAGIC, _SNAPSHOT_HEADER_AAD, ("gen", "journal", "after")
        )
        if header["gen"] is None or header["journal"] is None:
            raise _corrupt(path, "文件头内容无效")
        aad = _SNAPSHOT_AAD + bytes.fromhex(header["gen"])
        tables: Tables = {}
        table: dict[str, Any] | None = None
        index = 0
        while True:
            index += 1
            length = f.read(4)
            if len(length) < 4:
                raise _corrupt(path, "不完整（文件被截断）")
            (size,) = _LENGTH.unpack(length)
            blob = f.read(size) if size <= _MAX_RECORD else b""
            plain = self._cipher.open(aad + _INDEX.pack(index), blob) if len(blob) == size else None
            if plain is None:
                raise _corrupt(path, f"第 {index} 段校验失败")
            kind, body = plain[:1], plain[1:]
            try:
                if kind == b"T":
                    name = _loads(body)
                    if not isinstance(name, str) or name in tables:
                        raise ValueError(name)
                    table = tables[name] = {}
                elif kind == b"D" and table is not None:
                    chunk = _loads(body)
                    if not isinstance(chunk, dict) or not all(
                        isinstance(doc, dict) for doc in chunk.values()
                    ):
                        raise ValueError("chunk")
                    table.update(chunk)
                elif kind == b"E" and body == b"%d" % (index - 1) and not f.read(1):
                    break
                else:
                    raise ValueError("record")
            except ValueError:
                raise _corrupt(path, f"第 {index} 段内容无效") from None
        self._snapshot_header = header
        return tables

    def _replay_journal(self) -> None:
        path = self.journal_path
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            self._journal_missing()
            return
        with open(path, "rb") as f:
            good, self._journal_lines = self._replay(f, size, self._data)
        if good < size:
            with open(path, "r+b") as f:
                f.truncate(good)
                f.flush()
                os.fsync(f.fileno())

    def _journal_missing(self) -> None:
        if self._snapshot_header is not None:
            # An encrypted journal is only ever replaced, never removed.
            raise _corrupt(self.journal_path, "不见了（文件被删除）")

    def _replay(self, f: IO[bytes], size: int, tables: Tables) -> tuple[int, int]:
        """Apply the journal's first ``size`` bytes to ``tables``; return the bytes and the
        lines (its header too) of whole, valid lines. A torn or damaged last line is dropped
        (``dropped_tail``); a damaged line before it is corruption. Bytes past ``size``
        (appended since) are not read."""
        path = self.journal_path
        first = f.readline()
        if first.startswith(JOURNAL_MAGIC):
            if self._cipher is None:
                raise self._encrypted_found()
            lines = _lines_within(f, size - len(first))
            return self._replay_sealed(path, first, lines, size, tables)
        self._plain_allowed(path)
        f.seek(0)
        return self._replay_plain(path, _lines_within(f, size), size, tables)

    def _replay_plain(
        self, path: Path, lines: Iterator[bytes], size: int, tables: Tables
    ) -> tuple[int, int]:
        good = lineno = 0
        for lineno, line in enumerate(lines, start=1):
            ops = self._decode_line(line)
            if ops is None:
                if good + len(line) < size:
                    raise _corrupt(path, f"第 {lineno} 行校验失败")
                # The last line was being written when the program stopped (or is being
                # written now): that transaction was never acknowledged, so it is dropped.
                self.dropped_tail = len(line)
                return good, lineno - 1
            _apply_line(tables, path, ops, lineno)
            good += len(line)
        return good, lineno

    def _replay_sealed(
        self, path: Path, first: bytes, lines: Iterator[bytes], size: int, tables: Tables
    ) -> tuple[int, int]:
        assert self._cipher is not None
        header = self._open_header(
            path, first, JOURNAL_MAGIC, _JOURNAL_HEADER_AAD, ("gen", "snapshot")
        )
        snap = self._snapshot_header
        if header["gen"] is None:
            raise _corrupt(path, "文件头内容无效")
        if snap is None:
            if header["snapshot"] is not None:
                raise _corrupt(self.snapshot_path, "不见了（文件被删除）")
        elif not (
            (header["gen"] == snap["journal"] and header["snapshot"] == snap["gen"])
            or header["gen"] == snap["after"]  # a crash between the two replaces: harmless
        ):
            raise _corrupt(path, "与快照不配套（文件被换成了别的版本）")
        self._journal_gen = header["gen"]
        self._journal_header = len(first)
        good, lineno = len(first), 1
        for lineno, line in enumerate(lines, start=2):
            ops = self._open_line(line, lineno)
            if ops is _CHANGED:  # never what a crash leaves
                raise _corrupt(path, f"第 {lineno} 行校验失败")
            if ops is None:
                if good + len(line) < size:
                    raise _corrupt(path, f"第 {lineno} 行校验失败")
                self.dropped_tail = len(line)  # never acknowledged: dropped, as above
                return good, lineno - 1
            _apply_line(tables, path, ops, lineno)
            good += len(line)
        return good, lineno

    def _open_line(self, line: bytes, lineno: int) -> Any:
        """An encrypted journal line's operations; None if it is torn (what a crash leaves:
        shorter than its stated length, or zeros where a power cut left the data unwritten);
        _CHANGED if it was altered: it runs on past its stated length (a newline was changed),
        or it is complete and does not open."""
        assert self._cipher is not None and self._journal_gen is not None
        if len(line) < 9 or b"\x00" in line:
            return None
        try:
            length = int(line[:8], 16) if line[8:9] == b" " else -1
        except ValueError:
            length = -1
        body = line[9:]
        if length < 0 or len(body) > length + 1:
            return _CHANGED
        if len(body) == length + 1:  # complete: it opens, or it was changed
            ops = self._decrypt_line(body, lineno) if body.endswith(b"\n") else None
            return _CHANGED if ops is None else ops
        return None

    def _decrypt_line(self, body: bytes, lineno: int) -> Any:
        """The operations of a line's body, or None if it does not open."""
        assert self._cipher is not None and self._journal_gen is not None
        blob = _unbase64(body)
        if blob is None:
            return None
        aad = _JOURNAL_AAD + bytes.fromhex(self._journal_gen) + _INDEX.pack(lineno)
        payload = self._cipher.open(aad, blob)
        if payload is None:
            return None
        try:
            return _loads(payload)
        except ValueError:
            return None

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

    def _write_sealed_snapshot(self, f: IO[bytes], header: dict[str, Any]) -> None:
        cipher = self._cipher
        assert cipher is not None
        f.write(
            SNAPSHOT_MAGIC
            + binascii.b2a_base64(cipher.seal(_SNAPSHOT_HEADER_AAD, _dumps(header)), newline=True)
        )
        aad = _SNAPSHOT_AAD + bytes.fromhex(header["gen"])
        index = 0

        def record(plain: bytes) -> None:
            nonlocal index
            index += 1
            blob = cipher.seal(aad + _INDEX.pack(index), plain)
            f.write(_LENGTH.pack(len(blob)))
            f.write(blob)

        for name, table in self._data.items():
            record(b"T" + _dumps(name))
            items = iter(table.items())
            while chunk := dict(islice(items, _CHUNK_DOCS)):
                record(b"D" + _dumps(chunk))
        record(b"E%d" % index)

    def _journal_header_line(self, gen: str, snapshot: str | None) -> bytes:
        assert self._cipher is not None
        sealed = self._cipher.seal(_JOURNAL_HEADER_AAD, _dumps({"gen": gen, "snapshot": snapshot}))
        return JOURNAL_MAGIC + binascii.b2a_base64(sealed, newline=True)

    def _open_journal(self) -> None:
        exists = self.journal_path.exists()
        if not exists and self._cipher is not None:
            # A new encrypted journal starts with its header, written whole (temp, rename).
            gen = os.urandom(16).hex()
            tmp = self.journal_path.with_name(JOURNAL_NAME + _TEMP_SUFFIX)
            first = self._journal_header_line(gen, None)
            replace_with(self.journal_path, lambda f: f.write(first), temp=tmp)
            self._journal_gen = gen
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _O_BINARY
        self._fd = os.open(self.journal_path, flags, FILE_MODE)
        self._journal_size = os.fstat(self._fd).st_size
        if self._journal_gen is not None and not exists:
            self._journal_header = self._journal_size
            self._journal_lines = 1
        if not exists:
            fsync_dir(self.directory)

    def _close_journal(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)

    def _load_read_only(self) -> Tables:
        """The tables as the files stand, read beside a writer that may be committing or
        compacting meanwhile; nothing is written.

        The writer appends whole lines to the journal, and compacts by replacing the snapshot
        (with everything) and only then the journal (with an empty one). So the journal is
        opened first, then the snapshot, and then the journal's name must still lead to the
        file opened: if so, the snapshot opened is the one that goes with that journal, or a
        newer one that already holds all of it (replaying it again changes nothing, each line
        puts whole documents; an encrypted snapshot names that journal as the one it was
        folded from). If a compaction replaced the journal in between, start over. The journal
        is read up to its size at that moment: later lines are later states.
        """
        for _attempt in range(_READ_ATTEMPTS):
            journal = _open_existing(self.journal_path)
            try:
                snapshot = _open_existing(self.snapshot_path)
                try:
                    if journal is not None and not _same_file(journal, self.journal_path):
                        continue
                    if journal is None and self.journal_path.exists():
                        continue  # the journal appeared meanwhile: read both afresh
                    self._snapshot_header = None
                    tables = {} if snapshot is None else self._read_snapshot_file(snapshot)
                    if journal is None:
                        self._journal_missing()
                    else:
                        self._replay(journal, os.fstat(journal.fileno()).st_size, tables)
                    return tables
                finally:
                    if snapshot is not None:
                        snapshot.close()
            finally:
                if journal is not None:
                    journal.close()
        raise StoreError(f"数据目录 {self.directory} 正在整理，暂时无法读取，请稍后再试。")

    def _check_usable(self) -> None:
        if self.read_only:
            raise StoreReadOnly(self.directory)
        if self._fd < 0:
            raise StoreError(f"数据目录 {self.directory} 已关闭，不能再写入。")
        if self._failed is not None:
            raise StoreError(
                f"数据目录 {self.directory} {self._failed}，不能再写入。请关闭程序后重新打开。"
            )


def _apply_line(tables: Tables, path: Path, ops: Any, lineno: int) -> None:
    try:
        _check_ops(ops)
    except _BadOps:
        raise _corrupt(path, f"第 {lineno} 行内容无效") from None
    _apply(tables, ops)


def _open_existing(path: Path) -> IO[bytes] | None:
    try:
        return open(path, "rb")  # the caller closes it
    except FileNotFoundError:
        return None


def _same_file(f: IO[bytes], path: Path) -> bool:
    """Whether ``path`` still names the file ``f`` has open (not a replacement)."""
    try:
        now = path.stat()
    except FileNotFoundError:
        return False
    opened = os.fstat(f.fileno())
    return (now.st_dev, now.st_ino) == (opened.st_dev, opened.st_ino)


def _lines_within(f: IO[bytes], size: int) -> Iterator[bytes]:
    """The lines of ``f``'s next ``size`` bytes; the last may be cut short (no newline)."""
    left = size
    for line in f:
        if left <= 0:
            return
        if len(line) > left:
            line = line[:left]
        left -= len(line)
        yield line


def _unbase64(line: bytes) -> bytes | None:
    """The bytes of a base64 line as we write it (b2a_base64 with its newline), or None: any
    other spelling of the same bytes (spare bits set, say) counts as a changed line."""
    if not line.endswith(b"\n"):
        return None
    try:
        blob = binascii.a2b_base64(line[:-1], strict_mode=True)
    except binascii.Error:
        return None
    return blob if binascii.b2a_base64(blob, newline=True) == line else None


def _is_gen(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if value == _PLAIN:
        return True
    try:
        return len(bytes.fromhex(value)) == 16
    except ValueError:
        return False
