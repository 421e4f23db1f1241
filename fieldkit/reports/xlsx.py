"""A small, fast, write-only .xlsx writer for the ledgers.

openpyxl (even write-only) spends ~7 µs a cell; a 100k-record year is over a million cells, so
the ledgers write SpreadsheetML directly: shared strings, real date cells, a few fixed styles, a
frozen header row, an autofilter and column widths. Each sheet streams into the zip as it is
added; openpyxl, Excel, WPS and LibreOffice read the result.

Sheets print like paper ledgers: A4 (landscape for wide tables) fitted to the page width, a
title row and the header row repeated on every page, borders round every cell of the table,
and "第 N 页，共 M 页" in the footer.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain
from pathlib import Path
from typing import Any

# Cell styles (indexes into cellXfs below); the BOXED_ ones have borders all round.
PLAIN, DATE, DATETIME, HEADER, DECIMAL, PERCENT, TITLE, BOLD = range(8)
BOXED_TEXT, BOXED_DATE, BOXED_DATETIME, BOXED_DECIMAL = range(8, 12)
_BOXED = {PLAIN: BOXED_TEXT, DATE: BOXED_DATE, DATETIME: BOXED_DATETIME, DECIMAL: BOXED_DECIMAL}
# Printed at the foot of every page of a table: lines to sign, and the page number.
FOOTER = "&L经办人：　　　　　　　审核人：　　　　　　　&C第 &P 页，共 &N 页"

_EPOCH = date(1899, 12, 30).toordinal()
_BLOCK = 5000  # rows encoded and written at a time
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _escape(text: str) -> str:
    if not _NEEDS_ESCAPE.search(text):
        return text
    text = _ILLEGAL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _iso_date_serial(text: Any) -> int | None:
    try:
        return date.fromisoformat(str(text)[:10]).toordinal() - _EPOCH
    except ValueError:
        return None


def _iso_datetime_serial(text: Any) -> float | None:
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second
    return moment.toordinal() - _EPOCH + seconds / 86400


def display_width(text: str) -> int:
    """Excel column width units: a CJK character is about two."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


# Column kinds for column-major data (`Workbook.add_columns`): how its values are encoded.
TEXT, NUMBER, ISO_DATE, ISO_DATETIME, AUTO = "text", "number", "iso_date", "iso_datetime", "auto"
# Text that never repeats (record ids): written in the cell, not in the shared-string table.
UNIQUE_TEXT = "unique_text"


@dataclass
class Column:
    header: str
    width: float = 12
    style: int = PLAIN  # the style of the column's cells when the value does not set one
    kind: str = AUTO  # for add_columns: TEXT, UNIQUE_TEXT, NUMBER, ISO_DATE, ISO_DATETIME


