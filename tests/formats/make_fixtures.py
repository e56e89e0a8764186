"""Write the office-format test files (PDF, DOCX, HWPX, HWP and broken ones) into a folder.

Usage: ``python tests/formats/make_fixtures.py OUTDIR`` or :func:`make_all` from tests.

Tools: reportlab + a NanumGothic TTF (Debian ``fonts-nanum``) for PDF, pypdf for the
encrypted PDF, Pillow for the scanned page, python-docx for DOCX; HWPX (OWPML zip) and
HWP 5 (records in an OLE compound file, written by the small CFB writer below) are written
by hand following the published Hancom format documents. When no Korean font is found the
PDFs are copied from the committed ``fixtures/`` folder (``--commit`` refreshes them).
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import shutil
import struct
import sys
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sample_content import ITEMS, TITLE, Item, TCell

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
COMMITTED = HERE / "fixtures"
FONT_DIRS = (Path("/usr/share/fonts/truetype/nanum"), Path("/usr/share/fonts/nanum"))


# --------------------------------------------------------------------------- fonts


def korean_font(bold: bool = False) -> Path | None:
    """A NanumGothic TTF ($KOREAN_TTF, or Debian fonts-nanum), or None."""
    env = os.environ.get("KOREAN_TTF_BOLD" if bold else "KOREAN_TTF")
    if env and Path(env).is_file():
        return Path(env)
    name = "NanumGothicBold.ttf" if bold else "NanumGothic.ttf"
    for d in FONT_DIRS:
        if (d / name).is_file():
            return d / name
    return None


# --------------------------------------------------------------------------- PDF


def write_pdf(path: Path) -> None:
    """The sample as a tagged-free text PDF (reportlab platypus, NanumGothic)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import (
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    regular, bold = korean_font(), korean_font(bold=True)
    if regular is None or bold is None:
        raise RuntimeError("no Korean TTF font (apt-get install fonts-nanum)")
    pdfmetrics.registerFont(TTFont("NanumGothic", str(regular)))
    pdfmetrics.registerFont(TTFont("NanumGothicBold", str(bold)))
    body = ParagraphStyle("body", fontName="NanumGothic", fontSize=10, leading=15, spaceAfter=4)
    cell = ParagraphStyle("cell", fontName="NanumGothic", fontSize=9, leading=12)
    heads = {
        1: ParagraphStyle("h1", fontName="NanumGothicBold", fontSize=18, leading=24, spaceAfter=10),
        2: ParagraphStyle("h2", fontName="NanumGothicBold", fontSize=14, leading=20, spaceBefore=8, spaceAfter=6),
        3: ParagraphStyle("h3", fontName="NanumGothicBold", fontSize=12, leading=17, spaceBefore=4, spaceAfter=4),
    }

    def para(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    story: list[object] = []
    width = A4[0] - 2 * 56
    for item in ITEMS:
        if item.kind == "heading":
            story.append(para(item.text, heads[item.level]))
        elif item.kind == "paragraph":
            story.append(para(item.text, body))
        elif item.kind == "pagebreak":
            story.append(PageBreak())
        else:
            data = [[para(c.text, cell) if c else "" for c in row] for row in item.rows]
            n = len(item.rows[0])
            rel = item.widths or (1.0,) * n
            widths = [width * w / sum(rel) for w in rel]
            cmds: list[tuple[object, ...]] = [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
            for r, row in enumerate(item.rows):
                for c, tc in enumerate(row):
                    if tc and (tc.row_span > 1 or tc.col_span > 1):
                        cmds.append(("SPAN", (c, r), (c + tc.col_span - 1, r + tc.row_span - 1)))
            story.append(Table(data, colWidths=widths, style=TableStyle(cmds), repeatRows=0))
            story.append(Spacer(1, 8))
    doc = SimpleDocTemplate(
        str(path), pagesize=A4, title=TITLE, author="서울특별시", leftMargin=56, rightMargin=56, invariant=True
    )

    def page_number(canvas: Any, document: Any) -> None:
        canvas.setFont("NanumGothic", 9)
        canvas.drawCentredString(A4[0] / 2, 28, f"- {document.page} -")

    doc.build(story, onFirstPage=page_number, onLaterPages=page_number)


def write_scanned_pdf(path: Path) -> None:
    """A PDF whose only page is a picture of text (no text layer)."""
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    img = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(img)
    font_path = korean_font()
    font = ImageFont.truetype(str(font_path), 40) if font_path else ImageFont.load_default()
    lines = [TITLE, "1 기본 현황", "사업기간 연례반복"] if font_path else ["scanned page", "no text layer"]
    for i, line in enumerate(lines):
        draw.text((120, 150 + 80 * i), line, fill=0, font=font)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    canvas = Canvas(str(path), pagesize=A4, invariant=True)
    canvas.drawImage(ImageReader(io.BytesIO(buf.getvalue())), 0, 0, width=A4[0], height=A4[1])
    canvas.showPage()
    canvas.save()


def write_encrypted_pdf(src: Path, path: Path) -> None:
    """``src`` encrypted with a user password (AES-128, pypdf)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(src))
    writer.encrypt(user_password="1234", owner_password="owner-secret", algorithm="AES-128")
    with path.open("wb") as f:
        writer.write(f)


# --------------------------------------------------------------------------- DOCX


def write_docx(path: Path) -> None:
    """The sample with Heading 1-3 styles, real tables and merged cells (python-docx)."""
    import docx

    doc = docx.Document()
    doc.core_properties.title = TITLE
    for item in ITEMS:
        if item.kind == "heading":
            doc.add_heading(item.text, level=item.level)
        elif item.kind == "paragraph":
            lines = item.text.split("\n")
            par = doc.add_paragraph()
            for i, line in enumerate(lines):
                run = par.add_run(line)
                if i < len(lines) - 1:
                    run.add_break()
        elif item.kind == "pagebreak":
            doc.add_page_break()
        else:
            fill_docx_table(new_docx_table(doc, item), item)
    doc.save(str(path))


def new_docx_table(doc: Any, item: Item) -> Any:
    """An empty ruled python-docx table the size of ``item``'s grid."""
    table = doc.add_table(rows=len(item.rows), cols=len(item.rows[0]))
    table.style = "Table Grid"
    return table


def fill_docx_table(table: Any, item: Item) -> None:
    """Merge ``item``'s spanning cells, then write every cell's lines as paragraphs."""
    for r, row in enumerate(item.rows):
        for c, tc in enumerate(row):
            if tc and (tc.row_span > 1 or tc.col_span > 1):
                table.cell(r, c).merge(table.cell(r + tc.row_span - 1, c + tc.col_span - 1))
    for r, row in enumerate(item.rows):
        for c, tc in enumerate(row):
            if tc is None:
                continue
            target = table.cell(r, c)
            lines = tc.text.split("\n")
            target.paragraphs[0].text = lines[0]
            for line in lines[1:]:
                target.add_paragraph(line)


_W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_EXTRAS_XML = (
    (
        f"<w:p {_W_NS}><w:r><w:t>변경 내용 </w:t></w:r><w:ins w:id=\"1\" w:author=\"a\"><w:r><w:t>추가됨</w:t></w:r>"
        "</w:ins><w:del w:id=\"2\" w:author=\"a\"><w:r><w:delText>삭제됨</w:delText></w:r></w:del></w:p>"
    ),
    f"<w:p {_W_NS}><w:sdt><w:sdtContent><w:r><w:t>내용 컨트롤 안 글자</w:t></w:r></w:sdtContent></w:sdt></w:p>",
    (
        f"<w:p {_W_NS} xmlns:mc=\"http://schemas.openxmlformats.org/markup-compatibility/2006\" "
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
        'xmlns:v="urn:schemas-microsoft-com:vml"><w:r><mc:AlternateContent><mc:Choice Requires="wps">'
        "<w:drawing><wps:txbx><w:txbxContent><w:p><w:r><w:t>글상자 제목</w:t></w:r></w:p></w:txbxContent></wps:txbx>"
        "</w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>글상자 제목"
        "</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>"
    ),
)


def write_docx_extras(path: Path) -> None:
    """Paragraphs Word writes that python-docx's ``Paragraph.text`` misses or doubles:
    a tracked insertion/deletion, an inline content control and a text box (with its VML copy)."""
    import docx
    from docx.oxml import parse_xml

    doc = docx.Document()
    doc.add_paragraph("첫 문단")
    body = doc.element.body
    for xml in _EXTRAS_XML:
        body.insert(len(body) - 1, parse_xml(xml))  # before the final w:sectPr
    doc.save(str(path))


# --------------------------------------------------------------------------- shared HWP/HWPX model

#: Character shapes shared by the HWPX and HWP writers: (height in 1/100 pt, bold).
CHAR_SHAPES: tuple[tuple[int, bool], ...] = ((1000, False), (1800, True), (1400, True), (1200, True), (900, False))
HEADING_CHAR = {1: 1, 2: 2, 3: 3}
CELL_CHAR = 4
#: Paragraph styles: (name, English name, paraShape id, outline level or -1).
STYLES: tuple[tuple[str, str, int, int], ...] = (
    ("바탕글", "Normal", 0, -1),
    ("본문", "Body", 0, -1),
    ("개요 1", "Outline 1", 1, 0),
    ("개요 2", "Outline 2", 2, 1),
    ("개요 3", "Outline 3", 3, 2),
)


@dataclass
class Cell:
    row: int
    col: int
    row_span: int
    col_span: int
    paras: list[Para]


@dataclass
class Tbl:
    n_rows: int
    n_cols: int
    cells: list[Cell]
    widths: list[int]


@dataclass
class Para:
    text: str = ""
    char: int = 0
    style: int = 0
    page_break: bool = False
    table: Tbl | None = None
    para_shape: int = field(default=0)


def hwp_model(outline: bool = False) -> list[Para]:
    """The sample as top-level paragraphs; ``outline`` uses 개요 styles for levels 2 and 3."""
    paras: list[Para] = []
    page_break = False
    page_width = 42520  # A4 text width in HWPUNIT
    for item in ITEMS:
        if item.kind == "pagebreak":
            page_break = True
            continue
        if item.kind == "heading":
            if outline and item.level > 1:
                style = item.level  # 개요 1 for level 2, 개요 2 for level 3
                para = Para(item.text, 0, style, para_shape=STYLES[style][2])
            else:
                para = Para(item.text, HEADING_CHAR[item.level])
        elif item.kind == "paragraph":
            para = Para(item.text)
        else:
            para = Para(table=_tbl(item, page_width))
        para.page_break, page_break = page_break, False
        paras.append(para)
    return paras


def _tbl(item: Item, page_width: int) -> Tbl:
    n_cols = len(item.rows[0])
    rel = item.widths or (1.0,) * n_cols
    widths = [int(page_width * w / sum(rel)) for w in rel]
    cells: list[Cell] = []
    for r, row in enumerate(item.rows):
        for c, tc in enumerate(row):
            if isinstance(tc, TCell):
                paras = [Para(line, CELL_CHAR) for line in tc.text.split("\n")]
                cells.append(Cell(r, c, tc.row_span, tc.col_span, paras))
    return Tbl(len(item.rows), n_cols, cells, widths)


# --------------------------------------------------------------------------- HWPX

NS = (
    'xmlns:ha="http://www.hancom.co.kr/hwpml/2011/app" '
    'xmlns:hp="http://www.hancom.co.kr/hwpml/2011/paragraph" '
    'xmlns:hp10="http://www.hancom.co.kr/hwpml/2016/paragraph" '
    'xmlns:hs="http://www.hancom.co.kr/hwpml/2011/section" '
    'xmlns:hc="http://www.hancom.co.kr/hwpml/2011/core" '
    'xmlns:hh="http://www.hancom.co.kr/hwpml/2011/head" '
    'xmlns:hpf="http://www.hancom.co.kr/schema/2011/hpf" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:opf="http://www.idpf.org/2007/opf/"'
)
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>'


def _hwpx_header(char_shapes: tuple[tuple[int, bool], ...] = CHAR_SHAPES) -> str:
    langs = ("HANGUL", "LATIN", "HANJA", "JAPANESE", "OTHER", "SYMBOL", "USER")
    faces = "".join(
        f'<hh:fontface lang="{lang}" fontCnt="1"><hh:font id="0" face="함초롬바탕" type="TTF" isEmbedded="0"/>'
        "</hh:fontface>"
        for lang in langs
    )
    fills = (
        '<hh:borderFill id="1" threeD="0" shadow="0" centerLine="NONE" breakCellSeparateLine="0">'
        '<hh:leftBorder type="NONE" width="0.1 mm" color="#000000"/><hh:rightBorder type="NONE" width="0.1 mm" '
        'color="#000000"/><hh:topBorder type="NONE" width="0.1 mm" color="#000000"/><hh:bottomBorder type="NONE" '
        'width="0.1 mm" color="#000000"/></hh:borderFill>'
        '<hh:borderFill id="2" threeD="0" shadow="0" centerLine="NONE" breakCellSeparateLine="0">'
        '<hh:leftBorder type="SOLID" width="0.12 mm" color="#000000"/><hh:rightBorder type="SOLID" width="0.12 mm" '
        'color="#000000"/><hh:topBorder type="SOLID" width="0.12 mm" color="#000000"/><hh:bottomBorder '
        'type="SOLID" width="0.12 mm" color="#000000"/></hh:borderFill>'
    )
    chars = "".join(
        f'<hh:charPr id="{i}" height="{height}" textColor="#000000" shadeColor="none" useFontSpace="0" '
        f'useKerning="0" symMark="NONE" borderFillIDRef="1"><hh:fontRef hangul="0" latin="0" hanja="0" '
        'japanese="0" other="0" symbol="0" user="0"/><hh:ratio hangul="100" latin="100" hanja="100" '
        'japanese="100" other="100" symbol="100" user="100"/><hh:spacing hangul="0" latin="0" hanja="0" '
        'japanese="0" other="0" symbol="0" user="0"/><hh:relSz hangul="100" latin="100" hanja="100" '
        'japanese="100" other="100" symbol="100" user="100"/><hh:offset hangul="0" latin="0" hanja="0" '
        f'japanese="0" other="0" symbol="0" user="0"/>{"<hh:bold/>" if bold else ""}</hh:charPr>'
        for i, (height, bold) in enumerate(char_shapes)
    )
    paras = "".join(
        f'<hh:paraPr id="{i}" tabPrIDRef="0" condense="0" fontLineHeight="0" snapToGrid="1" '
        'suppressLineNumbers="0" checked="0"><hh:align horizontal="JUSTIFY" vertical="BASELINE"/>'
        f'<hh:heading type="{"NONE" if i == 0 else "OUTLINE"}" idRef="{0 if i == 0 else 1}" level="{max(i - 1, 0)}"/>'
        '<hh:lineSpacing type="PERCENT" value="160" unit="HWPUNIT"/></hh:paraPr>'
        for i in range(4)
    )
    styles = "".join(
        f'<hh:style id="{i}" type="PARA" name="{name}" engName="{eng}" paraPrIDRef="{pp}" charPrIDRef="0" '
        f'nextStyleIDRef="{i}" langID="1042" lockForm="0"/>'
        for i, (name, eng, pp, _) in enumerate(STYLES)
    )
    return (
        f'{XML_DECL}<hh:head {NS} version="1.4" secCnt="1"><hh:beginNum page="1" footnote="1" endnote="1" '
        'pic="1" tbl="1" equation="1"/><hh:refList>'
        f'<hh:fontfaces itemCnt="7">{faces}</hh:fontfaces>'
        f'<hh:borderFills itemCnt="2">{fills}</hh:borderFills>'
        f'<hh:charProperties itemCnt="{len(char_shapes)}">{chars}</hh:charProperties>'
        '<hh:tabProperties itemCnt="1"><hh:tabPr id="0" autoTabLeft="0" autoTabRight="0"/></hh:tabProperties>'
        f'<hh:paraProperties itemCnt="4">{paras}</hh:paraProperties>'
        f'<hh:styles itemCnt="{len(STYLES)}">{styles}</hh:styles>'
        '</hh:refList><hh:compatibleDocument targetProgram="HWP201X"/></hh:head>'
    )


_SEC_PR = (
    '<hp:secPr id="" textDirection="HORIZONTAL" spaceColumns="1134" tabStop="8000" tabStopVal="4000" '
    'tabStopUnit="HWPUNIT" outlineShapeIDRef="1" memoShapeIDRef="0" textVerticalWidthHead="0" '
    'masterPageCnt="0"><hp:grid lineGrid="0" charGrid="0" wonggojiFormat="0"/><hp:startNum '
    'pageStartsOn="BOTH" page="0" pic="0" tbl="0" equation="0"/><hp:pagePr landscape="WIDELY" width="59528" '
    'height="84186" gutterType="LEFT_ONLY"><hp:margin header="4252" footer="4252" gutter="0" left="8504" '
    'right="8504" top="5668" bottom="4252"/></hp:pagePr></hp:secPr><hp:ctrl><hp:colPr id="" type="NEWSPAPER" '
    'layout="LEFT" colCount="1" sameSz="1" sameGap="0"/></hp:ctrl>'
)


class _Ids:
    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


def _hwpx_runs(text: str, char: int) -> str:
    lines = [escape(line) for line in text.split("\n")]
    return f'<hp:run charPrIDRef="{char}"><hp:t>{"<hp:lineBreak/>".join(lines)}</hp:t></hp:run>'


def _hwpx_para(para: Para, ids: _Ids, first: bool = False) -> str:
    pid = 0 if first else ids.next()
    attrs = (
        f'id="{pid}" paraPrIDRef="{para.para_shape}" styleIDRef="{para.style}" '
        f'pageBreak="{int(para.page_break)}" columnBreak="0" merged="0"'
    )
    runs = f'<hp:run charPrIDRef="0">{_SEC_PR}</hp:run>' if first else ""
    if para.table is not None:
        runs += f'<hp:run charPrIDRef="0">{_hwpx_table(para.table, ids)}<hp:t/></hp:run>'
    else:
        runs += _hwpx_runs(para.text, para.char)
    seg = (
        '<hp:linesegarray><hp:lineseg textpos="0" vertpos="0" vertsize="1000" textheight="1000" '
        'baseline="850" spacing="600" horzpos="0" horzsize="42520" flags="393216"/></hp:linesegarray>'
    )
    return f"<hp:p {attrs}>{runs}{seg}</hp:p>"


def _hwpx_table(tbl: Tbl, ids: _Ids) -> str:
    rows: list[list[Cell]] = [[] for _ in range(tbl.n_rows)]
    for cell in tbl.cells:
        rows[cell.row].append(cell)
    height = 1800
    out = [
        (
            f'<hp:tbl id="{ids.next()}" zOrder="0" numberingType="TABLE" textWrap="TOP_AND_BOTTOM" '
            'textFlow="BOTH_SIDES" lock="0" dropcapstyle="None" pageBreak="CELL" repeatHeader="1" '
            f'rowCnt="{tbl.n_rows}" colCnt="{tbl.n_cols}" cellSpacing="0" borderFillIDRef="2" noAdjust="0">'
            f'<hp:sz width="{sum(tbl.widths)}" widthRelTo="ABSOLUTE" height="{height * tbl.n_rows}" '
            'heightRelTo="ABSOLUTE" protect="0"/><hp:pos treatAsChar="1" affectLSpacing="0" flowWithText="1" '
            'allowOverlap="0" holdAnchorAndSO="0" vertRelTo="PARA" horzRelTo="COLUMN" vertAlign="TOP" '
            'horzAlign="LEFT" vertOffset="0" horzOffset="0"/><hp:outMargin left="283" right="283" top="283" '
            'bottom="283"/><hp:inMargin left="510" right="510" top="141" bottom="141"/>'
        )
    ]
    for row in rows:
        out.append("<hp:tr>")
        for cell in row:
            width = sum(tbl.widths[cell.col : cell.col + cell.col_span])
            paras = "".join(_hwpx_para(p, ids) for p in cell.paras)
            out.append(
                '<hp:tc name="" header="0" hasMargin="0" protect="0" editable="0" dirty="0" borderFillIDRef="2">'
                '<hp:subList id="" textDirection="HORIZONTAL" lineWrap="BREAK" vertAlign="CENTER" '
                f'linkListIDRef="0" linkListNextIDRef="0" textWidth="{width - 1020}" textHeight="0" '
                f'hasTextRef="0" hasNumRef="0">{paras}</hp:subList>'
                f'<hp:cellAddr colAddr="{cell.col}" rowAddr="{cell.row}"/>'
                f'<hp:cellSpan colSpan="{cell.col_span}" rowSpan="{cell.row_span}"/>'
                f'<hp:cellSz width="{width}" height="{height * cell.row_span}"/>'
                '<hp:cellMargin left="510" right="510" top="141" bottom="141"/></hp:tc>'
            )
        out.append("</hp:tr>")
    out.append("</hp:tbl>")
    return "".join(out)


def hwpx_parts(outline: bool = False) -> dict[str, bytes]:
    """The parts of the sample HWPX package, in archive order."""
    ids = _Ids()
    paras = hwp_model(outline)
    body = "".join(_hwpx_para(p, ids, first=(i == 0)) for i, p in enumerate(paras))
    section = f"{XML_DECL}<hs:sec {NS}>{body}</hs:sec>"
    hpf = (
        f'{XML_DECL}<opf:package {NS} version="" unique-identifier="" id=""><opf:metadata>'
        f"<opf:title>{escape(TITLE)}</opf:title><opf:language>ko</opf:language>"
        '<opf:meta name="creator" content="text">서울특별시</opf:meta></opf:metadata><opf:manifest>'
        '<opf:item id="header" href="Contents/header.xml" media-type="application/xml"/>'
        '<opf:item id="section0" href="Contents/section0.xml" media-type="application/xml"/>'
        '<opf:item id="settings" href="settings.xml" media-type="application/xml"/></opf:manifest>'
        '<opf:spine><opf:itemref idref="header" linear="yes"/><opf:itemref idref="section0" linear="yes"/>'
        "</opf:spine></opf:package>"
    )
    container = (
        f'{XML_DECL}<ocf:container xmlns:ocf="urn:oasis:names:tc:opendocument:xmlns:container" '
        'xmlns:hpf="http://www.hancom.co.kr/schema/2011/hpf"><ocf:rootfiles>'
        '<ocf:rootfile full-path="Contents/content.hpf" media-type="application/hwpml-package+xml"/>'
        '<ocf:rootfile full-path="Preview/PrvText.txt" media-type="text/plain"/></ocf:rootfiles></ocf:container>'
    )
    version = (
        f'{XML_DECL}<hv:HCFVersion xmlns:hv="http://www.hancom.co.kr/hwpml/2011/version" '
        'tagetApplication="WORDPROCESSOR" major="5" minor="1" micro="0" buildNumber="1" os="1" '
        'xmlVersion="1.4" application="Hancom Office Hangul" appVersion="11, 0, 0, 2129 WIN32LEWindows_10"/>'
    )
    settings = (
        f'{XML_DECL}<ha:HWPApplicationSetting xmlns:ha="http://www.hancom.co.kr/hwpml/2011/app" '
        'xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0"><ha:CaretPosition listIDRef="0" '
        'paraIDRef="0" pos="0"/></ha:HWPApplicationSetting>'
    )
    manifest = f'{XML_DECL}<odf:manifest xmlns:odf="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>'
    preview = "\r\n".join(p.text for p in paras if p.text)[:1000]
    return {
        "mimetype": b"application/hwp+zip",
        "version.xml": version.encode(),
        "Contents/header.xml": _hwpx_header().encode(),
        "Contents/section0.xml": section.encode(),
        "Preview/PrvText.txt": preview.encode("utf-8"),
        "settings.xml": settings.encode(),
        "META-INF/container.xml": container.encode(),
        "Contents/content.hpf": hpf.encode(),
        "META-INF/manifest.xml": manifest.encode(),
    }


def zip_parts(parts: dict[str, bytes], path: Path) -> None:
    """An OCF-style zip: ``mimetype`` first and stored, the rest deflated."""
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            method = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            z.writestr(zipfile.ZipInfo(name, date_time=(2022, 1, 1, 0, 0, 0)), data, compress_type=method)


def write_hwpx(path: Path, outline: bool = False) -> None:
    zip_parts(hwpx_parts(outline), path)


# --------------------------------------------------------------------------- HWP 5

HWPTAG_BEGIN = 0x10
TAG_DOCUMENT_PROPERTIES, TAG_ID_MAPPINGS, TAG_FACE_NAME, TAG_BORDER_FILL = 16, 17, 19, 20
TAG_CHAR_SHAPE, TAG_TAB_DEF, TAG_PARA_SHAPE, TAG_STYLE = 21, 22, 25, 26
TAG_PARA_HEADER, TAG_PARA_TEXT, TAG_PARA_CHAR_SHAPE, TAG_PARA_LINE_SEG = 66, 67, 68, 69
TAG_CTRL_HEADER, TAG_LIST_HEADER, TAG_TABLE = 71, 72, 77
CTRL_TABLE = int.from_bytes(b"tbl ", "big")
FLAG_COMPRESSED, FLAG_PASSWORD, FLAG_DISTRIBUTION = 1, 2, 4


def record(tag: int, level: int, payload: bytes) -> bytes:
    """One HWP record: 10-bit tag, 10-bit level, 12-bit size (0xFFF = size follows)."""
    size = len(payload)
    if size >= 0xFFF:
        return struct.pack("<II", tag | (level << 10) | (0xFFF << 20), size) + payload
    return struct.pack("<I", tag | (level << 10) | (size << 20)) + payload


def _wstr(text: str) -> bytes:
    data = text.encode("utf-16-le")
    return struct.pack("<H", len(data) // 2) + data


def hwp_docinfo(n_sections: int = 1, char_shapes: tuple[tuple[int, bool], ...] = CHAR_SHAPES) -> bytes:
    """DocInfo records: properties, id mappings, fonts, border fills, char/para shapes, styles."""
    out = [record(TAG_DOCUMENT_PROPERTIES, 0, struct.pack("<7H3I", n_sections, 1, 1, 1, 1, 1, 1, 0, 0, 0))]
    counts = [0, 1, 1, 1, 1, 1, 1, 1, 2, len(char_shapes), 1, 0, 0, 4, len(STYLES), 0, 0, 0]
    out.append(record(TAG_ID_MAPPINGS, 0, struct.pack(f"<{len(counts)}i", *counts)))
    for _ in range(7):
        out.append(record(TAG_FACE_NAME, 1, b"\x00" + _wstr("함초롬바탕")))
    for kind in (0, 1):  # no border / solid 0.12 mm
        lines = b"".join(struct.pack("<BBI", kind, 1, 0) for _ in range(4))
        out.append(record(TAG_BORDER_FILL, 1, struct.pack("<H", 0) + lines + struct.pack("<BBII", 0, 0, 0, 0)))
    for height, bold in char_shapes:
        body = struct.pack("<7H", *[0] * 7) + bytes([100] * 7) + bytes(7) + bytes([100] * 7) + bytes(7)
        body += struct.pack("<iI", height, 0x2 if bold else 0) + bytes(2) + struct.pack("<4I", 0, 0xFFFFFFFF, 0, 0)
        out.append(record(TAG_CHAR_SHAPE, 1, body + struct.pack("<H", 0)))
    out.append(record(TAG_TAB_DEF, 1, struct.pack("<Ii", 0, 0)))
    for i in range(4):  # para shape 0: plain; 1..3: outline levels 0..2
        props = 0 if i == 0 else (1 << 23) | ((i - 1) << 25)
        shape = struct.pack("<I6iHHH4hIII", props, 0, 0, 0, 0, 0, 160, 0, 0, 1, 0, 0, 0, 0, 0, 0, 160)
        out.append(record(TAG_PARA_SHAPE, 1, shape))
    for i, (name, eng, shape, _) in enumerate(STYLES):
        out.append(record(TAG_STYLE, 1, _wstr(name) + _wstr(eng) + struct.pack("<BBhHHH", 0, i, 1042, shape, 0, 0)))
    return b"".join(out)


def _para_records(para: Para, level: int, last: bool) -> list[bytes]:
    """PARA_HEADER and its children (text, char shapes, line seg, table control)."""
    if para.table is not None:
        units = [11, *struct.unpack("<2H", struct.pack("<I", CTRL_TABLE)), 0, 0, 0, 0, 11]
    else:
        units = []
        for ch in para.text:
            units.extend(struct.unpack(f"<{len(ch.encode('utf-16-le')) // 2}H", ch.encode("utf-16-le")))
    units.append(13)
    nchars = len(units) | (0x80000000 if last else 0)
    mask = (1 << 11) if para.table is not None else 0
    split = 0x04 if para.page_break else 0
    header = struct.pack("<IIHBBHHHIH", nchars, mask, para.para_shape, para.style, split, 1, 0, 1, 0, 0)
    out = [record(TAG_PARA_HEADER, level, header)]
    if len(units) > 1:
        out.append(record(TAG_PARA_TEXT, level + 1, struct.pack(f"<{len(units)}H", *units)))
    out.append(record(TAG_PARA_CHAR_SHAPE, level + 1, struct.pack("<II", 0, para.char)))
    seg = struct.pack("<I7iI", 0, 0, 1000, 1000, 850, 600, 0, 42520, 0x60000)
    out.append(record(TAG_PARA_LINE_SEG, level + 1, seg))
    if para.table is not None:
        out.extend(_table_records(para.table, level + 1))
    return out


def _table_records(tbl: Tbl, level: int) -> list[bytes]:
    common = struct.pack("<IIiiIIiHHHHIi", CTRL_TABLE, 0x082A2211, 0, 0, sum(tbl.widths), 1800 * tbl.n_rows,
                         0, 283, 283, 283, 283, 0, 0) + struct.pack("<H", 0)
    out = [record(TAG_CTRL_HEADER, level, common)]
    row_sizes = [sum(1 for c in tbl.cells if c.row == r) for r in range(tbl.n_rows)]
    table = struct.pack("<IHHH4H", 0x04000006, tbl.n_rows, tbl.n_cols, 0, 510, 510, 141, 141)
    table += struct.pack(f"<{tbl.n_rows}H", *row_sizes) + struct.pack("<HH", 2, 0)
    out.append(record(TAG_TABLE, level + 1, table))
    for cell in sorted(tbl.cells, key=lambda c: (c.row, c.col)):
        width = sum(tbl.widths[cell.col : cell.col + cell.col_span])
        head = struct.pack("<HIH4HII4HHI", len(cell.paras), 0x00200000, 0, cell.col, cell.row, cell.col_span,
                           cell.row_span, width, 1800 * cell.row_span, 510, 510, 141, 141, 2, width - 1020)
        out.append(record(TAG_LIST_HEADER, level + 1, head + bytes(9)))
        for i, para in enumerate(cell.paras):
            out.extend(_para_records(para, level + 1, last=(i == len(cell.paras) - 1)))
    return out


def hwp_section(paras: list[Para]) -> bytes:
    out: list[bytes] = []
    for i, para in enumerate(paras):
        out.extend(_para_records(para, 0, last=(i == len(paras) - 1)))
    return b"".join(out)


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def file_header(flags: int) -> bytes:
    sig = b"HWP Document File".ljust(32, b"\0")
    return (sig + struct.pack("<III", 0x05000300, flags, 0) + struct.pack("<IB", 4, 0)).ljust(256, b"\0")


def hwp_streams(outline: bool = False, flags: int = FLAG_COMPRESSED) -> dict[str, bytes]:
    paras = hwp_model(outline)
    docinfo, section = hwp_docinfo(), hwp_section(paras)
    if flags & FLAG_COMPRESSED:
        docinfo, section = deflate(docinfo), deflate(section)
    preview = "\r\n".join(p.text for p in paras if p.text)[:1000]
    return {
        "FileHeader": file_header(flags),
        "DocInfo": docinfo,
        "BodyText/Section0": section,
        "PrvText": preview.encode("utf-16-le"),
    }


def write_hwp(path: Path, outline: bool = False) -> None:
    path.write_bytes(build_cfb(hwp_streams(outline)))


# --------------------------------------------------------------------------- OLE compound file writer

SECTOR, MINI, CUTOFF = 512, 64, 4096
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list[_Entry] = field(default_factory=list)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    start: int = ENDOFCHAIN


def _key(e: _Entry) -> tuple[int, str]:
    return (len(e.name), e.name.upper())


def _tree(entries: list[_Entry]) -> int:
    """Link siblings into a balanced binary tree (all black); return the root's id."""
    if not entries:
        return NOSTREAM
    entries = sorted(entries, key=_key)
    mid = len(entries) // 2
    node = entries[mid]
    node.left, node.right = _tree(entries[:mid]), _tree(entries[mid + 1 :])
    return node.sid


def build_cfb(streams: dict[str, bytes]) -> bytes:
    """A version-3 compound file holding ``streams`` (paths like ``"BodyText/Section0"``)."""
    root = _Entry("Root Entry", 5)
    for path, data in streams.items():
        node = root
        *dirs, name = path.split("/")
        for d in dirs:
            found = next((c for c in node.children if c.name == d and c.kind == 1), None)
            if found is None:
                found = _Entry(d, 1)
                node.children.append(found)
            node = found
        node.children.append(_Entry(name, 2, data))
    def walk(e: _Entry) -> Iterator[_Entry]:
        yield e
        for c in e.children:
            yield from walk(c)

    order = list(walk(root))
    for i, e in enumerate(order):
        e.sid = i
    for e in order:
        e.child = _tree(e.children)

    # mini stream for small streams
    mini = bytearray()
    minifat: list[int] = []
    for e in order:
        if e.kind == 2 and len(e.data) < CUTOFF and e.data:
            e.start = len(mini) // MINI
            n = -(-len(e.data) // MINI)
            minifat.extend([*range(e.start + 1, e.start + n), ENDOFCHAIN])
            mini += e.data.ljust(n * MINI, b"\0")
    big = [e for e in order if e.kind == 2 and len(e.data) >= CUTOFF]

    def nsec(size: int) -> int:
        return -(-size // SECTOR)

    n_dir = nsec(len(order) * 128)
    n_minifat = nsec(len(minifat) * 4)
    n_ministream = nsec(len(mini))
    n_big = sum(nsec(len(e.data)) for e in big)
    n_fat = 1
    while n_fat * (SECTOR // 4) < n_fat + n_dir + n_minifat + n_ministream + n_big:
        n_fat += 1
    fat: list[int] = [FATSECT] * n_fat
    sectors: list[bytes] = []

    def chain(data: bytes) -> int:
        n = nsec(len(data))
        start = len(fat)
        fat.extend([*range(start + 1, start + n), ENDOFCHAIN])
        for i in range(n):
            sectors.append(data[i * SECTOR : (i + 1) * SECTOR].ljust(SECTOR, b"\0"))
        return start

    dir_start = len(fat)
    fat.extend([*range(dir_start + 1, dir_start + n_dir), ENDOFCHAIN])
    sectors.extend([b""] * n_dir)  # filled below
    minifat_start = chain(b"".join(struct.pack("<I", x) for x in minifat)) if minifat else ENDOFCHAIN
    root.start = chain(bytes(mini)) if mini else ENDOFCHAIN
    root.data = bytes(mini)
    for e in big:
        e.start = chain(e.data)
    fat.extend([FREESECT] * (n_fat * (SECTOR // 4) - len(fat)))

    def dirent(e: _Entry) -> bytes:
        name = e.name.encode("utf-16-le")[:62]
        size = len(e.data) if e.kind != 1 else 0
        start = e.start if (e.kind == 5 or e.data) else ENDOFCHAIN
        return (
            name.ljust(64, b"\0") + struct.pack("<HBB3I", len(name) + 2, e.kind, 1, e.left, e.right, e.child)
            + bytes(16) + struct.pack("<I", 0) + bytes(16) + struct.pack("<IQ", start if e.kind != 1 else 0, size)
        )

    unused = bytes(64) + struct.pack("<HBB3I", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM) + bytes(48)
    dir_bytes = b"".join(dirent(e) for e in order) + unused * (n_dir * 4 - len(order))
    for j in range(n_dir):
        sectors[j] = dir_bytes[j * SECTOR : (j + 1) * SECTOR]
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    difat = list(range(n_fat)) + [FREESECT] * (109 - n_fat)
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1") + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
        + struct.pack("<IIIIIIIII", 0, n_fat, dir_start, 0, CUTOFF, minifat_start, n_minifat, ENDOFCHAIN, 0)
        + struct.pack("<109I", *difat)
    )
    return header + fat_bytes + b"".join(sectors)


# --------------------------------------------------------------------------- broken files


def _damage_member(data: bytes, name: str) -> bytes:
    """Flip bytes inside one member's compressed data; the zip directory stays intact."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo(name)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    mid = start + info.compress_size // 2
    buf = bytearray(data)
    for i in range(mid, mid + 16):
        buf[i] ^= 0xA5
    return bytes(buf)


def write_broken(out: Path, sample_hwpx: Path, sample_docx: Path) -> dict[str, Path]:
    """Files every reader must refuse with :class:`UnreadableDocument`."""
    files: dict[str, Path] = {}
    for name, src in (("truncated.hwpx", sample_hwpx), ("truncated.docx", sample_docx)):
        data = src.read_bytes()
        (out / name).write_bytes(data[: len(data) * 2 // 3])
        files[name] = out / name
    streams = hwp_streams(flags=FLAG_COMPRESSED | FLAG_PASSWORD)
    streams["BodyText/Section0"] = os.urandom(2048)  # encrypted body
    (out / "password.hwp").write_bytes(build_cfb(streams))
    streams = hwp_streams(flags=FLAG_COMPRESSED | FLAG_DISTRIBUTION)
    (out / "distribution.hwp").write_bytes(build_cfb(streams))
    streams = hwp_streams()
    streams["BodyText/Section0"] = b"\x78\x9c not a deflate stream" * 20
    (out / "corrupt.hwp").write_bytes(build_cfb(streams))
    (out / "text.hwp").write_text("이 파일은 한글 문서가 아니라 텍스트 파일입니다.\n", encoding="utf-8")
    shutil.copyfile(sample_hwpx, out / "zip.hwp")
    (out / "hwp3.hwp").write_bytes(b"HWP Document File V3.00 \x1a\x01\x02\x03\x04\x05" + bytes(100))
    (out / "notzip.docx").write_text("plain text, not a zip", encoding="utf-8")
    # what Word writes for a password-protected DOCX: an OLE file with the encrypted package
    encrypted = {"EncryptionInfo": struct.pack("<HHI", 4, 4, 0x40) + bytes(200), "EncryptedPackage": os.urandom(9000)}
    (out / "encrypted.docx").write_bytes(build_cfb(encrypted))
    (out / "damaged.hwpx").write_bytes(_damage_member(sample_hwpx.read_bytes(), "Contents/section0.xml"))
    for name in ("encrypted.docx", "damaged.hwpx", "password.hwp", "distribution.hwp", "corrupt.hwp", "text.hwp", "zip.hwp", "hwp3.hwp", "notzip.docx"):
        files[name] = out / name
    return files


# --------------------------------------------------------------------------- entry points

PDF_FILES = ("sample.pdf", "scanned.pdf")


def make_pdfs(out: Path) -> None:
    """Render the PDFs, or copy the committed ones when no Korean font is installed."""
    if korean_font() and korean_font(bold=True):
        write_pdf(out / "sample.pdf")
        write_scanned_pdf(out / "scanned.pdf")
        return
    log.warning("no NanumGothic font; using committed PDFs from %s", COMMITTED)
    for name in PDF_FILES:
        shutil.copyfile(COMMITTED / name, out / name)


def make_all(out: Path) -> dict[str, Path]:
    """Write every fixture into ``out``; return them by file name."""
    out.mkdir(parents=True, exist_ok=True)
    make_pdfs(out)
    write_encrypted_pdf(out / "sample.pdf", out / "encrypted.pdf")
    write_docx(out / "sample.docx")
    write_docx_extras(out / "extras.docx")
    write_hwpx(out / "sample.hwpx")
    write_hwpx(out / "outline.hwpx", outline=True)
    write_hwp(out / "sample.hwp")
    write_hwp(out / "outline.hwp", outline=True)
    (out / "uncompressed.hwp").write_bytes(build_cfb(hwp_streams(flags=0)))
    files = {p.name: p for p in out.iterdir() if p.is_file()}
    files.update(write_broken(out, out / "sample.hwpx", out / "sample.docx"))
    return files


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--commit", action="store_true", help="also refresh the committed PDFs in fixtures/")
    args = ap.parse_args()
    files = make_all(args.outdir)
    if args.commit:
        COMMITTED.mkdir(exist_ok=True)
        for name in PDF_FILES:
            shutil.copyfile(files[name], COMMITTED / name)
    for name, p in sorted(files.items()):
        log.info("%-20s %8d bytes", name, p.stat().st_size)


if __name__ == "__main__":
    main()
