"""GB/T 9704-2012 page layout for python-docx documents (党政机关公文格式).

python-docx covers page size, margins and run fonts, but three things need the XML itself:
East-Asian font names (``w:eastAsia``; the default template's theme fonts and its ja-JP
East-Asian language would override them), the first-line indent in characters
(``w:firstLineChars``) and the PAGE field of the page numbers.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from xml.sax.saxutils import escape

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.package import OpcPackage
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph
from docx.text.run import Run

# Sizes (字号) in points.
SIZE_2 = 22.0  # 二号: title
SIZE_3 = 16.0  # 三号: body and headings
SIZE_4 = 14.0  # 四号: page numbers, tables

# Font names as Word knows them; `FALLBACKS` go into the font table as alternatives.
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEI_FONT = "黑体"
KAI_FONT = "楷体_GB2312"
SONG_FONT = "宋体"
LATIN_FONT = "Times New Roman"
FALLBACKS = {
    TITLE_FONT: "宋体",
    BODY_FONT: "仿宋",
    HEI_FONT: "SimHei",
    KAI_FONT: "楷体",
    SONG_FONT: "SimSun",
}

# Page: A4 with the standard's margins; the type area is 156 x 225 mm.
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM = Mm(37), Mm(35)
MARGIN_LEFT, MARGIN_RIGHT = Mm(28), Mm(26)
# 22 lines in 225 mm: 28.95 pt a line.
LINE_PITCH = Pt(28.95)
# 28 characters of 16 pt do not quite fit in 156 mm (442.2 pt): condense every character by
# 0.25 pt (w:spacing -5, in twentieths of a point). Word's own answer, a character grid with a
# negative charSpace, is laid out differently by LibreOffice (each 16 pt character then takes two
# grid cells, 14 to a line), so the grid holds lines only.
CHAR_CONDENSE = -5
# The page number's dash sits 7 mm below the type area: footer bottom ~ 35 - 7 - 5 mm.
FOOTER_DISTANCE = Mm(23)

# Word rejects properties out of their schema order; these follow w:spacing in a w:rPr and
# w:snapToGrid in a w:pPr (ECMA-376 CT_RPr, CT_PPrBase).
_RPR_AFTER_SPACING = (
    "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect",
    "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang",
    "w:eastAsianLayout", "w:specVanish", "w:oMath",
)  # fmt: skip
_PPR_AFTER_SNAP = (
    "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap",
    "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl",
    "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip

_THEME_ATTR = re.compile(r"\s+w:(?:ascii|hAnsi|eastAsia|cs)[Tt]heme=\"[^\"]*\"")
_RSID = re.compile(r"\s*<w:rsid w:val=\"[0-9A-F]*\"/>|\s+w:rsid\w*=\"[0-9A-F]*\"")


def new_document(*, title: str = "", author: str = "") -> DocxDocument:
    """An empty A4 document in the official layout, with clean East-Asian fonts."""
    doc = Document()
    _clean_styles(doc)
    _settings(doc)
    _font_table(doc)
    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.header_distance = Mm(15)
    section.footer_distance = FOOTER_DISTANCE
    _doc_grid(section._sectPr)  # python-docx does not model the document grid (no public way)
    page_number_footers(doc)
    document_properties(doc, title=title, author=author)
    return doc


def document_properties(doc: DocxDocument, *, title: str, author: str) -> None:
    """The file's own metadata, nothing left from python-docx's template: the organisation as
    author (never a person's name), made now, no thumbnail of the template, no template name,
    no Word session ids, no empty bibliography part."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)  # python-docx writes it as UTC
    props = doc.core_properties
    props.author = author
    props.last_modified_by = author
    props.title = title
    props.created = now
    props.modified = now
    props.revision = 1
    props.comments = ""
    props.subject = ""
    props.keywords = ""
    props.category = ""
    package = doc.part.package
    for rid, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del package.rels[rid]
        elif rel.reltype == RT.EXTENDED_PROPERTIES:
            _replace_part(package, rid, _APP_XML.format(company=escape(author)).encode("utf-8"))
    for rid, rel in list(doc.part.rels.items()):
        if rel.reltype == RT.CUSTOM_XML:
            del doc.part.rels[rid]
    settings = doc.settings.element
    for tag in ("w:rsids", "w:savePreviewPicture", "w14:docId"):
        for el in settings.findall(qn(tag)):
            settings.remove(el)
    # Revision-session ids of the template's editing sessions, on the body and the styles.
    for root in (doc.element, doc.styles.element):
        for el in list(root.iter()):
            for attr in [a for a in el.attrib if a.rpartition("}")[2].startswith("rsid")]:
                del el.attrib[attr]
            if el.tag == qn("w:rsid"):
                el.getparent().remove(el)


_APP_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
    'extended-properties"><Application>fieldkit</Application><Company>{company}</Company>'
    "</Properties>"
)


