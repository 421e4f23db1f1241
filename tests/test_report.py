"""The draft read back: figures, wording, GB/T 9704 layout, and no personal data anywhere."""

import re
import zipfile
from datetime import date

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from report_support import ORG, SECRETS, TODAY, YEAR, load_into

from fieldkit.demo import generator as demo
from fieldkit.errors import FieldkitError
from fieldkit.forms.definitions import builtin_dir, load_forms
from fieldkit.forms.idnumber import mask
from fieldkit.reports import annual as R
from fieldkit.workspace import Workspace

HEADINGS = [
    "一、2026年推进法治政府建设的主要举措和成效",
    "二、推进法治政府建设存在的不足和原因",
    "三、党政主要负责人履行推进法治建设第一责任人职责情况",
    "四、2027年推进法治政府建设的主要安排",
]


@pytest.fixture
def draft(ws, tmp_path):
    load_into(ws)
    path, _ = R.write_report(ws, YEAR, output=tmp_path / "draft.docx")
    return path


@pytest.fixture
def document(draft):
    return docx.Document(str(draft))


def body_text(document) -> str:
    return "\n".join(p.text for p in document.paragraphs)


def east_asia(run) -> str | None:
    rfonts = run._r.rPr.find(qn("w:rFonts"))
    return rfonts.get(qn("w:eastAsia"))


def paragraph_starting(document, prefix):
    return next(p for p in document.paragraphs if p.text.startswith(prefix))


# -- figures and wording --------------------------------------------------------------------


def test_every_figure_is_stated_in_the_text(document):
    text = body_text(document)
    for phrase in [
        # The venues present in the data, not a fixed 进单位、进社区、进小区.
        "全年组织开展普法宣传活动3场次，其中送法进社区1场次、进小区1场次、进学校1场次。",
        "结合“3·15”国际消费者权益日、“6·26”国际禁毒日等时间节点，开展主题宣传2场次",
        # 宪法 first, then by count.
        "宣传内容涉及《宪法》《禁毒法》《消费者权益保护法》《未成年人保护法》等4部法律法规",
        "参与群众530人次",
        "发放法治宣传资料1.8万余份",
        "现场解答法律咨询65人次",
        # The number after the verb phrase.
        "全年党工委会专题研究法治工作2次。",
        "理论学习中心组集体学法1次",
        "举办法治专题讲座1场",
        "组织执法人员培训和考试1次",
        "全年法律顾问提供法律服务4次，其中解答法律咨询2次，"
        "对重大决策事项开展合法性审查1件，审查合同1份",
        "截至2026年11月24日，辖区在册管理特殊人群3人，"
        "其中刑满释放人员1人、社区戒毒人员1人、严重精神障碍患者1人",
        "全年新纳入管理2人，期满解除1人",
        # The departments that joined, from the data.
        "全年开展随访5次，覆盖4人，其中会同司法所、派出所、卫健精防等部门联合随访2次",
        "落实就业帮扶1人次、心理疏导1人次、医疗救治1人次等帮扶措施",
        "随访中记录异常情况1起，其中违法犯罪1起。【待补充：报告和处置经过、后续管控措施】",
        "全年受理矛盾纠纷5件，调解成功3件，调解成功率60%，涉及金额33万余元",
        "承接法院委派的诉前调解案件2件，调解成功1件",
        "受理因非正常死亡引发的纠纷1件",
        "调解成功的3件纠纷中，达成书面调解协议2份，协议已履行2件，履行率66.7%",
        "截至2026年11月24日仍有1件纠纷在调解中",
    ]:
        assert phrase in text, phrase


def test_no_assertion_the_data_cannot_show(document):
    text = body_text(document)
    for claim in ("均已按规定报告处置", "妥善处置", "各项任务有序落实", "进一步增强"):
        assert claim not in text, claim


