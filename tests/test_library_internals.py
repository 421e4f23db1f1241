"""What fieldkit relies on in its libraries beyond their public API, where they offer none:
each test here fails, by name, when a new version of the library changes it.

- argparse: the titles of its two default argument groups (`_positionals`, `_optionals`), the
  usage prefix (`HelpFormatter.add_usage`), and the English wording of its errors, which
  fieldkit.cli.args turns into Chinese;
- python-docx: `Paragraph._p` and `_Row._tr`, the elements behind a paragraph and a table row
  (a Run has a public `element`, they have none).
"""

from __future__ import annotations

import re
import zipfile

import pytest
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from fieldkit.cli.args import build_parser
from fieldkit.reports import docx_layout as layout

# -- argparse ------------------------------------------------------------------------------


def test_help_reads_in_chinese(capsys):
    parser = build_parser()
    top = parser.format_help()
    assert top.startswith("用法：fieldkit") and "\n选项:\n" in top
    with pytest.raises(SystemExit):
        parser.parse_args(["edit", "-h"])
    edit = capsys.readouterr().out
    assert edit.startswith("用法：fieldkit edit") and "\n参数:\n" in edit
    for english in ("usage:", "positional arguments", "options:"):
        assert english not in top + edit


@pytest.mark.parametrize(
    ("argv", "chinese"),
    [
        (["report"], "缺少必需的参数：--year"),
        (["forms", "--nope"], "无法识别的参数：--nope"),
        (["frobnicate"], "参数 命令：“frobnicate”不是可选项"),
        (["report", "--year", "x"], "参数 --year：“x”不是整数"),
        (["report", "--year"], "参数 --year 需要一个值"),
        (["edit", "abc", "--set"], "参数 --set 至少需要一个值"),
        (["export", "--all", "--grid", "第一网格"], "参数 --grid 不能与 --all 同时使用"),
        (["export", "--f", "x"], "选项 --f 有歧义，可能是："),
    ],
)
def test_every_argparse_error_is_translated(argv, chinese, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(argv)
    assert exit_.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith(f"错误：{chinese}"), last
    assert not re.search(r"\b(argument|invalid|expected|required|allowed|choose)\b", last)


# -- python-docx ---------------------------------------------------------------------------


def test_paragraph_and_row_elements_are_where_docx_layout_reaches_for_them():
    doc = layout.new_document(title="t", author="a")
    paragraph = doc.add_paragraph("x")
    row = doc.add_table(rows=1, cols=1).rows[0]
    assert isinstance(paragraph, Paragraph) and paragraph._p.tag.endswith("}p")
    assert row._tr.tag.endswith("}tr")
    assert isinstance(paragraph.runs[0], Run) and paragraph.runs[0].element.tag.endswith("}r")
    layout.indent_first_line(paragraph, 2)
    layout.repeat_as_header(row)
    assert 'w:firstLineChars="200"' in paragraph._p.xml and "w:tblHeader" in row._tr.xml
    sect = doc.sections[0]._sectPr  # where the GB/T 9704 line grid is set
    assert sect.tag.endswith("}sectPr") and "w:docGrid" in sect.xml


def test_replaced_parts_are_saved_in_place_of_the_templates(tmp_path):
    doc = layout.new_document(title="标题", author="东城街道办事处")
    path = tmp_path / "a.docx"
    doc.save(str(path))
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        app = z.read("docProps/app.xml").decode()
        fonts = z.read("word/fontTable.xml").decode()
    assert names.count("docProps/app.xml") == 1 and names.count("word/fontTable.xml") == 1
    assert "<Company>东城街道办事处</Company>" in app
    assert f'w:name="{layout.BODY_FONT}"' in fonts