def _clean_styles(doc: DocxDocument) -> None:
    styles = doc.styles.element
    for rfonts in styles.iter(qn("w:rFonts")):
        for attr in list(rfonts.attrib):
            if attr.lower().endswith("theme"):
                del rfonts.attrib[attr]
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
    set_fonts(rpr, BODY_FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = parse_xml(f"<w:lang {nsdecls('w')}/>")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    _set_size(rpr, SIZE_3)
    ppr = defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}")
    spacing = ppr.find(qn("w:spacing"))
    spacing.attrib.clear()
    spacing.set(qn("w:before"), "0")
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), str(LINE_PITCH.twips))
    spacing.set(qn("w:lineRule"), "exact")
    normal = doc.styles["Normal"]
    normal.font.size = Pt(SIZE_3)
    normal_rpr = normal.element.get_or_add_rPr()
    set_fonts(normal_rpr, BODY_FONT)
    condense = parse_xml(f'<w:spacing {nsdecls("w")} w:val="{CHAR_CONDENSE}"/>')
    normal_rpr.insert_element_before(condense, *_RPR_AFTER_SPACING)
    # Word 2010 reads stylesWithEffects.xml instead of styles.xml: clean its theme fonts too.
    for rid, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects") and not rel.is_external:
            xml = _THEME_ATTR.sub("", rel.target_part.blob.decode("utf-8"))
            _replace_part(doc.part, rid, _RSID.sub("", xml).encode("utf-8"))


def _settings(doc: DocxDocument) -> None:
    settings = doc.settings
    settings.odd_and_even_pages_header_footer = True
    el = settings.element
    lang = el.find(qn("w:themeFontLang"))
    if lang is None:
        lang = parse_xml(f"<w:themeFontLang {nsdecls('w')}/>")
        el.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _font_table(doc: DocxDocument) -> None:
    """Name each Chinese font in the font table, with the common alternative (w:altName)."""
    rels = doc.part.rels
    rid = next((rid for rid, rel in rels.items() if rel.reltype == RT.FONT_TABLE), None)
    if rid is None:  # pragma: no cover - the default template always has one
        return
    xml = rels[rid].target_part.blob.decode("utf-8")
    entries = "".join(
        f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
        f'<w:family w:val="{"modern" if name in (BODY_FONT, HEI_FONT, KAI_FONT) else "roman"}"/>'
        '<w:pitch w:val="fixed"/></w:font>'
        for name, alt in FALLBACKS.items()
        if f'w:name="{name}"' not in xml
    )
    _replace_part(doc.part, rid, xml.replace("</w:fonts>", entries + "</w:fonts>").encode("utf-8"))


def _replace_part(owner: OpcPackage | Part, rid: str, blob: bytes) -> None:
    """New contents for the part behind relationship `rid` of `owner` (the package or a part).

    python-docx models neither app.xml nor the font table nor stylesWithEffects.xml: they are
    plain parts whose `blob` cannot be set. A new part of the same name and type takes the
    old one's place (nothing refers to these parts by their relationship id).
    """
    rel = owner.rels[rid]
    old = rel.target_part
    del owner.rels[rid]
    owner.relate_to(Part(old.partname, old.content_type, blob, old.package), rel.reltype)


def _doc_grid(sectpr) -> None:
    grid = sectpr.find(qn("w:docGrid"))
    if grid is None:
        grid = parse_xml(f"<w:docGrid {nsdecls('w')}/>")
        sectpr.append(grid)
    grid.attrib.clear()
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PITCH.twips))


# -- runs and paragraphs ------------------------------------------------------------------------