class Workbook:
    """Write sheets one after another into `path`; `close()` finishes the file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._zip = zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._strings: dict[str, int] = {}
        self._sheets: list[_Sheet] = []
        self.creator = "fieldkit"  # docProps/core.xml: the organisation, never a person

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:  # the file is abandoned: close it, and let the first error be the one reported
            with suppress(Exception):
                self._zip.close()

    def _cell(self, value: Any, style: int) -> str:
        """One <c> element. Cells carry no reference: they sit in column order, an empty
        value as an empty <c/>, which keeps the million-cell loop cheap."""
        kind = type(value)
        s = f' s="{style}"' if style else ""
        if kind is str:
            strings = self._strings
            sid = strings.get(value)
            if sid is None:
                sid = strings[value] = len(strings)
            return f'<c{s} t="s"><v>{sid}</v></c>'
        if value is None:
            return "<c/>"
        if kind is int or kind is float:
            return f"<c{s}><v>{value!r}</v></c>"
        if kind is tuple:
            return self._cell(value[0], value[1])
        if kind is bool:
            return f'<c t="b"><v>{int(value)}</v></c>'
        if isinstance(value, datetime):
            seconds = value.hour * 3600 + value.minute * 60 + value.second
            serial = value.toordinal() - _EPOCH + seconds / 86400
            return f'<c s="{DATETIME}"><v>{serial!r}</v></c>'
        if isinstance(value, date):
            return f'<c s="{DATE}"><v>{value.toordinal() - _EPOCH}</v></c>'
        if isinstance(value, int | float):
            return f"<c{s}><v>{value!r}</v></c>"
        return self._cell(str(value), style)

    def add_columns(
        self,
        name: str,
        columns: Sequence[Column],
        data: Sequence[Sequence[Any]],
        *,
        title: str | None = None,
        freeze: bool = True,
        autofilter: bool = True,
        print_columns: int | None = None,
    ) -> int:
        """Add a table sheet from column-major data (one list of values per column); fast.

        Each column is encoded in one pass by its kind, so a million cells cost a few list
        comprehensions rather than a million function calls. The table is boxed (borders on
        every cell) and prints landscape; `title` goes in a first row across the table, and
        `print_columns` limits printing to that many columns from the left. Returns the number
        of rows.
        """
        n = max((len(values) for values in data), default=0)
        pairs = list(zip(data, columns, strict=True))
        # Text wraps within its column; spreadsheet programs do not all grow a row to fit when
        # they open a file (LibreOffice does not), so rows that need more lines say so.
        lines = _row_lines(pairs, n)

        def blocks():
            # Rows without their optional r="…" are all alike: a block of rows is one join
            # over its columns interleaved with row tags, no Python work per row. Encoding a
            # block at a time keeps only that block's XML in memory.
            for i in range(0, n, _BLOCK):
                size = min(_BLOCK, n - i)
                encoded = [self._encode(values[i : i + _BLOCK], c) for values, c in pairs]
                if lines is None:
                    opening = ["<row>"] * size
                else:
                    opening = [
                        _ROW_TAGS[k] if k < len(_ROW_TAGS) else _row_tag(k)
                        for k in lines[i : i + size]
                    ]
                tags = (opening, *encoded, ["</row>"] * size)
                yield "".join(chain.from_iterable(zip(*tags, strict=True)))

        return self._add_encoded(
            name,
            columns,
            blocks(),
            n,
            title=title,
            freeze=freeze,
            autofilter=autofilter,
            raw=True,
            landscape=True,
            print_columns=print_columns,
        )

    def _encode(self, values: Sequence[Any], column: Column) -> list[str]:
        """The <c> elements of a column. Ledger columns repeat few distinct values (labels,
        dates, small counts), so each distinct value is encoded once and looked up after."""
        if column.kind == UNIQUE_TEXT:  # nothing repeats: no lookup table
            style = _BOXED.get(column.style, column.style)
            return [
                f'<c s="{style}" t="inlineStr"><is><t>{_escape(str(v))}</t></is></c>'
                if v not in (None, "")
                else f'<c s="{style}"/>'
                for v in values
            ]
        try:
            distinct = set(values)
        except TypeError:  # an unhashable value (a list where text was expected): slow path
            return [self._cell(v, _BOXED.get(column.style, column.style)) for v in values]
        xml = {v: self._encode_one(v, column) for v in distinct}
        return [xml[v] for v in values]

    def _encode_one(self, value: Any, column: Column) -> str:
        kind = column.kind
        style = _BOXED.get(column.style, column.style)
        if value is None or value == "":
            return f'<c s="{style}"/>'  # empty, but boxed like the rest of the table
        if kind == TEXT:
            return self._cell(value if type(value) is str else str(value), style)
        if kind == UNIQUE_TEXT:
            return f'<c s="{style}" t="inlineStr"><is><t>{_escape(str(value))}</t></is></c>'
        if kind == NUMBER:
            if type(value) is int or type(value) is float:
                return self._cell(value, style)
            return f'<c s="{style}"/>'
        if kind in (ISO_DATE, ISO_DATETIME):
            if kind == ISO_DATE:
                number, date_style = _iso_date_serial(value), BOXED_DATE
            else:
                number, date_style = _iso_datetime_serial(value), BOXED_DATETIME
            if number is not None:
                return f'<c s="{date_style}"><v>{number!r}</v></c>'
            # Not a date after all: keep what was typed, as text.
        return self._cell(value, style)

    def add_sheet(
        self,
        name: str,
        columns: Sequence[Column],
        rows: Iterable[Sequence[Any]],
        *,
        header: bool = True,
        freeze: bool = True,
        autofilter: bool = True,
        styles: dict[int, int] | None = None,
        landscape: bool = False,
        title: str | None = None,
    ) -> int:
        """Add a sheet; returns the number of data rows written.

        A row is a sequence of values: str, int, float, date, datetime or None; a value may
        also be a (value, style) pair. `styles` gives whole rows a style by row index. `title`
        goes in a first row across the columns. It prints fitted to the width of an A4 page
        (portrait unless `landscape`).
        """
        cell = self._cell
        col_styles = [c.style for c in columns]
        row_styles = styles or {}
        encoded: list[str] = []
        n = 0
        for n, row in enumerate(rows, start=1):
            row_style = row_styles.get(n - 1)
            if row_style is None:
                cells = [cell(v, s) for v, s in zip(row, col_styles, strict=False)]
            else:
                cells = [cell(v, row_style) for v in row]
            encoded.append("".join(cells))
        return self._add_encoded(
            name,
            columns,
            encoded,
            n,
            title=title,
            header=header,
            freeze=freeze,
            autofilter=autofilter,
            landscape=landscape,
        )

    def _add_encoded(
        self,
        name: str,
        columns: Sequence[Column],
        rows: Iterable[str],
        n: int,
        *,
        title: str | None = None,
        header: bool = True,
        freeze: bool = True,
        autofilter: bool = True,
        raw: bool = False,
        landscape: bool = False,
        print_columns: int | None = None,
    ) -> int:
        """Write a sheet whose rows are encoded already: `rows` holds each row's cells, or
        with `raw` complete <row> elements (any number per string) after the header."""
        name = self._sheet_name(name)
        sheet = _Sheet(name, len(self._sheets) + 1, landscape=landscape)
        letters = [column_letter(i) for i in range(len(columns))]
        printed = letters[: print_columns or len(letters)]
        head: list[str] = []
        r = 1
        if title:
            head.append(f'<row r="1" ht="30" customHeight="1">{self._cell(title, TITLE)}</row>')
            if len(printed) > 1:
                sheet.merge = f"A1:{printed[-1]}1"
            r = 2
        if header:
            cells = "".join(self._cell(c.header, HEADER) for c in columns)
            lines = max((int(text_lines(c.header, c.width)) for c in columns), default=1)
            height = f' ht="{lines * _LINE_HEIGHT:g}" customHeight="1"' if lines > 1 else ""
            head.append(f'<row r="{r}"{height}>{cells}</row>')
            r += 1
        first = r  # the first data row
        if raw:
            body = rows
        else:
            body = (f'<row r="{i}">{cells}</row>' for i, cells in enumerate(rows, start=first))
        last_row = max(first - 1 + n, 1)
        if freeze and header:
            sheet.freeze = first - 1
        if autofilter and header and columns:
            sheet.filter = f"A{first - 1}:{letters[-1]}{max(last_row, first - 1)}"
        if first > 1 and (title or header):
            sheet.print_titles = f"${1}:${first - 1}"
        if print_columns and printed and columns:
            sheet.print_area = f"$A$1:${printed[-1]}${last_row}"
        self._write_sheet(sheet, columns, chain(head, body))
        self._sheets.append(sheet)
        return n

    def _sheet_name(self, name: str) -> str:
        name = _BAD_SHEET_CHARS.sub("_", name).strip("'")[:31] or "Sheet"
        taken = {s.name for s in self._sheets}
        base, k = name, 2
        while name in taken:
            suffix = f"({k})"
            name, k = base[: 31 - len(suffix)] + suffix, k + 1
        return name

    def _write_sheet(self, sheet: _Sheet, columns: Sequence[Column], rows_xml: Iterable[str]):
        if sheet.freeze:
            top = f"A{sheet.freeze + 1}"
            view = (
                f'<sheetView workbookViewId="0"><pane ySplit="{sheet.freeze}" '
                f'topLeftCell="{top}" activePane="bottomLeft" state="frozen"/>'
                '<selection pane="bottomLeft"/></sheetView>'
            )
        else:
            view = '<sheetView workbookViewId="0"/>'
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{c.width:g}" customWidth="1"/>'
            for i, c in enumerate(columns, start=1)
        )
        head = (
            f"{_DECL}<worksheet {_NS} {_R_NS}>"
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
            f'<sheetViews>{view}</sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "")
            + "<sheetData>"
        )
        # The order of these elements is fixed by the schema (CT_Worksheet).
        tail = "</sheetData>"
        if sheet.filter:
            tail += f'<autoFilter ref="{sheet.filter}"/>'
        if sheet.merge:
            tail += f'<mergeCells count="1"><mergeCell ref="{sheet.merge}"/></mergeCells>'
        orientation = "landscape" if sheet.landscape else "portrait"
        tail += (
            '<printOptions horizontalCentered="1"/>'
            '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.7" header="0.3" '
            'footer="0.3"/>'
            f'<pageSetup paperSize="9" orientation="{orientation}" fitToWidth="1" '
            'fitToHeight="0"/>'
            f"<headerFooter><oddFooter>{_escape(FOOTER)}</oddFooter></headerFooter>"
            "</worksheet>"
        )
        with self._zip.open(f"xl/worksheets/sheet{sheet.index}.xml", "w") as fh:
            fh.write(head.encode())
            chunk: list[str] = []
            size = 0
            for row in rows_xml:
                chunk.append(row)
                size += len(row)
                if size > 1 << 20:
                    fh.write("".join(chunk).encode())
                    chunk, size = [], 0
            fh.write("".join(chunk).encode())
            fh.write(tail.encode())

    def close(self) -> None:
        z = self._zip
        sheets = self._sheets
        count = len(sheets)
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT_SHEET}"/>'
            for i in range(1, count + 1)
        )
        z.writestr("[Content_Types].xml", _CONTENT_TYPES.format(sheets=overrides))
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("docProps/core.xml", _CORE.format(creator=_escape(self.creator)))
        z.writestr("docProps/app.xml", _APP)
        sheet_xml = "".join(
            f'<sheet name="{_attr(s.name)}" sheetId="{s.index}" r:id="rId{s.index}"/>'
            for s in sheets
        )
        names = []
        for s in sheets:
            quoted = "'" + _escape(s.name).replace("'", "''") + "'"
            local = f'localSheetId="{s.index - 1}"'
            if s.filter:
                ref = _absolute(s.filter)
                names.append(
                    f'<definedName name="_xlnm._FilterDatabase" {local} hidden="1">'
                    f"{quoted}!{ref}</definedName>"
                )
            if s.print_area:
                names.append(
                    f'<definedName name="_xlnm.Print_Area" {local}>{quoted}!{s.print_area}'
                    "</definedName>"
                )
            if s.print_titles:
                names.append(
                    f'<definedName name="_xlnm.Print_Titles" {local}>'
                    f"{quoted}!{s.print_titles}</definedName>"
                )
        defined = f"<definedNames>{''.join(names)}</definedNames>" if names else ""
        z.writestr("xl/workbook.xml", _WORKBOOK.format(sheets=sheet_xml, names=defined))
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, count + 1)
        )
        rels += (
            f'<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{count + 2}" Type="{_REL}/sharedStrings" '
            'Target="sharedStrings.xml"/>'
        )
        z.writestr("xl/_rels/workbook.xml.rels", _RELS.format(rels=rels))
        z.writestr("xl/styles.xml", _DECL + _STYLES)
        with z.open("xl/sharedStrings.xml", "w") as fh:
            head = f'<sst {_NS} uniqueCount="{len(self._strings)}">'
            fh.write((_DECL + head).encode())
            for chunk in _chunks(list(self._strings), 20_000):
                text = "".join(f'<si><t xml:space="preserve">{_escape(s)}</t></si>' for s in chunk)
                fh.write(text.encode())
            fh.write(b"</sst>")
        z.close()


_LINE_HEIGHT = 14.5  # points per line of 11 pt text


def _row_tag(lines: int) -> str:
    if lines <= 1:
        return "<row>"
    return f'<row ht="{lines * _LINE_HEIGHT:g}" customHeight="1">'


_ROW_TAGS = [_row_tag(k) for k in range(12)]


def text_lines(text: str, width: float) -> int:
    """How many lines `text` takes wrapped in a column `width` units wide (a CJK character
    is two units)."""
    usable = max(width - 1.5, 1.0)
    # UTF-8 length plus character count, halved: 2 for a CJK character, 1 for ASCII (the
    # same as display_width, counted in C).
    return sum(
        max(1, -(-((len(part.encode()) + len(part)) / 2) // usable)) for part in text.split("\n")
    )


def _row_lines(pairs: list[tuple[Sequence[Any], Column]], n: int) -> list[int] | None:
    """Lines each row needs for its wrapped text, or None when every row fits on one."""
    rows: list[int] | None = None
    for values, column in pairs:
        if column.kind != TEXT:
            continue
        # A character is at most two units wide, a Latin one one: most text (labels, ID
        # numbers, phones) is short enough to skip measuring.
        usable = max(column.width - 1.5, 1.0)
        fits = int(usable // 2)
        try:
            distinct = set(values)
        except TypeError:  # an unhashable value: it shows as its text
            values = [v if v is None or type(v) is str else str(v) for v in values]
            distinct = set(values)
        long = {
            v
            for v in distinct
            if type(v) is str and len(v) > fits and not (len(v) <= usable and v.isascii())
        }
        need = {v: k for v in long if (k := int(text_lines(v, column.width))) > 1}
        if not need:
            continue
        column_lines = [need.get(v, 1) for v in values]
        rows = column_lines if rows is None else list(map(max, rows, column_lines))
    if rows is not None and len(rows) < n:
        rows += [1] * (n - len(rows))
    return rows


@dataclass
class _Sheet:
    """What the workbook part needs to know of a sheet once it is written."""

    name: str
    index: int  # 1-based, as in sheet{index}.xml
    landscape: bool = False
    freeze: int = 0  # rows frozen at the top
    filter: str | None = None  # the autofilter's range, e.g. A2:K40
    merge: str | None = None  # the title row's merged cells
    print_titles: str | None = None  # rows repeated on every printed page, e.g. $1:$2
    print_area: str | None = None


def _absolute(ref: str) -> str:
    """A2:K40 -> $A$2:$K$40."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))


