"""HWPX reader: the OWPML zip of Hancom Office, parsed with zipfile + xml.etree.

Sections come in the order of ``Contents/content.hpf``'s spine. Paragraphs are ``hp:p``
(text in ``hp:run/hp:t``), tables ``hp:tbl`` with each cell's ``hp:cellAddr`` and
``hp:cellSpan``. Headings: a 개요/Heading style or an OUTLINE paragraph shape, else a
short paragraph set clearly larger than the body text (how most 공문서 are typed).
"""

from __future__ import annotations

import logging
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from ...lexicon import OUTLINE_STYLE
from .raw import (
    MAX_PART_BYTES,
    Cell,
    ParaInfo,
    RawBlock,
    RawDocument,
    UnreadableDocument,
    build_grid,
    check_package,
    clean_text,
    ensure_not_empty,
    merged_spans,
    paragraph_blocks,
    table_block,
    title_of,
)

log = logging.getLogger(__name__)

HP = "{http://www.hancom.co.kr/hwpml/2011/paragraph}"
HH = "{http://www.hancom.co.kr/hwpml/2011/head}"
OPF = "{http://www.idpf.org/2007/opf/}"
_SPACE_TAGS = {HP + "fwSpace", HP + "nbSpace", HP + "hyphen"}


@dataclass
class _Header:
    """What header.xml says about styles, paragraph shapes and character sizes."""

    style_level: dict[str, int] = field(default_factory=dict)  # style id -> outline level (1-based)
    para_level: dict[str, int] = field(default_factory=dict)  # paraPr id -> outline level (1-based)
    char_size: dict[str, float] = field(default_factory=dict)  # charPr id -> size in pt


def _read_part(z: zipfile.ZipFile, name: str) -> bytes:
    info = z.getinfo(name)
    if info.file_size > MAX_PART_BYTES:
        raise UnreadableDocument(f"HWPX part {name} is too large ({info.file_size} bytes)")
    return z.read(name)


def _xml(z: zipfile.ZipFile, name: str) -> ET.Element:
    try:
        return ET.fromstring(_read_part(z, name))
    except ET.ParseError as exc:
        raise UnreadableDocument(f"corrupt HWPX: {name} is not well-formed XML ({exc})") from exc


def _header(root: ET.Element | None) -> _Header:
    head = _Header()
    if root is None:
        return head
    for pr in root.iter(HH + "paraPr"):
        heading = pr.find(HH + "heading")
        if heading is not None and heading.get("type") == "OUTLINE":
            head.para_level[pr.get("id", "")] = int(heading.get("level", "0")) + 1
    for style in root.iter(HH + "style"):
        for name in (style.get("name", ""), style.get("engName", "")):
            m = OUTLINE_STYLE.match(name.strip())
            if m:
                head.style_level[style.get("id", "")] = int(m.group(1))
                break
    for pr in root.iter(HH + "charPr"):
        head.char_size[pr.get("id", "")] = int(pr.get("height", "1000")) / 100
    return head


def _sections(z: zipfile.ZipFile) -> list[str]:
    """Section part names in spine order (falls back to Contents/sectionN.xml)."""
    names = set(z.namelist())
    ordered: list[str] = []
    if "Contents/content.hpf" in names:
        hpf = _xml(z, "Contents/content.hpf")
        items = {i.get("id"): i.get("href", "") for i in hpf.iter(OPF + "item")}
        for ref in hpf.iter(OPF + "itemref"):
            href = items.get(ref.get("idref"), "")
            if re.search(r"section\d+\.xml$", href):
                ordered.append(href if href in names else f"Contents/{href}")
    found = sorted(
        (n for n in names if re.fullmatch(r"Contents/section\d+\.xml", n)),
        key=lambda n: int(re.findall(r"\d+", n)[-1]),
    )
    ordered = [n for n in ordered if n in names]
    return ordered or found


def _t_text(t: ET.Element) -> str:
    parts = [t.text or ""]
    for child in t:
        if child.tag == HP + "lineBreak":
            parts.append("\n")
        elif child.tag == HP + "tab":
            parts.append("\t")
        elif child.tag in _SPACE_TAGS:
            parts.append(" ")
        parts.append(child.tail or "")
    return "".join(parts)