def set_fonts(rpr, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Explicit fonts on an rPr: w:eastAsia for Chinese, Latin for digits; no theme fonts."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = parse_xml(f"<w:rFonts {nsdecls('w')}/>")
        rpr.insert(0, rfonts)
    rfonts.attrib.clear()
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:cs"), latin)
    rfonts.set(qn("w:hint"), "eastAsia")


def _set_size(rpr, size: float) -> None:
    for tag in ("w:sz", "w:szCs"):
        el = rpr.find(qn(tag))
        if el is None:
            el = parse_xml(f"<{tag} {nsdecls('w')}/>")
            rpr.append(el)
        el.set(qn("w:val"), str(round(size * 2)))


def add_run(
    paragraph: Paragraph,
    text: str,
    font: str = BODY_FONT,
    size: float = SIZE_3,
    *,
    bold: bool = False,
    highlight: bool = False,
) -> Run:
    """A run with its East-Asian font set explicitly (Word ignores font.name for Chinese)."""
    run = paragraph.add_run(text)
    set_fonts(run.element.get_or_add_rPr(), font)
    run.font.size = Pt(size)
    if bold:
        run.font.bold = True
    if highlight:
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    return run


def format_paragraph(
    paragraph: Paragraph,
    *,
    indent_chars: float = 2,
    size: float = SIZE_3,
    line: Pt | None = LINE_PITCH,
    align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.JUSTIFY,
    snap_to_grid: bool = True,
) -> Paragraph:
    """First-line indent in characters, exact line spacing, no space around the paragraph."""
    pf = paragraph.paragraph_format
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    if line is not None:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = line
    if align is not None:
        pf.alignment = align
    if indent_chars:
        indent_first_line(paragraph, indent_chars, size)
    if not snap_to_grid:
        ppr = _paragraph_properties(paragraph)
        snap = parse_xml(f'<w:snapToGrid {nsdecls("w")} w:val="0"/>')
        ppr.insert_element_before(snap, *_PPR_AFTER_SNAP)
    return paragraph


def indent_first_line(paragraph: Paragraph, chars: float, size: float = SIZE_3) -> None:
    """w:firstLineChars (hundredths of a character) with the same length in twips as fallback."""
    paragraph.paragraph_format.first_line_indent = Pt(chars * size)
    ind = _paragraph_properties(paragraph).find(qn("w:ind"))
    ind.set(qn("w:firstLineChars"), str(round(chars * 100)))


def indent_chars(paragraph: Paragraph, *, left: float = 0, right: float = 0) -> None:
    """Left/right indents in characters of the body size (w:leftChars/w:rightChars)."""
    pf = paragraph.paragraph_format
    if left:
        pf.left_indent = Pt(left * SIZE_3)
    if right:
        pf.right_indent = Pt(right * SIZE_3)
    ind = _paragraph_properties(paragraph).find(qn("w:ind"))
    if ind is None:
        return
    if left:
        ind.set(qn("w:leftChars"), str(round(left * 100)))
    if right:
        ind.set(qn("w:rightChars"), str(round(right * 100)))


def repeat_as_header(row) -> None:
    """Repeat a table row at the top of every page the table runs onto (w:tblHeader)."""
    # _Row has no public way to its <w:tr> (no `element`, unlike Run); `_tr` is what
    # python-docx's own code uses. tests/test_library_internals.py fails if it goes.
    row._tr.get_or_add_trPr().append(parse_xml(f"<w:tblHeader {nsdecls('w')}/>"))


def _paragraph_properties(paragraph: Paragraph):
    """The paragraph's <w:pPr>, made if missing: for what ParagraphFormat does not set
    (indents in characters, snap to grid)."""
    # Paragraph has no public way to its <w:p> (no `element`, unlike Run); `_p` is python-docx's
    # documented escape hatch. tests/test_library_internals.py fails if it goes.
    return paragraph._p.get_or_add_pPr()


def page_break(paragraph: Paragraph) -> None:
    """Start this paragraph on a new page."""
    paragraph.paragraph_format.page_break_before = True


def line_break(run: Run) -> None:
    run.add_break()


# -- page numbers -------------------------------------------------------------------------------


def page_number_footers(doc: DocxDocument) -> None:
    """ "— N —" in 4号 宋体: odd pages right (one character in), even pages left."""
    section = doc.sections[0]
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)


def _page_number(paragraph: Paragraph, align: WD_ALIGN_PARAGRAPH) -> None:
    format_paragraph(
        paragraph, indent_chars=0, size=SIZE_4, line=None, align=align, snap_to_grid=False
    )
    pf = paragraph.paragraph_format
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        pf.right_indent = Pt(SIZE_4)
    else:
        pf.left_indent = Pt(SIZE_4)
    add_run(paragraph, "— ", SONG_FONT, SIZE_4)
    w = nsdecls("w")
    for xml in (
        f'<w:fldChar {w} w:fldCharType="begin"/>',
        f'<w:instrText {w} xml:space="preserve"> PAGE </w:instrText>',
        f'<w:fldChar {w} w:fldCharType="separate"/>',
        f"<w:t {w}>1</w:t>",  # the cached result, shown until the field is updated
        f'<w:fldChar {w} w:fldCharType="end"/>',
    ):
        add_run(paragraph, "", SONG_FONT, SIZE_4).element.append(parse_xml(xml))
    add_run(paragraph, " —", SONG_FONT, SIZE_4)


# -- dates --------------------------------------------------------------------------------------


def chinese_date(day: date) -> str:
    """2024年3月19日: Arabic numerals, no leading zeros (GB/T 9704 成文日期)."""
    return f"{day.year}年{day.month}月{day.day}日"


def text_width(text: str) -> float:
    """Width in body characters: a CJK character is 1, a digit or Latin letter half."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in text)
