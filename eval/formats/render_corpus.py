"""Render the five corpus text exports as real office documents: PDF, HWPX, HWP and DOCX.

Usage: ``python eval/formats/render_corpus.py [--out eval/formats/corpus] [--check]``

Each ``corpus/NNN_hash.txt`` is parsed with the project's own parser (``load_document``)
and its blocks are laid out again as a document: markdown headings (``#``, ``**3**``) and
the title become headings (sized by level, or Heading styles in DOCX); everything else
(``□``/``Ⅰ``/``【】`` section lines, list items, label lines, ``(단위 : …)`` lines) becomes a
plain paragraph, as in the original 공문서; every table becomes a real table, with merged
cells where the export shows them (multi-row headers, label cells continued downwards,
key/value rows whose value runs to the end of the row). A few places where the text export
lost the structure are put back by hand (``FIXES``, each one commented).

Tools:

- PDF: reportlab with NanumGothic/NanumGothicBold (Debian ``fonts-nanum``) and DejaVuSans
  (Debian ``fonts-dejavu-core``) for the four bullets NanumGothic lacks (``‣ ‧ ▸ ❍``). Ruled
  grid tables (``GRID``/``SPAN``), page numbers in the footer, fonts subset and embedded,
  ``invariant=True`` so the bytes do not change between runs.
- DOCX: python-docx (Title/Heading N styles, Table Grid tables, ``merge`` for spans); the
  zip is rewritten with fixed timestamps.
- HWPX and HWP 5: the hand-written OWPML zip and HWP record/OLE writers of
  ``tests/formats/make_fixtures.py`` (size-based headings: 18/15/13/12 pt over a 10 pt body).

The output goes to ``OUT/{pdf,hwpx,hwp,docx}/`` with the source's file stem.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "formats")]

import make_fixtures as mf  # noqa: E402  (tests/formats: the HWPX/HWP/CFB writers)
from sample_content import Item, TCell  # noqa: E402

from assistant.ingest.metadata import find_title_line  # noqa: E402
from assistant.ingest.parse import split_lines  # noqa: E402
from assistant.ingest.readers import load_document  # noqa: E402
from assistant.records import Document, Table  # noqa: E402

CORPUS = ROOT / "corpus"
OUT = ROOT / "eval" / "formats" / "corpus"
FORMATS = ("pdf", "hwpx", "hwp", "docx")
DEJAVU = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"), Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"))
#: Characters NanumGothic has no glyph for; the PDF draws them with DejaVuSans.
FALLBACK_CHARS = "‣‧▸❍"

# --------------------------------------------------------------------------- the layout plan


def _markup_line(doc: Document, pos: int) -> str:
    for line in split_lines(doc.text):
        if line.start <= pos <= line.end:
            return line.stripped
    return ""


def _spans(grid: list[list[str]], n_header: int, inherited: list[list[bool]], spread: bool) -> list[list[TCell | None]]:
    """Cells with spans from a parsed grid.

    Header rows: a cell spans the empty cells to its right when the rows below subdivide
    both (or when nothing is below them), and the empty cells below it. Data rows: a cell
    the parser filled from above (``inherited``) is covered by the cell above; with
    ``spread`` (key/value and transposed tables) a cell followed only by empty cells spans
    them to the end of the row.
    """
    n_rows, width = len(grid), max(len(r) for r in grid)
    text = [list(r) + [""] * (width - len(r)) for r in grid]
    owner: list[list[tuple[int, int] | None]] = [[None] * width for _ in range(n_rows)]
    spans: dict[tuple[int, int], list[int]] = {}  # (row, col) -> [row_span, col_span]
    for i in range(n_header):
        below = [any(text[b][k] for b in range(i + 1, n_header)) for k in range(width)]
        for j in range(width):
            if owner[i][j] is not None or not text[i][j]:
                continue
            cs = 1
            while j + cs < width and not text[i][j + cs] and owner[i][j + cs] is None:
                k = j + cs
                if not ((below[j] and below[k]) or not below[k]):
                    break
                cs += 1
            rs = 1
            while i + rs < n_header and not any(text[i + rs][j : j + cs]):
                rs += 1
            spans[(i, j)] = [rs, cs]
            for a in range(i, i + rs):
                for b in range(j, j + cs):
                    owner[a][b] = (i, j)
    for i in range(n_header, n_rows):
        for j in range(width):
            if owner[i][j] is not None:
                continue
            top = owner[i - 1][j] if i > n_header else None
            if inherited[i][j] and top is not None and spans[top][1] == 1:
                spans[top][0] += 1
                owner[i][j] = top
                continue
            cs = 1
            if spread and text[i][j] and all(not t for t in text[i][j + 1 :]) and not any(inherited[i][j + 1 :]):
                cs = width - j
            spans[(i, j)] = [1, cs]
            for b in range(j, j + cs):
                owner[i][b] = (i, j)
    rows: list[list[TCell | None]] = [[None] * width for _ in range(n_rows)]
    for (i, j), (rs, cs) in spans.items():
        rows[i][j] = TCell(text[i][j], rs, cs)
    return rows


def table_item(t: Table) -> Item:
    header = [[c.text for c in r] for r in t.header_rows]
    data = [[c.text for c in r] for r in t.rows]
    inherited = [[False] * len(r) for r in t.header_rows] + [[c.inherited for c in r] for r in t.rows]
    if t.rows:
        # a label the parser made up for the first data row (the "계" of a total line) has no cell above
        inherited[len(header)] = [False] * len(t.rows[0])
    rows = _spans(header + data, len(header), inherited, spread=t.layout in ("keyvalue", "transposed"))
    return Item("table", rows=tuple(tuple(r) for r in rows), level=len(header))


def plan(doc: Document) -> list[Item]:
    """The document as headings, paragraphs and tables (``Item.level`` of a table = header rows)."""
    title_line, _ = find_title_line(doc.text)
    lines = split_lines(doc.text)
    title_span = (lines[title_line].start, lines[title_line].end) if title_line is not None else (-1, -1)
    items: list[Item] = []
    for b in doc.blocks:
        if b.kind == "table":
            assert b.table is not None
            t = doc.tables[b.table]
            if t.unit:
                items.append(Item("paragraph", f"(단위 : {t.unit})", level=-1))
            items.append(table_item(t))
        elif b.kind == "heading" and (title_span[0] <= b.start <= title_span[1] or _markup_line(doc, b.start).startswith(("#", "**"))):
            items.append(Item("heading", b.text, b.level))
        else:
            items.append(Item("paragraph", b.text, level=b.level if b.kind == "list_item" else 0))
    fix = FIXES.get(doc.id[:3])
    return fix(items) if fix else items


def _index(items: Sequence[Item], prefix: str) -> int:
    return next(i for i, it in enumerate(items) if it.text.startswith(prefix))


def _join_continuations(*starts: str) -> Callable[[list[Item]], list[Item]]:
    """Lines the export broke out of the paragraph before them, put back into it."""

    def fix(items: list[Item]) -> list[Item]:
        for start in starts:
            i = _index(items, start)
            prev = items[i - 1]
            items[i - 1] = replace(prev, text=f"{prev.text} {items[i].text}")
            del items[i]
        return items

    return fix


def _fix_meeting(items: list[Item]) -> list[Item]:
    """004: the 진행순서 table was flattened into lines laid out with spaces; it is a table again."""
    first = _index(items, "시 간 주 요 내 용 진 행")
    last = _index(items, "마무리 14:40~14:50")
    c = TCell
    rows: tuple[tuple[TCell | None, ...], ...] = (
        (c("시 간", 1, 3), None, None, c("주 요 내 용"), c("진 행")),
        (c("안내"), c("14:00~14:05"), c("5'"), c("참석자 소개 및 인사"), c("(부)분과장")),
        (c("회의\n진행", 2), c("14:05~14:20"), c("15'"), c("‣ PT보고\n‧ 2021 지역사회혁신계획 최종 수립 보고 등"), c("협치조정관")),
        (
            None,
            c("14:20~14:40"),
            c("20'"),
            c("‣ 주요안건 논의\n‧ 2021 영등포구 지역사회혁신계획(최종) 검토 및 의견 수렴 등"),
            c("(부)분과장"),
        ),
        (c("마무리"), c("14:40~14:50"), c("10'"), c("‣ 향후 협치회의 일정 안내 등"), c("(부)분과장")),
    )
    return [*items[:first], Item("table", rows=rows, level=1), *items[last + 1 :]]


#: Hand corrections where the text export lost the document's structure, by document number.
FIXES: dict[str, Callable[[list[Item]], list[Item]]] = {
    # 003: two list items wrapped inside a word group; the export put the rest on a line of its own
    "003": _join_continuations("사업) 공사 완료", "위원과 공론장(협치론장) 실시"),
    "004": _fix_meeting,
}

# --------------------------------------------------------------------------- column widths


def _col_weights(item: Item, measure: Callable[[str], float]) -> tuple[list[float], list[float]]:
    """Per column: the widest word (minimum width) and the widest line (natural width) of its
    single-column cells."""
    n = len(item.rows[0])
    least, natural = [0.0] * n, [0.0] * n
    for row in item.rows:
        for j, tc in enumerate(row):
            if tc is None or tc.col_span != 1:
                continue
            for line in tc.text.split("\n"):
                natural[j] = max(natural[j], measure(line))
                for word in line.split():
                    least[j] = max(least[j], measure(word))
    return least, natural


def column_widths(item: Item, total: float, measure: Callable[[str], float], pad: float) -> list[float] | None:
    """Widths summing to ``total`` so no word is broken; None if the words do not fit."""
    least, natural = _col_weights(item, measure)
    least = [w + pad for w in least]
    natural = [max(w + pad, m) for w, m in zip(natural, least, strict=True)]
    spare = total - sum(least)
    if spare < 0:
        return None
    extra = [m - w for m, w in zip(natural, least, strict=True)]
    if sum(extra) <= spare:
        # everything fits on one line: share the rest in proportion to the natural widths
        return [m + (spare - sum(extra)) * m / sum(natural) for m in natural]
    return [w + spare * e / sum(extra) for w, e in zip(least, extra, strict=True)]


# --------------------------------------------------------------------------- PDF

HEADING_PT = {1: 18, 2: 15, 3: 13, 4: 12, 5: 12, 6: 12}


def _dejavu() -> Path | None:
    return next((p for p in DEJAVU if p.is_file()), None)


def _markup(text: str) -> str:
    """Paragraph markup: escaped, line breaks, the bullets NanumGothic lacks drawn with DejaVuSans."""
    out = escape(text).replace("\n", "<br/>")
    return re.sub(f"([{FALLBACK_CHARS}])", r'<font name="DejaVuSans">\1</font>', out)


def write_pdf(items: Sequence[Item], title: str, path: Path) -> None:
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    regular, bold, dejavu = mf.korean_font(), mf.korean_font(bold=True), _dejavu()
    if regular is None or bold is None or dejavu is None:
        raise RuntimeError("fonts missing: apt-get install fonts-nanum fonts-dejavu-core")
    pdfmetrics.registerFont(TTFont("NanumGothic", str(regular)))
    pdfmetrics.registerFont(TTFont("NanumGothicBold", str(bold)))
    pdfmetrics.registerFont(TTFont("DejaVuSans", str(dejavu)))
    body = ParagraphStyle("body", fontName="NanumGothic", fontSize=10, leading=15, spaceAfter=4)
    unit = ParagraphStyle("unit", parent=body, fontSize=9, leading=12, alignment=TA_RIGHT, spaceAfter=2)
    heads = {
        lvl: ParagraphStyle(f"h{lvl}", fontName="NanumGothicBold", fontSize=pt, leading=pt * 1.35, spaceBefore=6, spaceAfter=6)
        for lvl, pt in HEADING_PT.items()
    }
    width = A4[0] - 2 * 56
    story: list[Any] = []
    for item in items:
        if item.kind == "heading":
            story.append(Paragraph(_markup(item.text), heads[min(max(item.level, 1), 6)]))
        elif item.kind == "paragraph":
            style = unit if item.level == -1 else ParagraphStyle("li", parent=body, leftIndent=min(item.level, 8) * 3)
            story.append(Paragraph(_markup(item.text), style))
        else:
            story.append(_pdf_table(item, width))
            story.append(Spacer(1, 8))
    doc = SimpleDocTemplate(str(path), pagesize=A4, title=title, author="서울특별시", leftMargin=56, rightMargin=56, invariant=True)

    def page_number(canvas: Any, document: Any) -> None:
        canvas.setFont("NanumGothic", 9)
        canvas.drawCentredString(A4[0] / 2, 28, f"- {document.page} -")

    doc.build(story, onFirstPage=page_number, onLaterPages=page_number)


def _pdf_table(item: Item, width: float) -> Any:
    """A ruled table; the font shrinks until the longest word of every column fits."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.platypus import Paragraph, Table, TableStyle

    pad = 8.0
    widths: list[float] | None = None
    size = 9.0
    while widths is None:

        def measure(s: str, size: float = size) -> float:
            return pdfmetrics.stringWidth(s, "NanumGothicBold", size)

        widths = column_widths(item, width, measure, pad)
        if widths is None:
            if size <= 6:
                raise RuntimeError(f"table too wide for the page: {item.rows[0]}")
            size -= 0.5
    cell = ParagraphStyle("cell", fontName="NanumGothic", fontSize=size, leading=size * 1.3)
    head = ParagraphStyle("head", parent=cell, fontName="NanumGothicBold")
    n_header = item.level
    data = [[Paragraph(_markup(tc.text), head if r < n_header else cell) if tc else "" for tc in row] for r, row in enumerate(item.rows)]
    cmds: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), pad / 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad / 2),
    ]
    if n_header:
        cmds.append(("BACKGROUND", (0, 0), (-1, n_header - 1), colors.HexColor("#E8E8E8")))
    for r, row in enumerate(item.rows):
        for c, tc in enumerate(row):
            if tc and (tc.row_span > 1 or tc.col_span > 1):
                cmds.append(("SPAN", (c, r), (c + tc.col_span - 1, r + tc.row_span - 1)))
    return Table(data, colWidths=widths, style=TableStyle(cmds), repeatRows=n_header, hAlign="LEFT")


