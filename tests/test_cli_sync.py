"""export / import / keygen / devices / history as a user runs them: subprocesses, printed
lines, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sync_support import MEETING, PERSON, dir_digest


def fk(data_dir, *args, stdin=None):
    proc = subprocess.run(
        [sys.executable, "-m", "fieldkit.cli.main", "--data-dir", str(data_dir), *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def ok(proc):
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture
def office(tmp_path):
    d = tmp_path / "office"
    ok(fk(d, "init", "--worker", "街道管理员", "--grid", "街道", "--org", "东城街道办事处"))
    key = ok(fk(d, "keygen", "-o", tmp_path / "pub"))
    assert key.stdout.strip().endswith(".fkkey") and "街道电脑" in key.stderr
    return d, Path(key.stdout.strip())


def laptop(tmp_path, name, worker, grid, *extra):
    d = tmp_path / name
    init = ok(fk(d, "init", "--worker", worker, "--grid", grid, *extra))
    fingerprint = init.stdout.split("本机指纹：")[1].split("（")[0]
    ok(fk(d, "add", "person", stdin=json.dumps(PERSON, ensure_ascii=False) + "\n"))
    meeting = json.dumps({**MEETING, "kind": "法治专题讲座"}, ensure_ascii=False)
    ok(fk(d, "add", "meeting", stdin=meeting))
    return d, fingerprint


def test_a_new_laptop_is_held_until_trusted_then_merges_without_reimport(tmp_path, office):
    office_dir, key = office
    a, fingerprint = laptop(tmp_path, "a", "李娜", "第一网格", "--office-key", key)
    exported = ok(fk(a, "export", "-o", tmp_path / "usb"))
    path = exported.stdout.strip()
    assert "已加密" in exported.stderr and "记录 2 条" in exported.stderr
    again = ok(fk(a, "export", "-o", tmp_path / "usb"))
    assert again.stdout == "" and "没有新的变化" in again.stderr

    held = ok(fk(office_dir, "import", path, "--json"))
    report = json.loads(held.stdout)
    assert report["held"] == 2 and report["new"] == 0
    (waiting,) = report["untrusted"]
    assert waiting["fingerprint"] == fingerprint and waiting["worker"] == "李娜"
    assert "王芳" not in fk(office_dir, "list", "person").stdout

    rows = [
        json.loads(line) for line in ok(fk(office_dir, "devices", "--json")).stdout.splitlines()
    ]
    row = next(r for r in rows if r["worker"] == "李娜")
    assert (row["trusted"], row["revoked"], row["held"]) == (False, False, 2)
    assert row["grid"] == "第一网格" and row["fingerprint"] == fingerprint

    trust = ok(fk(office_dir, "devices", "trust", fingerprint.replace(" ", "")[:6]))
    assert "已信任 李娜" in trust.stdout and "新增 2" in trust.stdout
    assert "王芳" in fk(office_dir, "list", "person").stdout
    re_import = json.loads(ok(fk(office_dir, "import", tmp_path / "usb", "--json")).stdout)
    assert re_import["unchanged"] == 2 and re_import["held"] == 0


def test_history_shows_every_edit_even_back_to_earlier_values(tmp_path, office):
    a, _ = laptop(tmp_path, "a", "李娜", "第一网格", "--office-key", office[1])
    rid = json.loads(fk(a, "list", "meeting", "--json").stdout.splitlines()[0])["id"]
    for title in ("B", "宪法讲座", "B"):
        assert "已保存新版本" in ok(fk(a, "edit", rid[:8], "--set", f"title={title}")).stdout
    same = ok(fk(a, "edit", rid[:8], "--set", "title=B"))
    assert "没有值改变" in same.stdout
    versions = [
        json.loads(line) for line in ok(fk(a, "history", rid, "--json")).stdout.splitlines()
    ]
    assert [v["data"]["title"] for v in versions] == ["宪法讲座", "B", "宪法讲座", "B"]
    assert [len(v["parents"]) for v in versions] == [0, 1, 1, 1]
    assert all(v["device"] == versions[0]["device"] and v["at"] for v in versions)
    assert versions[-1]["current"] and not versions[-1]["deleted"]
    text = ok(fk(a, "history", rid[:8])).stdout
    assert "共 4 个版本" in text and "主题：B → 宪法讲座" in text and "李娜（第一网格" in text


def test_a_tampered_file_is_refused_with_one_line_and_changes_nothing(tmp_path, office):
    office_dir, key = office
    a, fingerprint = laptop(tmp_path, "a", "李娜", "第一网格", "--office-key", key)
    path = ok(fk(a, "export", "-o", tmp_path / "usb")).stdout.strip()
    ok(fk(office_dir, "import", path))
    ok(fk(office_dir, "devices", "trust", fingerprint.replace(" ", "")))
    raw = bytearray(Path(path).read_bytes())
    raw[-30] ^= 0x20
    bad = tmp_path / "bad.fkb"
    bad.write_bytes(bytes(raw))
    before = dir_digest(office_dir)
    proc = fk(office_dir, "import", bad)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"错误：无法导入 {bad}：内容校验失败：文件已损坏或被改动"
    assert dir_digest(office_dir) == before


def test_a_skipped_file_is_named_missing_and_export_from_fills_it(tmp_path, office):
    office_dir, key = office
    a, fingerprint = laptop(tmp_path, "a", "李娜", "第一网格", "--office-key", key)
    first = ok(fk(a, "export", "-o", tmp_path / "usb")).stdout.strip()
    ok(fk(office_dir, "import", first))
    ok(fk(office_dir, "devices", "trust", fingerprint.replace(" ", "")))
    meeting = json.dumps({**MEETING, "kind": "法治专题讲座", "title": "第二场"}, ensure_ascii=False)
    ok(fk(a, "add", "meeting", stdin=meeting))
    ok(fk(a, "export", "-o", tmp_path / "lost"))  # this USB stick never reaches the office
    ok(fk(a, "add", "meeting", stdin=meeting.replace("第二场", "第三场")))
    last = ok(fk(a, "export", "-o", tmp_path / "usb")).stdout.strip()
    proc = ok(fk(office_dir, "import", last, "--json"))
    (missing,) = json.loads(proc.stdout)["missing"]
    assert missing["worker"] == "李娜" and missing["missing"] == [[3, 3]]
    text = ok(fk(office_dir, "import", last))
    assert "缺少：李娜" in text.stderr and "fieldkit export --from 3" in text.stderr
    again = ok(fk(a, "export", "--from", "3", "-o", tmp_path / "usb")).stdout.strip()
    assert json.loads(ok(fk(office_dir, "import", again, "--json")).stdout)["missing"] == []


def test_a_revoked_laptops_later_file_is_refused(tmp_path, office):
    office_dir, key = office
    a, fingerprint = laptop(tmp_path, "a", "李娜", "第一网格", "--office-key", key)
    ok(fk(office_dir, "import", ok(fk(a, "export", "-o", tmp_path / "usb")).stdout.strip()))
    ok(fk(office_dir, "devices", "trust", fingerprint.replace(" ", "")))
    revoke = ok(fk(office_dir, "devices", "revoke", fingerprint.replace(" ", "")[:8]))
    assert "已停用" in revoke.stdout
    meeting = json.dumps(
        {**MEETING, "kind": "法治专题讲座", "title": "丢失之后"}, ensure_ascii=False
    )
    ok(fk(a, "add", "meeting", stdin=meeting))
    later = ok(fk(a, "export", "-o", tmp_path / "usb")).stdout.strip()
    proc = fk(office_dir, "import", later)
    assert proc.returncode == 1 and "已停用" in proc.stderr
    assert "王芳" in fk(office_dir, "list", "person").stdout  # what it sent before stays


def test_a_plain_export_says_it_is_not_encrypted(tmp_path):
    a, _ = laptop(tmp_path, "a", "李娜", "第一网格")
    proc = ok(fk(a, "export", "--all", "-o", tmp_path / "usb"))
    assert "未加密" in proc.stderr


def test_a_laptop_cannot_use_a_private_key_as_the_office_key(tmp_path, office):
    proc = fk(
        tmp_path / "b", "init", "--worker", "王强", "--grid", "第二网格",
        "--office-key", office[0] / "keys" / "sign.pem",
    )  # fmt: skip
    assert proc.returncode == 1 and "私钥" in proc.stderr


def test_devices_trust_with_an_unknown_or_ambiguous_prefix_says_so(tmp_path, office):
    proc = fk(office[0], "devices", "trust", "ffff")
    assert proc.returncode == 1 and "没有指纹以 ffff 开头的设备" in proc.stderr


def test_the_office_is_told_which_form_files_stay_behind(tmp_path, office):
    root, key = office
    a, fingerprint = laptop(tmp_path, "a", "李娜", "第一网格", "--office-key", key)
    ok(fk(root, "import", ok(fk(a, "export", "-o", tmp_path / "in")).stdout.strip()))
    ok(fk(root, "devices", "trust", fingerprint.replace(" ", "")[:6]))
    (root / "forms").mkdir(exist_ok=True)
    (root / "forms" / "Grids.toml").write_text('names = ["第一网格"]\n', encoding="utf-8")
    proc = ok(fk(root, "export", "--all", "-o", tmp_path / "usb"))
    assert "注意：forms/ 中的 Grids.toml 没有一起导出" in proc.stderr
    assert "文件名不合要求" in proc.stderr