@dataclass
class _Para:
    """One ``hp:p`` in reading order: text pieces and tables (``hp:tbl``) as they come, and
    the asides it anchors: a page header's text (read before it), footer and note texts (after)."""

    parts: list[str | ET.Element]
    size: float
    asides: list[str]
    headers: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(x for x in self.parts if isinstance(x, str))

    @property
    def tables(self) -> list[ET.Element]:
        return [x for x in self.parts if not isinstance(x, str)]


#: controls whose own paragraphs are content a reader sees (page headers and footers, notes)
_ASIDE_TAGS = (HP + "header", HP + "footer", HP + "footNote", HP + "endNote")


def _paragraph(p: ET.Element, head: _Header) -> _Para:
    """Text, tables, dominant character size and asides of one ``hp:p``, in reading order."""
    parts: list[str | ET.Element] = []
    asides: list[str] = []
    headers: list[str] = []
    sizes: dict[float, int] = {}
    for run in p.findall(HP + "run"):
        size = head.char_size.get(run.get("charPrIDRef", ""), 0.0)
        for child in run:
            if child.tag == HP + "t":
                s = _t_text(child)
                parts.append(s)
                sizes[size] = sizes.get(size, 0) + len(s.strip())
            elif child.tag == HP + "tbl":
                caption = child.find(HP + "caption")
                if caption is not None and (text := _sublist_text(caption, head)):
                    parts.append("\n" + text + "\n")  # "(단위 : 천원)": read before the table it labels
                parts.append(child)
            elif child.tag == HP + "ctrl":
                for aside in child:
                    if aside.tag in _ASIDE_TAGS and (text := _sublist_text(aside, head)):
                        (headers if aside.tag == HP + "header" else asides).append(text)
            else:  # text boxes and other drawing objects keep their text in hp:drawText
                for sub in child.iter(HP + "drawText"):
                    parts.append("\n" + _sublist_text(sub, head) + "\n")
    dominant = max(sizes, key=lambda s: sizes[s]) if sizes else 0.0
    return _Para(parts, dominant, asides, headers)


def _sublist_text(container: ET.Element, head: _Header) -> str:
    """The text of a cell or text box: its paragraphs (and nested tables) line by line."""
    lines: list[str] = []
    sub = container.find(HP + "subList")
    for p in (sub if sub is not None else container).findall(HP + "p"):
        para = _paragraph(p, head)
        text = ""
        for part in para.parts:
            if isinstance(part, str):
                text += part
                continue
            if text.strip():
                lines.append(text)
            text = ""
            lines.extend(" | ".join(c for c in row if c) for row in _table_grid(part, head))
        if text.strip():
            lines.append(text)
        lines.extend(para.headers + para.asides)
    return clean_text("\n".join(lines))


def _table_grid(tbl: ET.Element, head: _Header) -> tuple[tuple[str, ...], ...]:
    return build_grid(*_table_cells(tbl, head))


def _table_cells(tbl: ET.Element, head: _Header) -> tuple[list[Cell], int, int]:
    """The cells of an ``hp:tbl`` and its declared row and column counts."""
    cells: list[Cell] = []
    for r, tr in enumerate(tbl.findall(HP + "tr")):
        c_auto = 0
        for tc in tr.findall(HP + "tc"):
            addr, span = tc.find(HP + "cellAddr"), tc.find(HP + "cellSpan")
            row = int(addr.get("rowAddr", r)) if addr is not None else r
            col = int(addr.get("colAddr", c_auto)) if addr is not None else c_auto
            rs = int(span.get("rowSpan", "1")) if span is not None else 1
            cs = int(span.get("colSpan", "1")) if span is not None else 1
            cells.append(Cell(row, col, _sublist_text(tc, head), rs, cs))
            c_auto = col + cs
    return cells, int(tbl.get("rowCnt", "0")), int(tbl.get("colCnt", "0"))


def _check_package(z: zipfile.ZipFile) -> None:
    names = set(z.namelist())
    if "mimetype" in names and not _read_part(z, "mimetype").strip().startswith(b"application/hwp"):
        raise UnreadableDocument(f"not an HWPX package (mimetype {_read_part(z, 'mimetype')[:60]!r})")
    if "META-INF/manifest.xml" in names and b"encryption-data" in _read_part(z, "META-INF/manifest.xml"):
        raise UnreadableDocument("password-protected HWPX (암호가 설정된 문서)")
    bad = z.testzip()
    if bad is not None:
        raise UnreadableDocument(f"corrupt HWPX: bad CRC in {bad}")


