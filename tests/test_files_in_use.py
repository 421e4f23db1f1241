"""Files held by another program (WPS or Excel, antivirus, a backup tool) and full disks: one
Chinese line, nothing half-written, nothing lost.

On Windows a file open in Excel cannot be replaced (PermissionError). Here that is simulated by
making the target a folder, or by os.replace refusing; a full disk is a small tmpfs where the
tests may mount one (root), else ENOSPC raised where the data is written.
"""

import errno
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fieldkit.errors import FieldkitError
from fieldkit.files import durable, outfiles
from fieldkit.store.database import Store
from fieldkit.store.storage import JournalStorage

YEAR = "2026"


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(durable, "RETRY_DELAYS", (0, 0, 0))


def run(data_dir, *args, stdin: str | None = None):
    env = {**os.environ, "FIELDKIT_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "fieldkit.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )


def one_chinese_line(proc) -> str:
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for noise in ("Traceback", "Logging error", "Exception ignored", "Errno", "No space"):
        assert noise not in proc.stderr
    assert lines[0].startswith("错误：")
    return lines[0]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    d = tmp_path_factory.mktemp("demo") / "data"
    assert run(d, "init", "--worker", "李娜", "--grid", "第一网格").returncode == 0
    assert run(d, "demo", "--records", "300", "--year", YEAR).returncode == 0
    return d


# -- a report over a file that is open ---------------------------------------------------


@pytest.mark.parametrize("command", ["report", "ledger"])
def test_a_folder_of_the_documents_name_is_left_alone_and_leaves_nothing(demo, tmp_path, command):
    data = tmp_path / "data"
    shutil.copytree(demo, data)
    made = Path(run(data, command, "--year", YEAR).stdout.strip())
    made.unlink()
    made.mkdir()  # a name that cannot be replaced: the new document takes the next name
    proc = run(data, command, "--year", YEAR)
    assert proc.returncode == 0, proc.stderr
    again = Path(proc.stdout.strip())
    assert again != made and again.parent == made.parent and made.is_dir()
    assert sorted(p.name for p in made.parent.iterdir()) == sorted([made.name, again.name])


def test_a_target_held_by_another_program_says_close_it(tmp_path, monkeypatch):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(b"old")

    def refuse(src, dst):
        raise PermissionError(errno.EACCES, "Access is denied", str(dst))

    monkeypatch.setattr(outfiles.os, "replace", refuse)
    with pytest.raises(FieldkitError) as info:
        outfiles.write_new(
            outfiles.Target(path, named=True), lambda temp: temp.write_bytes(b"new"), force=True
        )
    assert "WPS" in str(info.value) and "关闭" in str(info.value) and str(path) in str(info.value)
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["台账.xlsx"]


def test_a_file_held_for_a_moment_is_retried(tmp_path, monkeypatch):
    # Antivirus opens every new file for a moment; the rename goes through on a later try.
    real, refusals = os.replace, []

    def busy_twice(src, dst):
        if len(refusals) < 2:
            refusals.append(dst)
            raise PermissionError(errno.EACCES, "busy", str(dst))
        real(src, dst)

    monkeypatch.setattr(outfiles.os, "replace", busy_twice)
    path = outfiles.write_new(
        outfiles.Target(tmp_path / "a.docx", named=True), lambda t: t.write_bytes(b"x"), force=True
    )
    assert path.read_bytes() == b"x" and len(refusals) == 2


# -- a bundle name that is taken -------------------------------------------------------------


def test_a_bundle_name_taken_gets_the_next_number(tmp_path):
    (tmp_path / "李娜.fkb").write_bytes(b"someone else's")
    (tmp_path / "李娜（2）.fkb").mkdir()  # even by a folder
    path = outfiles.write_bytes(outfiles.Target(tmp_path / "李娜.fkb"), b"mine")
    assert path.name == "李娜（3）.fkb" and path.read_bytes() == b"mine"
    assert (tmp_path / "李娜.fkb").read_bytes() == b"someone else's"
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["李娜.fkb", "李娜（2）.fkb", "李娜（3）.fkb"]


def test_a_bundle_that_cannot_be_written_is_one_line(tmp_path, monkeypatch):
    def refuse(src, dst):
        raise PermissionError(errno.EACCES, "denied", str(dst))

    monkeypatch.setattr(outfiles.os, "link", refuse)
    monkeypatch.setattr(outfiles.os, "replace", refuse)
    with pytest.raises(FieldkitError, match=re.escape("李娜.fkb：文件正被其他程序使用")):
        outfiles.write_bytes(outfiles.Target(tmp_path / "李娜.fkb"), b"x")
    assert list(tmp_path.iterdir()) == []


# -- compaction while a backup tool reads the snapshot ---------------------------------------


