"""Reading a data dir beside its one writer: no lock, no byte changed, a state the writer had."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from report_support import ORG, YEAR, load_into

from fieldkit.errors import FieldkitError
from fieldkit.store import storage as storage_mod
from fieldkit.store.database import Store
from fieldkit.store.storage import (
    JOURNAL_NAME,
    SNAPSHOT_NAME,
    JournalStorage,
    StoreEncrypted,
    StoreReadOnly,
)
from fieldkit.store.vault import Cipher
from fieldkit.workspace import Workspace, open_for_reading


def files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def test_a_reader_sees_what_the_writer_committed_and_changes_nothing(tmp_path):
    writer = JournalStorage(tmp_path)
    writer.commit([("t", "a", {"n": 1})])
    writer.compact()
    writer.commit([("t", "b", {"n": 2}), ("t", "a", None)])
    before = files(tmp_path)
    reader = JournalStorage(tmp_path, read_only=True)
    assert reader.read() == {"t": {"b": {"n": 2}}}
    reader.close()
    assert files(tmp_path) == before
    writer.close()


def test_a_torn_last_line_is_left_out_and_left_alone(tmp_path):
    writer = JournalStorage(tmp_path)
    writer.commit([("t", "a", {"n": 1})])
    # The writer is in the middle of appending its next line.
    with open(tmp_path / JOURNAL_NAME, "ab") as f:
        f.write(b'0badc0de [["t","b",{"n"')
    before = files(tmp_path)
    reader = JournalStorage(tmp_path, read_only=True)
    assert reader.read() == {"t": {"a": {"n": 1}}}
    assert reader.dropped_tail > 0
    assert files(tmp_path) == before  # not cut: the writer owns the file
    writer._close_journal()


def test_a_damaged_line_before_the_last_is_still_corruption(tmp_path):
    writer = JournalStorage(tmp_path)
    writer.commit([("t", "a", {"n": 1})])
    writer.commit([("t", "b", {"n": 2})])
    writer._close_journal()
    data = bytearray((tmp_path / JOURNAL_NAME).read_bytes())
    data[12] ^= 1
    (tmp_path / JOURNAL_NAME).write_bytes(bytes(data))
    with pytest.raises(storage_mod.StoreCorrupt, match="第 1 行"):
        JournalStorage(tmp_path, read_only=True)


def test_every_write_on_a_read_only_storage_fails_clearly(tmp_path):
    JournalStorage(tmp_path).close()
    reader = JournalStorage(tmp_path, read_only=True)
    for write in (
        lambda: reader.commit([("t", "a", {"n": 1})]),
        lambda: reader.write({"t": {}}),
        reader.compact,
    ):
        with pytest.raises(StoreReadOnly, match=r"只读方式打开.*不能写入"):
            write()
    assert files(tmp_path).get(JOURNAL_NAME, b"") == b""


def test_a_compaction_while_opening_is_noticed_and_read_again(tmp_path, monkeypatch):
    """The reader opened the old journal; before it opens the snapshot the writer compacts
    twice (the second snapshot no longer goes with the old journal). Replaying the old journal
    over the newest snapshot would bring back a deleted document."""
    writer = JournalStorage(tmp_path)
    writer.commit([("t", "a", {"n": 1})])
    opened: list[Path] = []
    real_open = storage_mod._open_existing

    def open_and_race(path: Path):
        f = real_open(path)
        opened.append(path.name)
        if opened == [JOURNAL_NAME]:  # between opening the journal and the snapshot
            writer.compact()
            writer.commit([("t", "a", None)])
            writer.compact()
        return f

    monkeypatch.setattr(storage_mod, "_open_existing", open_and_race)
    reader = JournalStorage(tmp_path, read_only=True)
    assert reader.read() == {"t": {}}
    assert opened.count(JOURNAL_NAME) == 2  # started over once
    writer.close()


def test_a_store_opens_read_only_while_locked_and_refuses_transactions(tmp_path):
    with Store(tmp_path / "store") as writer:
        writer.set_meta("k", 1)
        reader = Store(tmp_path / "store", read_only=True)
        assert reader.get_meta("k") == 1
        with pytest.raises(StoreReadOnly):
            reader.set_meta("k", 2)
        with pytest.raises(StoreReadOnly):
            reader.compact()
        reader.close()
        writer.set_meta("k", 3)  # the writer is not disturbed
    assert Store(tmp_path / "store", read_only=True).get_meta("k") == 3


def test_a_missing_data_dir_is_refused_and_not_created(tmp_path):
    """A mistyped --data-dir must not read as a data dir without records."""
    root = tmp_path / "nothing"
    with pytest.raises(FieldkitError, match="数据目录不存在"):
        open_for_reading(root)
    assert not root.exists()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_data_dir_on_read_only_media_opens_for_reading(tmp_path):
    root = tmp_path / "data"
    with Workspace(root) as ws:
        ws.set_identity(worker="李娜", grid="第一网格", org=ORG)
        load_into(ws)
    before = files(root / "store")
    # Bind-mounting read-only needs privileges; where the test runs as root, permissions are
    # not enforced, so stand in for the media with a directory whose writes would fail.
    (root / "store").chmod(0o555)
    try:
        with open_for_reading(root) as ws:
            assert ws.store.count("outreach") == 4
            with pytest.raises(StoreReadOnly):
                ws.add("meeting", {"date": "2026-01-01", "kind": "lecture", "title": "讲座"})
    finally:
        (root / "store").chmod(0o755)
    assert files(root / "store") == before
    assert "lock" not in before or files(root / "store")["lock"] == before["lock"]


# -- encrypted data dirs: the same reading, through the data key --------------------------------


def cipher() -> Cipher:
    return Cipher(bytes(range(32)), b"test-vault")


def test_an_encrypted_storage_is_read_beside_its_writer_and_left_alone(tmp_path):
    writer = JournalStorage(tmp_path, cipher())
    writer.commit([("t", "a", {"n": 1})])
    writer.compact()
    writer.commit([("t", "b", {"n": 2}), ("t", "a", None)])
    with open(tmp_path / JOURNAL_NAME, "ab") as f:  # the next line, half written
        f.write(b"00000040 QUJD")
    before = files(tmp_path)
    reader = JournalStorage(tmp_path, cipher(), read_only=True)
    assert reader.read() == {"t": {"b": {"n": 2}}}
    assert reader.dropped_tail > 0
    assert files(tmp_path) == before
    with pytest.raises(StoreEncrypted):
        JournalStorage(tmp_path, read_only=True)  # no key: refused, not read as empty
    writer._close_journal()


def test_an_encrypted_reader_after_a_crash_between_the_two_replaces(tmp_path):
    """The writer replaced the snapshot, then stopped before replacing the journal: the old
    journal goes with the new snapshot (which names it), and replays harmlessly."""
    writer = JournalStorage(tmp_path, cipher())
    writer.commit([("t", "a", {"n": 1})])
    old_journal = (tmp_path / JOURNAL_NAME).read_bytes()
    writer.commit([("t", "b", {"n": 2})])
    writer.compact()
    writer._close_journal()
    (tmp_path / JOURNAL_NAME).write_bytes(old_journal)
    reader = JournalStorage(tmp_path, cipher(), read_only=True)
    assert reader.read() == {"t": {"a": {"n": 1}, "b": {"n": 2}}}


def test_an_encrypted_journal_from_elsewhere_is_refused_by_a_reader(tmp_path):
    writer = JournalStorage(tmp_path, cipher())
    writer.commit([("t", "a", {"n": 1})])
    writer.compact()
    stale = (tmp_path / JOURNAL_NAME).read_bytes()
    writer.commit([("t", "a", None)])
    writer.compact()
    writer.compact()  # the stale journal is now two generations back
    writer._close_journal()
    (tmp_path / JOURNAL_NAME).write_bytes(stale)  # an older journal put back
    with pytest.raises(storage_mod.StoreCorrupt, match="不配套"):
        JournalStorage(tmp_path, cipher(), read_only=True)


def test_a_compaction_while_opening_an_encrypted_storage_is_read_again(tmp_path, monkeypatch):
    writer = JournalStorage(tmp_path, cipher())
    writer.commit([("t", "a", {"n": 1})])
    opened: list[str] = []
    real_open = storage_mod._open_existing

    def open_and_race(path: Path):
        f = real_open(path)
        opened.append(path.name)
        if opened == [JOURNAL_NAME]:
            writer.compact()
            writer.commit([("t", "a", None)])
            writer.compact()
        return f

    monkeypatch.setattr(storage_mod, "_open_existing", open_and_race)
    reader = JournalStorage(tmp_path, cipher(), read_only=True)
    assert reader.read() == {"t": {}}
    assert opened.count(JOURNAL_NAME) == 2
    writer.close()


# -- the commands, as a subprocess, while a Workspace (the app) holds the data dir --------------


def run(data_dir: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "FIELDKIT_DATA_DIR": str(data_dir), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "fieldkit.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_reading_commands_work_while_the_app_holds_the_data_dir(tmp_path):
    root = tmp_path / "data"
    with Workspace(root) as ws:
        ws.set_identity(worker="李娜", grid="第一网格", org=ORG, abbr="东")
        data = load_into(ws)
    with Workspace(root) as app:  # another process would hold the same lock
        meeting = app.add("meeting", {"date": "2026-11-01", "kind": "lecture", "title": "讲座"})
        app.edit(meeting["id"], {"participants": 12})  # still in the journal, not the snapshot
        assert (root / "store" / JOURNAL_NAME).stat().st_size > 0

        proc = run(root, "report", "--year", str(YEAR), "-o", str(tmp_path / "r.docx"))
        assert proc.returncode == 0, proc.stderr
        proc = run(root, "ledger", "--year", str(YEAR), "-o", str(tmp_path / "l.xlsx"))
        assert proc.returncode == 0, proc.stderr
        assert "学法与会议 6 条" in proc.stderr  # the meeting added by the app is there
        proc = run(root, "list", "meeting", "--year", str(YEAR), "--json")
        assert proc.returncode == 0, proc.stderr
        assert meeting["id"] in proc.stdout and '"participants":12' in proc.stdout
        proc = run(root, "due")
        assert proc.returncode == 0, proc.stderr
        proc = run(root, "history", data["mediation"][0]["id"])
        assert proc.returncode == 0, proc.stderr and "共 1 个版本" in proc.stdout
        # A command that writes is still refused, clearly.
        proc = run(root, "delete", meeting["id"])
        assert proc.returncode == 1 and "正被另一个 fieldkit 程序使用" in proc.stderr
        assert "Traceback" not in proc.stderr
        app.add("meeting", {"date": "2026-11-02", "kind": "lecture", "title": "讲座"})
    assert (root / "store" / SNAPSHOT_NAME).exists()


def test_a_first_release_data_dir_is_converted_once_then_read(tmp_path):
    """Reading never converts; a data dir of the first release is converted by a writer first
    (as the app does on opening), then read."""
    import shutil

    from fieldkit.workspace import NeedsConversion

    root = tmp_path / "office"
    shutil.copytree(Path(__file__).parent / "data" / "format1" / "office", root)
    with pytest.raises(NeedsConversion):
        Workspace(root, read_only=True)
    assert not list(tmp_path.glob("office/store-backup-*"))
    with open_for_reading(root) as ws:
        assert ws.store.read_only and ws.identity is not None
    assert len(list(root.glob("store-backup-*"))) == 1


def test_reading_commands_unlock_an_encrypted_data_dir_while_the_app_holds_it(tmp_path):
    from fieldkit.store import vault

    root = tmp_path / "data"
    vault.create(root, "correct horse battery staple")
    with Workspace(root) as ws:
        ws.set_identity(worker="李娜", grid="第一网格", org=ORG, abbr="东")
        load_into(ws)
    vault.forget(root)
    vault.unlock(root, "correct horse battery staple")
    with Workspace(root) as app:
        meeting = app.add("meeting", {"date": "2026-11-01", "kind": "lecture", "title": "讲座"})
        env = {"FIELDKIT_PASSPHRASE": "correct horse battery staple"}
        proc = run(root, "list", "meeting", "--year", str(YEAR), "--json", env=env)
        assert proc.returncode == 0, proc.stderr
        assert meeting["id"] in proc.stdout
        proc = run(root, "report", "--year", str(YEAR), "-o", str(tmp_path / "r.docx"), env=env)
        assert proc.returncode == 0, proc.stderr
        proc = run(root, "list", "meeting", "--json", env={"FIELDKIT_PASSPHRASE": "wrong one!"})
        assert proc.returncode == 1 and "口令" in proc.stderr and "Traceback" not in proc.stderr
