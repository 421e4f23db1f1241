"""The ledgers read back with openpyxl and as raw XML: sheets, headers, rows, cell types, ID
numbers, summary, printing, masking, and never overwriting a ledger."""

import re
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from report_support import (
    ADDRESSES,
    IDS,
    ORG,
    OTHER_NAMES,
    PERSON_NAMES,
    PHONES,
    SECRETS,
    YEAR,
    load_into,
)

from fieldkit.errors import FieldkitError
from fieldkit.forms.idnumber import mask
from fieldkit.reports import ledger
from fieldkit.reports.xlsx import NUMBER, TEXT, Column, Workbook, column_letter, text_lines
from fieldkit.workspace import Workspace

SHEETS = [
    "汇总",
    "普法宣传活动",
    "特殊人群",
    "随访记录",
    "矛盾纠纷调解",
    "法律顾问工作",
    "学法与会议",
]


@pytest.fixture
def book(ws, tmp_path):
    load_into(ws)
    path, counts = ledger.write_ledger(ws, YEAR, output=tmp_path / "ledger.xlsx")
    assert counts == {
        "普法宣传活动": 3,
        "特殊人群": 5,
        "随访记录": 5,
        "矛盾纠纷调解": 5,
        "法律顾问工作": 4,
        "学法与会议": 5,
    }
    return openpyxl.load_workbook(path)


def rows(sheet):
    """The header (row 2, under the title row) and the data rows as dicts."""
    values = list(sheet.iter_rows(values_only=True))
    header = values[1]
    return header, [dict(zip(header, row, strict=True)) for row in values[2:]]


def xml_parts(path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist()}


def test_one_sheet_per_form_after_the_summary(book):
    assert book.sheetnames == SHEETS


def test_sheets_have_a_title_row_chinese_headers_frozen_with_filters(book):
    for name in SHEETS[1:]:
        sheet = book[name]
        assert sheet["A1"].value == f"{ORG}2026年{name}台账"
        assert sheet.freeze_panes == "A3"
        assert sheet.auto_filter.ref == f"A2:{column_letter(sheet.max_column - 1)}{sheet.max_row}"
        header = [c.value for c in sheet[2]]
        assert header[0] == "序号" and header[-2:] == ["录入人", "记录编号"]
        assert all(h and not h.isascii() for h in header[:-2])
        assert all(sheet.column_dimensions[column_letter(i)].width >= 6 for i in range(len(header)))


def test_every_sheet_prints_as_a_paper_ledger(ws, tmp_path):
    """Landscape A4 fitted to the width, title and header repeated on every page, the title
    across the printed columns, borders, and the page number in the footer: in the XML."""
    load_into(ws)
    path, _ = ledger.write_ledger(ws, YEAR, output=tmp_path / "ledger.xlsx")
    parts = xml_parts(path)
    workbook = parts["xl/workbook.xml"]
    styles = parts["xl/styles.xml"]
    for index, name in enumerate(SHEETS[1:], start=2):
        xml = parts[f"xl/worksheets/sheet{index}.xml"]
        assert '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' in xml
        assert re.search(
            r'<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>',
            xml,
        )
        footer = re.search(r"<oddFooter>(.*?)</oddFooter>", xml).group(1)
        assert "&amp;P" in footer and "&amp;N" in footer
        assert (
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{index - 1}">'
            f"'{name}'!$1:$2</definedName>" in workbook
        )
        width = len(re.findall(r"<col ", xml))
        last_printed = column_letter(width - 2)  # not the record ids
        assert f'<mergeCell ref="A1:{last_printed}1"/>' in xml
        area = re.search(
            rf'<definedName name="_xlnm.Print_Area" localSheetId="{index - 1}">(.*?)<', workbook
        ).group(1)
        assert area.startswith(f"'{name}'!$A$1:${last_printed}$")
        # Every cell of the table has a style with borders all round, empty ones too.
        boxed = {str(i) for i in range(8, 12)} | {"3"}
        cells = re.findall(
            r'<c(?: s="(\d+)")?[ />]', xml.split("<sheetData>")[1].split("</row>", 1)[1]
        )
        assert cells and set(cells) <= boxed, set(cells) - boxed
    xfs = re.findall(r"<xf [^>]*>", styles.split("<cellXfs")[1])
    borders = re.findall(r"<border>.*?</border>", styles)
    assert all(
        'style="thin"' in borders[1].split(side)[1][:30]
        for side in ("<left", "<right", "<top", "<bottom")
    )
    for i in (3, 8, 9, 10, 11):
        assert 'borderId="1"' in xfs[i]
    # openpyxl reads the same
    sheet = openpyxl.load_workbook(path)["特殊人群"]
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$2"


