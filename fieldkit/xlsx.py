"""A small, fast, write-only .xlsx writer for the ledgers.

openpyxl (even write-only) spends ~7 µs a cell; a 100k-record year is over a million cells, so
the ledgers write SpreadsheetML directly: shared strings, real date cells, a few fixed styles, a
frozen header row, an autofilter and column widths. Each sheet streams into the zip as it is
added; openpyxl, Excel, WPS and LibreOffice read the result.
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

# Cell styles (indexes into cellXfs below).
PLAIN, DATE, DATETIME, HEADER, DECIMAL, PERCENT, TITLE, BOLD = range(8)

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
        self._sheets: list[tuple[str, str | None]] = []  # (name, autofilter ref)

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:  # the file is abandoned: close it, and let the first error be the one reported
            with suppress(Exception):
                self._zip.close()

    def _sid(self, text: str) -> int:
        sid = self._strings.get(text)
        if sid is None:
            sid = self._strings[text] = len(self._strings)
        return sid

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
        freeze: bool = True,
        autofilter: bool = True,
    ) -> int:
        """Add a sheet from column-major data (one list of values per column); fast.

        Each column is encoded in one pass by its kind, so a million cells cost a few list
        comprehensions rather than a million function calls. Returns the number of rows.
        """
        n = max((len(values) for values in data), default=0)
        pairs = list(zip(data, columns, strict=True))

        def blocks():
            # Rows without their optional r="…" are all alike: a block of rows is one join
            # over its columns interleaved with row tags, no Python work per row. Encoding a
            # block at a time keeps only that block's XML in memory.
            for i in range(0, n, _BLOCK):
                size = min(_BLOCK, n - i)
                encoded = [self._encode(values[i : i + _BLOCK], c) for values, c in pairs]
                tags = (["<row>"] * size, *encoded, ["</row>"] * size)
                yield "".join(chain.from_iterable(zip(*tags, strict=True)))

        return self._add_encoded(
            name, columns, blocks(), n, freeze=freeze, autofilter=autofilter, raw=True
        )

    def _encode(self, values: Sequence[Any], column: Column) -> list[str]:
        """The <c> elements of a column. Ledger columns repeat few distinct values (labels,
        dates, small counts), so each distinct value is encoded once and looked up after."""
        try:
            distinct = set(values)
        except TypeError:  # an unhashable value (a list where text was expected): slow path
            return [self._cell(v, column.style) for v in values]
        xml = {v: self._encode_one(v, column) for v in distinct}
        return [xml[v] for v in values]

    def _encode_one(self, value: Any, column: Column) -> str:
        kind = column.kind
        if value is None or value == "":
            return "<c/>"
        if kind == TEXT:
            return self._cell(value if type(value) is str else str(value), column.style)
        if kind == UNIQUE_TEXT:
            s = f' s="{column.style}"' if column.style else ""
            return f'<c{s} t="inlineStr"><is><t>{_escape(str(value))}</t></is></c>'
        if kind == NUMBER:
            if type(value) is int or type(value) is float:
                return self._cell(value, column.style)
            return "<c/>"
        if kind in (ISO_DATE, ISO_DATETIME):
            if kind == ISO_DATE:
                number, style = _iso_date_serial(value), DATE
            else:
                number, style = _iso_datetime_serial(value), DATETIME
            if number is not None:
                return f'<c s="{style}"><v>{number!r}</v></c>'
            # Not a date after all: keep what was typed, as text.
        return self._cell(value, column.style)

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
    ) -> int:
        """Add a sheet; returns the number of data rows written.

        A row is a sequence of values: str, int, float, date, datetime or None; a value may
        also be a (value, style) pair. `styles` gives whole rows a style by row index.
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
            name, columns, encoded, n, header=header, freeze=freeze, autofilter=autofilter
        )

    def _add_encoded(
        self,
        name: str,
        columns: Sequence[Column],
        rows: Iterable[str],
        n: int,
        *,
        header: bool = True,
        freeze: bool = True,
        autofilter: bool = True,
        raw: bool = False,
    ) -> int:
        """Write a sheet whose rows are encoded already: `rows` holds each row's cells, or
        with `raw` complete <row> elements (any number per string) after the header."""
        name = self._sheet_name(name)
        index = len(self._sheets) + 1
        letters = [column_letter(i) for i in range(len(columns))]
        first = 2 if header else 1
        head: list[str] = []
        if header:
            cells = "".join(self._cell(c.header, HEADER) for c in columns)
            head.append(f'<row r="1">{cells}</row>')
        if raw:
            body = rows
        else:
            body = (f'<row r="{r}">{cells}</row>' for r, cells in enumerate(rows, start=first))
        out = chain(head, body)
        last_row = first - 1 + n
        filter_ref = None
        if autofilter and header and columns:
            filter_ref = f"A1:{letters[-1]}{max(last_row, 1)}"
        self._write_sheet(index, columns, out, freeze and header, filter_ref)
        absolute = f"$A$1:${letters[-1]}${max(last_row, 1)}" if filter_ref else None
        self._sheets.append((name, absolute))
        return n

    def _sheet_name(self, name: str) -> str:
        name = _BAD_SHEET_CHARS.sub("_", name).strip("'")[:31] or "Sheet"
        taken = {s for s, _ in self._sheets}
        base, k = name, 2
        while name in taken:
            suffix = f"({k})"
            name, k = base[: 31 - len(suffix)] + suffix, k + 1
        return name

    def _write_sheet(
        self,
        index: int,
        columns: Sequence[Column],
        rows_xml: Iterable[str],
        freeze: bool,
        filter_ref: str | None,
    ) -> None:
        view = (
            '<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView>'
            if freeze
            else '<sheetView workbookViewId="0"/>'
        )
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{c.width:g}" customWidth="1"/>'
            for i, c in enumerate(columns, start=1)
        )
        head = (
            f"{_DECL}<worksheet {_NS} {_R_NS}>"
            f'<sheetViews>{view}</sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "")
            + "<sheetData>"
        )
        tail = "</sheetData>" + (f'<autoFilter ref="{filter_ref}"/>' if filter_ref else "")
        tail += (
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
            'footer="0.3"/></worksheet>'
        )
        with self._zip.open(f"xl/worksheets/sheet{index}.xml", "w") as fh:
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
        z.writestr("docProps/core.xml", _CORE)
        z.writestr("docProps/app.xml", _APP)
        sheet_xml = "".join(
            f'<sheet name="{_attr(name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, (name, _) in enumerate(sheets, start=1)
        )
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"'{_escape(name)}'!{ref}</definedName>"
            for i, (name, ref) in enumerate(sheets)
            if ref
        )
        defined = f"<definedNames>{names}</definedNames>" if names else ""
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
    'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>fieldkit</dc:creator>'
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
    '<font><b/><sz val="14"/><name val="宋体"/><family val="3"/><charset val="134"/></font>'
    "</fonts>"
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/>'
    "</patternFill></fill></fills>"
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left/><right/><top/><bottom style="thin"><color auto="1"/></bottom><diagonal/>'
    "</border></borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="8">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" '
    'applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="center"/></xf>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
