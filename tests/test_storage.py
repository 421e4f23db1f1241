"""JournalStorage: durable commits, crash leftovers, corruption, compaction."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
from tinydb import TinyDB
from tinydb.table import Table

from fieldkit.errors import FieldkitError
from fieldkit.store import storage as storage_mod
from fieldkit.store.storage import JOURNAL_NAME, SNAPSHOT_NAME, JournalStorage, StoreCorrupt


def doc(n: int) -> dict:
    return {"n": n, "text": f"第{n}条记录", "tags": ["甲", "乙"]}


def reopen(path: Path) -> dict:
    storage = JournalStorage(path)
    try:
        return json.loads(json.dumps(storage.read()))  # a detached copy
    finally:
        storage.close()


def journal_lines(path: Path) -> list[bytes]:
    return (path / JOURNAL_NAME).read_bytes().splitlines(keepends=True)


def test_committed_transactions_survive_reopen_without_close(tmp_path):
    s = JournalStorage(tmp_path)
    s.commit([("t", "a", doc(1)), ("t", "b", doc(2))])
    s.commit([("t", "a", None), ("u", "c", doc(3))])
    assert len(journal_lines(tmp_path)) == 2  # one line per transaction
    s._close_journal()
    # No close(), so no snapshot: the journal alone must carry the data.
    assert not (tmp_path / SNAPSHOT_NAME).exists()
    assert reopen(tmp_path) == {"t": {"b": doc(2)}, "u": {"c": doc(3)}}


def test_memory_holds_what_was_written_not_the_callers_objects(tmp_path):
    s = JournalStorage(tmp_path)
    original = doc(1)
    s.commit([("t", "a", original)])
    original["tags"].append("丙")
    assert s.read()["t"]["a"] == doc(1)
    s.close()


def test_bad_ops_are_refused_before_anything_is_written(tmp_path):
    s = JournalStorage(tmp_path)
    with pytest.raises(TypeError, match="字符串"):
        s.commit([("t", 1, doc(1))])
    with pytest.raises(ValueError, match="JSON"):
        s.commit([("t", "a", {"when": object()})])
    assert (tmp_path / JOURNAL_NAME).read_bytes() == b""
    assert s.read() == {}
    s.close()


def test_close_compacts_into_a_snapshot_stock_tinydb_can_read(tmp_path):
    s = JournalStorage(tmp_path)
    s.commit([("records:f", "id-1", doc(1)), ("history", "id-1:v0", doc(0))])
    s.commit([("empty", "x", doc(9)), ("empty", "x", None)])
    s.close()
    assert (tmp_path / JOURNAL_NAME).read_bytes() == b""

    class StrIds(Table):
        document_id_class = str

    with TinyDB(tmp_path / SNAPSHOT_NAME, encoding="utf-8", access_mode="r") as db:
        db.table_class = StrIds
        assert db.tables() == {"records:f", "history", "empty"}
        assert db.table("records:f").all() == [doc(1)]
        assert db.table("records:f").all()[0].doc_id == "id-1"
    assert reopen(tmp_path) == {
        "records:f": {"id-1": doc(1)},
        "history": {"id-1:v0": doc(0)},
        "empty": {},
    }


def test_big_tables_load_back_from_the_chunked_snapshot(tmp_path, monkeypatch):
    monkeypatch.setattr(storage_mod, "_CHUNK_DOCS", 7)
    s = JournalStorage(tmp_path)
    s.commit([("a", str(i), doc(i)) for i in range(50)] + [("b", "x", doc(1))])
    s.close()
    text = (tmp_path / SNAPSHOT_NAME).read_text(encoding="utf-8")
    assert len(text.splitlines()) > 8  # really written in several chunks
    assert json.loads(text) == reopen(tmp_path)
    assert reopen(tmp_path)["a"] == {str(i): doc(i) for i in range(50)}


def test_a_snapshot_written_by_stock_tinydb_loads(tmp_path):
    data = {"_default": {"1": doc(1)}, "t": {"a": doc(2), "b": doc(3)}}
    (tmp_path / SNAPSHOT_NAME).write_text(
        json.dumps(data, indent=4, ensure_ascii=False), encoding="utf-8"
    )
    assert reopen(tmp_path) == data


def test_torn_last_line_is_dropped_and_cut_off(tmp_path):
    s = JournalStorage(tmp_path)
    s.commit([("t", "a", doc(1))])
    s.commit([("t", "b", doc(2))])
    s._close_journal()  # the program dies here...
    good = (tmp_path / JOURNAL_NAME).read_bytes()
    with open(tmp_path / JOURNAL_NAME, "ab") as f:  # ...while writing a third line
        f.write(b'1234abcd [["t","c",{"n":')

    s = JournalStorage(tmp_path)
    assert s.read() == {"t": {"a": doc(1), "b": doc(2)}}
    assert (tmp_path / JOURNAL_NAME).read_bytes() == good
    s.commit([("t", "c", doc(3))])
    s._close_journal()
    assert reopen(tmp_path) == {"t": {"a": doc(1), "b": doc(2), "c": doc(3)}}


def test_last_line_with_bad_checksum_is_dropped(tmp_path):
    s = JournalStorage(tmp_path)
    s.commit([("t", "a", doc(1))])
    s.commit([("t", "b", doc(2))])
    s._close_journal()
    lines = journal_lines(tmp_path)
    lines[1] = lines[1].replace(b'"n":2', b'"n":5')
    (tmp_path / JOURNAL_NAME).write_bytes(b"".join(lines))
    assert reopen(tmp_path) == {"t": {"a": doc(1)}}


def test_damaged_line_in_the_middle_is_corruption_naming_file_and_line(tmp_path):
    s = JournalStorage(tmp_path)
    for i in range(3):
        s.commit([("t", str(i), doc(i))])
    s._close_journal()
    lines = journal_lines(tmp_path)
    lines[1] = lines[1].replace(b'"n":1', b'"n":7')
    (tmp_path / JOURNAL_NAME).write_bytes(b"".join(lines))

    with pytest.raises(StoreCorrupt) as caught:
        JournalStorage(tmp_path)
    message = str(caught.value)
    assert str(tmp_path / JOURNAL_NAME) in message
    assert "第 2 行" in message
    assert "\n" not in message
    assert isinstance(caught.value, FieldkitError)  # shown to the user as is
    # Nothing was "repaired" behind the user's back.
    assert journal_lines(tmp_path) == lines


def test_snapshot_that_is_not_json_is_corruption(tmp_path):
    (tmp_path / SNAPSHOT_NAME).write_text('{\n"t":{\n"a":{"n":1}\n', encoding="utf-8")
    with pytest.raises(StoreCorrupt, match=SNAPSHOT_NAME):
        JournalStorage(tmp_path)
    (tmp_path / SNAPSHOT_NAME).write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(StoreCorrupt, match="格式"):
        JournalStorage(tmp_path)


def test_crash_between_snapshot_and_journal_reset_loses_nothing(tmp_path, monkeypatch):
    s = JournalStorage(tmp_path)
    s.commit([("t", "a", doc(1))])
    s.compact()
    s.commit([("t", "b", doc(2)), ("t", "a", None)])
    s.commit([("t", "a", doc(3))])
    real_replace = os.replace

    def replace(src, dst):
        if Path(dst).name == JOURNAL_NAME:
            raise OSError(errno.EIO, "simulated crash")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError):
        s.compact()
    monkeypatch.setattr(os, "replace", real_replace)
    # New snapshot in place, old journal still there: replaying it again is harmless.
    assert len(journal_lines(tmp_path)) == 2
    (tmp_path / (SNAPSHOT_NAME + ".tmp")).write_bytes(b'{"half-written')
    assert reopen(tmp_path) == {"t": {"b": doc(2), "a": doc(3)}}
    assert not (tmp_path / (SNAPSHOT_NAME + ".tmp")).exists()
    s._close_journal()


def test_close_keeps_the_journal_when_compaction_fails(tmp_path, monkeypatch):
    s = JournalStorage(tmp_path)
    s.commit([("t", "a", doc(1))])

    def replace(src, dst):
        raise PermissionError(errno.EACCES, "file in use")

    monkeypatch.setattr(os, "replace", replace)
    s.close()  # no error: the data is safe in the journal
    monkeypatch.undo()
    assert not (tmp_path / SNAPSHOT_NAME).exists()
    assert not (tmp_path / (SNAPSHOT_NAME + ".tmp")).exists()
    assert reopen(tmp_path) == {"t": {"a": doc(1)}}


def test_failed_append_leaves_no_torn_line_behind(tmp_path, monkeypatch):
    s = JournalStorage(tmp_path)
    s.commit([("t", "a", doc(1))])
    real_write = os.write

    def half_then_disk_full(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_disk_full)
    with pytest.raises(OSError):
        s.commit([("t", "b", doc(2))])
    monkeypatch.setattr(os, "write", real_write)
    assert s.read() == {"t": {"a": doc(1)}}
    s.commit([("t", "c", doc(3))])
    s._close_journal()
    assert reopen(tmp_path) == {"t": {"a": doc(1), "c": doc(3)}}


def test_after_a_failed_fsync_no_more_writes_are_accepted(tmp_path, monkeypatch):
    s = JournalStorage(tmp_path)

    def broken_sync(fd):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(storage_mod, "_datasync", broken_sync)
    with pytest.raises(OSError):
        s.commit([("t", "a", doc(1))])
    assert s.read() == {}
    with pytest.raises(storage_mod.StoreError, match="重新打开"):
        s.commit([("t", "b", doc(2))])
    s.close()


def test_big_journal_is_compacted_on_open(tmp_path, monkeypatch):
    s = JournalStorage(tmp_path)
    for i in range(20):
        s.commit([("t", str(i), doc(i))])
    s._close_journal()
    monkeypatch.setattr(storage_mod, "COMPACT_MIN_BYTES", 100)
    s = JournalStorage(tmp_path)
    assert (tmp_path / JOURNAL_NAME).stat().st_size == 0
    assert len(s.read()["t"]) == 20
    s.close()


def test_tinydb_own_write_path_is_durable(tmp_path):
    with TinyDB(tmp_path, storage=JournalStorage) as db:
        db.table("notes").insert({"text": "你好"})
    with TinyDB(tmp_path, storage=JournalStorage) as db:
        assert db.table("notes").all() == [{"text": "你好"}]


def test_writing_after_close_is_refused(tmp_path):
    s = JournalStorage(tmp_path)
    s.close()
    with pytest.raises(storage_mod.StoreError, match="已关闭"):
        s.commit([("t", "a", doc(1))])
