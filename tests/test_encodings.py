"""Files and pipes are UTF-8 whatever the console: a Chinese Windows console (cp936) simulated
with PYTHONIOENCODING=gbk, the command line run as a user runs it."""

import codecs
import json
import os
import subprocess
import sys

import pytest

from fieldkit.files import textfiles

ACTIVITY = {"date": "2026-03-01", "title": "调解成功", "venue_type": "community"}
RARE = {"date": "2026-03-02", "title": "吉祥𠮷", "venue_type": "community"}  # 𠮷 is not in GBK


def run(data_dir, *args, stdin: bytes = b"", encoding="gbk"):
    env = {**os.environ, "FIELDKIT_DATA_DIR": str(data_dir), "PYTHONIOENCODING": encoding}
    return subprocess.run(
        [sys.executable, "-m", "fieldkit.cli.main", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=60,
    )


def line(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n"


@pytest.fixture
def data(tmp_path):
    d = tmp_path / "data"
    proc = run(d, "init", "--worker", "李娜", "--grid", "第一网格")
    assert proc.returncode == 0, proc.stderr.decode("utf-8")
    assert "网格员 李娜".encode() in proc.stdout  # UTF-8 on a GBK console's pipe
    return d


def titles(data) -> list[str]:
    proc = run(data, "list", "outreach", "--json")
    assert proc.returncode == 0, proc.stderr.decode("utf-8")
    return sorted(json.loads(x)["data"]["title"] for x in proc.stdout.decode("utf-8").splitlines())


def test_utf8_piped_through_a_gbk_console_is_saved_as_sent(data):
    proc = run(data, "add", "outreach", "--file", "-", stdin=line(ACTIVITY) + line(RARE))
    assert proc.returncode == 0, proc.stderr.decode("utf-8")
    assert "已保存 2 条".encode() in proc.stderr
    assert titles(data) == ["吉祥𠮷", "调解成功"]


def test_json_output_reads_back_with_add_file(data, tmp_path):
    run(data, "add", "outreach", stdin=line(RARE))
    listed = run(data, "list", "outreach", "--json")
    assert listed.returncode == 0  # 𠮷 on a GBK console no longer exits 70
    exported = tmp_path / "out.jsonl"
    exported.write_bytes(
        b"".join(line(json.loads(x)["data"]) for x in listed.stdout.decode("utf-8").splitlines())
    )
    other = tmp_path / "other"
    assert run(other, "init", "--worker", "王强", "--grid", "第二网格").returncode == 0
    proc = run(other, "add", "outreach", "--file", str(exported))
    assert proc.returncode == 0, proc.stderr.decode("utf-8")
    assert titles(other) == ["吉祥𠮷"]


@pytest.mark.parametrize(
    "prefix", [codecs.BOM_UTF8, b""], ids=["with a BOM (Notepad)", "without a BOM"]
)
def test_a_utf8_file_is_read_with_or_without_bom(data, tmp_path, prefix):
    path = tmp_path / "活动.jsonl"
    path.write_bytes(prefix + line(ACTIVITY))
    proc = run(data, "add", "outreach", "--file", str(path))
    assert proc.returncode == 0, proc.stderr.decode("utf-8")
    assert titles(data) == ["调解成功"]


def test_utf16_with_its_bom_is_read(data, tmp_path):
    # Notepad's "Unicode" and PowerShell 5's `>` write UTF-16 with a BOM: it names itself.
    path = tmp_path / "活动.jsonl"
    path.write_bytes(codecs.BOM_UTF16_LE + line(ACTIVITY).decode("utf-8").encode("utf-16-le"))
    proc = run(data, "add", "outreach", "--file", str(path))
    assert proc.returncode == 0, proc.stderr.decode("utf-8")
    assert titles(data) == ["调解成功"]


def test_a_gbk_file_is_refused_naming_file_line_and_encoding(data, tmp_path):
    path = tmp_path / "记事本ANSI.jsonl"
    path.write_bytes(line({"date": "2026-03-03", "title": "ok", "venue_type": "community"}))
    path.write_bytes(path.read_bytes() + json.dumps(ACTIVITY, ensure_ascii=False).encode("gbk"))
    proc = run(data, "add", "outreach", "--file", str(path))
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 1
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert str(path) in err and "第 2 行" in err and "GBK" in err and "UTF-8" in err
    assert titles(data) == []  # nothing saved, not even the good first line


def test_gbk_piped_in_is_refused_with_what_to_do(data):
    # `echo {...} | fieldkit add` in cmd.exe sends the console's code page.
    proc = run(
        data, "add", "outreach", stdin=json.dumps(ACTIVITY, ensure_ascii=False).encode("gbk")
    )
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 1 and "标准输入" in err and "GBK" in err and "chcp 65001" in err
    assert titles(data) == []


def test_messages_and_tables_are_utf8_when_redirected(data):
    run(data, "add", "outreach", stdin=line(RARE))
    proc = run(data, "list", "outreach")
    assert proc.returncode == 0
    assert "吉祥𠮷" in proc.stdout.decode("utf-8")
    assert "共 1 条" in proc.stderr.decode("utf-8")


def test_decode_guesses_only_to_explain():
    assert textfiles.decode(codecs.BOM_UTF8 + "甲".encode(), "x") == "甲"
    assert textfiles.decode("乙".encode("utf-16"), "x") == "乙"
    with pytest.raises(textfiles.NotUtf8, match="GBK"):
        textfiles.decode("调解成功".encode("gbk"), "x")
    with pytest.raises(textfiles.NotUtf8, match="UTF-16"):
        textfiles.decode("abc".encode("utf-16-le"), "x")
    with pytest.raises(textfiles.NotUtf8, match="其他编码"):
        textfiles.decode("café".encode("latin-1"), "x")
