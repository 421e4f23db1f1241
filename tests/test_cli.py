"""The command line as a user runs it: a subprocess, Chinese messages, exit codes."""

import json
import os
import subprocess
import sys

import pytest


def run(data_dir, *args, stdin=None):
    env = {**os.environ, "FIELDKIT_DATA_DIR": str(data_dir)}
    proc = subprocess.run(
        [sys.executable, "-m", "fieldkit.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    return proc


@pytest.fixture
def data(tmp_path):
    d = tmp_path / "data"
    proc = run(d, "init", "--worker", "李娜", "--grid", "第一网格", "--org", "东城街道办事处")
    assert proc.returncode == 0, proc.stderr
    return d


def test_init_and_forms(data):
    proc = run(data, "forms")
    assert proc.returncode == 0
    for form_id in ("outreach", "person", "followup", "mediation", "consultation", "meeting"):
        assert form_id in proc.stdout
    assert "id_number" in proc.stdout and "身份证号" in proc.stdout


def test_add_list_edit_delete_round_trip(data):
    lines = "\n".join(
        json.dumps(obj, ensure_ascii=False)
        for obj in (
            {
                "date": "2026-03-15",
                "title": "消费者权益日",
                "venue_type": "进社区",
                "theme": "consumer_0315",
            },
            {
                "date": "2026-04-15",
                "title": "国家安全教育日",
                "venue_type": "school",
                "participants": 80,
            },
        )
    )
    added = run(data, "add", "outreach", stdin=lines)
    assert added.returncode == 0, added.stderr
    ids = added.stdout.split()
    assert len(ids) == 2 and "已保存 2 条" in added.stderr

    listed = run(data, "list", "outreach", "--year", "2026", "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["data"]["title"] for r in rows] == ["国家安全教育日", "消费者权益日"]
    assert rows[1]["data"]["venue_type"] == "community"

    edited = run(data, "edit", ids[0][:8], "--set", "participants=150", "theme=日常")
    assert edited.returncode == 0, edited.stderr
    listed = run(data, "list", "outreach", "--json")
    changed = next(
        json.loads(x) for x in listed.stdout.splitlines() if json.loads(x)["id"] == ids[0]
    )
    assert changed["data"]["participants"] == 150 and changed["data"]["theme"] == "daily"

    assert run(data, "delete", ids[1]).returncode == 0
    table = run(data, "list", "outreach")
    assert "消费者权益日" in table.stdout and "国家安全教育日" not in table.stdout


def test_a_bad_line_is_reported_by_line_and_field_and_nothing_is_saved(data):
    good = {
        "category": "刑满释放人员",
        "name": "张伟",
        "id_number": "11010519491231002X",
        "start_date": "2025-01-01",
    }
    bad = {**good, "name": "李强", "id_number": "110105194912310021"}
    proc = run(data, "add", "person", stdin=f"{json.dumps(good)}\n\n{json.dumps(bad)}\n")
    assert proc.returncode == 1
    assert "第3行" in proc.stderr and "身份证号" in proc.stderr and "校验位" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert run(data, "list", "person", "--json").stdout == ""


@pytest.mark.parametrize("args", [("list", "person"), ("due",), ("report", "--year", "2026")])
def test_a_mistyped_data_dir_is_not_read_as_an_empty_one(tmp_path, args):
    proc = run(tmp_path / "typo", *args)
    assert proc.returncode != 0
    assert "数据目录不存在" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "typo").exists()


def test_malformed_json_and_unknown_form_are_clean_errors(data):
    proc = run(data, "add", "outreach", stdin='{"title": \n')
    assert proc.returncode == 1 and "第1行" in proc.stderr and "JSON" in proc.stderr
    proc = run(data, "list", "nosuch")
    assert proc.returncode == 1 and "没有表单" in proc.stderr


def test_usage_errors_are_chinese(data):
    proc = run(data, "add")
    assert proc.returncode == 2 and "缺少必需的参数" in proc.stderr and "用法" in proc.stderr
    proc = run(data, "frobnicate")
    assert proc.returncode == 2 and "不是可选项" in proc.stderr


def test_add_without_identity_says_how_to_set_it(tmp_path):
    proc = run(tmp_path / "fresh", "add", "meeting", stdin='{"kind":"其他","title":"x"}')
    assert proc.returncode == 1 and "fieldkit init" in proc.stderr


def test_due_lists_an_overdue_person_and_a_visit_clears_it(data):
    person = {
        "category": "社区戒毒人员",
        "name": "赵磊",
        "id_number": "11010519491231002X",
        "start_date": "2025-06-01",
    }
    assert run(data, "add", "person", stdin=json.dumps(person)).returncode == 0
    due = run(data, "due", "--json")
    [row] = [json.loads(line) for line in due.stdout.splitlines()]
    assert row["name"] == "赵磊" and row["days_overdue"] > 0
    assert "未随访" in run(data, "due").stdout  # as the app says it, not 从未随访
    visit = {"person": "11010519491231002X", "condition": "稳定", "incident": "无"}
    assert run(data, "add", "followup", stdin=json.dumps(visit)).returncode == 0
    assert run(data, "due", "--json").stdout == ""
    nothing = run(data, "due")
    assert nothing.returncode == 0 and nothing.stdout == ""  # no header without rows
    assert "没有逾期或今天到期的随访" in nothing.stderr
    assert "赵磊" in run(data, "due", "--within", "40").stdout


def test_a_second_writer_gets_a_clear_message(data):
    from fieldkit.store.database import Store

    with Store(data / "store"):
        proc = run(data, "delete", "00000000")
        reader = run(data, "list", "outreach")  # reading works beside the writer
    assert proc.returncode == 1 and "正被另一个" in proc.stderr
    assert reader.returncode == 0, reader.stderr
