"""Format-neutral result of reading an office document (PDF, HWPX, HWP, DOCX).

Dependency-free on purpose: every reader returns these records, and the rest of the
pipeline can import them without pulling in any parsing library.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

RawKind = Literal["heading", "paragraph", "table"]


@dataclass(frozen=True)
class RawBlock:
    """One block of a document: a heading, a paragraph or a table.

    ``rows`` of a table is a full rectangular grid; a merged cell's text sits in its
    top-left position and the positions it covers hold ``""``; ``spans`` lists the merged
    cells as ``(row, col, row_span, col_span)``, so a covered position can be told from an
    empty cell. ``locator`` says where
    the block is in the source: ``"p. 3"`` for PDF pages, ``"문단 12"`` (paragraph
    number) or ``"표 2"`` (table number) for HWP/HWPX/DOCX.
    """

    kind: RawKind
    text: str = ""
    level: int = 0
    rows: tuple[tuple[str, ...], ...] = ()
    locator: str = ""
    spans: tuple[tuple[int, int, int, int], ...] = ()


@dataclass(frozen=True)
class RawDocument:
    """The blocks of one document in reading order, its title and its format."""

    blocks: tuple[RawBlock, ...]
    title: str = ""
    format: str = ""


class UnreadableDocument(Exception):
    """The file cannot be read: encrypted, corrupt, of another format, or without text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


NO_TEXT_LAYER = "no text layer; OCR not available"
#: Longer paragraphs are never taken for headings.
MAX_HEADING_CHARS = 100

#: Upper bound on the bytes one zip member or one compressed stream may inflate to.
MAX_PART_BYTES = 64 * 1024 * 1024
#: Upper bound on what all members of a zip package (DOCX, HWPX) inflate to together.
MAX_PACKAGE_BYTES = 512 * 1024 * 1024
#: Largest inflated/compressed ratio of a member or stream that inflates past RATIO_FLOOR
#: bytes (real HWPX/DOCX XML: at most ~25; decompression bombs: hundreds to thousands).
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024


def check_package(z: zipfile.ZipFile, what: str) -> None:
    """Refuse a zip package whose members would inflate past the limits (a decompression
    bomb), before anything is inflated. The sizes checked are the ones ``zipfile`` enforces
    while reading (a member that inflates past its declared size fails its CRC)."""
    total = 0
    for info in z.infolist():
        size = info.file_size
        total += size
        if size > MAX_PART_BYTES:
            raise UnreadableDocument(f"{what} part {info.filename} inflates to {size:,} bytes (limit {MAX_PART_BYTES:,}): skipped as a decompression bomb")
        if size > RATIO_FLOOR and size > MAX_RATIO * max(info.compress_size, 1):
            ratio = size / max(info.compress_size, 1)
            raise UnreadableDocument(f"{what} part {info.filename} has a compression ratio of {ratio:.0f}:1 (limit {MAX_RATIO}:1): skipped as a decompression bomb")
    if total > MAX_PACKAGE_BYTES:
        raise UnreadableDocument(f"{what} inflates to {total:,} bytes (limit {MAX_PACKAGE_BYTES:,}): skipped as a decompression bomb")


def inflate_limit(compressed: int) -> int:
    """The most a stream of ``compressed`` bytes may inflate to."""
    return min(MAX_PART_BYTES, max(RATIO_FLOOR, MAX_RATIO * compressed))


@dataclass(frozen=True)
class Cell:
    """A table cell as read from a source: its position, spans and text."""

    row: int
    col: int
    text: str
    row_span: int = 1
    col_span: int = 1


def build_grid(cells: Iterable[Cell], n_rows: int = 0, n_cols: int = 0) -> tuple[tuple[str, ...], ...]:
    """Lay cells out on a rectangular grid; covered positions of merged cells stay ``""``."""
    items = list(cells)
    rows = max([n_rows, *(c.row + max(c.row_span, 1) for c in items)], default=0)
    cols = max([n_cols, *(c.col + max(c.col_span, 1) for c in items)], default=0)
    grid = [[""] * cols for _ in range(rows)]
    for c in items:
        if 0 <= c.row < rows and 0 <= c.col < cols and not grid[c.row][c.col]:
            grid[c.row][c.col] = c.text
    return tuple(tuple(r) for r in grid)