# --------------------------------------------------------------------------- DOCX


def _relative_widths(item: Item) -> tuple[float, ...]:
    """Column widths in character units (a Hangul syllable counts 1, anything else 0.55): room
    for the longest word, and for the longest line up to 30 characters."""

    def measure(s: str) -> float:
        return sum(1.0 if ord(ch) > 0x2E80 else 0.55 for ch in s)

    least, natural = _col_weights(item, measure)
    return tuple(max(w + 1.0, min(n, 30.0), 2.0) for w, n in zip(least, natural, strict=True))


def write_docx(items: Sequence[Item], title: str, path: Path) -> None:
    import docx
    from docx.shared import Pt

    doc = docx.Document()
    props = doc.core_properties
    props.title, props.author, props.last_modified_by, props.revision = title, "서울특별시", "서울특별시", 1
    props.created = props.modified = datetime(2024, 1, 1)
    for item in items:
        if item.kind == "heading":
            doc.add_heading(item.text, level=min(max(item.level, 1), 9))
        elif item.kind == "paragraph":
            par = doc.add_paragraph()
            lines = item.text.split("\n")
            for i, line in enumerate(lines):
                run = par.add_run(line)
                if i < len(lines) - 1:
                    run.add_break()
            if item.level > 0:
                par.paragraph_format.left_indent = Pt(min(item.level, 8) * 3)
        else:
            _docx_table(doc, item)
    buf = io.BytesIO()
    doc.save(buf)
    _rezip(buf.getvalue(), path)


