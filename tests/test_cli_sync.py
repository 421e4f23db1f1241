"""export / import / keygen as a user runs them: subprocesses, printed counts, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sync_support import MEETING, PERSON, dir_digest


def fk(data_dir, *args, stdin=None):
    proc = subprocess.run(
        [sys.executable, "-m", "fieldkit.cli", "--data-dir", str(data_dir), *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture
def office(tmp_path):
    d = tmp_path / "office"
    assert fk(d, "init", "--worker", "街道管理员", "--grid", "街道").returncode == 0
    return d


def laptop(tmp_path, name, worker, grid, *extra):
    d = tmp_path / name
    proc = fk(d, "init", "--worker", worker, "--grid", grid, *extra)
    assert proc.returncode == 0, proc.stderr
    lines = json.dumps(PERSON, ensure_ascii=False) + "\n"
    assert fk(d, "add", "person", stdin=lines).returncode == 0
    meeting = json.dumps({**MEETING, "kind": "法治专题讲座"}, ensure_ascii=False)
    assert fk(d, "add", "meeting", stdin=meeting).returncode == 0
    return d


def test_keygen_export_encrypted_import_and_reimport(tmp_path, office):
    key = fk(office, "keygen", "-o", tmp_path / "pub")
    assert key.returncode == 0, key.stderr
    public = key.stdout.strip()
    assert public.endswith(".pem") and "私钥" in key.stderr
    (private,) = (office / "keys").glob("office-private-*.pem")
    assert private.stat().st_mode & 0o077 == 0

    a = laptop(tmp_path, "a", "李娜", "第一网格", "--office-key", public)
    exported = fk(a, "export", "-o", tmp_path / "usb")
    assert exported.returncode == 0, exported.stderr
    path = exported.stdout.strip()
    assert path.endswith(".fkb") and "已加密" in exported.stderr and "2 条" in exported.stderr

    again = fk(a, "export", "-o", tmp_path / "usb")
    assert again.returncode == 0 and again.stdout == "" and "没有新的变化" in again.stderr

    dry = fk(office, "import", path, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    counts = json.loads(dry.stdout)
    assert {k: counts[k] for k in ("new", "updated", "unchanged", "conflicts", "rejected")} == {
        "new": 2,
        "updated": 0,
        "unchanged": 0,
        "conflicts": 0,
        "rejected": 0,
    }
    assert fk(office, "list", "person").stdout.count("王芳") == 0  # dry run changed nothing

    done = fk(office, "import", path)
    assert done.returncode == 0, done.stderr
    assert "新增 2，更新 0，未变 0，冲突 0，未通过检查 0" in done.stdout
    assert "王芳" in fk(office, "list", "person").stdout

    re_import = fk(office, "import", tmp_path / "usb", "--json")  # a folder: every .fkb in it
    assert json.loads(re_import.stdout)["unchanged"] == 2


def test_a_plain_export_says_it_is_not_encrypted(tmp_path):
    a = laptop(tmp_path, "a", "李娜", "第一网格")
    proc = fk(a, "export", "--all", "-o", tmp_path / "usb")
    assert proc.returncode == 0 and "未加密" in proc.stderr


def test_a_tampered_file_is_refused_with_one_line_and_changes_nothing(tmp_path, office):
    a = laptop(tmp_path, "a", "李娜", "第一网格")
    path = fk(a, "export", "-o", tmp_path / "usb").stdout.strip()
    raw = bytearray(Path(path).read_bytes())
    raw[-30] ^= 0x20
    bad = tmp_path / "bad.fkb"
    bad.write_bytes(bytes(raw))
    before = dir_digest(office / "store")
    proc = fk(office, "import", bad)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"错误：无法导入 {bad}：内容校验失败：文件已损坏或被改动"
    assert dir_digest(office / "store") == before
    # With a good file alongside: the good one is imported, the exit status still says "not all".
    both = fk(office, "import", bad, path, "--json")
    assert both.returncode == 1 and json.loads(both.stdout)["new"] == 2


def test_a_laptop_cannot_use_the_private_key_or_read_encrypted_bundles(tmp_path, office):
    fk(office, "keygen", "-o", tmp_path / "pub")
    (private,) = (office / "keys").glob("office-private-*.pem")
    proc = fk(
        tmp_path / "b", "init", "--worker", "王强", "--grid", "第二网格", "--office-key", private
    )
    assert proc.returncode == 1 and "私钥" in proc.stderr