def merged_spans(cells: Iterable[Cell]) -> tuple[tuple[int, int, int, int], ...]:
    """``(row, col, row_span, col_span)`` of the cells that span more than one position."""
    return tuple(sorted((c.row, c.col, c.row_span, c.col_span) for c in cells if c.row_span > 1 or c.col_span > 1))


def table_block(grid: Sequence[Sequence[str]], locator: str, spans: Iterable[tuple[int, int, int, int]] = ()) -> RawBlock:
    """A table block from a grid (padded to a rectangle) and its merged cells."""
    width = max((len(r) for r in grid), default=0)
    rows = tuple(tuple(r) + ("",) * (width - len(r)) for r in grid)
    inside = tuple(s for s in spans if 0 <= s[0] < len(rows) and 0 <= s[1] < width)
    return RawBlock(kind="table", rows=rows, locator=locator, spans=inside)


def heading_levels(sizes: Iterable[float], body: float, ratio: float = 1.15) -> dict[float, int]:
    """Map font sizes clearly larger than the body size to heading levels 1..6 (largest = 1)."""
    big = sorted({round(s, 1) for s in sizes if s >= body * ratio}, reverse=True)
    return {s: min(i + 1, 6) for i, s in enumerate(big)}


def body_size(weighted: Iterable[tuple[float, int]]) -> float:
    """The most common font size, weighted by character count."""
    counts: Counter[float] = Counter()
    for size, n in weighted:
        counts[round(size, 1)] += n
    return counts.most_common(1)[0][0] if counts else 0.0


def clean_text(text: str) -> str:
    """Normalise whitespace inside a paragraph, keeping line breaks as ``\\n``."""
    lines = [" ".join(line.replace("\u00a0", " ").split()) for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


_PLACEHOLDER_TITLE = re.compile(
    r"^(untitled|제목\s*없음|noname|document\d*|문서\d*)$|\.(hwpx?|docx?|pdf|txt)$", re.IGNORECASE
)


def title_of(blocks: Iterable[RawBlock], metadata_title: str = "") -> str:
    """The metadata title if it is a real title (not a file name or placeholder), else the
    first heading's text."""
    meta = re.sub(r"^Microsoft (Word|PowerPoint) - ", "", metadata_title.strip())
    if meta and not _PLACEHOLDER_TITLE.search(meta):
        return meta
    for b in blocks:
        if b.kind == "heading" and b.text:
            return b.text.split("\n")[0]
    return ""


def ensure_not_empty(blocks: Sequence[RawBlock], what: str) -> None:
    """Refuse to hand back a document without any text."""
    if not any(b.text.strip() or any(any(c.strip() for c in r) for r in b.rows) for b in blocks):
        raise UnreadableDocument(f"{what}: no text found in the document")


@dataclass
class ParaInfo:
    """A top-level paragraph of a word-processor file: number, text, dominant size, outline level."""

    number: int
    text: str
    size: float
    outline: int


def paragraph_blocks(
    items: list[tuple[ParaInfo | None, RawBlock | None]], sizes: list[tuple[float, int]]
) -> list[RawBlock]:
    """Paragraphs to heading/paragraph blocks (outline level, else size); blocks pass through.

    ``sizes`` are (font size, characters) of the top-level paragraphs; the most common size
    is the body size and short single-line paragraphs clearly above it become headings.
    """
    body = body_size(sizes)
    levels = heading_levels((s for s, n in sizes if n <= MAX_HEADING_CHARS), body) if body else {}
    blocks: list[RawBlock] = []
    for para, block in items:
        if block is not None:
            blocks.append(block)
            continue
        assert para is not None
        level = para.outline
        if not level and len(para.text) <= MAX_HEADING_CHARS and "\n" not in para.text:
            level = levels.get(round(para.size, 1), 0)
        kind: RawKind = "heading" if level else "paragraph"
        blocks.append(RawBlock(kind=kind, text=para.text, level=min(level, 6), locator=f"문단 {para.number}"))
    return blocks