def test_exact_numbers_on_request(ws, tmp_path):
    load_into(ws)
    path, _ = R.write_report(ws, YEAR, output=tmp_path / "exact.docx", exact=True)
    text = body_text(docx.Document(str(path)))
    assert "发放法治宣传资料18200份" in text
    assert "涉及金额33.3万元" in text
    assert "万余" not in text


def test_a_grid_report_names_the_grid_and_says_what_it_leaves_out(ws, tmp_path):
    load_into(ws)
    path, _ = R.write_report(ws, YEAR, grid="第一网格", output=tmp_path / "grid.docx")
    document = docx.Document(str(path))
    text = body_text(document)
    assert document.paragraphs[1].text == "（第一网格）"
    assert "截至2026年11月24日，第一网格在册管理特殊人群2人" in text
    assert "辖区" not in text  # a grid is not the office's territory
    # Outreach, mediation, advice and meetings exist but carry no grid.
    assert "本年度没有录入" not in text
    assert "【待补充：全年普法宣传活动的情况（本报告只统计网格的特殊人群工作）】" in text
    assert "【待补充：全年矛盾纠纷调解的情况（本报告只统计网格的特殊人群工作）】" in text
    # No zero figure passed off as a fact in the hints either.
    assert "0次" not in text and "0场" not in text


def test_headings_in_order_with_sub_points(document):
    texts = [p.text for p in document.paragraphs]
    positions = [texts.index(h) for h in HEADINGS]
    assert positions == sorted(positions)
    first_section = texts[positions[0] + 1 : positions[1]]
    subs = [t[:3] for t in first_section if t.startswith("（")]
    assert subs == ["（一）", "（二）", "（三）", "（四）", "（五）", "（六）"]


def test_title_recipient_opening_signature_and_date(document):
    title = document.paragraphs[0]
    assert title.text.replace("\n", "") == f"{ORG}{YEAR}年法治政府建设年度报告"
    # 主送机关 under the title after a blank line, flush left, ending with a full-width colon.
    assert document.paragraphs[1].text == ""
    recipient = document.paragraphs[2]
    assert recipient.text.startswith("【待补充：主送机关") and recipient.text.endswith("】：")
    assert recipient.alignment == WD_ALIGN_PARAGRAPH.LEFT
    assert not recipient.paragraph_format.first_line_indent
    # The year is not over on TODAY: page 1 says the figures are not the whole year's.
    assert document.paragraphs[3].text.startswith("【待补充：本草稿的数字截至2026年11月24日")
    opening = document.paragraphs[4].text
    assert opening.startswith("2026年，东城街道办事处") and opening.endswith("报告如下：")
    texts = [p.text for p in document.paragraphs]
    note = texts.index("附件：2026年法治工作统计表")
    assert texts[note + 1 : note + 4] == ["", ORG, "2026年11月24日"]
    signature, day = document.paragraphs[note + 2], document.paragraphs[note + 3]
    assert signature.alignment == WD_ALIGN_PARAGRAPH.RIGHT

    # The date starts two characters right of the signature's start (GB/T 9704, no seal).
    assert start(signature) - start(day) == pytest.approx(2)
    assert day.paragraph_format.right_indent >= Pt(32)


def start(p):
    """Where a right-aligned paragraph's text starts, in characters from the right margin."""
    return p.paragraph_format.right_indent / Pt(16) + R.L.text_width(p.text)


def test_signature_laid_out_for_a_seal_on_request(ws, tmp_path):
    load_into(ws)
    path, _ = R.write_report(ws, YEAR, output=tmp_path / "seal.docx", seal=True)
    document = docx.Document(str(path))
    texts = [p.text for p in document.paragraphs]
    note = texts.index("附件：2026年法治工作统计表")
    # Two blank lines: the seal's top within a line of the note, the name and date below
    # its centre (GB/T 9704 7.3.5.1).
    assert texts[note + 1 : note + 5] == ["", "", ORG, "2026年11月24日"]
    signature, day = document.paragraphs[note + 3], document.paragraphs[note + 4]
    assert day.paragraph_format.right_indent == Pt(4 * 16)  # 右空四字
    centre = start(signature) - R.L.text_width(signature.text) / 2
    assert centre == pytest.approx(start(day) - R.L.text_width(day.text) / 2)


