"""HWP 5 reader: olefile (BSD) for the compound file, zlib and a small record parser.

Layout (Hancom's published "HWP 5.0 file format" document): ``FileHeader`` holds the
signature and flags (bit 0 compressed, 1 password, 2 distribution, 4 DRM); ``DocInfo``
and ``BodyText/SectionN`` are raw-deflate streams of records (tag 10 bits, level 10 bits,
size 12 bits). A paragraph is PARA_HEADER (66) with PARA_TEXT (67) and PARA_CHAR_SHAPE
(68) below it; a table is a CTRL_HEADER (71) ``tbl `` holding TABLE (77) and, per cell,
a LIST_HEADER (72) with column/row/span followed by the cell's paragraphs.
"""

from __future__ import annotations

import logging
import re
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...lexicon import OUTLINE_STYLE
from .raw import (
    MAX_PART_BYTES,
    MAX_RATIO,
    Cell,
    ParaInfo,
    RawBlock,
    RawDocument,
    UnreadableDocument,
    build_grid,
    clean_text,
    ensure_not_empty,
    inflate_limit,
    merged_spans,
    paragraph_blocks,
    table_block,
    title_of,
)

log = logging.getLogger(__name__)

SIGNATURE = b"HWP Document File"
FLAG_COMPRESSED, FLAG_PASSWORD, FLAG_DISTRIBUTION, FLAG_DRM = 0x1, 0x2, 0x4, 0x10
FLAG_CERT_ENCRYPTED, FLAG_CERT_DRM = 0x100, 0x400

TAG_CHAR_SHAPE, TAG_PARA_SHAPE, TAG_STYLE = 21, 25, 26
TAG_PARA_HEADER, TAG_PARA_TEXT, TAG_PARA_CHAR_SHAPE = 66, 67, 68
TAG_CTRL_HEADER, TAG_LIST_HEADER, TAG_TABLE = 71, 72, 77
CTRL_TABLE = b" lbt"  # 'tbl ' stored as a little-endian 32-bit id
CTRL_DRAWING = b" osg"  # 'gso ': drawing objects; a text box keeps its paragraphs below it

#: Control characters that take one code unit; all others below 32 take eight.
_CHAR_CONTROLS = {0, 10, 13, 24, 25, 26, 27, 28, 29, 30, 31}
_CHAR_SYMBOLS = {10: "\n", 24: "-", 30: " ", 31: " "}  # line break, hyphen, bound and fixed-width spaces
_SECTION = re.compile(r"^Section(\d+)$")


@dataclass
class Record:
    """One record and the records nested under it (by level)."""

    tag: int
    level: int
    payload: bytes
    children: list[Record] = field(default_factory=list)


@dataclass
class _DocInfo:
    char_size: list[float] = field(default_factory=list)  # char shape id -> pt
    para_level: dict[int, int] = field(default_factory=dict)  # para shape id -> outline level (1-based)
    style_level: dict[int, int] = field(default_factory=dict)  # style id -> outline level (1-based)


def parse_records(data: bytes) -> list[Record]:
    """Split a record stream and nest each record under the nearest shallower one."""
    roots: list[Record] = []
    stack: list[Record] = []
    pos, end = 0, len(data)
    while pos + 4 <= end:
        (word,) = struct.unpack_from("<I", data, pos)
        pos += 4
        tag, level, size = word & 0x3FF, (word >> 10) & 0x3FF, word >> 20
        if size == 0xFFF:
            if pos + 4 > end:
                raise UnreadableDocument("corrupt HWP: record header cut off")
            (size,) = struct.unpack_from("<I", data, pos)
            pos += 4
        if pos + size > end:
            raise UnreadableDocument("corrupt HWP: record runs past the end of its stream")
        rec = Record(tag, level, data[pos : pos + size])
        pos += size
        while stack and stack[-1].level >= level:
            stack.pop()
        (stack[-1].children if stack else roots).append(rec)
        stack.append(rec)
    return roots


