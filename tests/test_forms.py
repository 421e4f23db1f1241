import os
import random
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from fieldkit.forms.definitions import FormError, builtin_dir, load_forms
from fieldkit.forms.validation import Context, validate
from fieldkit.sync import formsync

REQUIRED = {
    "outreach": {"date", "title", "venue_type", "theme"},
    "person": {"category", "name", "id_number", "grid", "start_date", "status"},
    "followup": {"person", "date", "method", "condition", "incident"},
    "mediation": {
        "accepted",
        "source",
        "dispute_type",
        "kind",
        "parties",
        "mediators",
        "summary",
        "result",
    },
    "consultation": {"date", "kind", "requester", "topic"},
    "meeting": {"date", "kind", "title"},
}


def labels(form, field_id):
    return [c.label for c in form.field(field_id).all_choices()]


def test_the_six_forms_load_with_their_required_fields():
    forms = load_forms()
    assert [f.id for f in forms] == list(REQUIRED)
    for form_id, required in REQUIRED.items():
        form = forms[form_id]
        declared = {f.id for f in form.fields if f.required and f.relevant is None}
        assert declared == required, form_id


def test_choice_labels_are_exactly_as_specified():
    forms = load_forms()
    assert labels(forms["outreach"], "venue_type") == [
        "进机关",
        "进单位",
        "进企业",
        "进社区",
        "进小区",
        "进学校",
        "进乡村",
        "其他",
    ]
    assert labels(forms["person"], "category") == [
        "刑满释放人员",
        "社区矫正对象",
        "社区戒毒人员",
        "社区康复人员",
        "涉邪教人员",
        "严重精神障碍患者",
    ]
    assert labels(forms["person"], "status") == ["在管", "解除", "死亡", "迁出", "收监"]
    assert labels(forms["followup"], "incident") == [
        "无",
        "肇事肇祸",
        "个人极端事件",
        "违法犯罪",
        "其他",
    ]
    assert len(labels(forms["mediation"], "dispute_type")) == 14
    assert labels(forms["mediation"], "result") == ["调解中", "调解成功", "调解不成功", "终止调解"]
    assert labels(forms["consultation"], "requester") == ["群众", "街道部门", "社区", "企业"]
    assert "党工委会研究法治工作" in labels(forms["meeting"], "kind")


def test_level_choices_depend_on_category():
    level = load_forms()["person"].field("level")
    assert [c.label for c in level.choices_for({"category": "corrections"})] == [
        "严管",
        "普管",
        "宽管",
    ]
    assert [c.label for c in level.choices_for({"category": "mental"})][-1] == "5级"
    assert level.choices_for({"category": "drug_rehab"}) == ()


def write_override(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


MINIMAL = """
id = "outreach"
label = "普法宣传活动"
version = 2
date_field = "date"
title_field = "title"
[[fields]]
id = "date"
label = "日期"
type = "date"
[[fields]]
id = "title"
label = "名称"
type = "text"
"""


def test_an_override_replaces_the_shipped_file(tmp_path):
    forms = load_forms(write_override(tmp_path, "outreach.toml", MINIMAL))
    assert forms["outreach"].version == 2 and len(forms["outreach"].fields) == 2
    assert forms["person"].version == 1


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('[[fields]]\nid = "x"\nlabel = "X"\ntype = "colour"\n', "未知的字段类型"),
        ('[[fields]]\nid = "title"\nlabel = "重复"\ntype = "text"\n', "字段标识重复"),
        (
            '[[fields]]\nid = "k"\nlabel = "K"\ntype = "select_one"\ndefault = "z"\n'
            'choices = [{ code = "a", label = "甲" }]\n',
            "默认值 z 不是可选项",
        ),
        (
            '[[fields]]\nid = "k"\nlabel = "K"\ntype = "text"\n'
            'relevant = { field = "nope", in = ["a"] }\n',
            "不存在的字段 nope",
        ),
        (
            '[[fields]]\nid = "r"\nlabel = "R"\ntype = "reference"\nref_form = "ghost"\n',
            "引用的表单 ghost 不存在",
        ),
        ('[[fields]]\nid = "s"\nlabel = "S"\ntype = "select_one"\n', "选择题没有选项"),
    ],
)
def test_definition_mistakes_name_file_and_field(tmp_path, extra, expected):
    write_override(tmp_path, "outreach.toml", MINIMAL + extra)
    with pytest.raises(FormError) as info:
        load_forms(tmp_path, strict=True)
    assert expected in str(info.value) and "outreach.toml" in str(info.value)


