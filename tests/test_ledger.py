"""The ledgers read back with openpyxl: sheets, headers, rows, cell types, ID numbers, summary."""

import zipfile
from datetime import datetime

import openpyxl
import pytest
from report_support import IDS, YEAR, load_into

from fieldkit import ledger
from fieldkit.idnumber import mask
from fieldkit.xlsx import Column, Workbook, column_letter

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
    values = list(sheet.iter_rows(values_only=True))
    header = values[0]
    return header, [dict(zip(header, row, strict=True)) for row in values[1:]]


def test_one_sheet_per_form_after_the_summary(book):
    assert book.sheetnames == SHEETS


def test_sheets_have_chinese_headers_frozen_with_filters(book):
    for name in SHEETS[1:]:
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:{column_letter(sheet.max_column - 1)}{sheet.max_row}"
        header = [c.value for c in sheet[1]]
        assert header[0] == "序号" and header[-2:] == ["录入人", "记录编号"]
        assert all(h and not h.isascii() for h in header[:-2])
        assert all(sheet.column_dimensions[column_letter(i)].width >= 6 for i in range(len(header)))


def test_outreach_rows_labels_and_types(book):
    header, data = rows(book["普法宣传活动"])
    assert header[1:4] == ("活动日期", "活动名称", "宣传场所")
    assert [r["活动日期"] for r in data] == [
        datetime(2026, 3, 15),
        datetime(2026, 6, 26),
        datetime(2026, 9, 10),
    ]  # real date cells, oldest first
    assert book["普法宣传活动"]["B2"].is_date
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


def test_a_person_who_left_in_an_earlier_year_is_not_listed(ws, tmp_path):
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
    assert values["活动场次"] == 3 and values["发放宣传资料（份）"] == 18200
    assert values["在册管理（人）"] == 3 and values["联合随访（次）"] == 2
    assert values["受理（件）"] == 5 and values["调解成功率"] == pytest.approx(0.6)
    assert values["涉及金额（元）"] == 333000.0
    assert values["法律服务合计（次）"] == 4 and values["违法犯罪"] == 1
    assert book["汇总"]["A1"].value == "东城街道办事处2026年法治工作台账汇总"


def test_mask_hides_id_numbers(ws, tmp_path):
    load_into(ws)
    path, _ = ledger.write_ledger(ws, YEAR, output=tmp_path / "masked.xlsx", mask=True)
    with zipfile.ZipFile(path) as z:
        everything = "".join(z.read(n).decode() for n in z.namelist())
    for number in IDS:
        assert number not in everything
    assert mask(IDS[0]) in everything


def test_default_path_is_under_the_data_dir(ws):
    load_into(ws)
    path, _ = ledger.write_ledger(ws, YEAR)
    assert path == ws.root / "exports" / "东城街道办事处2026年台账.xlsx"
    assert path.exists() and not list(path.parent.glob("*.tmp"))


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    path = tmp_path / "t.xlsx"
    with Workbook(path) as wb:
        wb.add_sheet("表", [Column("文字"), Column("数")], [["=1+1", 2], ["a<b&c\x01", 2.5]])
    sheet = openpyxl.load_workbook(path)["表"]
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"
    assert sheet["A3"].value == "a<b&c" and sheet["B3"].value == 2.5
