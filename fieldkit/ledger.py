"""The year's ledgers (台账) as one .xlsx: a summary sheet of figures and one sheet per form.

Sheets and headers are in Chinese, choices show their labels, a person reference shows the
person's name (and ID number), dates are real date cells. ID numbers are in full: the ledger is
an internal document; `mask=True` masks them for copies that leave the office.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from fieldkit import figures as F
from fieldkit import idnumber, xlsx
from fieldkit.forms import Field, Form, FormSet
from fieldkit.outfiles import output_path, safe_name, write_atomically
from fieldkit.report import load_template, stat_tables
from fieldkit.storage import gc_paused
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
    "multiline": 40,
}


def ledger_rows(
    records: F.Records, forms: FormSet, year: int, *, grid: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The records each sheet lists, oldest first, by form id."""
    selection = F.Selection(records, forms, year, grid)
    return {form.id: sheet_rows(selection, form, year) for form in forms}


def sheet_rows(selection: F.Selection, form: Form, year: int) -> list[dict[str, Any]]:
    """One sheet's records, oldest first.

    A form's records of the year; for persons, everyone under management at some time in the
    year (纳入管理 before its end, 期满 not before its start), whatever the year they came in.
    A person no longer under management with no end date is taken to have left when the record
    last changed (the status change), so that they drop out of later years' ledgers.
    """
    first, last = f"{year:04d}-01-01", f"{year:04d}-12-31"

    def overlaps(p: dict[str, Any]) -> bool:
        d = p["data"]
        end = d.get("end_date")
        if not end and d.get("status") not in (None, "", F.ACTIVE):
            end = str(p.get("updated_at") or "")[:10] or None
        return str(d.get("start_date") or "") <= last and str(end or "9999") >= first

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
        columns += [
            xlsx.Column("录入人", 10, kind=xlsx.TEXT),
            xlsx.Column("记录编号", 38, kind=xlsx.UNIQUE_TEXT),
        ]
        data += [[r.get("created_by") for r in records], [r["id"] for r in records]]
        return columns, data

    def _field(self, f: Field, datas: list[dict[str, Any]]):
        fid = f.id
        raw = [d.get(fid) for d in datas]
        label_width = xlsx.display_width(f.label) + 4
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
                width = min(width * 2, 40)
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
            ids = [self._id(p["data"].get("id_number")) if p else None for p in people]
            yield xlsx.Column(f.label, 10, kind=xlsx.TEXT), names
            yield xlsx.Column("身份证号", 21, kind=xlsx.TEXT), ids
        elif f.type == "id_number":
            yield xlsx.Column(f.label, 21, kind=xlsx.TEXT), [self._id(v) for v in raw]
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


def _labels(raw: list[Any], labels: dict[str, str]) -> list[Any]:
    """Codes to labels; an unknown code shows as itself (an older form's choice)."""
    lookup: dict[Any, Any] = {**labels, None: None, "": None}
    try:
        return [lookup.get(v, v) for v in raw]
    except TypeError:  # an unhashable value in a choice field: show it as text
        return [lookup.get(v, v) if isinstance(v, str | None) else str(v) for v in raw]


def _summary_rows(figs: F.Figures, forms: FormSet, org: str, today: date):
    """The summary sheet: a title, then the report's appendix tables with raw values."""
    rows: list[list[Any]] = []
    bold: dict[int, int] = {}
    scope = f"（{figs.grid}）" if figs.grid else ""
    rows.append([(f"{org}{figs.year}年法治工作台账汇总{scope}", xlsx.TITLE), None])
    rows.append([f"生成日期：{today.isoformat()}；在册人数截至 {figs.cutoff.isoformat()}", None])
    for table in stat_tables(figs, load_template(forms)):
        rows.append([None, None])
        bold[len(rows)] = xlsx.BOLD
        rows.append([table.title, None])
        bold[len(rows)] = xlsx.HEADER
        rows.append(table.columns[:2])
        for row in table.rows:
            if row.kind == "group":
                rows.append([(row.label, xlsx.BOLD), None])
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
) -> dict[str, int]:
    """Write the ledgers of `year` to `path` (not atomically); return rows per sheet."""
    today = today or date.today()
    say = progress or (lambda _msg: None)
    say("正在统计……")
    figs = F.compute(records, forms, year, grid=grid, today=today)
    selection = F.Selection(records, forms, year, grid)
    # Person names for references: deleted persons too, so an old visit still shows a name.
    persons = {r["id"]: r for r in records.get("person", ())}
    counts: dict[str, int] = {}
    with xlsx.Workbook(path) as book:
        rows, styles = _summary_rows(figs, forms, org, today)
        book.add_sheet(
            SUMMARY_SHEET,
            [xlsx.Column("", 44), xlsx.Column("", 14)],
            rows,
            header=False,
            freeze=False,
            autofilter=False,
            styles=styles,
        )
        for form in forms:
            say(f"正在写入“{form.label}”……")
            # One form at a time: with records fetched lazily, only its copies are alive.
            columns, data = _Sheet(form, persons, mask).build(sheet_rows(selection, form, year))
            counts[form.label] = book.add_columns(form.label, columns, data)
            del columns, data
    return counts


def default_name(org: str, year: int, grid: str | None, mask: bool) -> str:
    parts = f"{org}{year}年台账" + (f"（{grid}）" if grid else "") + ("（脱敏）" if mask else "")
    return safe_name(parts)


def write_ledger(
    ws: Workspace,
    year: int,
    *,
    output: str | Path | None = None,
    mask: bool = False,
    grid: str | None = None,
    progress: Progress | None = None,
    records: F.Records | None = None,
) -> tuple[Path, dict[str, int]]:
    """Write a data dir's ledgers of `year` (atomically); return the path and rows per sheet.

    `records` (by form id, tombstones included) replaces reading the store, e.g. a copy taken
    under a lock.
    """
    ident = ws.identity
    org = ident.org if ident else ""
    path = output_path(output, ws.root, default_name(org, year, grid, mask), ".xlsx")
    if records is None:
        records = F.workspace_records(ws, include_deleted=True)
    counts: dict[str, int] = {}

    def write(temp: Path) -> None:
        with gc_paused():  # millions of short-lived objects, no cycles: skip the collector
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
                )
            )

    write_atomically(path, write)
    if progress:
        progress("已保存。")
    return path, counts