def test_outreach_rows_labels_and_types(book):
    header, data = rows(book["普法宣传活动"])
    assert header[1:4] == ("活动日期", "活动名称", "宣传场所")
    assert [r["活动日期"] for r in data] == [
        datetime(2026, 3, 15),
        datetime(2026, 6, 26),
        datetime(2026, 9, 10),
    ]  # real date cells, oldest first
    assert book["普法宣传活动"]["B3"].is_date
    first = data[0]
    assert first["序号"] == 1 and first["宣传场所"] == "进社区"
    assert first["主题节点"] == "3·15国际消费者权益日"
    assert first["宣传法律"] == "消费者权益保护法、宪法"
    assert first["发放资料（份）"] == 12000 and isinstance(first["发放资料（份）"], int)


def test_persons_under_management_during_the_year_with_full_id_numbers(book):
    _, data = rows(book["特殊人群"])
    # 刘洋 ended in June and 赵强 moved in March (his record's last change): both were under
    # management in 2026. 孙丽 is deleted.
    assert {r["姓名"] for r in data} == {"王芳", "刘洋", "张建国", "陈静", "赵强"}
    by_name = {r["姓名"]: r for r in data}
    assert by_name["王芳"]["身份证号"] == IDS[0]
    assert by_name["王芳"]["管理级别"] == "3级"
    assert by_name["刘洋"]["管理级别"] == "严管" and by_name["刘洋"]["管理状态"] == "解除"
    assert by_name["赵强"]["管理状态"] == "迁出"


def test_a_person_who_left_in_an_earlier_year_is_not_listed(tmp_path):
    with Workspace(tmp_path / "data", today=date(2027, 2, 1)) as ws:
        ws.set_identity(worker="李娜", grid="第一网格", org=ORG)
        load_into(ws)
        path, _ = ledger.write_ledger(ws, 2027, output=tmp_path / "2027.xlsx")
    _, data = rows(openpyxl.load_workbook(path)["特殊人群"])
    assert {r["姓名"] for r in data} == {"王芳", "张建国", "陈静"}


def test_followups_show_the_persons_name(book):
    _, data = rows(book["随访记录"])
    assert [r["随访对象"] for r in data] == ["王芳", "王芳", "张建国", "陈静", "刘洋"]
    assert data[0]["身份证号"] == IDS[0]
    assert data[0]["随访时间"] == datetime(2026, 1, 10, 9, 30)
    assert data[0]["参与部门"] == "社区网格、卫健精防、派出所"
    assert data[0]["危险性评估"] == "3级" and data[3]["异常情况"] == "违法犯罪"


def test_mediation_amounts_are_numbers(book):
    _, data = rows(book["矛盾纠纷调解"])
    amounts = [r["涉及金额（元）"] for r in data]
    assert amounts == [20000.0, 5000.0, 300000.0, 8000.0, None]
    assert data[0]["案件来源"] == "法院委派" and data[0]["调解结果"] == "调解成功"


def test_summary_sheet_holds_the_years_figures(book):
    values = {
        str(a).strip(): b for a, b in book["汇总"].iter_rows(values_only=True) if a is not None
    }
    assert values["普法宣传活动（场次）"] == 3 and values["发放宣传资料（份）"] == 18200
    assert values["在册管理（人）"] == 3 and values["其中：联合随访（次）"] == 2
    assert values["受理（件）"] == 5 and values["调解成功率"] == pytest.approx(0.6)
    assert values["涉及金额（万元）"] == pytest.approx(33.3)
    assert values["法律服务（次）"] == 4 and values["违法犯罪"] == 1
    assert values["帮扶措施（人次）"] == 3  # a heading carries the sum of its items
    assert book["汇总"]["A1"].value == "东城街道办事处2026年法治工作台账汇总"


def test_masked_ledger_holds_no_direct_identifier_in_any_xml_part(ws, tmp_path):
    data = load_into(ws)
    path, _ = ledger.write_ledger(ws, YEAR, output=tmp_path / "masked.xlsx", mask=True)
    parts = xml_parts(path)
    everything = "".join(parts.values())
    assert "东城街道办事处" in everything  # the check reads the real text
    for secret in SECRETS:
        assert secret not in everything, secret
    # Notes and health or offence details are left out, not only names.
    for text in ("曾住院治疗", "涉嫌违法", "漏水", "房屋租赁合同咨询"):
        assert text not in everything, text
    book = openpyxl.load_workbook(path)
    header, people = rows(book["特殊人群"])
    assert "监护人" not in header and "备注" not in header and "管理级别" not in header
    assert "录入人" not in header
    by_id = {r["记录编号"]: r for r in people}
    wang = by_id[data["person"][0]["id"]]
    assert wang["姓名"] == "王**" and wang["身份证号"] == mask(IDS[0])
    assert wang["联系电话"] == "139****5678"
    assert wang["现居住地址"] == "东城区安定门街道花园社区"
    assert wang["人员类别"] == "严重精神障碍患者" and wang["所属网格"] == "第一网格"
    header, visits = rows(book["随访记录"])
    for left_out in ("危险性评估", "服药情况", "异常情况", "异常情况说明", "现实表现", "随访人员"):
        assert left_out not in header
    assert visits[0]["随访对象"] == "王**" and visits[0]["身份证号"] == mask(IDS[0])
    header, cases = rows(book["矛盾纠纷调解"])
    assert "当事人" not in header and "调解员" not in header and "纠纷简要情况" not in header
    assert cases[0]["当事人数"] == 2 and cases[0]["案件编号"].startswith("(2026)东人调字")
    assert book["特殊人群"]["A1"].value == f"{ORG}2026年特殊人群台账（脱敏）"
    assert len(PERSON_NAMES + OTHER_NAMES + PHONES + ADDRESSES) > 15