def _inflate(data: bytes, what: str) -> bytes:
    """Inflate a stream, refusing one that would grow past :func:`inflate_limit` (a bomb)."""
    limit = inflate_limit(len(data))
    d = zlib.decompressobj(-15)
    try:
        out = d.decompress(data, limit + 1)
        if len(out) > limit:
            raise UnreadableDocument(
                f"HWP stream {what} inflates past {limit:,} bytes from {len(data):,} (limit {MAX_RATIO}:1, "
                f"{MAX_PART_BYTES:,} bytes): skipped as a decompression bomb"
            )
        return out + d.flush()
    except zlib.error as exc:
        raise UnreadableDocument(f"corrupt HWP: stream {what} does not decompress ({exc})") from exc


def _wstr(data: bytes, pos: int) -> tuple[str, int]:
    (n,) = struct.unpack_from("<H", data, pos)
    pos += 2
    return data[pos : pos + 2 * n].decode("utf-16-le", "replace"), pos + 2 * n


def _docinfo(records: list[Record]) -> _DocInfo:
    info = _DocInfo()
    flat: list[Record] = []
    stack = list(reversed(records))
    while stack:
        r = stack.pop()
        flat.append(r)
        stack.extend(reversed(r.children))
    n_para = n_style = 0
    for r in flat:
        try:
            if r.tag == TAG_CHAR_SHAPE:
                info.char_size.append(struct.unpack_from("<i", r.payload, 42)[0] / 100)
            elif r.tag == TAG_PARA_SHAPE:
                (props,) = struct.unpack_from("<I", r.payload, 0)
                if (props >> 23) & 0x3 == 1:  # heading type OUTLINE
                    info.para_level[n_para] = ((props >> 25) & 0x7) + 1
                n_para += 1
            elif r.tag == TAG_STYLE:
                name, pos = _wstr(r.payload, 0)
                eng, _ = _wstr(r.payload, pos)
                for s in (name, eng):
                    m = OUTLINE_STYLE.match(s.strip())
                    if m:
                        info.style_level[n_style] = int(m.group(1))
                        break
                n_style += 1
        except struct.error:
            log.debug("short DocInfo record %d", r.tag)
    return info


def decode_text(payload: bytes) -> list[tuple[int, str]]:
    """Decode PARA_TEXT into (code-unit position, character) pairs.

    UTF-16LE; controls below 32 take one code unit (line break, hyphen, spaces, paragraph
    end) or eight (tab, fields, tables and other objects).
    """
    n = len(payload) // 2
    units = struct.unpack(f"<{n}H", payload[: 2 * n])
    out: list[tuple[int, str]] = []
    i = 0
    while i < n:
        u = units[i]
        if u >= 32:
            if 0xD800 <= u < 0xDC00 and i + 1 < n and 0xDC00 <= units[i + 1] < 0xE000:
                out.append((i, chr(0x10000 + ((u - 0xD800) << 10) + (units[i + 1] - 0xDC00))))
                i += 2
                continue
            out.append((i, chr(u)))
            i += 1
        elif u in _CHAR_CONTROLS:
            if u == 13:
                break
            if u in _CHAR_SYMBOLS:
                out.append((i, _CHAR_SYMBOLS[u]))
            i += 1
        else:
            if u == 9:
                out.append((i, "\t"))
            i += 8
    return out