def test_invalid_toml_is_a_clear_error(tmp_path):
    write_override(tmp_path, "meeting.toml", "id = \n")
    with pytest.raises(FormError, match="不是有效的 TOML"):
        load_forms(tmp_path, strict=True)


def test_shipped_folder_is_the_repository_forms_dir():
    assert (builtin_dir() / "rules.toml").is_file()


# -- an office's hand-edited overrides: reported with file and field, never a stop ---------

SHIPPED_RULES = (builtin_dir() / "rules.toml").read_text("utf-8")
SHIPPED_OUTREACH = (builtin_dir() / "outreach.toml").read_text("utf-8")
SHIPPED_FOLLOWUP = (builtin_dir() / "followup.toml").read_text("utf-8")


def _with_max_length(text: str) -> str:
    assert "max_length = 100\n" in text
    return text.replace("max_length = 100\n", 'max_length = "100"\n', 1)


MALFORMED = {
    "fields is text": (
        "meeting.toml",
        MINIMAL.split("[[fields]]")[0] + 'fields = "abc"\n',
        "fields",
    ),
    "every is a word": (
        "rules.toml",
        SHIPPED_RULES.replace("every = { months = 1 }", 'every = "monthly"', 1),
        "every",
    ),
    "max_length is quoted": ("outreach.toml", _with_max_length(SHIPPED_OUTREACH), "max_length"),
    "saved as GBK": ("outreach.toml", None, "GBK"),
    "label is a number": ("outreach.toml", MINIMAL.replace('label = "名称"', "label = 3"), "label"),
    "a condition's values are text": (
        "outreach.toml",
        MINIMAL + '[[fields]]\nid = "k"\nlabel = "K"\ntype = "text"\n'
        'relevant = { field = "title", in = "abc" }\n',
        "字段 k",
    ),
    "soon_days is text": ("rules.toml", '[due]\nsoon_days = "7"\n', "soon_days"),
    "case numbers without {seq}": ("rules.toml", '[case_number]\npattern = "第号"\n', "{seq}"),
    "case numbers without {year}": (
        "rules.toml",
        '[case_number]\npattern = "{abbr}第{seq}号"\n',
        "{year}",
    ),
    "visits name a field that is not there": (
        "followup.toml",
        SHIPPED_FOLLOWUP.replace('departments = "departments"', 'departments = "deps"'),
        "[visits] departments",
    ),
    "visits of a person that is not a reference": (
        "followup.toml",
        SHIPPED_FOLLOWUP.replace('person = "person"', 'person = "date"'),
        "[visits] person",
    ),
    "a block too large": ("rules.toml", "[case_number]\nblock = 1000000\n", "block"),
    "the grids are not a list": ("grids.toml", 'names = "第一网格"\n', "names"),
    "a form without fields": ("person.toml", 'id = "person"\nlabel = "人"\n', "fields"),
}