def test_the_full_ledger_keeps_everything_for_the_office(book):
    _, people = rows(book["特殊人群"])
    wang = next(r for r in people if r["姓名"] == "王芳")
    assert wang["联系电话"] == "13912345678" and wang["监护人"].startswith("王国华")
    assert wang["现居住地址"] == ADDRESSES[0]


@pytest.mark.parametrize(
    ("value", "masked"),
    [("张建国", "张**"), ("欧阳", "欧**"), ("", None), (None, None)],
)
def test_mask_name(value, masked):
    assert ledger.mask_name(value) == masked


def test_mask_phone_and_community():
    assert ledger.mask_phone("13912345678") == "139****5678"
    assert ledger.mask_phone("010-6512") == "*******"
    assert ledger.community_of("幸福社区3栋2单元501") == "幸福社区"
    assert ledger.community_of("和平村委会东头12号") == "和平村委会"
    assert ledger.community_of("人民路12号") is None  # no community named: left out


def test_mask_hides_id_numbers(ws, tmp_path):
    load_into(ws)
    path, _ = ledger.write_ledger(ws, YEAR, output=tmp_path / "masked.xlsx", mask=True)
    with zipfile.ZipFile(path) as z:
        everything = "".join(z.read(n).decode() for n in z.namelist())
    for number in IDS:
        assert number not in everything
    assert mask(IDS[0]) in everything


def test_default_path_is_under_the_data_dir_and_never_replaced(ws):
    load_into(ws)
    path, _ = ledger.write_ledger(ws, YEAR)
    assert path == ws.root / "exports" / "东城街道办事处2026年台账.xlsx"
    assert path.exists() and not list(path.parent.glob("*.tmp"))
    signed = path.read_bytes()
    again, _ = ledger.write_ledger(ws, YEAR)
    assert again.name == "东城街道办事处2026年台账（2）.xlsx"
    assert path.read_bytes() == signed
    masked, _ = ledger.write_ledger(ws, YEAR, mask=True)
    assert masked.name == "东城街道办事处2026年台账（脱敏）.xlsx"


def test_a_named_ledger_that_exists_is_refused_unless_forced(ws, tmp_path):
    load_into(ws)
    target = tmp_path / "台账.xlsx"
    target.write_bytes(b"signed copy")
    with pytest.raises(FieldkitError, match="已存在"):
        ledger.write_ledger(ws, YEAR, output=target)
    assert target.read_bytes() == b"signed copy"
    ledger.write_ledger(ws, YEAR, output=target, force=True)
    assert openpyxl.load_workbook(target).sheetnames == SHEETS


def test_an_unknown_grid_or_a_year_to_come_is_refused(ws, tmp_path):
    load_into(ws)
    with pytest.raises(FieldkitError, match="没有网格“第九网格”"):
        ledger.write_ledger(ws, YEAR, grid="第九网格", output=tmp_path / "g.xlsx")
    with pytest.raises(FieldkitError, match="2027年还没有到"):
        ledger.write_ledger(ws, 2027, output=tmp_path / "f.xlsx")
    assert not list(tmp_path.glob("*.xlsx"))


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    path = tmp_path / "t.xlsx"
    with Workbook(path) as wb:
        wb.add_sheet("表", [Column("文字"), Column("数")], [["=1+1", 2], ["a<b&c\x01", 2.5]])
    sheet = openpyxl.load_workbook(path)["表"]
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"
    assert sheet["A3"].value == "a<b&c" and sheet["B3"].value == 2.5


def test_wrapped_text_gets_a_row_tall_enough(tmp_path):
    """LibreOffice does not grow rows when it opens a file: rows whose text wraps say how tall
    they are, so a printed note is not cut off or drawn over the next row."""
    path = tmp_path / "t.xlsx"
    note = "监护人在场，服药规律，情绪稳定，家属反映近期睡眠较好，已提醒按时复诊"  # 66 units
    with Workbook(path) as wb:
        wb.add_columns(
            "表",
            [Column("备注", 20, kind=TEXT), Column("数", 8, kind=NUMBER)],
            [[note, "短", None], [1, 2, 3]],
            title="标题",
        )
    xml = xml_parts(path)["xl/worksheets/sheet1.xml"]
    rows = re.findall(r"<row[^>]*>", xml)
    assert rows[0].startswith('<row r="1"') and rows[1].startswith('<row r="2"')
    assert rows[2] == f'<row ht="{4 * 14.5:g}" customHeight="1">'  # 66 / 18.5 -> 4 lines
    assert rows[3:] == ["<row>", "<row>"]
    assert text_lines(note, 20) == 4 and text_lines("短", 20) == 1 and text_lines("a\nb", 20) == 2