class _Reader:
    def __init__(self, info: _DocInfo) -> None:
        self.info = info

    def paragraph(self, rec: Record) -> tuple[str, float, int, list[Record]]:
        """Text, dominant char size, outline level and table controls of a PARA_HEADER."""
        chars: list[tuple[int, str]] = []
        pairs: tuple[int, ...] = (0, 0)
        tables: list[Record] = []
        p = rec.payload + bytes(12)
        para_shape, style = struct.unpack_from("<HB", p, 8)
        outline = self.info.style_level.get(style, 0) or self.info.para_level.get(para_shape, 0)
        for child in rec.children:
            if child.tag == TAG_PARA_TEXT:
                chars = decode_text(child.payload)
            elif child.tag == TAG_PARA_CHAR_SHAPE and len(child.payload) >= 8:
                pairs = struct.unpack(f"<{len(child.payload) // 8 * 2}I", child.payload[: len(child.payload) // 8 * 8])
            elif child.tag == TAG_CTRL_HEADER and child.payload[:4] == CTRL_TABLE:
                tables.append(child)
            elif child.tag == TAG_CTRL_HEADER and child.payload[:4] == CTRL_DRAWING:
                drawn = self.cell_text(_paragraphs_below(child))
                if drawn:
                    chars.append((-1, "\n" + drawn + "\n"))
        text = "".join(c for _, c in chars)
        return text, self._dominant(pairs, chars), outline, tables

    def _dominant(self, pairs: tuple[int, ...], chars: list[tuple[int, str]]) -> float:
        """The character size that covers most visible characters of the paragraph."""
        starts, shapes = pairs[0::2], pairs[1::2]
        counts: dict[float, int] = {}
        k = 0
        for pos, ch in chars:
            while k + 1 < len(starts) and starts[k + 1] <= pos:
                k += 1
            if ch.strip():
                shape = shapes[k]
                pt = self.info.char_size[shape] if shape < len(self.info.char_size) else 0.0
                counts[pt] = counts.get(pt, 0) + 1
        if not counts:
            shape = shapes[0]
            return self.info.char_size[shape] if shape < len(self.info.char_size) else 0.0
        return max(counts, key=lambda s: counts[s])

    def cell_text(self, paras: list[Record]) -> str:
        lines: list[str] = []
        for p in paras:
            text, _, _, tables = self.paragraph(p)
            if text.strip():
                lines.append(text)
            for t in tables:
                lines.extend(" | ".join(c for c in row if c) for row in self.table(t))
        return clean_text("\n".join(lines))

    def table(self, ctrl: Record) -> tuple[tuple[str, ...], ...]:
        return build_grid(*self.table_cells(ctrl))

    def table_cells(self, ctrl: Record) -> tuple[list[Cell], int, int]:
        """The cells of a table control and its row and column counts."""
        n_rows = n_cols = 0
        cells: list[Cell] = []
        current: tuple[int, int, int, int] | None = None
        paras: list[Record] = []
        seen_table = False

        def close() -> None:
            if current is not None:
                cells.append(Cell(current[1], current[0], self.cell_text(paras), current[3], current[2]))

        for child in ctrl.children:
            if child.tag == TAG_TABLE and len(child.payload) >= 8:
                n_rows, n_cols = struct.unpack_from("<HH", child.payload, 4)
                seen_table = True
            elif child.tag == TAG_LIST_HEADER and seen_table:
                close()
                current = struct.unpack_from("<4H", child.payload + bytes(16), 8)  # col, row, colspan, rowspan
                paras = []
            elif child.tag == TAG_PARA_HEADER and current is not None:
                paras.append(child)
        close()
        return cells, n_rows, n_cols


def _paragraphs_below(rec: Record) -> list[Record]:
    """The outermost PARA_HEADER records under ``rec`` (text box paragraphs of a drawing)."""
    out: list[Record] = []
    stack = list(reversed(rec.children))
    while stack:
        r = stack.pop()
        if r.tag == TAG_PARA_HEADER:
            out.append(r)
        else:
            stack.extend(reversed(r.children))
    return out


def _open(path: Path) -> tuple[Any, int]:
    import olefile

    try:
        with path.open("rb") as f:
            head = f.read(64)
    except OSError as exc:
        raise UnreadableDocument(f"cannot read file: {exc}") from exc
    if not olefile.isOleFile(str(path)):
        if head.startswith(b"PK"):
            raise UnreadableDocument("not an HWP 5 file: it is a zip archive (HWPX/DOCX saved as .hwp?)")
        if head.startswith(SIGNATURE):
            raise UnreadableDocument("HWP 3.x (or older) document: only HWP 5 is supported")
        if head.startswith(b"%PDF"):
            raise UnreadableDocument("not an HWP 5 file: it is a PDF")
        raise UnreadableDocument("not an HWP 5 file: no OLE compound-file signature (text or other data?)")
    try:
        ole = olefile.OleFileIO(str(path))
    except (OSError, ValueError) as exc:
        raise UnreadableDocument(f"corrupt HWP compound file: {exc}") from exc
    if not ole.exists("FileHeader"):
        ole.close()
        raise UnreadableDocument("not an HWP document: the compound file has no FileHeader (a .doc/.xls?)")
    header = ole.openstream("FileHeader").read()
    if not header.startswith(SIGNATURE) or len(header) < 40:
        ole.close()
        raise UnreadableDocument("not an HWP 5 document: bad FileHeader signature")
    version, flags = struct.unpack_from("<II", header, 32)
    if version >> 24 != 5:
        ole.close()
        raise UnreadableDocument(f"unsupported HWP version {version >> 24}.{(version >> 16) & 0xFF}")
    refused = (
        (FLAG_PASSWORD, "password-protected HWP (암호가 설정된 문서)"),
        (FLAG_DRM | FLAG_CERT_DRM | FLAG_CERT_ENCRYPTED, "DRM- or certificate-encrypted HWP"),
        (FLAG_DISTRIBUTION, "distribution HWP (배포용 문서): its body is encrypted"),
    )
    for mask, reason in refused:
        if flags & mask:
            ole.close()
            raise UnreadableDocument(reason)
    return ole, flags


def _title(ole: Any) -> str:
    try:
        props = ole.getproperties("\x05HwpSummaryInformation")
    except (OSError, ValueError, KeyError, IndexError, TypeError, struct.error):
        # absent or unparsable: the first heading stands in
        return ""
    value = props.get(2, "")  # PIDSI_TITLE (VT_LPWSTR); writers disagree on its length field
    text = value.decode("utf-16-le", "replace") if isinstance(value, bytes) else str(value or "")
    return text.split("\x00")[0].strip()


def read_hwp(path: Path) -> RawDocument:
    """Read an HWP 5 file into blocks with ``문단 N`` / ``표 N`` locators."""
    path = Path(path)
    ole, flags = _open(path)
    try:
        compressed = bool(flags & FLAG_COMPRESSED)

        def stream(name: str) -> bytes:
            data = ole.openstream(name).read()
            return _inflate(data, name) if compressed else data

        info = _docinfo(parse_records(stream("DocInfo"))) if ole.exists("DocInfo") else _DocInfo()
        sections = sorted(
            (int(m.group(1)), "BodyText/" + e[1])
            for e in ole.listdir()
            if len(e) == 2 and e[0] == "BodyText" and (m := _SECTION.match(e[1]))
        )
        if not sections:
            raise UnreadableDocument("corrupt HWP: no BodyText/Section streams")
        reader = _Reader(info)
        items: list[tuple[ParaInfo | None, RawBlock | None]] = []
        sizes: list[tuple[float, int]] = []
        n_par = n_tbl = 0
        for _, name in sections:
            for rec in parse_records(stream(name)):
                if rec.tag != TAG_PARA_HEADER:
                    continue
                n_par += 1
                text, size, outline, tables = reader.paragraph(rec)
                text = clean_text(text)
                if text:
                    sizes.append((size, len(text)))
                    items.append((ParaInfo(n_par, text, size, outline), None))
                for t in tables:
                    n_tbl += 1
                    cells, n_rows, n_cols = reader.table_cells(t)
                    items.append((None, table_block(build_grid(cells, n_rows, n_cols), f"표 {n_tbl}", merged_spans(cells))))
        title = _title(ole)
    except (OSError, ValueError, IndexError, KeyError, EOFError, struct.error) as exc:
        raise UnreadableDocument(f"corrupt HWP: {exc!r}") from exc
    except RecursionError as exc:
        raise UnreadableDocument("corrupt HWP: objects nested too deeply") from exc
    finally:
        ole.close()
    blocks = paragraph_blocks(items, sizes)
    ensure_not_empty(blocks, "HWP")
    return RawDocument(blocks=tuple(blocks), title=title_of(blocks, title), format="hwp")
