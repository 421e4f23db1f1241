"""The annual 法治政府建设年度报告 draft: figures into the wording of forms/report.toml, as .docx.

Two steps, so the wording can be tested without Word: `compose` turns figures and the template
into blocks of text (title, headings, paragraphs, tables); `render` lays the blocks out in the
GB/T 9704 layout of `docx_layout`. Only figures and the organisation's name go in: no free text
from any record, so no person's name or ID number can reach the document.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from fieldkit.errors import FieldkitError
from fieldkit.files.outfiles import Target, check_target, output_path, safe_name, write_new
from fieldkit.forms.definitions import FormSet
from fieldkit.reports import docx_layout as L
from fieldkit.reports import figures as F
from fieldkit.store.storage import gc_paused
from fieldkit.workspace import Workspace

PLACEHOLDER = re.compile(r"【待补充：[^】]*】")
MISSING_ORG = "【待补充：单位名称】"
MISSING_NOTE = (
    "【待补充：{year}年没有录入{missing_areas}，草稿中相应的部分需要人工补写，"
    "或补录记录后重新生成；补写后删去本段】"
)
# What each area's records are called, for the page-1 note on areas with none.
AREA_NAMES = {
    "outreach": "普法宣传活动",
    "visits": "随访记录",
    "mediation": "矛盾纠纷调解",
    "adviser": "法律顾问工作",
    "meetings": "学法与会议",
}
PARTIAL_YEAR = (
    "【待补充：本草稿的数字截至{cutoff}，{year}年尚未结束，不是全年数字。年度结束、"
    "各网格的记录汇总后请重新生成，并删去本段】"
)
TITLE_LINE_CHARS = 18  # of the 20 二号 characters a line holds: leave room, or break the title


class TemplateError(FieldkitError):
    """forms/report.toml is wrong; the message says where."""


# -- numbers in the report's idiom --------------------------------------------------------------


def approx(n: float, approx_from: int = 1000) -> str:
    """2万余, 3400余, 1.5万余: a large number rounded down the way reports write it."""
    n = int(n)
    if n < max(approx_from, 100):
        return str(n)
    if n >= 100_000:
        value, text = n // 10_000 * 10_000, f"{n // 10_000}万"
    elif n >= 10_000:
        tenths = n // 1_000
        value = tenths * 1_000
        text = f"{tenths // 10}万" if tenths % 10 == 0 else f"{tenths / 10:.1f}万"
    elif n >= 1_000:
        value = n // 100 * 100
        text = str(value)
    else:
        value = n // 10 * 10
        text = str(value)
    return text if value == n else f"{text}余"


def _trim(number: float, decimals: int) -> str:
    text = f"{number:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{_trim(rate * 100, 1)}%"


def money(yuan: float, *, rounded: bool, approx_from: int = 1000) -> str:
    if rounded:
        return f"{approx(yuan, approx_from)}元"
    if yuan >= 10_000:
        return f"{_trim(yuan / 10_000, 2)}万元"
    return f"{_trim(yuan, 2)}元"


# -- the template -------------------------------------------------------------------------------


@dataclass
class Template:
    raw: dict[str, Any]
    source: str

    @property
    def rounded(self) -> bool:
        return self.raw.get("style", {}).get("numbers", "approx") == "approx"

    @property
    def approx_from(self) -> int:
        return int(self.raw.get("style", {}).get("approx_from", 1000))


def load_template(forms: FormSet) -> Template:
    """The report template (forms/report.toml, or the data dir's copy), checked for shape."""
    raw = forms.template("report")
    source = "forms/report.toml"
    if not raw:
        raise TemplateError(f"报告模板错误：找不到 {source}")
    for key in ("title", "opening", "sections", "appendix"):
        if key not in raw:
            raise TemplateError(f"报告模板错误：{source} 缺少 {key}")
    numbers = raw.get("style", {}).get("numbers", "approx")
    if numbers not in ("approx", "exact"):
        raise TemplateError(f'报告模板错误：{source} [style] numbers 应为 "approx" 或 "exact"')
    return Template(raw, source)


class _Formatter(string.Formatter):
    """str.format limited to plain names from the figures, with the report's number styles."""

    def __init__(self, values: dict[str, Any], *, rounded: bool, approx_from: int, where: str):
        self.values = values
        self.rounded = rounded
        self.approx_from = approx_from
        self.where = where

    def get_field(self, field_name, args, kwargs):
        if field_name not in self.values:
            known = "、".join(k for k, v in self.values.items() if not isinstance(v, dict))
            raise TemplateError(
                f"报告模板错误：{self.where} 中的占位符 {{{field_name}}} 不存在。可用的有：{known}"
            )
        return self.values[field_name], field_name

    def format_field(self, value, format_spec):
        if isinstance(value, dict):
            raise TemplateError(
                f"报告模板错误：{self.where} 中的分类统计不能直接写进句子，请用 [lists] 列表占位符"
            )
        if format_spec == "":
            if isinstance(value, float):
                return _trim(value, 2)
            return str(value)
        if format_spec == "approx":
            return approx(value, self.approx_from) if self.rounded else str(int(value))
        if format_spec == "pct":
            return percent(value)
        if format_spec == "money":
            return money(value, rounded=self.rounded, approx_from=self.approx_from)
        raise TemplateError(
            f"报告模板错误：{self.where} 中的格式 :{format_spec} 无效（可用 approx、pct、money）"
        )

    def fill(self, text: str) -> str:
        try:
            return self.vformat(text, (), {})
        except (ValueError, IndexError) as exc:
            raise TemplateError(f"报告模板错误：{self.where} 的花括号写法有误（{exc}）") from None


def _truthy(value: Any) -> bool:
    if isinstance(value, dict):
        return any(value.values())
    return bool(value)


# -- composing: figures + template -> blocks ---------------------------------------------------


@dataclass
class StatRow:
    """One row of a statistics table: a figure, a breakdown's heading or one of its items."""

    label: str
    value: Any  # int, float, None (a heading)
    kind: str  # "count" | "rate" | "money" | "group" | "item"


@dataclass
class StatTable:
    title: str
    columns: list[str]
    rows: list[StatRow]


@dataclass
class Block:
    """A unit of the draft. kind: title, subtitle, recipient, h1, h2, body, blank, note,
    signature, date, appendix_label, appendix_title, table, footnote."""

    kind: str
    text: str = ""
    lines: list[str] = field(default_factory=list)
    table: StatTable | None = None
    right_chars: float = 0  # right indent of the signature and the date


# What a figure's area reads from, to say why it has no figures.
_AREA_FORMS = {
    "outreach": "outreach",
    "population": "person",
    "visits": "followup",
    "mediation": "mediation",
    "adviser": "consultation",
    "meetings": "meeting",
}
NOT_RECORDED = "本年度没有录入"
GRID_ONLY = "本报告只统计网格的特殊人群工作"


def template_values(
    figs: F.Figures, template: Template, *, org: str, rounded: bool | None = None
) -> dict[str, Any]:
    """Every placeholder's value: the figures, the names, and the template's lists."""
    values = figs.placeholders()
    cutoff = figs.cutoff
    values.update(
        org=org or MISSING_ORG,
        grid=figs.grid or "",
        # A grid is not the office's 辖区: sentences about the territory name the grid.
        area=figs.grid or template.raw.get("area", "辖区"),
        cutoff=f"{figs.year}年底"
        if (cutoff.month, cutoff.day) == (12, 31)
        else L.chinese_date(cutoff),
        population_coverage_gap=coverage_gap(figs.population),
    )
    for area, form_id in _AREA_FORMS.items():
        left_out = figs.grid and figs.ungridded.get(form_id)
        values[f"{area}_missing"] = GRID_ONLY if left_out else NOT_RECORDED
    counts = {
        "outreach": figs.outreach.events,
        "visits": figs.population.visits,
        "mediation": figs.mediation.accepted,
        "adviser": figs.adviser.total,
        "meetings": figs.meetings.total,
    }
    values["missing_areas"] = "、".join(
        name
        for area, name in AREA_NAMES.items()
        if not counts[area] and values[f"{area}_missing"] == NOT_RECORDED
    )
    rounded = template.rounded if rounded is None else rounded
    for name, spec in template.raw.get("lists", {}).items():
        values[name] = _list_text(name, spec, values, template, rounded)
    return values


def coverage_gap(p: F.PopulationFigures) -> str:
    """What the visits on record leave uncovered (why "未发生" cannot be said); '' if nothing."""
    if not p.visits:
        return "本年度没有录入随访记录"
    gaps = []
    if p.months_without_visits:
        gaps.append(f"{month_ranges(p.months_without_visits)}没有随访记录")
    if p.persons_not_visited:
        gaps.append(f"{p.persons_not_visited}名在管满一个月的人员没有随访记录")
    return "，".join(gaps)


def month_ranges(months: list[int]) -> str:
    """[2, 3, 4, 7] -> 2月至4月、7月."""
    runs: list[list[int]] = []
    for m in sorted(months):
        if runs and m == runs[-1][-1] + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    return "、".join(
        f"{r[0]}月"
        if len(r) == 1
        else f"{r[0]}月至{r[-1]}月"
        if len(r) > 2
        else f"{r[0]}月、{r[1]}月"
        for r in runs
    )


_DAY = re.compile(r"^(\d{1,2}·\d{1,2})")


def _list_text(
    name: str, spec: dict[str, Any], values: dict[str, Any], template: Template, rounded: bool
) -> str:
    where = f"{template.source} [lists.{name}]"
    fmt = _Formatter(values, rounded=rounded, approx_from=template.approx_from, where=where)
    sep = spec.get("sep", "、")
    parts: list[str] = []
    if "from" in spec:
        source = values.get(spec["from"])
        if not isinstance(source, dict):
            raise TemplateError(f"报告模板错误：{where} 的 from 应为分类统计的名字")
        skip = set(spec.get("skip", []))
        rename = spec.get("rename", {})
        first = [str(x) for x in spec.get("first", [])]

        def rank(kv: tuple[str, int]) -> tuple[int, int]:  # `first` labels lead, then by count
            return (first.index(kv[0]) if kv[0] in first else len(first), -kv[1])

        items = [(label, n) for label, n in source.items() if n and label not in skip]
        by_count = sorted(items, key=rank)
        if "top" in spec:
            chosen = {label for label, _ in by_count[: int(spec["top"])]}
            items = [kv for kv in items if kv[0] in chosen]
        if spec.get("order", "count" if "top" in spec else "choices") == "count":
            items = sorted(items, key=rank)
        elif first:
            items = sorted(items, key=lambda kv: rank(kv)[0])
        for label, n in items:
            label = rename.get(label, label)
            if spec.get("quote_days"):
                label = _DAY.sub(r"“\1”", label)
            try:
                parts.append(str(spec.get("item", "{label}")).format(label=label, count=n))
            except (KeyError, ValueError, IndexError):
                raise TemplateError(
                    f"报告模板错误：{where} 的 item 只能用 {{label}} 和 {{count}}"
                ) from None
    else:
        for entry in spec.get("items", []):
            if not (isinstance(entry, list) and len(entry) == 2):
                raise TemplateError(f"报告模板错误：{where} 的 items 每项应为 [文字, 占位符]")
            text, figure = entry
            fmt.get_field(figure, (), {})  # the name must exist
            n = values[figure]
            if n:
                parts.append(fmt.fill(str(text).replace("{n}", fmt.format_field(n, ""))))
    return sep.join(parts)


def _paragraph(spec: Any, fmt: _Formatter, values: dict[str, Any]) -> str:
    """A paragraph from a string or a list of parts (strings and `if` parts)."""
    parts = spec if isinstance(spec, list) else [spec]
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(fmt.fill(part))
        elif isinstance(part, dict) and "if" in part:
            names = part["if"] if isinstance(part["if"], list) else [part["if"]]
            hit = any(_truthy(fmt.get_field(str(name), (), {})[0]) for name in names)
            chosen = part.get("nonzero", "") if hit else part.get("zero", "")
            if isinstance(chosen, list | dict):  # a condition within the condition
                out.append(_paragraph(chosen, fmt, values))
            else:
                out.append(fmt.fill(str(chosen)))
        else:
            raise TemplateError(
                f"报告模板错误：{fmt.where} 的段落应为文字，或 {{ if = …, nonzero = …, zero = … }}"
                "（nonzero 和 zero 也可以再是这样的条件）"
            )
    return "".join(out)


def compose(
    figs: F.Figures,
    template: Template,
    *,
    org: str,
    today: date,
    exact: bool = False,
    seal: bool = False,
) -> list[Block]:
    """The draft as blocks of text, in reading order; `seal`: the signature laid out for a
    seal (GB/T 9704 7.3.5.1), else for none (7.3.5.2)."""
    raw = template.raw
    rounded = template.rounded and not exact
    values = template_values(figs, template, org=org, rounded=rounded)

    def formatter(where: str) -> _Formatter:
        return _Formatter(
            values,
            rounded=rounded,
            approx_from=template.approx_from,
            where=f"{template.source} {where}",
        )

    blocks: list[Block] = []
    title_parts = [formatter("title").fill(t) for t in _as_list(raw["title"])]
    title_parts = [t for t in title_parts if t]
    if sum(L.text_width(t) for t in title_parts) <= TITLE_LINE_CHARS:
        title_parts = ["".join(title_parts)]
    blocks.append(Block("title", "".join(title_parts), lines=title_parts))
    if figs.grid:
        blocks.append(
            Block(
                "subtitle", formatter("grid_subtitle").fill(raw.get("grid_subtitle", "（{grid}）"))
            )
        )
    blocks.append(Block("blank"))
    recipient = formatter("recipient").fill(str(raw.get("recipient", "")))
    if recipient:  # 主送机关: flush left, ending with a full-width colon
        blocks.append(
            Block("recipient", recipient if recipient.endswith("：") else recipient + "：")
        )
    if figs.cutoff < date(figs.year, 12, 31):
        blocks.append(
            Block("body", formatter("partial_year").fill(raw.get("partial_year", PARTIAL_YEAR)))
        )
    if values["missing_areas"]:
        blocks.append(
            Block("body", formatter("missing_note").fill(raw.get("missing_note", MISSING_NOTE)))
        )
    blocks.append(Block("body", _paragraph(raw["opening"], formatter("opening"), values)))

    for i, section in enumerate(raw["sections"], start=1):
        where = f"第{i}部分"
        blocks.append(Block("h1", formatter(where).fill(str(section.get("heading", "")))))
        for spec in section.get("paragraphs", []):
            blocks.append(Block("body", _paragraph(spec, formatter(where), values)))
        for j, item in enumerate(section.get("items", []), start=1):
            where = f"第{i}部分第{j}项"
            blocks.append(Block("h2", formatter(where).fill(str(item.get("heading", "")))))
            for spec in item.get("paragraphs", []):
                blocks.append(Block("body", _paragraph(spec, formatter(where), values)))

    appendix = raw["appendix"]
    blocks.append(Block("blank"))
    blocks.append(Block("note", formatter("appendix").fill(appendix.get("note", ""))))
    blocks.append(Block("blank"))
    if seal:  # the seal's top within a line of the note; name and date below its centre
        blocks.append(Block("blank"))
    signature = formatter("signature").fill(raw.get("signature", "{org}"))
    day = L.chinese_date(today)
    sig_right, date_right = signature_indents(signature, day, seal=seal)
    blocks.append(Block("signature", signature, right_chars=sig_right))
    blocks.append(Block("date", day, right_chars=date_right))

    blocks.append(
        Block("appendix_label", formatter("appendix").fill(appendix.get("label", "附件")))
    )
    blocks.append(Block("blank"))
    blocks.append(Block("appendix_title", formatter("appendix").fill(appendix.get("title", ""))))
    blocks.append(Block("blank"))
    for table in stat_tables(figs, template):
        blocks.append(Block("table", table.title, table=table))
    if appendix.get("footnote"):
        blocks.append(Block("footnote", formatter("appendix").fill(appendix["footnote"])))
    return blocks


def signature_indents(signature: str, day: str, *, seal: bool = False) -> tuple[float, float]:
    """Right indents (characters) of the signature and the date, as GB/T 9704 places them.

    Without a seal (7.3.5.2): the signature two characters from the right, the date on the
    next line starting two characters to the right of the signature's start; a date longer
    than that allows moves to two characters from the right and pushes the signature left.
    With a seal (7.3.5.1): the date four characters from the right, the signature centred
    over the date.
    """
    ws, wd = L.text_width(signature), L.text_width(day)
    if seal:
        return max(4.0 + (wd - ws) / 2, 0.0), 4.0
    sig_right, date_right = 2.0, ws - wd
    if date_right < 2:
        date_right, sig_right = 2.0, wd - ws + 4
    return sig_right, date_right


def stat_tables(figs: F.Figures, template: Template) -> list[StatTable]:
    """The appendix's tables (also the ledgers' summary sheet), with raw values."""
    values = figs.placeholders()
    appendix = template.raw["appendix"]
    tables = []
    for i, spec in enumerate(appendix.get("tables", []), start=1):
        where = f"{template.source} [[appendix.tables]] 第{i}个表"
        rows: list[StatRow] = []
        for entry in spec.get("rows", []):
            if not (isinstance(entry, list) and len(entry) == 2):
                raise TemplateError(f"报告模板错误：{where} 的 rows 每行应为 [项目名称, 占位符]")
            label, name = entry
            if name not in values:
                raise TemplateError(f"报告模板错误：{where} 中的占位符 {name} 不存在")
            value = values[name]
            if isinstance(value, dict):
                # A breakdown's heading carries its total, so the items add up to the row
                # they sit under.
                rows.append(StatRow(str(label), sum(value.values()), "group"))
                rows.extend(StatRow(k, v, "item") for k, v in value.items())
            elif name.endswith("_rate"):
                rows.append(StatRow(str(label), value, "rate"))
            elif "amount" in name:  # money in 万元, two decimals
                rows.append(StatRow(str(label), round(float(value) / 10_000, 2), "money"))
            else:
                rows.append(StatRow(str(label), value, "count"))
        title = _Formatter(values, rounded=False, approx_from=0, where=where).fill(
            str(spec.get("title", ""))
        )
        tables.append(StatTable(title, list(spec.get("columns", ["项目", "数量"])), rows))
    return tables


def stat_value_text(row: StatRow) -> str:
    if row.kind == "rate":
        return percent(row.value)
    if row.kind == "money":
        return f"{row.value:.2f}"
    return "" if row.value is None else str(row.value)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- rendering: blocks -> .docx ----------------------------------------------------------------


def render(blocks: Iterable[Block], *, title: str = "", author: str = ""):
    """The blocks laid out as a GB/T 9704 document (a python-docx Document)."""
    doc = L.new_document(title=title, author=author)
    body = doc.paragraphs[0] if doc.paragraphs else None
    first = True

    def paragraph():
        nonlocal first
        if first and body is not None:
            first = False
            return body
        return doc.add_paragraph()

    for block in blocks:
        kind = block.kind
        if kind == "table":
            _table(doc, block.table)
            continue
        p = paragraph()
        if kind == "title":
            L.format_paragraph(
                p,
                indent_chars=0,
                size=L.SIZE_2,
                line=Pt(36),
                align=WD_ALIGN_PARAGRAPH.CENTER,
                snap_to_grid=False,
            )
            for n, line in enumerate(block.lines):
                run = L.add_run(p, "", L.TITLE_FONT, L.SIZE_2)
                if n:
                    L.line_break(run)
                _text_runs(p, line, L.TITLE_FONT, L.SIZE_2)
        elif kind == "subtitle":
            L.format_paragraph(p, indent_chars=0, align=WD_ALIGN_PARAGRAPH.CENTER)
            _text_runs(p, block.text, L.KAI_FONT)
        elif kind == "h1":
            L.format_paragraph(p)
            p.paragraph_format.keep_with_next = True
            _text_runs(p, block.text, L.HEI_FONT)
        elif kind == "h2":
            L.format_paragraph(p)
            p.paragraph_format.keep_with_next = True
            _text_runs(p, block.text, L.KAI_FONT)
        elif kind in ("body", "note"):
            L.format_paragraph(p)
            _text_runs(p, block.text, L.BODY_FONT)
        elif kind == "recipient":
            L.format_paragraph(p, indent_chars=0, align=WD_ALIGN_PARAGRAPH.LEFT)
            _text_runs(p, block.text, L.BODY_FONT)
        elif kind in ("signature", "date"):
            L.format_paragraph(p, indent_chars=0, align=WD_ALIGN_PARAGRAPH.RIGHT)
            L.indent_chars(p, right=block.right_chars)
            _text_runs(p, block.text, L.BODY_FONT)
        elif kind == "appendix_label":
            L.format_paragraph(p, indent_chars=0, align=WD_ALIGN_PARAGRAPH.LEFT)
            L.page_break(p)
            _text_runs(p, block.text, L.HEI_FONT)
        elif kind == "appendix_title":
            L.format_paragraph(
                p,
                indent_chars=0,
                size=L.SIZE_2,
                line=Pt(36),
                align=WD_ALIGN_PARAGRAPH.CENTER,
                snap_to_grid=False,
            )
            _text_runs(p, block.text, L.TITLE_FONT, L.SIZE_2)
        elif kind == "footnote":
            L.format_paragraph(p, indent_chars=0, size=L.SIZE_4, line=Pt(22), snap_to_grid=False)
            _text_runs(p, block.text, L.BODY_FONT, L.SIZE_4)
        else:  # blank
            L.format_paragraph(p, indent_chars=0)
    return doc


def _text_runs(p, text: str, font: str, size: float = L.SIZE_3) -> None:
    """Runs for text, with every 【待补充：…】 highlighted."""
    pos = 0
    for m in PLACEHOLDER.finditer(text):
        if m.start() > pos:
            L.add_run(p, text[pos : m.start()], font, size)
        L.add_run(p, m.group(0), font, size, highlight=True)
        pos = m.end()
    if pos < len(text):
        L.add_run(p, text[pos:], font, size)


def _table(doc, table: StatTable) -> None:
    caption = doc.add_paragraph()
    L.format_paragraph(caption, indent_chars=0, align=WD_ALIGN_PARAGRAPH.CENTER, snap_to_grid=False)
    caption.paragraph_format.keep_with_next = True
    caption.paragraph_format.space_before = Pt(8)
    L.add_run(caption, table.title, L.HEI_FONT, L.SIZE_4)
    grid = doc.add_table(rows=1 + len(table.rows), cols=2)
    grid.style = doc.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    widths = (Mm(110), Mm(40))
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = width  # w:gridCol: what LibreOffice and WPS go by
    L.repeat_as_header(grid.rows[0])
    cells = [(table.columns[0], table.columns[1], "head")] + [
        (
            ("　　" + r.label) if r.kind == "item" else r.label,
            stat_value_text(r),
            r.kind,
        )
        for r in table.rows
    ]
    for row, (label, value, kind) in zip(grid.rows, cells, strict=True):
        for col, text in enumerate((label, value)):
            cell = row.cells[col]
            cell.width = widths[col]
            p = cell.paragraphs[0]
            align = (
                WD_ALIGN_PARAGRAPH.CENTER if (kind == "head" or col) else WD_ALIGN_PARAGRAPH.LEFT
            )
            L.format_paragraph(
                p, indent_chars=0, size=L.SIZE_4, line=Pt(22), align=align, snap_to_grid=False
            )
            font = L.HEI_FONT if kind in ("head", "group") else L.BODY_FONT
            if text:
                L.add_run(p, text, font, L.SIZE_4)


# -- the whole job -----------------------------------------------------------------------------


def default_name(org: str, year: int, grid: str | None) -> str:
    grid_part = f"（{grid}）" if grid else ""
    return safe_name(f"{org or 'fieldkit'}{year}年法治政府建设年度报告{grid_part}（草稿）")


def draft_target(ws: Workspace, year: int, grid: str | None, output: str | Path | None) -> Target:
    """Where the draft goes unless that name is taken (see write_report)."""
    ident = ws.identity
    return output_path(
        output, ws.root, default_name(ident.org if ident else "", year, grid), ".docx"
    )


def check_scope(records: F.Records, year: int, grid: str | None, today: date) -> None:
    """Refuse a year that has not begun, and a grid no record names (listing the grids)."""
    if year > today.year:
        raise FieldkitError(f"{year}年还没有到，不能统计。今天是{L.chinese_date(today)}")
    if grid is not None:
        known = F.grids(records)
        if grid not in known:
            listed = "、".join(known) if known else "（记录中没有任何网格）"
            raise FieldkitError(f"没有网格“{grid}”。记录中的网格：{listed}")


def check_has_data(figs: F.Figures, records: F.Records, forms: FormSet) -> None:
    """Refuse a year (of a grid) without any record of work (events, visits, cases, advice,
    meetings): every paragraph would be a placeholder, or a zero."""
    if figs.work_records:
        return
    where = f"“{figs.grid}”" if figs.grid else ""
    work = {form_id: records[form_id] for form_id in records if form_id != "person"}
    others = [str(y) for y in F.years(work, forms) if y != figs.year][:5]
    hint = f"有工作记录的年度：{'、'.join(others)}" if others else "数据目录中还没有工作记录"
    raise FieldkitError(f"{where}{figs.year}年没有任何工作记录，不能生成（{hint}）")


def build(
    ws: Workspace,
    year: int,
    *,
    grid: str | None = None,
    exact: bool = False,
    seal: bool = False,
    records: F.Records | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Any, F.Figures]:
    """The draft document of a data dir's year, and the figures it states.

    `records` (by form id) replaces reading the store, e.g. a copy taken under a lock.
    Raises FieldkitError for a year to come, an unknown grid, or a year without records.
    """
    say = progress or (lambda _msg: None)
    template = load_template(ws.forms)
    source = F.workspace_records(ws) if records is None else records
    check_scope(source, year, grid, ws.today())
    say("正在统计……")
    figs = F.compute(source, ws.forms, year, grid=grid, today=ws.today())
    check_has_data(figs, source, ws.forms)
    ident = ws.identity
    org = ident.org if ident else ""
    say("正在排版……")
    blocks = compose(figs, template, org=org, today=ws.today(), exact=exact, seal=seal)
    doc = render(blocks, title=blocks[0].text, author=org)
    return doc, figs


def write_report(
    ws: Workspace,
    year: int,
    *,
    grid: str | None = None,
    output: str | Path | None = None,
    exact: bool = False,
    seal: bool = False,
    force: bool = False,
    records: F.Records | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Path, F.Figures]:
    """Write the draft to `output` or exports/; return its path and the figures.

    An existing file is never replaced (the office may have edited it): a default name that is
    taken becomes …（草稿2）.docx, a name given in `output` that is taken is refused. `force`
    replaces it instead.
    """
    target = draft_target(ws, year, grid, output)
    check_target(target, force=force)
    with gc_paused():  # a 100k-record year makes many short-lived objects and no cycles
        doc, figs = build(
            ws, year, grid=grid, exact=exact, seal=seal, records=records, progress=progress
        )
    if progress:
        progress("正在保存……")
    path = write_new(target, lambda temp: doc.save(str(temp)), force=force)
    return path, figs
