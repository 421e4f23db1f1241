"""The year's ledgers (台账) as one .xlsx: a summary sheet of figures and one sheet per form.

Sheets and headers are in Chinese, choices show their labels, a person reference shows the
person's name (and ID number), dates are real date cells. ID numbers are in full: the ledger is
an internal document; `mask=True` masks them for copies that leave the office.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fieldkit import figures as F
from fieldkit import idnumber, xlsx
from fieldkit.forms import Field, Form, FormSet
from fieldkit.outfiles import output_path, safe_name, write_atomically
from fieldkit.report import load_template, stat_tables
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
    """The records each sheet lists, oldest first.

    A form's records of the year; for persons, everyone under management at some time in the
    year (纳入管理 before its end, 期满 not before its start), whatever the year they came in.
    A person no longer under management with no end date is taken to have left when the record
    last changed (the status change), so that they drop out of later years' ledgers.
    """
    picker = F.Selection(records, forms, year, grid)
    out: dict[str, list[dict[str, Any]]] = {}
    first, last = f"{year:04d}-01-01", f"{year:04d}-12-31"

    def overlaps(p: dict[str, Any]) -> bool:
        d = p["data"]
        end = d.get("end_date")
        if not end and d.get("status") not in (None, "", F.ACTIVE):
            end = str(p.get("updated_at") or "")[:10] or None
        return str(d.get("start_date") or "") <= last and str(end or "9999") >= first

    for form in forms:
        if form.id == "person":
            rows = [p for p in picker.all_persons() if overlaps(p)]
        else:
            rows = picker.of_year(form.id)
        key = form.date_field
        rows.sort(key=lambda r, key=key: (str(r["data"].get(key) or ""), r.get("created_at", "")))
        out[form.id] = rows
    return out


class _Columns:
    """How each field of a form becomes one or more cells."""

    def __init__(self, form: Form, persons: dict[str, dict[str, Any]], mask: bool):
        self.form = form
        self.persons = persons
        self.mask = mask
        self.columns: list[xlsx.Column] = [xlsx.Column("序号", 6)]
        self.cells: list[Callable[[dict[str, Any]], Any]] = []
        for f in form.fields:
            self._add(f)
        self.columns += [xlsx.Column("录入人", 10), xlsx.Column("记录编号", 38)]

    def _add(self, f: Field) -> None:
        fid = f.id
        width = _TYPE_WIDTH.get(f.type) or max(xlsx.display_width(f.label) + 4, 12)
        if f.type == "text" and f.max_length:
            width = min(max(width, f.max_length // 2), 30)
        if f.is_choice:
            labels = {c.code: c.label for c in f.all_choices()}
            by_key = {(key, c.code): c.label for key, cs in f.choice_sets.items() for c in cs}
            width = max(
                [
                    xlsx.display_width(f.label) + 4,
                    *(xlsx.display_width(x) + 2 for x in labels.values()),
                ]
            )
            if f.type == "select_multiple":
                width = min(width * 2, 40)

            def cell(d: dict[str, Any], fid=fid, labels=labels, by_key=by_key, f=f) -> Any:
                value = d.get(fid)
                if value in (None, "", []):
                    return None
                values = value if isinstance(value, list) else [value]
                key = str(d.get(f.choices_by) or "") if f.choices_by else None
                return "、".join(by_key.get((key, v)) or labels.get(v) or str(v) for v in values)

        elif f.type == "reference":
            self.columns.append(xlsx.Column(f.label, 10))
            self.cells.append(self._ref_name(fid))
            self.columns.append(xlsx.Column("身份证号", 21))
            self.cells.append(self._ref_id_number(fid))
            return
        elif f.type == "id_number":

            def cell(d: dict[str, Any], fid=fid) -> Any:
                value = d.get(fid)
                return self._id(value) if value else None

        elif f.type == "date":
            cell = _date_cell(fid)
        elif f.type == "datetime":
            cell = _datetime_cell(fid)
        elif f.type in ("integer", "decimal"):

            def cell(d: dict[str, Any], fid=fid, decimal=f.type == "decimal") -> Any:
                value = d.get(fid)
                if isinstance(value, bool) or not isinstance(value, int | float):
                    return None
                return (float(value), xlsx.DECIMAL) if decimal else value

        else:

            def cell(d: dict[str, Any], fid=fid) -> Any:
                value = d.get(fid)
                return None if value in (None, "") else str(value)

        self.columns.append(xlsx.Column(f.label, width))
        self.cells.append(cell)

    def _id(self, value: Any) -> str:
        return idnumber.mask(str(value)) if self.mask else str(value)

    def _ref_name(self, fid: str):
        def cell(d: dict[str, Any]) -> Any:
            person = self.persons.get(str(d.get(fid, "")))
            if person is None:
                return d.get(fid)
            return person["data"].get("name")

        return cell

    def _ref_id_number(self, fid: str):
        def cell(d: dict[str, Any]) -> Any:
            person = self.persons.get(str(d.get(fid, "")))
            value = person["data"].get("id_number") if person else None
            return self._id(value) if value else None

        return cell

    def rows(self, records: list[dict[str, Any]]):
        cells = self.cells
        for n, r in enumerate(records, start=1):
            d = r["data"]
            yield [n, *(c(d) for c in cells), r.get("created_by"), r["id"]]


def _date_cell(fid: str):
    def cell(d: dict[str, Any]) -> Any:
        value = d.get(fid)
        if not value:
            return None
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)

    return cell


def _datetime_cell(fid: str):
    def cell(d: dict[str, Any]) -> Any:
        value = d.get(fid)
        if not value:
            return None
        try:
            return datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)

    return cell


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
                rows.append([f"    {row.label}", row.value])
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
    per_form = ledger_rows(records, forms, year, grid=grid)
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
            columns = _Columns(form, persons, mask)
            counts[form.label] = book.add_sheet(
                form.label, columns.columns, columns.rows(per_form[form.id])
            )
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
) -> tuple[Path, dict[str, int]]:
    """Write a data dir's ledgers of `year` (atomically); return the path and rows per sheet."""
    ident = ws.identity
    org = ident.org if ident else ""
    path = output_path(output, ws.root, default_name(org, year, grid, mask), ".xlsx")
    records = {f.id: ws.store.current(f.id, include_deleted=True) for f in ws.forms}
    counts: dict[str, int] = {}

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
            )
        )

    write_atomically(path, write)
    return path, counts