def test_dates_have_no_leading_zeros():
    assert R.L.chinese_date(date(2027, 3, 5)) == "2027年3月5日"


def test_placeholders_are_highlighted_and_hint_with_the_years_facts(document):
    runs = [r for p in document.paragraphs for r in p.runs if "【待补充" in r.text]
    assert len(runs) >= 10
    assert all(r.font.highlight_color == WD_COLOR_INDEX.YELLOW for r in runs)
    assert all(r.text.startswith("【待补充：") and r.text.endswith("】") for r in runs)
    hints = " ".join(r.text for r in runs)
    assert "可参考：全年党工委会专题研究法治工作2次】" in hints  # no 会议0次
    assert "可参考：全年开展合法性审查1件，组织执法培训和考试1次】" in hints
    plain = [r for p in document.paragraphs for r in p.runs if "【待补充" not in r.text]
    assert all(r.font.highlight_color is None for r in plain)


def test_appendix_tables_hold_the_figures(document):
    tables = document.tables
    assert len(tables) == 5
    first = {row.cells[0].text.strip(): row.cells[1].text for row in tables[0].rows}
    assert first["普法宣传活动（场次）"] == "3" and first["发放宣传资料（份）"] == "18200"
    assert first["进小区"] == "1" and first["6·26国际禁毒日"] == "1"
    second = {row.cells[0].text.strip(): row.cells[1].text for row in tables[1].rows}
    assert second["帮扶措施（人次）"] == "3" and second["其中：落实帮扶的随访（次）"] == "2"
    assert second["应随访人员（人）"] == "5" and second["其中：没有随访记录（人）"] == "1"
    third = {row.cells[0].text.strip(): row.cells[1].text for row in tables[2].rows}
    assert third["调解成功率"] == "60%" and third["履行率"] == "66.7%"
    assert third["涉及金额（万元）"] == "33.30"  # 333000 元
    assert third["其中：诉前调解（法院委派，件）"] == "2"
    texts = [p.text for p in document.paragraphs]
    assert texts.index("附件") < texts.index("2026年法治工作统计表")
    label = next(p for p in document.paragraphs if p.text == "附件")
    assert label.paragraph_format.page_break_before
    footnote = texts[-1]
    assert "调解成功率＝调解成功件数÷受理件数" in footnote
    assert "履行率＝协议已履行件数÷调解成功件数" in footnote


def test_no_total_is_smaller_than_its_parts(ws, tmp_path):
    """A breakdown's heading carries the sum of its items, and a 其中 row never exceeds the
    total above it, in the appendix and in the ledgers' summary alike."""
    demo.fill(ws, 2025, seed=5, records=1500)
    figs = R.F.compute(R.F.workspace_records(ws), ws.forms, 2025, today=ws.today())
    checked = 0
    for table in R.stat_tables(figs, R.load_template(ws.forms)):
        total = None
        rows = table.rows
        for i, row in enumerate(rows):
            if row.kind == "group":
                items = []
                for r in rows[i + 1 :]:
                    if r.kind != "item":
                        break
                    items.append(r.value)
                assert row.value == sum(items), row.label
                checked += 1
            if row.kind in ("group", "count"):
                if row.label.startswith("其中："):
                    assert row.value <= total, row.label
                    checked += 1
                else:
                    total = row.value
    assert checked >= 12
    assert figs.population.assistance_times > figs.population.assisted_visits  # 人次 > 次


# -- no personal data -----------------------------------------------------------------------


def test_no_name_or_id_number_anywhere_in_the_file(draft):
    with zipfile.ZipFile(draft) as z:
        everything = "".join(
            z.read(name).decode("utf-8", "ignore") for name in z.namelist() if name.endswith(".xml")
        )
    assert "东城街道办事处" in everything  # the check reads the real text
    for secret in SECRETS:
        assert secret not in everything, secret
    for secret in SECRETS:
        if secret[:1].isdigit():
            assert mask(secret) not in everything
    assert "python-docx" not in everything


