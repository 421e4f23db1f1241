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
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

# Cell styles (indexes into cellXfs below).
PLAIN, DATE, DATETIME, HEADER, DECIMAL, PERCENT, TITLE, BOLD = range(8)

_EPOCH = date(1899, 12, 30).toordinal()
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


def _escape(text: str) -> str:
    text = _ILLEGAL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def display_width(text: str) -> int:
    """Excel column width units: a CJK character is about two."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


@dataclass
class Column:
    header: str
    width: float = 12
    style: int = PLAIN  # the style of the column's cells when the value does not set one


class Workbook:
    """Write sheets one after another into `path`; `close()` finishes the file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._zip = zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._strings: dict[str, int] = {}
        self._string_refs = 0
        self._sheets: list[tuple[str, str | None]] = []  # (name, autofilter ref)

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self._zip.close()

    def _sid(self, text: str) -> int:
        sid = self._strings.get(text)
        if sid is None:
            sid = self._strings[text] = len(self._strings)
        self._string_refs += 1
        return sid

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
        name = self._sheet_name(name)
        index = len(self._sheets) + 1
        letters = [column_letter(i) for i in range(len(columns))]
        col_styles = [c.style for c in columns]
        out: list[str] = []
        add = out.append
        n = 0
        first = 1
        if header:
            cells = "".join(
                f'<c r="{letters[i]}1" s="{HEADER}" t="s"><v>{self._sid(c.header)}</v></c>'
                for i, c in enumerate(columns)
            )
            add(f'<row r="1">{cells}</row>')
            first = 2
        sid = self._sid
        row_styles = styles or {}
        for r, row in enumerate(rows, start=first):
            parts = [f'<row r="{r}">']
            row_style = row_styles.get(r - first)
            for i, value in enumerate(row):
                if value is None:
                    continue
                style = col_styles[i] if row_style is None else row_style
                if isinstance(value, tuple):
                    value, style = value
                    if value is None:
                        continue
                ref = f"{letters[i]}{r}"
                if isinstance(value, str):
                    parts.append(f'<c r="{ref}" s="{style}" t="s"><v>{sid(value)}</v></c>')
                elif isinstance(value, bool):
                    parts.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
                elif isinstance(value, datetime):
                    serial = (
                        value.toordinal()
                        - _EPOCH
                        + (value.hour * 3600 + value.minute * 60 + value.second) / 86400
                    )
                    parts.append(f'<c r="{ref}" s="{DATETIME}"><v>{serial!r}</v></c>')
                elif isinstance(value, date):
                    parts.append(f'<c r="{ref}" s="{DATE}"><v>{value.toordinal() - _EPOCH}</v></c>')
                else:
                    parts.append(f'<c r="{ref}" s="{style}"><v>{value!r}</v></c>')
            parts.append("</row>")
            add("".join(parts))
            n += 1
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
        rows_xml: list[str],
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
            head = f'<sst {_NS} count="{self._string_refs}" uniqueCount="{len(self._strings)}">'
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