def test_compaction_while_the_snapshot_is_held_is_put_off(tmp_path, monkeypatch, caplog):
    store = Store(tmp_path / "store")
    store_docs = {"id": "a", "form": "outreach", "version": "v1", "data": {"n": 1}}
    with store.transaction() as tx:
        tx.put("things", "a", store_docs)
    real = os.replace

    def snapshot_held(src, dst):
        if Path(dst).name == "snapshot.json":
            raise PermissionError(errno.EACCES, "in use", str(dst))
        real(src, dst)

    monkeypatch.setattr(outfiles.os, "replace", snapshot_held)
    with caplog.at_level(logging.WARNING, logger="fieldkit"):
        store.close()  # no exception: nothing is lost, the journal has it
    assert "正被其他程序" in caplog.text and "下次" in caplog.text
    monkeypatch.setattr(outfiles.os, "replace", real)
    assert not (tmp_path / "store" / "snapshot.json.tmp").exists()
    reopened = JournalStorage(tmp_path / "store")
    assert reopened.read()["things"]["a"]["data"] == {"n": 1}
    reopened.close()
    assert (tmp_path / "store" / "journal.log").stat().st_size == 0  # done this time


def test_the_command_line_says_compaction_was_put_off(demo, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo, data)
    code = (
        "import errno, os, sys\n"
        "from fieldkit.cli import main as cli\n"
        "from fieldkit.files import durable\n"
        "real = os.replace\n"
        "def held(src, dst):\n"
        "    if str(dst).endswith('snapshot.json'):\n"
        "        raise PermissionError(errno.EACCES, 'in use', str(dst))\n"
        "    real(src, dst)\n"
        "durable.os.replace = held\n"
        "durable.RETRY_DELAYS = ()\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    line = json.dumps({"date": "2026-03-01", "title": "宣传", "venue_type": "community"})
    proc = subprocess.run(
        [sys.executable, "-c", code, "--data-dir", str(data), "add", "outreach"],
        input=line,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "已保存 1 条" in proc.stderr
    assert "注意：数据完好，没有丢失" in proc.stderr and "Traceback" not in proc.stderr
    assert "宣传" in run(data, "list", "outreach").stdout


# -- a full disk ---------------------------------------------------------------------------


@pytest.fixture
def full_disk(tmp_path):
    """A 2 MB tmpfs (root only), or skip."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if shutil.which("mount") is None or getattr(os, "geteuid", lambda: -1)() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode(errors='replace')}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(disk: Path) -> None:
    with open(disk / "filler", "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


def test_every_command_on_a_full_disk_is_one_chinese_line(demo, full_disk):
    data = full_disk / "data"
    shutil.copytree(demo, data)
    bundle = Path(run(demo, "export", "--all", "-o", str(full_disk.parent / "usb")).stdout.strip())
    fill(full_disk)
    line = json.dumps({"date": "2026-03-01", "title": "满盘测试", "venue_type": "community"})
    failing = {
        ("add", "outreach"): "磁盘空间不足",
        ("report", "--year", YEAR): "磁盘空间不足",
        ("ledger", "--year", YEAR): "磁盘空间不足",
        ("export", "--all"): "磁盘空间不足",
        ("keygen",): "磁盘空间不足",
        ("import", str(bundle)): "磁盘空间不足",
    }
    for args, reason in failing.items():
        proc = run(data, *args, stdin=line if args[0] == "add" else None)
        assert reason in one_chinese_line(proc), args
    for args in (("list", "outreach"), ("due",), ("forms",), ("devices",)):  # reading works
        proc = run(data, *args)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, (args, proc.stderr)
    assert not list((data / "exports").glob("*")) if (data / "exports").exists() else True
    assert not list(data.rglob("*.tmp"))
    (full_disk / "filler").unlink()
    assert "满盘测试" not in run(data, "list", "outreach").stdout  # the failed add left nothing
    assert run(data, "add", "outreach", stdin=line).returncode == 0


def test_init_on_a_full_disk_leaves_no_half_written_key(full_disk):
    fill(full_disk)
    data = full_disk / "data"
    proc = run(data, "init", "--worker", "李娜", "--grid", "第一网格")
    assert "磁盘空间不足" in one_chinese_line(proc)
    (full_disk / "filler").unlink()
    proc = run(data, "init", "--worker", "李娜", "--grid", "第一网格")
    assert proc.returncode == 0, proc.stderr  # not "无法读取本机密钥"


def test_a_failed_zip_write_prints_no_exception_ignored(tmp_path, capfd):
    # python-docx leaves its ZipFile to the garbage collector when saving fails: closing it
    # then fails again, which Python would print as "Exception ignored in ZipFile.__del__".
    class FullDisk:
        def __init__(self, path):
            self.fh = open(path, "wb")  # noqa: SIM115 - the point is that nobody closes it

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self):
            raise OSError(errno.ENOSPC, "No space left on device")

        def tell(self):
            return 0

        def close(self):
            self.fh.close()
            raise OSError(errno.ENOSPC, "No space left on device")

    def save(temp):
        archive = zipfile.ZipFile(FullDisk(temp), "w")
        archive.writestr("a.xml", "x" * 100)

    with pytest.raises(FieldkitError, match="磁盘空间不足"):
        outfiles.write_new(outfiles.Target(tmp_path / "a.docx", named=True), save, force=True)
    assert "Exception ignored" not in capfd.readouterr().err
    assert list(tmp_path.iterdir()) == []