# -- layout -----------------------------------------------------------------------------------


def test_page_is_a4_with_the_standard_margins(document):
    s = document.sections[0]
    assert abs(s.page_width - Mm(210)) < Mm(0.1) and abs(s.page_height - Mm(297)) < Mm(0.1)
    assert abs(s.top_margin - Mm(37)) < Mm(0.1)
    assert abs(s.bottom_margin - Mm(35)) < Mm(0.1)
    assert abs(s.left_margin - Mm(28)) < Mm(0.1)
    assert abs(s.right_margin - Mm(26)) < Mm(0.1)


def test_fonts_are_east_asian_without_theme_overrides(draft, document):
    with zipfile.ZipFile(draft) as z:
        styles = z.read("word/styles.xml").decode()
        settings = z.read("word/settings.xml").decode()
    assert not re.search(r'w:(ascii|hAnsi|eastAsia|cs)[Tt]heme="', styles)
    assert re.search(r'<w:themeFontLang [^>]*w:eastAsia="zh-CN"', settings)
    assert 'w:eastAsia="ja-JP"' not in styles + settings
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rfonts = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:rFonts')}")
    assert rfonts.get(qn("w:eastAsia")) == "仿宋_GB2312"

    title = document.paragraphs[0]
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    for run in title.runs:
        assert east_asia(run) == "方正小标宋简体" and run.font.size == Pt(22)
    for heading in HEADINGS:
        for run in paragraph_starting(document, heading).runs:
            assert east_asia(run) == "黑体" and run.font.size == Pt(16)
    for run in paragraph_starting(document, "（一）压实").runs:
        assert east_asia(run) == "楷体_GB2312"
    body = paragraph_starting(document, "2026年，")
    for run in body.runs:
        assert east_asia(run) == "仿宋_GB2312" and run.font.size == Pt(16)
        assert run._r.rPr.find(qn("w:rFonts")).get(qn("w:ascii")) == "Times New Roman"


def test_body_indent_and_exact_line_spacing(document):
    for prefix in ("2026年，", "一、", "（一）", "全年组织开展"):
        p = paragraph_starting(document, prefix)
        ind = p._p.pPr.find(qn("w:ind"))
        assert ind.get(qn("w:firstLineChars")) == "200"
        assert p.paragraph_format.first_line_indent == Pt(32)
        spacing = p._p.pPr.find(qn("w:spacing"))
        assert spacing.get(qn("w:lineRule")) == "exact"
        assert spacing.get(qn("w:line")) == "579"  # 28.95 pt
        assert p.paragraph_format.space_after == 0


def test_page_numbers_odd_right_even_left_with_page_field(draft, document):
    with zipfile.ZipFile(draft) as z:
        settings = z.read("word/settings.xml").decode()
    assert "<w:evenAndOddHeaders/>" in settings or "w:evenAndOddHeaders" in settings
    section = document.sections[0]
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        assert not footer.is_linked_to_previous
        p = footer.paragraphs[0]
        assert p.alignment == align
        xml = p._p.xml
        assert 'w:fldCharType="begin"' in xml and 'w:fldCharType="end"' in xml
        instr = [el.text for el in p._p.iter(qn("w:instrText"))]
        assert [t.strip() for t in instr] == ["PAGE"]
        assert p.text.startswith("— ") and p.text.endswith(" —")
        for run in p.runs:
            assert east_asia(run) == "宋体" and run.font.size == Pt(14)


# -- numbers in the report's idiom ----------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (36, "36"),
        (999, "999"),
        (1000, "1000"),
        (3456, "3400余"),
        (18200, "1.8万余"),
        (20000, "2万"),
        (21436, "2.1万余"),
        (20999, "2万余"),
        (123456, "12万余"),
    ],
)
def test_approx(n, text):
    assert R.approx(n) == text


