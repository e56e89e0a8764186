"""DOCX reader via python-docx (MIT): body paragraphs and tables in document order.

Headings come from the paragraph style (Title, Heading N / 제목 N, or an outline level on
the style chain). Tables are laid out from the XML grid so merged cells follow the
contract: ``w:gridSpan`` covers columns, ``w:vMerge`` continuation cells stay ``""``.
"""

from __future__ import annotations

import logging
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .raw import (
    Cell,
    RawBlock,
    RawDocument,
    RawKind,
    UnreadableDocument,
    build_grid,
    check_package,
    clean_text,
    ensure_not_empty,
    merged_spans,
    table_block,
    title_of,
)

log = logging.getLogger(__name__)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_INLINE = {f"{W}tab": "\t", f"{W}br": "\n", f"{W}cr": "\n", f"{W}noBreakHyphen": "-"}
_HEADING = re.compile(r"^(?:heading|제목)\s*(\d)$", re.IGNORECASE)
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


def _style_level(style: Any) -> int:
    """Heading level of a paragraph style (walking ``based_on``), 0 if none."""
    seen = 0
    while style is not None and seen < 10:
        name = (style.name or "").strip()
        if name.lower() == "title":
            return 1
        m = _HEADING.match(name)
        if m:
            return int(m.group(1))
        lvl = style.element.find(f"{W}pPr/{W}outlineLvl")
        if lvl is not None and lvl.get(f"{W}val", "9").isdigit() and int(lvl.get(f"{W}val", "9")) < 9:
            return int(lvl.get(f"{W}val", "9")) + 1
        style = style.base_style
        seen += 1
    return 0


def _level(par: Any) -> int:
    direct = par._p.find(f"{W}pPr/{W}outlineLvl")
    if direct is not None and direct.get(f"{W}val", "9").isdigit() and int(direct.get(f"{W}val", "9")) < 9:
        return int(direct.get(f"{W}val", "9")) + 1
    try:
        return _style_level(par.style)
    except (KeyError, ValueError):
        return 0


def _body_items(parent: Any) -> Iterator[Any]:
    """Block-level ``w:p``/``w:tbl`` children, looking inside content controls (``w:sdt``)."""
    for child in parent.iterchildren():
        if child.tag in (f"{W}p", f"{W}tbl"):
            yield child
        elif child.tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                yield from _body_items(content)


def paragraph_text(p: Any) -> str:
    """Text of a ``w:p`` in document order: runs in hyperlinks, fields, content controls and
    tracked insertions included; text boxes (``w:txbxContent``) on lines of their own; the
    VML fallback copy of a drawing (``mc:Fallback``) skipped."""
    parts: list[str] = []

    def walk(el: Any) -> None:
        for child in el.iterchildren():
            tag = child.tag
            if tag == f"{W}t":
                parts.append(child.text or "")
            elif tag in _INLINE:
                parts.append(_INLINE[tag])
            elif tag == f"{W}txbxContent":
                inner = [paragraph_text(q) for q in child.iter(f"{W}p")]
                parts.append("\n" + "\n".join(t for t in inner if t.strip()) + "\n")
            elif tag != MC_FALLBACK and tag != f"{W}pPr" and tag != f"{W}rPr":
                walk(child)

    walk(p)
    return "".join(parts)


def _cell_text(tc: Any, parent: Any) -> str:
    lines: list[str] = []
    for child in _body_items(tc):
        if child.tag == f"{W}p":
            lines.append(paragraph_text(child))
        else:
            lines.extend(" | ".join(c for c in row if c) for row in _grid(child, parent))
    return clean_text("\n".join(lines))


def _grid(tbl: Any, parent: Any) -> tuple[tuple[str, ...], ...]:
    """Lay a ``w:tbl`` out on its grid; vertically merged cells keep the top cell's text."""
    return build_grid(_cells(tbl, parent))