def _iter_paragraphs(z: zipfile.ZipFile) -> Iterator[ET.Element]:
    for name in _sections(z):
        yield from _xml(z, name).findall(HP + "p")


def read_hwpx(path: Path) -> RawDocument:
    """Read an HWPX file into blocks with ``문단 N`` / ``표 N`` locators."""
    try:
        with zipfile.ZipFile(path) as z:
            check_package(z, "HWPX")
            _check_package(z)
            names = set(z.namelist())
            sections = _sections(z)
            if not sections:
                raise UnreadableDocument("not an HWPX package: no Contents/section*.xml")
            head = _header(_xml(z, "Contents/header.xml") if "Contents/header.xml" in names else None)
            meta_title = ""
            if "Contents/content.hpf" in names:
                t = _xml(z, "Contents/content.hpf").find(f"{OPF}metadata/{OPF}title")
                meta_title = (t.text or "") if t is not None else ""
            return _document(z, head, meta_title)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise UnreadableDocument(f"corrupt or truncated HWPX (zip): {exc}") from exc
    except KeyError as exc:
        raise UnreadableDocument(f"corrupt HWPX: missing part {exc}") from exc
    except RecursionError as exc:
        raise UnreadableDocument("corrupt HWPX: tables nested too deeply") from exc


class _Blocks:
    """Collects the blocks of a document from its top-level paragraphs.

    A table of one column (a frame drawn around a title, a box or the 결재 form, often with
    tables inside) is not data laid out in columns: its cells are read as paragraphs and
    tables of their own, so the tables inside keep their grid instead of being flattened
    into one cell.
    """

    def __init__(self, head: _Header):
        self.head = head
        self.items: list[tuple[ParaInfo | None, RawBlock | None]] = []
        self.sizes: list[tuple[float, int]] = []
        self.n_tbl = 0
        self.seen_asides: set[str] = set()

    def paragraph(self, p: ET.Element, number: int, depth: int = 0) -> None:
        head = self.head
        outline = head.style_level.get(p.get("styleIDRef", ""), 0) or head.para_level.get(p.get("paraPrIDRef", ""), 0)
        para = _paragraph(p, head)
        self._asides(para.headers, number)
        text = ""
        for part in para.parts:
            if isinstance(part, str):
                text += part
                continue
            self._text(text, para.size, outline, number)
            text = ""
            self.table(part, number, depth)
        self._text(text, para.size, outline, number)
        self._asides(para.asides, number)

    def _asides(self, texts: list[str], number: int) -> None:
        for aside in texts:
            if aside not in self.seen_asides:  # a header repeated for odd and even pages (or as the footer) is read once
                self.seen_asides.add(aside)
                self._text(aside, 0.0, 0, number)

    def _text(self, text: str, size: float, outline: int, number: int) -> None:
        text = clean_text(text)
        if text:
            self.sizes.append((size, len(text)))
            self.items.append((ParaInfo(number, text, size, outline), None))

    def table(self, tbl: ET.Element, number: int, depth: int) -> None:
        self.n_tbl += 1
        if tbl.get("colCnt") == "1" and depth < 8:
            for tc in (tc for tr in tbl.findall(HP + "tr") for tc in tr.findall(HP + "tc")):
                sub = tc.find(HP + "subList")
                for p in (sub if sub is not None else tc).findall(HP + "p"):
                    self.paragraph(p, number, depth + 1)
            return
        cells, n_rows, n_cols = _table_cells(tbl, self.head)
        self.items.append((None, table_block(build_grid(cells, n_rows, n_cols), f"표 {self.n_tbl}", merged_spans(cells))))


def _document(z: zipfile.ZipFile, head: _Header, meta_title: str) -> RawDocument:
    collected = _Blocks(head)
    for n_par, p in enumerate(_iter_paragraphs(z), start=1):
        collected.paragraph(p, n_par)
    blocks = paragraph_blocks(collected.items, collected.sizes)
    ensure_not_empty(blocks, "HWPX")
    return RawDocument(blocks=tuple(blocks), title=title_of(blocks, meta_title), format="hwpx")