def test_percent_and_money():
    assert R.percent(0.6) == "60%" and R.percent(2 / 3) == "66.7%" and R.percent(None) == "—"
    assert R.money(333000, rounded=False) == "33.3万元"
    assert R.money(8500.5, rounded=False) == "8500.5元"
    assert R.money(333000, rounded=True) == "33万余元"


# -- the template ---------------------------------------------------------------------------


def test_the_template_is_data_the_office_can_change(tmp_path):
    shipped = (builtin_dir() / "report.toml").read_text(encoding="utf-8")
    changed = shipped.replace("全年组织开展普法宣传活动", "本年度共举办普法活动").replace(
        'numbers = "approx"', 'numbers = "exact"'
    )
    root = tmp_path / "office"
    (root / "forms").mkdir(parents=True)
    (root / "forms" / "report.toml").write_text(changed, encoding="utf-8")
    with Workspace(root, today=TODAY) as ws:
        ws.set_identity(worker="李娜", grid="第一网格", org=ORG)
        load_into(ws)
        path, _ = R.write_report(ws, YEAR, output=tmp_path / "changed.docx")
    body = body_text(docx.Document(str(path)))
    assert "本年度共举办普法活动3场次" in body and "发放法治宣传资料18200份" in body


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{outreach_eventz}", "占位符 {outreach_eventz} 不存在"),
        ("{outreach_events:wide}", "格式 :wide 无效"),
        ("{outreach_by_venue}", "分类统计不能直接写进句子"),
        ("{outreach_events", "花括号写法有误"),
    ],
)
def test_a_wrong_placeholder_is_a_clear_error(ws, bad, message):
    forms = load_forms()
    template = R.load_template(forms)
    template.raw["opening"] = [bad]
    figs = R.F.compute({}, forms, YEAR, today=TODAY)
    with pytest.raises(FieldkitError) as info:
        R.compose(figs, template, org=ORG, today=TODAY)
    assert message in str(info.value) and "forms/report.toml" in str(info.value)


def test_a_failed_write_leaves_no_file(ws, tmp_path, monkeypatch):
    load_into(ws)
    target = tmp_path / "out" / "draft.docx"

    def broken_save(self, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(docx.document.Document, "save", broken_save)
    with pytest.raises(FieldkitError) as info:
        R.write_report(ws, YEAR, output=target)
    assert "磁盘空间不足" in str(info.value)
    assert list((tmp_path / "out").iterdir()) == []


def test_no_name_from_a_demo_year_reaches_the_draft(ws, tmp_path):
    """Every name in a generated year (persons, guardians, parties, mediators, visitors,
    advisers, the worker) and every ID number stays out of the document."""
    demo.fill(ws, YEAR, seed=3, records=800)
    path, figs = R.write_report(ws, YEAR, output=tmp_path / "demo.docx")
    assert figs.population.visits > 100 and figs.mediation.accepted > 20

    def names(text, strip=("司法所", "民警", "精防医生")):
        for token in re.split(r"[、，,]", str(text or "")):
            token = token.split("（")[0].strip()
            for prefix in strip:
                token = token.removeprefix(prefix)
            if token:
                yield token
                yield token.removesuffix("律师")

    secrets = {ws.identity.worker}
    for form, fields in {
        "person": ("name", "id_number", "guardian"),
        "mediation": ("parties", "mediators"),
        "followup": ("visitors",),
        "consultation": ("advisor",),
    }.items():
        for r in ws.store.current(form):
            for f in fields:
                secrets.update(names(r["data"].get(f)))
    secrets = {s for s in secrets if len(s) >= 2}
    assert len(secrets) > 100
    with zipfile.ZipFile(path) as z:
        xml = "".join(z.read(n).decode("utf-8", "ignore") for n in z.namelist())
    assert not sorted(s for s in secrets if s in xml)