def _cells(tbl: Any, parent: Any) -> list[Cell]:
    """The cells of a ``w:tbl`` with their grid positions and spans (``w:gridSpan``, ``w:vMerge``)."""
    cells: list[Cell] = []
    open_v: dict[int, int] = {}  # column -> index in cells of the cell a vMerge continues
    for r, tr in enumerate(tbl.findall(f"{W}tr")):
        before = tr.find(f"{W}trPr/{W}gridBefore")
        col = int(before.get(f"{W}val", "0")) if before is not None else 0
        for tc in tr.findall(f"{W}tc"):
            pr = tc.find(f"{W}tcPr")
            span_el = pr.find(f"{W}gridSpan") if pr is not None else None
            span = int(span_el.get(f"{W}val", "1")) if span_el is not None else 1
            vm = pr.find(f"{W}vMerge") if pr is not None else None
            if vm is not None and vm.get(f"{W}val", "continue") == "continue" and col in open_v:
                top = cells[open_v[col]]
                cells[open_v[col]] = Cell(top.row, top.col, top.text, top.row_span + 1, top.col_span)
            else:
                cells.append(Cell(r, col, _cell_text(tc, parent), 1, span))
                if vm is not None:
                    open_v[col] = len(cells) - 1
                else:
                    open_v.pop(col, None)
            col += span
    return cells


def _ole_reason(path: Path) -> str:
    """Why an OLE compound file given as DOCX cannot be read."""
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            if ole.exists("EncryptedPackage"):
                return "password-protected DOCX (암호가 설정된 문서)"
            if ole.exists("WordDocument"):
                return "legacy Word .doc file, not DOCX"
    except OSError:
        pass
    return "not a DOCX: an OLE compound file"


def _open(path: Path) -> Any:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    with path.open("rb") as f:
        magic = f.read(8)
    if magic == _OLE_MAGIC:
        raise UnreadableDocument(_ole_reason(path))
    try:
        with zipfile.ZipFile(path) as z:
            check_package(z, "DOCX")
            bad = z.testzip()
            if bad is not None:
                raise UnreadableDocument(f"corrupt DOCX: bad CRC in {bad}")
            if "word/document.xml" not in z.namelist():
                raise UnreadableDocument("not a DOCX: the zip has no word/document.xml")
        return docx.Document(str(path))
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise UnreadableDocument(f"corrupt or truncated DOCX (zip): {exc}") from exc
    except (PackageNotFoundError, KeyError, ValueError, SyntaxError) as exc:
        raise UnreadableDocument(f"corrupt DOCX: {exc}") from exc


def _blocks(doc: Any) -> list[RawBlock]:
    from docx.text.paragraph import Paragraph

    blocks: list[RawBlock] = []
    n_par = n_tbl = 0
    body = doc.element.body
    for child in _body_items(body):
        if child.tag == f"{W}tbl":
            n_tbl += 1
            cells = _cells(child, doc)
            blocks.append(table_block(build_grid(cells), f"표 {n_tbl}", merged_spans(cells)))
            continue
        n_par += 1
        par = Paragraph(child, doc)
        text = clean_text(paragraph_text(child))
        if not text:
            continue
        level = _level(par)
        kind: RawKind = "heading" if level else "paragraph"
        if kind == "heading":
            text = " ".join(text.split("\n"))
        blocks.append(RawBlock(kind=kind, text=text, level=min(level, 6), locator=f"문단 {n_par}"))
    return blocks


def read_docx(path: Path) -> RawDocument:
    """Read a DOCX file into blocks with ``문단 N`` / ``표 N`` locators."""
    doc = _open(Path(path))
    try:
        blocks = _blocks(doc)
    except RecursionError as exc:
        raise UnreadableDocument("corrupt DOCX: content nested too deeply") from exc
    ensure_not_empty(blocks, "DOCX")
    meta = doc.core_properties.title or ""
    return RawDocument(blocks=tuple(blocks), title=title_of(blocks, meta), format="docx")
