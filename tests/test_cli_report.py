"""`fieldkit report` and `fieldkit ledger` as a user runs them: a subprocess, paths, messages."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from report_support import IDS, ORG, SECRETS, YEAR, load_into

from fieldkit.workspace import Workspace


def run(data_dir, *args):
    env = {**os.environ, "FIELDKIT_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "fieldkit.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def data(tmp_path):
    root = tmp_path / "data"
    with Workspace(root) as ws:
        ws.set_identity(worker="李娜", grid="第一网格", org=ORG, abbr="东")
        load_into(ws)
    return root


def test_report_writes_the_draft_and_prints_its_path(data, tmp_path):
    target = tmp_path / "out" / "报告.docx"
    proc = run(data, "report", "--year", str(YEAR), "-o", str(target))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(target)
    assert "已生成 2026 年法治政府建设年度报告草稿" in proc.stderr
    text = "\n".join(p.text for p in docx.Document(str(target)).paragraphs)
    assert "全年受理矛盾纠纷5件，调解成功3件" in text
    with zipfile.ZipFile(target) as z:
        xml = "".join(z.read(n).decode("utf-8", "ignore") for n in z.namelist())
    assert not [s for s in SECRETS if s in xml]


def test_report_default_path_and_exact_numbers(data):
    proc = run(data, "report", "--year", str(YEAR), "--exact")
    assert proc.returncode == 0, proc.stderr
    path = data / "exports" / f"{ORG}2026年法治政府建设年度报告（草稿）.docx"
    assert proc.stdout.strip() == str(path)
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "发放法治宣传资料18200份" in text


def test_report_for_a_grid_says_what_was_left_out(data):
    proc = run(data, "report", "--year", str(YEAR), "--grid", "第一网格")
    assert proc.returncode == 0, proc.stderr
    assert "没有网格信息，未计入“第一网格”" in proc.stderr
    assert "（第一网格）" in proc.stdout


def test_regenerating_keeps_the_edited_draft_and_says_where_the_new_one_is(data):
    first = run(data, "report", "--year", str(YEAR))
    assert first.returncode == 0, first.stderr
    draft = Path(first.stdout.strip())
    edited = docx.Document(str(draft))
    edited.add_paragraph("街道补写的典型案例。")
    edited.save(str(draft))
    before = draft.read_bytes()
    again = run(data, "report", "--year", str(YEAR))
    assert again.returncode == 0, again.stderr
    new = Path(again.stdout.strip())
    assert new.name.endswith("（草稿2）.docx") and draft.read_bytes() == before
    assert f"没有覆盖它；新的草稿另存为 {new.name}" in again.stderr
    forced = run(data, "report", "--year", str(YEAR), "--force")
    assert forced.returncode == 0 and Path(forced.stdout.strip()) == draft
    assert "街道补写的典型案例。" not in "".join(
        p.text for p in docx.Document(str(draft)).paragraphs
    )


def test_ledger_is_never_replaced_without_force(data, tmp_path):
    target = tmp_path / "台账.xlsx"
    assert run(data, "ledger", "--year", str(YEAR), "-o", str(target)).returncode == 0
    signed = target.read_bytes()
    proc = run(data, "ledger", "--year", str(YEAR), "-o", str(target))
    assert proc.returncode == 1 and "已存在" in proc.stderr and "--force" in proc.stderr
    assert target.read_bytes() == signed
    proc = run(data, "ledger", "--year", str(YEAR))
    assert proc.returncode == 0
    proc = run(data, "ledger", "--year", str(YEAR))
    assert proc.stdout.strip().endswith("台账（2）.xlsx") and "另存为" in proc.stderr


def test_report_with_a_seal(data, tmp_path):
    target = tmp_path / "seal.docx"
    proc = run(data, "report", "--year", str(YEAR), "--seal", "-o", str(target))
    assert proc.returncode == 0, proc.stderr
    date_line = next(
        p
        for p in docx.Document(str(target)).paragraphs
        if p.text.startswith("20") and p.text.endswith("日")
    )
    assert date_line.paragraph_format.right_indent.pt == 64  # 右空四字


def test_ledger_full_and_masked(data, tmp_path):
    proc = run(data, "ledger", "--year", str(YEAR), "-o", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / f"{ORG}2026年台账.xlsx"
    assert proc.stdout.strip() == str(path)
    assert "随访记录 5 条" in proc.stderr and "仅供内部使用" in proc.stderr
    sheet = openpyxl.load_workbook(path)["特殊人群"]
    assert IDS[0] in [c.value for c in sheet["D"]]

    proc = run(data, "ledger", "--year", str(YEAR), "--mask", "-o", str(tmp_path / "m.xlsx"))
    assert proc.returncode == 0, proc.stderr
    assert "已脱敏，可对外报送" in proc.stderr
    sheet = openpyxl.load_workbook(tmp_path / "m.xlsx")["特殊人群"]
    assert IDS[0] not in [c.value for c in sheet["D"]]
    assert "王芳" not in [c.value for c in sheet["C"]] and "王**" in [c.value for c in sheet["C"]]


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["report"], "缺少必需的参数：--year", 2),
        (["report", "--year", "二〇二六"], "不是整数", 2),
        (["report", "--year", "26"], "年份 26 不合理", 1),
        (["report", "--year", "2026", "-o", "draft.pdf"], "扩展名应为 .docx", 1),
        (["ledger", "--year", "2026", "-o", "ledger.docx"], "扩展名应为 .xlsx", 1),
        (["report", "--year", "2026", "--grid", "第九网格"], "记录中的网格：第一网格、第二网格", 1),
        (["ledger", "--year", "2026", "--grid", "第九网格"], "没有网格“第九网格”", 1),
        (["report", "--year", "2099"], "2099年还没有到", 1),
        (["report", "--year", "2019"], "2019年没有任何工作记录", 1),
    ],
)
def test_mistakes_get_one_chinese_line_and_no_traceback(data, args, message, code):
    proc = run(data, *args)
    assert proc.returncode == code
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_a_broken_template_is_reported_and_nothing_is_written(data, tmp_path):
    (data / "forms").mkdir()
    (data / "forms" / "report.toml").write_text(
        'title = ["{org}"]\nopening = "{nonsense}"\nsections = []\n[appendix]\n',
        encoding="utf-8",
    )
    target = tmp_path / "x.docx"
    proc = run(data, "report", "--year", str(YEAR), "-o", str(target))
    assert proc.returncode == 1
    assert "报告模板错误" in proc.stderr and "{nonsense}" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not target.exists() and not list(tmp_path.glob("*.tmp"))


def test_an_unwritable_place_is_a_clear_error(data, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run(data, "report", "--year", str(YEAR), "-o", str(blocker / "draft.docx"))
    assert proc.returncode == 1
    assert proc.stderr.startswith("错误：无法写入") and "Traceback" not in proc.stderr