def _docx_table(doc: Any, item: Item) -> None:
    from docx.shared import Emu

    table = mf.new_docx_table(doc, item)
    rel = _relative_widths(item)
    text_width = 5_760_720  # 16 cm in EMU (A4 less 2.5 cm margins)
    for j, col in enumerate(table.columns):
        col.width = Emu(int(text_width * rel[j] / sum(rel)))
    mf.fill_docx_table(table, item)
    for r, row in enumerate(item.rows[: item.level]):  # header rows in bold
        for c, tc in enumerate(row):
            if tc is not None:
                for par in table.cell(r, c).paragraphs:
                    for run in par.runs:
                        run.bold = True


def _rezip(data: bytes, path: Path) -> None:
    """The same package with fixed member timestamps, so regenerating gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(
                zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0)), src.read(info), compress_type=zipfile.ZIP_DEFLATED
            )
    path.write_bytes(out.getvalue())


# --------------------------------------------------------------------------- HWPX and HWP

#: (height in 1/100 pt, bold): body, headings 1-4, table cell, header cell.
CHAR_SHAPES: tuple[tuple[int, bool], ...] = (
    (1000, False),
    (1800, True),
    (1500, True),
    (1300, True),
    (1200, True),
    (900, False),
    (900, True),
)
HEADING_CHAR = {1: 1, 2: 2, 3: 3, 4: 4}
CELL_CHAR, HEAD_CHAR = 5, 6
PAGE_WIDTH = 42520  # A4 text width in HWPUNIT


def hwp_paras(items: Sequence[Item]) -> list[mf.Para]:
    paras: list[mf.Para] = []
    for item in items:
        if item.kind == "heading":
            paras.append(mf.Para(item.text, HEADING_CHAR[min(max(item.level, 1), 4)]))
        elif item.kind == "paragraph":
            paras.append(mf.Para(item.text))
        else:
            tbl = mf._tbl(replace(item, widths=_relative_widths(item)), PAGE_WIDTH)
            for cell in tbl.cells:
                for p in cell.paras:
                    p.char = HEAD_CHAR if cell.row < item.level else CELL_CHAR
            paras.append(mf.Para(table=tbl))
    return paras


def hwpx_parts(items: Sequence[Item], title: str) -> dict[str, bytes]:
    """The OWPML package: make_fixtures' sample package with this document's header, body and title."""
    parts = mf.hwpx_parts()
    ids = mf._Ids()
    paras = hwp_paras(items)
    body = "".join(mf._hwpx_para(p, ids, first=(i == 0)) for i, p in enumerate(paras))
    parts["Contents/header.xml"] = mf._hwpx_header(CHAR_SHAPES).encode()
    parts["Contents/section0.xml"] = f"{mf.XML_DECL}<hs:sec {mf.NS}>{body}</hs:sec>".encode()
    parts["Preview/PrvText.txt"] = "\r\n".join(p.text for p in paras if p.text)[:1000].encode("utf-8")
    hpf = parts["Contents/content.hpf"].decode()
    parts["Contents/content.hpf"] = re.sub(r"<opf:title>.*?</opf:title>", lambda _: f"<opf:title>{escape(title)}</opf:title>", hpf).encode()
    return parts


def write_hwpx(items: Sequence[Item], title: str, path: Path) -> None:
    mf.zip_parts(hwpx_parts(items, title), path)


def write_hwp(items: Sequence[Item], title: str, path: Path) -> None:
    paras = hwp_paras(items)
    streams = {
        "FileHeader": mf.file_header(mf.FLAG_COMPRESSED),
        "DocInfo": mf.deflate(mf.hwp_docinfo(1, CHAR_SHAPES)),
        "BodyText/Section0": mf.deflate(mf.hwp_section(paras)),
        "PrvText": "\r\n".join(p.text for p in paras if p.text)[:1000].encode("utf-16-le"),
    }
    path.write_bytes(mf.build_cfb(streams))


WRITERS: dict[str, Callable[[Sequence[Item], str, Path], None]] = {
    "pdf": write_pdf,
    "hwpx": write_hwpx,
    "hwp": write_hwp,
    "docx": write_docx,
}

# --------------------------------------------------------------------------- entry point


def render(out: Path = OUT, formats: Sequence[str] = FORMATS, sources: Sequence[Path] | None = None) -> list[Path]:
    """Render every corpus document into every format; returns the written files."""
    written: list[Path] = []
    for src in sources or sorted(CORPUS.glob("*.txt")):
        doc = load_document(src)
        items = plan(doc)
        for fmt in formats:
            folder = out / fmt
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{src.stem}.{fmt}"
            WRITERS[fmt](items, doc.title, target)
            written.append(target)
    return written


def check(out: Path = OUT) -> int:
    """Read every rendering back: each rendered paragraph and cell must be found in the text
    read from the file, and the title, type, department and date must be the text export's."""
    problems = 0
    for src in sorted(CORPUS.glob("*.txt")):
        ref = load_document(src)
        items = plan(ref)
        pieces = [it.text for it in items if it.kind != "table"]
        pieces += [tc.text for it in items if it.kind == "table" for row in it.rows for tc in row if tc and tc.text]
        for fmt in FORMATS:
            got = load_document(out / fmt / f"{src.stem}.{fmt}")
            flat = _squash(got.text.replace("<li>", ""))
            missing = [p for p in pieces if _squash(p) not in flat]
            meta = [
                k
                for k, a, b in (
                    ("title", got.title, ref.title),
                    ("type", got.doc_type, ref.doc_type),
                    ("department", got.department, ref.department),
                    ("date", got.date, ref.date),
                )
                if a != b
            ]
            problems += bool(missing or meta)
            status = "ok" if not (missing or meta) else f"DIFFERS: {meta} missing {missing[:5]}"
            print(f"{src.stem}.{fmt:<5} blocks {len(got.blocks):>3} tables {len(got.tables)} (text export {len(ref.tables)})  {status}")
    return problems


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--check", action="store_true", help="read the renderings back and compare words with the text exports")
    args = ap.parse_args()
    files = render(args.out, [f for f in args.formats.split(",") if f])
    for p in files:
        print(f"{p.relative_to(ROOT) if p.is_relative_to(ROOT) else p}  {p.stat().st_size:>8,d} bytes")
    print(f"total {sum(p.stat().st_size for p in files):,d} bytes")
    if args.check:
        sys.exit(1 if check(args.out) else 0)


if __name__ == "__main__":
    main()