def _attr(text: str) -> str:
    return _escape(text).replace('"', "&quot;")


def _chunks(items: list[str], size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_R_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument"
_CT_SHEET = f"{_CT}.spreadsheetml.worksheet+xml"
_CONTENT_TYPES = (
    _DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.spreadsheetml.sheet.main+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    f'ContentType="{_CT}.spreadsheetml.sharedStrings+xml"/>'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    f'<Override PartName="/docProps/app.xml" ContentType="{_CT}.extended-properties+xml"/>'
    "{sheets}</Types>"
)
_ROOT_RELS = (
    _DECL + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{_PKG_REL}/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)
_CORE = (
    _DECL + "<cp:coreProperties "
    'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>{creator}</dc:creator>'
    "</cp:coreProperties>"
)
_APP = (
    _DECL + "<Properties "
    'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>fieldkit</Application></Properties>"
)
_WORKBOOK = (
    _DECL + f"<workbook {_NS} {_R_NS}><bookViews><workbookView/></bookViews>"
    "<sheets>{sheets}</sheets>{names}</workbook>"
)
_RELS = _DECL + f'<Relationships xmlns="{_PKG_REL}">' + "{rels}</Relationships>"
_STYLES = (
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/></numFmts>'
    '<fonts count="3">'
    '<font><sz val="11"/><name val="宋体"/><family val="3"/><charset val="134"/></font>'
    '<font><b/><sz val="11"/><name val="宋体"/><family val="3"/><charset val="134"/></font>'
    '<font><b/><sz val="16"/><name val="宋体"/><family val="3"/><charset val="134"/></font>'
    "</fonts>"
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/>'
    "</patternFill></fill></fills>"
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/>'
    '</right><top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/>'
    "</bottom><diagonal/></border></borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="12">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" '
    'applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="center" '
    'wrapText="1"/></xf>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1" '
    'applyAlignment="1"><alignment horizontal="center" vertical="center"/></xf>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    # Boxed: the table's cells, bordered all round, text wrapped within its column.
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" '
    'applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" '
    'applyBorder="1" applyAlignment="1"><alignment vertical="center"/></xf>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" '
    'applyBorder="1" applyAlignment="1"><alignment vertical="center"/></xf>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" '
    'applyBorder="1" applyAlignment="1"><alignment vertical="center"/></xf>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
