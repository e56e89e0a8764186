"""Tables laid out with spaces: a PDF's text export (``pdftotext -layout``) or an OCR'd page.

Such a table has no separators but white space: its cells are runs of text separated by two
or more spaces, numbers are right-aligned under their headers, a header may span the columns
below it ("2024년" over 예산 | 집행 | 집행률), and a unit line ("(단위: 조원, %)") often stands
above it. Positions drift by a character or two (a Hangul glyph is wider than a digit), so
columns are found from the rows that fill them all, and every other cell is placed in the
column its position overlaps most.

:func:`find_table` looks at the lines from one index on and returns the table's rows of
segments with their column numbers, or ``None`` when the lines are not a table: at least two
rows of numbers that line up, or a unit line above numeric columns.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..lexicon import CELL_VALUE, LIST_MARK, SECTION_MARKS, UNIT_LINE

#: a gap between two cells: two or more spaces (or a tab, or an ideographic space)
_GAP = re.compile(r"[ \u00a0]{2,}|\t|\u3000+")
#: a cell standing for "no value"
_EMPTY_VALUE = frozenset("-–—―·")


@dataclass(frozen=True)
class Segment:
    """A run of text inside a line: its text and its character columns ``[start, end)`` in the line."""

    text: str
    start: int
    end: int

    @property
    def center(self) -> float:
        return (self.start + self.end) / 2


@dataclass(frozen=True)
class LayoutTable:
    """A table found in lines ``first``..``last`` (inclusive): its number of columns, and its header
    and data rows, each the index of its line and its cells as ``(column, segment)``."""

    first: int
    last: int
    n_cols: int
    header: tuple[tuple[int, tuple[tuple[int, Segment], ...]], ...]
    rows: tuple[tuple[int, tuple[tuple[int, Segment], ...]], ...]


def segments(line: str) -> list[Segment]:
    """The cells of a line laid out with spaces."""
    out: list[Segment] = []
    pos = 0
    body = line.rstrip()
    for m in _GAP.finditer(body):
        if m.start() > pos and body[pos : m.start()].strip():
            out.append(_segment(body, pos, m.start()))
        pos = m.end()
    if body[pos:].strip():
        out.append(_segment(body, pos, len(body)))
    return _join_letter_spaced(body, out)


def _join_letter_spaced(line: str, segs: list[Segment]) -> list[Segment]:
    """Syllables spread over a cell ("구  분", "예  산") are one cell, not one cell each."""
    out: list[Segment] = []
    for seg in segs:
        prev = out[-1] if out else None
        if (prev is not None and _syllable(seg.text) and seg.start - prev.end <= 3
                and all(_syllable(w) for w in prev.text.split())):
            out[-1] = Segment(line[prev.start : seg.end], prev.start, seg.end)
        else:
            out.append(seg)
    return out


def _syllable(text: str) -> bool:
    return len(text) == 1 and "가" <= text <= "힣"


def _segment(line: str, start: int, end: int) -> Segment:
    text = line[start:end]
    lead = len(text) - len(text.lstrip())
    return Segment(text.strip(), start + lead, start + lead + len(text.strip()))


def is_number(text: str) -> bool:
    """A cell holding one number ("1,046", "△91.6", "96.7%", "12명") or a dash for none."""
    t = text.strip()
    return t in _EMPTY_VALUE or bool(CELL_VALUE.match(t.replace("(x-)", "").strip()))


def _is_year(text: str) -> bool:
    return bool(re.fullmatch(r"(?:19|20)\d{2}\s*년?도?(?:\s*[가-힣]{1,4})?", text.strip()))


def _numeric(segs: Sequence[Segment]) -> int:
    """Numeric cells after the row label."""
    return sum(1 for s in segs[1:] if is_number(s.text) and not _is_year(s.text))


def _stops(line: str) -> bool:
    """A line that cannot be inside a table: a section mark, a list item, a note."""
    s = line.strip()
    return not s or s[0] in SECTION_MARKS or (bool(LIST_MARK.match(s)) and not is_number(s.split()[0]))


def unit_tail(line: str) -> tuple[str, int] | None:
    """A unit written at the end of a title line ("□ 예산 현황      (단위: 억원)"): the unit and
    where it starts in the line."""
    segs = segments(line)
    if len(segs) < 2:
        return None
    m = UNIT_LINE.match(segs[-1].text)
    return (m.group(1).strip(), segs[-1].start) if m else None


def _unit_of(line: str) -> str | None:
    """The unit of a unit line, alone or at the end of a title line ("□ 예산 현황      (단위: 억원)")."""
    segs = segments(line)
    if not segs:
        return None
    m = UNIT_LINE.match(segs[-1].text)
    return m.group(1).strip() if m else None


def find_table(lines: Sequence[str], i: int, unit_above: bool = False) -> LayoutTable | None:
    """The space-laid table starting at line ``i`` (its header or its first data row), if any.

    ``unit_above``: a unit line stands right above (numbers under it make a table even when
    only a few rows line up).
    """
    if _unit_of(lines[i]) is not None:
        return None  # a unit line (or a title ending in one) is read by the parser; the table starts below it
    block: list[tuple[int, list[Segment]]] = []
    j = i
    while j < len(lines):
        line = lines[j].replace("\f", " ")
        if not line.strip():
            # a blank line inside a table only between rows of numbers
            k = j + 1
            if block and k < len(lines) and _numeric(segments(lines[k])) >= 1 and _numeric(block[-1][1]) >= 1:
                j = k
                continue
            break
        if "\t" in line or (_stops(line) and not block):
            break
        segs = segments(line)
        if block and _stops(line) and len(segs) < 2:
            break
        if len(segs) < 2 and not (block and len(segs) == 1 and _numeric(block[-1][1]) >= 1 and _continues_label(segs[0], block)):
            break
        block.append((j, segs))
        j += 1
    data = [k for k, (_, segs) in enumerate(block) if _numeric(segs) >= 1]
    if len(data) < 2:
        return None
    first_data = data[0]
    if first_data > 3:
        return None
    # columns: the most cells two rows of numbers have (a row may leave its last cells empty)
    counts = Counter(len(block[k][1]) for k in data)
    shared = [c for c, n in counts.items() if n >= 2]
    n_cols = max(shared) if shared else max(counts, key=lambda c: counts[c])
    full = [block[k][1] for k in data if len(block[k][1]) == n_cols]
    numeric_cols = sum(1 for c in range(1, n_cols) if all(is_number(r[c].text) for r in full))
    if n_cols < 2 or numeric_cols < 1:
        return None
    if not ((len(full) >= 2 and _aligned(full)) or (unit_above and numeric_cols >= 2)):
        return None
    extents = [(min(r[c].start for r in full), max(r[c].end for r in full)) for c in range(n_cols)]
    rows: list[tuple[int, tuple[tuple[int, Segment], ...]]] = []
    for line_no, segs in block[first_data:]:
        if len(segs) > n_cols + 1 or (_numeric(segs) == 0 and len(segs) > 1 and line_no > block[data[-1]][0]):
            break
        rows.append((line_no, tuple(_place(segs, extents, numbers=True))))
    header = tuple((line_no, tuple(_place(segs, extents, numbers=False))) for line_no, segs in block[:first_data])
    return LayoutTable(block[0][0], rows[-1][0], n_cols, header, tuple(rows))


def _continues_label(seg: Segment, block: list[tuple[int, list[Segment]]]) -> bool:
    """A row label that goes on to the next line starts where the labels start."""
    return not is_number(seg.text) and abs(seg.start - block[-1][1][0].start) <= 2


def _aligned(rows: Sequence[Sequence[Segment]]) -> bool:
    """Numbers right-aligned (or texts left-aligned) within a few characters in every column."""
    n = len(rows[0])
    for c in range(1, n):
        ends = [r[c].end for r in rows]
        starts = [r[c].start for r in rows]
        if max(ends) - min(ends) > max(4, len(rows[0][c].text)) and max(starts) - min(starts) > 4:
            return False
    # columns must not overlap each other
    for c in range(1, n):
        if max(r[c - 1].end for r in rows) > min(r[c].end for r in rows):
            return False
    return True


def _place(segs: Sequence[Segment], extents: Sequence[tuple[int, int]], numbers: bool) -> list[tuple[int, Segment]]:
    """Each segment's column: one to one when the row fills every column; else the columns its
    stretch of the line overlaps (a header over several columns takes the leftmost of them,
    as a merged cell does); a number goes to the column whose right edge is nearest its own."""
    n = len(extents)
    if len(segs) == n:
        return list(enumerate(segs))
    out: list[tuple[int, Segment]] = []
    used: set[int] = set()
    for i, seg in enumerate(segs):
        if numbers and i > 0 and is_number(seg.text):
            cands = [c for c in range(1, n) if c not in used] or list(range(1, n))
            col = min(cands, key=lambda c: abs(extents[c][1] - seg.end))
        else:
            lo = (segs[i - 1].end + seg.start) / 2 if i > 0 else seg.start - 1
            hi = (seg.end + segs[i + 1].start) / 2 if i + 1 < len(segs) else seg.end + 1
            if i == 0 and seg.start <= extents[0][1]:
                lo = min(lo, extents[0][0])
            cover = [c for c in range(n) if extents[c][1] > lo and extents[c][0] < hi and c not in used]
            if not cover:
                cover = [min((c for c in range(n) if c not in used), key=lambda c: abs((extents[c][0] + extents[c][1]) / 2 - seg.center), default=0)]
            col = cover[0]
        used.add(col)
        out.append((col, seg))
    return out