def _write_malformed(folder: Path, name: str, text: str | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if text is None:  # Notepad's "ANSI" on a Chinese Windows
        (folder / name).write_bytes(SHIPPED_OUTREACH.encode("gbk", errors="replace"))
    else:
        (folder / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize("case", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_override_is_reported_and_left_out(tmp_path, case):
    name, text, field = case
    _write_malformed(tmp_path, name, text)
    forms = load_forms(tmp_path)
    assert len(forms.problems) == 1
    problem = forms.problems[0]
    assert str(tmp_path / name) in problem and field in problem, problem
    assert "程序自带" in problem or "未使用" in problem
    shipped = load_forms()
    assert {f.id: f.version for f in forms} == {f.id: f.version for f in shipped}
    assert forms.rules == shipped.rules
    with pytest.raises(FormError):  # forms from the office are taken whole or not at all
        load_forms(tmp_path, strict=True)


def test_settings_an_office_leaves_out_are_the_shipped_ones(tmp_path):
    write_override(tmp_path, "rules.toml", "[due]\nsoon_days = 3\n")
    forms, shipped = load_forms(tmp_path), load_forms()
    assert forms.problems == () and forms.rules.soon_days == 3
    assert forms.rules.case_numbers == shipped.rules.case_numbers
    assert forms.rules.case_numbers.pattern == "（{year}）{abbr}人调字第{seq}号"
    assert forms.rules.visits == ()  # the office's visit rules are as it wrote them: none


def test_a_bom_is_accepted_in_an_override(tmp_path):
    (tmp_path / "outreach.toml").write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode("utf-8"))
    forms = load_forms(tmp_path)
    assert forms.problems == () and forms["outreach"].version == 2


def test_good_overrides_stay_when_another_is_left_out(tmp_path):
    write_override(tmp_path, "outreach.toml", MINIMAL)
    write_override(tmp_path, "meeting.toml", 'id = "meeting"\nfields = "abc"\n')
    forms = load_forms(tmp_path)
    assert forms["outreach"].version == 2 and len(forms.problems) == 1


def test_overrides_that_break_each_other_fall_back_to_the_shipped_set(tmp_path):
    # Each file is fine alone; together a reference points at a form that is not there.
    write_override(
        tmp_path,
        "outreach.toml",
        MINIMAL + '[[fields]]\nid = "r"\nlabel = "R"\ntype = "reference"\nref_form = "ghost"\n',
    )
    forms = load_forms(tmp_path)
    assert "ghost" in forms.problems[0] and "全部" in forms.problems[0]
    assert forms["outreach"].version == 1


def test_every_command_runs_with_malformed_overrides_and_says_why(tmp_path):
    data = tmp_path / "data"
    for name, text, _ in (MALFORMED["fields is text"], MALFORMED["every is a word"]):
        _write_malformed(data / "forms", name, text)
    _write_malformed(data / "forms", "outreach.toml", None)
    env = {**os.environ, "FIELDKIT_DATA_DIR": str(data)}
    for args in (["init", "--worker", "李娜", "--grid", "第一网格"], ["forms"], ["due", "--json"]):
        proc = subprocess.run(
            [sys.executable, "-m", "fieldkit.cli.main", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            encoding="utf-8",
        )
        assert proc.returncode == 0, proc.stderr
        notes = [x for x in proc.stderr.splitlines() if x.startswith("注意：表单定义错误")]
        assert len(notes) == 3 and "Traceback" not in proc.stderr
        assert all(("meeting.toml" in x) or ("rules.toml" in x) or ("GBK" in x) for x in notes)


def test_an_office_sends_only_the_forms_files_it_uses(ws):

    folder = ws.root / "forms"
    folder.mkdir()
    (folder / "grids.toml").write_bytes(b"\xef\xbb\xbf" + 'names = ["第一网格"]\n'.encode())
    (folder / "meeting.toml").write_bytes('id = "meeting"\nlabel = "会"\n'.encode("gbk"))
    (folder / "my-rules.toml").write_text("[due]\nsoon_days = 3\n", "utf-8")  # name not sendable
    ws.reload_forms()
    assert ws.forms.left_out == {"meeting.toml"}
    assert formsync.office_files(ws.root, ws.forms)[0] == {"grids.toml": 'names = ["第一网格"]\n'}


CONTEXT = Context(date(2026, 11, 24), lambda form, value: None)
LITERALS = ['"abc"', "3", "-1", "2.5", "true", "[]", '["x"]', "[1, [2]]", "{}", '{ days = "x" }']
ONE_LINE_VALUE = re.compile(r"^(\s*[A-Za-z_]+\s*=\s*)(.+)$", re.MULTILINE)


@pytest.mark.parametrize("name", sorted(p.name for p in builtin_dir().glob("*.toml")))
def test_any_value_of_the_wrong_kind_is_reported_never_a_crash(tmp_path, name):
    # Every one-line value of a shipped file, replaced by literals of other kinds in turn.
    text = (builtin_dir() / name).read_text("utf-8")
    lines = list(ONE_LINE_VALUE.finditer(text))
    rng = random.Random(name)
    for match in rng.sample(lines, min(40, len(lines))):
        literal = rng.choice(LITERALS)
        mutated = text[: match.start(2)] + literal + text[match.end(2) :]
        (tmp_path / name).write_text(mutated, "utf-8")
        forms = load_forms(tmp_path)  # may report the file, never raise
        for form in forms:
            validate(form, {f.id: "1" for f in form.fields}, CONTEXT)


def test_forms_from_the_office_with_rules_that_cannot_work_are_refused():
    with pytest.raises(FormError, match=r"\{year\}"):
        formsync.check({"rules.toml": '[case_number]\npattern = "{abbr}第{seq}号"\n'})
    assert formsync.check({"rules.toml": "[due]\nsoon_days = 3\n"}).rules.soon_days == 3
