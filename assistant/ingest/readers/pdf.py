"""PDF reader: text lines, headings (by font size) and ruled tables, via pdfplumber.

pdfplumber (MIT) sits on pdfminer.six (MIT) and pypdfium2 (Apache/BSD). Tables come from
its ruling-line finder, which keeps merged cells as one cell (covered positions ``None``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

from ...lexicon import PDF_BULLET
from .raw import (
    MAX_HEADING_CHARS,
    NO_TEXT_LAYER,
    RawBlock,
    RawDocument,
    RawKind,
    UnreadableDocument,
    body_size,
    clean_text,
    ensure_not_empty,
    heading_levels,
    table_block,
    title_of,
)

log = logging.getLogger(__name__)

#: A line starting with one of these opens a new paragraph (list items, notes).
#: Page numbers such as "3", "- 3 -", "3 / 12" in the top or bottom margin are dropped.
_PAGE_NUMBER = re.compile(r"^[-\u2013(\s]*\d{1,4}(\s*/\s*\d{1,4})?[-\u2013)\s]*$")
_MARGIN = 0.08


@dataclass
class _Line:
    page: int
    top: float
    bottom: float
    text: str
    size: float


@dataclass
class _Table:
    page: int
    top: float
    rows: list[list[str]]
    spans: tuple[tuple[int, int, int, int], ...] = ()


def _open(path: Path) -> Any:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(path)
        _ = pdf.pages  # forces the page tree (and the decryption check) to load
    except Exception as exc:  # pdfplumber wraps pdfminer errors in PdfminerException
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
        if isinstance(cause, PDFPasswordIncorrect | PDFEncryptionError) or "password" in repr(exc).lower():
            raise UnreadableDocument("encrypted PDF: a password is required to open it") from exc
        raise UnreadableDocument(f"corrupt or unsupported PDF: {cause!r}") from exc
    return pdf


def _inside(obj: dict[str, Any], boxes: list[tuple[float, float, float, float]]) -> bool:
    cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
    return any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)


def _spans(cells: list[tuple[float, float, float, float]]) -> tuple[tuple[int, int, int, int], ...]:
    """Merged cells of a pdfplumber table as ``(row, col, row_span, col_span)``: its rows are
    the distinct cell tops and its columns the distinct cell lefts (as in ``Table.extract``)."""
    xs = sorted({c[0] for c in cells})
    tops = sorted({c[1] for c in cells})
    out = []
    for x0, top, x1, bottom in cells:
        cs = sum(1 for x in xs if x0 <= x < x1 - 0.01)
        rs = sum(1 for y in tops if top <= y < bottom - 0.01)
        if rs > 1 or cs > 1:
            out.append((tops.index(top), xs.index(x0), rs, cs))
    return tuple(sorted(out))


def _read_page(page: Any, number: int) -> tuple[list[_Line], list[_Table], int]:
    """Lines outside tables, tables, and the page's character count."""
    page = page.dedupe_chars()
    n_chars = len(page.chars)
    tables = page.find_tables() if n_chars else []
    boxes = [t.bbox for t in tables]
    out_tables = [_Table(number, t.bbox[1], [[clean_text(c or "") for c in row] for row in t.extract()], _spans(t.cells)) for t in tables]
    rest = page.filter(lambda o: o.get("object_type") != "char" or not _inside(o, boxes)) if boxes else page
    lines = []
    for ln in rest.extract_text_lines(return_chars=True):
        text = ln["text"].strip()
        in_margin = ln["bottom"] < page.height * _MARGIN or ln["top"] > page.height * (1 - _MARGIN)
        if not text or (in_margin and _PAGE_NUMBER.match(text)):
            continue
        size = median(c["size"] for c in ln["chars"] if c["text"].strip()) if ln["chars"] else 0.0
        lines.append(_Line(number, ln["top"], ln["bottom"], text, round(size, 1)))
    return lines, out_tables, n_chars


def _blocks(lines: list[_Line], tables: list[_Table]) -> list[RawBlock]:
    """Group lines into headings/paragraphs and interleave tables by position."""
    all_body = body_size((ln.size, len(ln.text)) for ln in lines)
    levels = heading_levels((ln.size for ln in lines if len(ln.text) <= MAX_HEADING_CHARS), all_body)
    items: list[tuple[int, float, RawBlock]] = [
        (t.page, t.top, table_block(t.rows, f"p. {t.page}", t.spans)) for t in tables if any(any(r) for r in t.rows)
    ]
    cur: list[_Line] = []

    def flush() -> None:
        if not cur:
            return
        first = cur[0]
        text = clean_text("\n".join(ln.text for ln in cur))
        level = levels.get(first.size, 0)
        kind: RawKind = "heading" if level else "paragraph"
        if kind == "heading":
            text = " ".join(text.split("\n"))
        items.append((first.page, first.top, RawBlock(kind=kind, text=text, level=level, locator=f"p. {first.page}")))
        cur.clear()

    for ln in lines:
        if cur:
            prev = cur[-1]
            height = prev.bottom - prev.top
            gap = ln.top - prev.bottom
            same_kind = levels.get(ln.size, 0) == levels.get(prev.size, 0)
            new_item = not levels.get(ln.size, 0) and PDF_BULLET.match(ln.text)
            # a table between two lines on the page also splits them
            table_between = any(t.page == ln.page and prev.top < t.top < ln.top for t in tables)
            if ln.page != prev.page or not same_kind or not -height <= gap <= 0.6 * height or new_item or table_between:
                flush()
        cur.append(ln)
    flush()
    items.sort(key=lambda it: (it[0], it[1]))
    return [b for _, _, b in items]


def read_pdf(path: Path) -> RawDocument:
    """Read a PDF's text layer into blocks; ``p. N`` locators.

    Raises :class:`UnreadableDocument` for an encrypted or corrupt PDF and for one
    without any text layer (a scan): ``"no text layer; OCR not available"``.
    """
    pdf = _open(Path(path))
    lines: list[_Line] = []
    tables: list[_Table] = []
    total = 0
    try:
        for number, page in enumerate(pdf.pages, start=1):
            ls, ts, n = _read_page(page, number)
            if not n:
                log.info("%s: page %d has no text layer", path, number)
            lines += ls
            tables += ts
            total += n
        meta_title = str(pdf.metadata.get("Title") or "") if isinstance(pdf.metadata, dict) else ""
    except UnreadableDocument:
        raise
    except Exception as exc:
        raise UnreadableDocument(f"corrupt PDF: {exc!r}") from exc
    finally:
        pdf.close()
    if total == 0:
        raise UnreadableDocument(NO_TEXT_LAYER)
    blocks = _blocks(lines, tables)
    ensure_not_empty(blocks, "PDF")
    return RawDocument(blocks=tuple(blocks), title=title_of(blocks, meta_title), format="pdf")
