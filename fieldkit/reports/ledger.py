"""The year's ledgers (台账) as one .xlsx: a summary sheet of figures and one sheet per form.

Sheets and headers are in Chinese, choices show their labels, a person reference shows the
person's name (and ID number), dates are real date cells. Each sheet prints as a paper ledger
(see fieldkit.reports.xlsx): a title row naming the office, the year and the ledger, landscape A4 fitted
to the width, the header repeated on every page; the record ids (last column) are not printed.

The full ledger is an internal document. `mask=True` makes the copy for 对外报送, with no direct
identifier in it (MASKED below, and the README say exactly what it holds).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from fieldkit.files.outfiles import (
    PlainInDataDir,
    Target,
    check_target,
    inside,
    output_path,
    safe_name,
    write_new,
)
from fieldkit.forms import idnumber, schedule
from fieldkit.forms.definitions import Field, Form, FormSet
from fieldkit.reports import figures as F
from fieldkit.reports import xlsx
from fieldkit.reports.annual import check_has_data, check_scope, load_template, stat_tables
from fieldkit.store.storage import gc_paused
from fieldkit.workspace import Workspace

SUMMARY_SHEET = "汇总"
Progress = Callable[[str], None]

# Column widths by field type (Excel units; a Chinese character is about 2).
_TYPE_WIDTH = {
    "date": 12,
    "datetime": 17,
    "id_number": 21,
    "phone": 14,
    "integer": 10,
    "decimal": 14,
    "multiline": 30,
}

# What a masked ledger (脱敏) shows of a field, by (form, field):
#   "name": the surname and two stars (张**); "address": up to the community (…社区);
#   "drop": the column is left out.
# Other fields by type: an ID number or a phone is masked (420281********123X, 138****8000), a
# person reference shows the masked name and ID number, a choice, date or number stays, and
# text stays only when listed in MASK_KEPT_TEXT (names of events and places, never of people):
# notes, descriptions and any text an office adds to a form are left out.
MASKED = {
    ("person", "name"): "name",
    ("person", "address"): "address",
    # health and offence details
    ("person", "level"): "drop",  # for 严重精神障碍患者 the risk level
    ("followup", "condition"): "drop",
    ("followup", "risk_level"): "drop",
    ("followup", "medication"): "drop",
    ("followup", "incident"): "drop",
}
MASK_KEPT_TEXT = frozenset(
    {
        ("person", "grid"),
        ("outreach", "title"),
        ("outreach", "location"),
        ("outreach", "partners"),
        ("mediation", "case_no"),
        ("meeting", "title"),
    }
)
_COMMUNITY = re.compile(r"^.*?(社区|居委会|村委会|村)")
_PHONE_DIGITS = re.compile(r"\D")


def sheet_rows(selection: F.Selection, form: Form, year: int) -> list[dict[str, Any]]:
    """One sheet's records, oldest first.

    A form's records of the year; for persons, everyone under management at some time in the
    year (纳入管理 before its end, 期满 not before its start), whatever the year they came in.
    A person no longer under management with no end date is taken to have left when the record
    last changed (the status change), so that they drop out of later years' ledgers.
    """
    first, last = f"{year:04d}-01-01", f"{year:04d}-12-31"

    def overlaps(p: dict[str, Any]) -> bool:
        end = schedule.management_end(p)
        start = str(p["data"].get("start_date") or "")
        return start <= last and (end is None or end.isoformat() >= first)

    if form.id == "person":
        rows = [p for p in selection.all_persons() if overlaps(p)]
    else:
        rows = selection.of_year(form.id)
    key = form.date_field
    rows.sort(key=lambda r: str(r["data"].get(key) or ""))  # stable: store order
    return rows


class _Sheet:
    """A form's sheet, column by column: each field becomes one column (a person reference
    two: name and ID number), computed for all rows at once with a list comprehension."""

    def __init__(self, form: Form, persons: dict[str, dict[str, Any]], mask: bool):
        self.form = form
        self.persons = persons
        self.mask = mask

    def build(self, records: list[dict[str, Any]]) -> tuple[list[xlsx.Column], list[list[Any]]]:
        datas = [r["data"] for r in records]
        columns = [xlsx.Column("序号", 6, kind=xlsx.NUMBER)]
        data: list[list[Any]] = [list(range(1, len(records) + 1))]
        for f in self.form.fields:
            for column, values in self._field(f, datas):
                columns.append(column)
                data.append(values)
        if not self.mask:  # the worker's name stays in the office
            columns.append(xlsx.Column("录入人", 10, kind=xlsx.TEXT))
            data.append([r.get("created_by") for r in records])
        columns.append(xlsx.Column("记录编号", 38, kind=xlsx.UNIQUE_TEXT))
        data.append([r["id"] for r in records])
        return columns, data

    def _field(self, f: Field, datas: list[dict[str, Any]]):
        fid = f.id
        raw = [d.get(fid) for d in datas]
        label_width = xlsx.display_width(f.label) + 4
        if self.mask:
            rule = MASKED.get((self.form.id, fid))
            if rule == "drop" or (
                rule is None
                and f.type in ("text", "multiline")
                and (self.form.id, fid) not in MASK_KEPT_TEXT
            ):
                return
            if rule == "name":
                yield xlsx.Column(f.label, 10, kind=xlsx.TEXT), [mask_name(v) for v in raw]
                return
            if rule == "address":
                values = [community_of(v) for v in raw]
                yield xlsx.Column(f.label, max(label_width, 16), kind=xlsx.TEXT), values
                return
        if f.is_choice:
            labels = {c.code: c.label for c in f.all_choices()}
            width = max([label_width, *(xlsx.display_width(x) + 2 for x in labels.values())])
            if f.choices_by:
                by_key = {(k, c.code): c.label for k, cs in f.choice_sets.items() for c in cs}
                keys = [str(d.get(f.choices_by) or "") for d in datas]
                values = [
                    None if v in (None, "") else by_key.get((k, v)) or labels.get(v) or str(v)
                    for k, v in zip(keys, raw, strict=True)
                ]
            elif f.type == "select_multiple":
                width = min(width * 2, 24)  # wrapped within the column
                # Few distinct combinations: label each once.
                keys = [tuple(v) if type(v) is list else v for v in raw]
                joined = {
                    k: "、".join(labels.get(x) or str(x) for x in k) if type(k) is tuple else k
                    for k in set(keys)
                }
                values = [joined[k] or None for k in keys]
            else:
                values = _labels(raw, labels)
            yield xlsx.Column(f.label, width, kind=xlsx.TEXT), values
        elif f.type == "reference":
            people = [self.persons.get(str(v)) if v else None for v in raw]
            names = [p["data"].get("name") if p else v for p, v in zip(people, raw, strict=True)]
            if self.mask:
                names = [mask_name(n) for n in names]
            ids = [self._id(p["data"].get("id_number")) if p else None for p in people]
            yield xlsx.Column(f.label, 10, kind=xlsx.TEXT), names
            yield xlsx.Column("身份证号", 21, kind=xlsx.TEXT), ids
        elif f.type == "id_number":
            yield xlsx.Column(f.label, 21, kind=xlsx.TEXT), [self._id(v) for v in raw]
        elif f.type == "phone" and self.mask:
            yield xlsx.Column(f.label, 14, kind=xlsx.TEXT), [mask_phone(v) for v in raw]
        elif f.type == "date":
            yield xlsx.Column(f.label, 12, kind=xlsx.ISO_DATE), raw
        elif f.type == "datetime":
            yield xlsx.Column(f.label, 17, kind=xlsx.ISO_DATETIME), raw
        elif f.type == "integer":
            yield xlsx.Column(f.label, max(label_width, 10), kind=xlsx.NUMBER), raw
        elif f.type == "decimal":
            values = [float(v) if type(v) is int else v for v in raw]
            column = xlsx.Column(f.label, max(label_width, 14), xlsx.DECIMAL, kind=xlsx.NUMBER)
            yield column, values
        else:
            width = _TYPE_WIDTH.get(f.type) or label_width
            if f.type == "text" and f.max_length:
                width = min(max(width, f.max_length // 2, 12), 30)
            yield xlsx.Column(f.label, width, kind=xlsx.TEXT), raw

    def _id(self, value: Any) -> str | None:
        if not value:
            return None
        return idnumber.mask(str(value)) if self.mask else str(value)


def mask_name(value: Any) -> str | None:
    """张建国 -> 张**: the surname only, the length of the name hidden too."""
    text = str(value or "").strip()
    return f"{text[0]}**" if text else None


def mask_phone(value: Any) -> str | None:
    """13800138000 -> 138****8000; anything shorter keeps no digit."""
    digits = _PHONE_DIGITS.sub("", str(value or ""))
    if not digits:
        return None
    if len(digits) < 11:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def community_of(value: Any) -> str | None:
    """幸福社区3栋2单元501 -> 幸福社区; an address naming no community is left out."""
    m = _COMMUNITY.match(str(value or "").strip())
    return m.group(0) if m else None


def _labels(raw: list[Any], labels: dict[str, str]) -> list[Any]:
    """Codes to labels; an unknown code shows as itself (an older form's choice)."""
    lookup: dict[Any, Any] = {**labels, None: None, "": None}
    try:
        return [lookup.get(v, v) for v in raw]
    except TypeError:  # an unhashable value in a choice field: show it as text
        return [lookup.get(v, v) if isinstance(v, str | None) else str(v) for v in raw]


def _summary_rows(figs: F.Figures, forms: FormSet, org: str, today: date, scope: str):
    """The summary sheet under its title: the report's appendix tables with raw values."""
    rows: list[list[Any]] = []
    bold: dict[int, int] = {}
    rows.append([f"生成日期：{today.isoformat()}；在册人数截至 {figs.cutoff.isoformat()}", None])
    for table in stat_tables(figs, load_template(forms)):
        rows.append([None, None])
        bold[len(rows)] = xlsx.BOLD
        rows.append([table.title, None])
        bold[len(rows)] = xlsx.HEADER
        rows.append(table.columns[:2])
        for row in table.rows:
            if row.kind == "group":  # a breakdown's heading, with its total
                rows.append([(row.label, xlsx.BOLD), (row.value, xlsx.BOLD)])
            elif row.kind == "item":
                rows.append([f"　　{row.label}", row.value])
            elif row.kind == "rate":
                rows.append([row.label, None if row.value is None else (row.value, xlsx.PERCENT)])
            elif row.kind == "money":
                rows.append([row.label, (float(row.value), xlsx.DECIMAL)])
            else:
                rows.append([row.label, row.value])
    return rows, bold


def write_workbook(
    path: Path,
    records: F.Records,
    forms: FormSet,
    year: int,
    *,
    org: str = "",
    grid: str | None = None,
    mask: bool = False,
    today: date | None = None,
    progress: Progress | None = None,
    figs: F.Figures | None = None,
) -> dict[str, int]:
    """Write the ledgers of `year` to `path` (not atomically); return rows per sheet.
    `figs`: the year's figures when the caller has them already."""
    today = today or date.today()
    say = progress or (lambda _msg: None)
    say("正在统计……")
    if figs is None:
        figs = F.compute(records, forms, year, grid=grid, today=today)
    selection = F.Selection(records, forms, year, grid)
    # Person names for references: deleted persons too, so an old visit still shows a name.
    persons = {r["id"]: r for r in records.get("person", ())}
    counts: dict[str, int] = {}
    scope = (f"（{grid}）" if grid else "") + ("（脱敏）" if mask else "")
    with xlsx.Workbook(path) as book:
        book.creator = org or "fieldkit"
        rows, styles = _summary_rows(figs, forms, org, today, scope)
        book.add_sheet(
            SUMMARY_SHEET,
            [xlsx.Column("", 44), xlsx.Column("", 14)],
            rows,
            title=f"{org}{year}年法治工作台账汇总{scope}",
            header=False,
            freeze=False,
            autofilter=False,
            styles=styles,
        )
        for form in forms:
            say(f"正在写入“{form.label}”……")
            # One form at a time: with records fetched lazily, only its copies are alive.
            columns, data = _Sheet(form, persons, mask).build(sheet_rows(selection, form, year))
            counts[form.label] = book.add_columns(
                form.label,
                columns,
                data,
                title=f"{org}{year}年{form.label}台账{scope}",
                print_columns=len(columns) - 1,  # the record ids are for the screen
            )
            del columns, data
    return counts


def default_name(org: str, year: int, grid: str | None, mask: bool) -> str:
    parts = f"{org}{year}年台账" + (f"（{grid}）" if grid else "") + ("（脱敏）" if mask else "")
    return safe_name(parts)


def ledger_target(
    ws: Workspace, year: int, grid: str | None, output: str | Path | None, *, mask: bool = False
) -> Target:
    """Where the ledgers go unless that name is taken (see write_ledger)."""
    ident = ws.identity
    name = default_name(ident.org if ident else "", year, grid, mask)
    return output_path(output, ws.root, name, ".xlsx")


def write_ledger(
    ws: Workspace,
    year: int,
    *,
    output: str | Path | None = None,
    mask: bool = False,
    grid: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
    records: F.Records | None = None,
) -> tuple[Path, dict[str, int]]:
    """Write a data dir's ledgers of `year`; return the path and rows per sheet.

    `records` (by form id, tombstones included) replaces reading the store, e.g. a copy taken
    under a lock. An existing file is never replaced (it may have been edited or signed): a
    default name that is taken becomes …（2）.xlsx, a name given in `output` that is taken is
    refused; `force` replaces it. Raises FieldkitError for a year to come, an unknown grid, or
    a year without records.
    """
    ident = ws.identity
    org = ident.org if ident else ""
    target = ledger_target(ws, year, grid, output, mask=mask)
    if not mask and ws.encrypted and inside(ws.root, target.path):
        raise PlainInDataDir(
            "完整台账含姓名、身份证号和电话，文件本身不加密，不能放在加密的数据目录里："
            "请另选保存位置（只有有权限的人能看到的地方），或生成脱敏台账"
        )
    check_target(target, force=force)
    if records is None:
        records = F.workspace_records(ws, include_deleted=True)
    counts: dict[str, int] = {}
    # Millions of short-lived objects and no cycles: the cyclic collector would only rescan them.
    with gc_paused():
        check_scope(records, year, grid, ws.today())
        figs = F.compute(records, ws.forms, year, grid=grid, today=ws.today())
        # The register of persons under management is a ledger of its own, even in a year
        # with no other work recorded; with neither, every sheet would be empty.
        selection = F.Selection(records, ws.forms, year, grid)
        if not sheet_rows(selection, ws.forms["person"], year):
            check_has_data(figs, records, ws.forms)

        def write(temp: Path) -> None:
            counts.update(
                write_workbook(
                    temp,
                    records,
                    ws.forms,
                    year,
                    org=org,
                    grid=grid,
                    mask=mask,
                    today=ws.today(),
                    progress=progress,
                    figs=figs,
                )
            )

        path = write_new(target, write, force=force)
    if progress:
        progress("已保存。")
    return path, counts
