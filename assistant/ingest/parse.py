"""Parse text exports of HWP/PDF documents into sections, blocks and tables.

The exports mix markdown headings (``#``, ``**3** 사업 설명``), section markers (``□``,
``Ⅰ``, ``【18년 3분기】``), list markers (``-``, ``○``, ``❍``, ``▸``, ``‣``), tab-separated
tables with multi-row headers, tables laid out with runs of spaces, and sentences broken
across lines. Every block and cell keeps spans into the original text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from ..lexicon import LIST_MARK, RECORD_HEADS, SENTENCE_ENDS
from ..records import Block, OffsetMap, Section, Table
from .cleaning import TextBuilder, clean_span, collapse_letter_spacing, glue_trailing_syllable
from .layout import LayoutTable, find_table, unit_tail
from .nlp import get_kiwi
from .tables import GridCell, build_table, parse_unit_line

PARSER_VERSION = "4"

_ROMAN = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ"
_TERMINAL = SENTENCE_ENDS
_RECORD_HEAD = RECORD_HEADS
_SEPARATOR = re.compile(r"^[\s\-|:=]+$")
_PAGE_NO = re.compile(r"^\s*[-–]\s*\d{1,4}\s*[-–]\s*$")


@dataclass
class Line:
    start: int
    end: int
    raw: str

    @property
    def stripped(self) -> str:
        return self.raw.strip()

    @property
    def blank(self) -> bool:
        return not self.raw.strip()

    @property
    def indent(self) -> int:
        return len(self.raw) - len(self.raw.lstrip(" \u3000"))

    @property
    def content_start(self) -> int:
        return self.start + len(self.raw) - len(self.raw.lstrip())

    @property
    def content_end(self) -> int:
        return self.start + len(self.raw.rstrip())


@dataclass
class ParsedText:
    sections: list[Section] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def split_lines(text: str) -> list[Line]:
    lines = []
    pos = 0
    for raw in text.split("\n"):
        end = pos + len(raw)
        if raw.endswith("\r"):
            raw = raw[:-1]
        lines.append(Line(pos, pos + len(raw), raw))
        pos = end + 1
    return lines


_TOKEN = re.compile(r"\S+")
_SPACE = re.compile(r"\s")


def _tokens(source: str, start: int, end: int) -> list[tuple[str, int, int]]:
    """The white-space separated tokens that start in ``[start, end)`` (cut at ``end``)."""
    out = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(source, start, end)]
    if out and out[0][1] == start and start > 0 and not _SPACE.match(source, start - 1):
        out.pop(0)  # the rest of a token that starts before ``start``
    return out


def _shape(token: str) -> str:
    return re.sub(r"\d+", "9", re.sub(r"[가-힣]+", "가", re.sub(r"[A-Za-z]+", "a", token)))


def _split_equal(tokens: list[tuple[str, int, int]], k: int) -> list[list[tuple[str, int, int]]] | None:
    """Split tokens into ``k`` consecutive groups of identical shape, if possible."""
    n = len(tokens)
    if k < 2 or n < k or n % k:
        return None
    m = n // k
    groups = [tokens[g * m : (g + 1) * m] for g in range(k)]
    shapes = {tuple(_shape(t[0]) for t in g) for g in groups}
    return groups if len(shapes) == 1 else None


def _heading(line: Line) -> tuple[int, int, int] | None:
    """``(level, content_start, content_end)`` if the line is a heading."""
    s = line.stripped
    cs = line.content_start
    if not s or "\t" in line.raw.strip():
        return None
    m = re.match(r"^(#{1,6})\s+(\S.*)$", s)
    if m:
        return len(m.group(1)), cs + m.start(2), line.content_end
    m = re.match(r"^\*\*\s*(\d+)\s*\*\*\s*(\S.*)$", s)
    if m:
        return 2, cs + m.start(1), line.content_end
    m = re.match(r"^\*\*\s*(\S.*?)\s*\*\*$", s)
    if m:
        inner = m.group(1)
        return (2 if inner[0].isdigit() else 3), cs + m.start(1), cs + m.end(1)
    if re.match(r"^[□■]\s*\S", s) and len(s) <= 50 and not s.endswith(_TERMINAL[:5]):
        return 3, cs, line.content_end
    m = re.match(rf"^[{_ROMAN}]\s+(\S.*)$", s)
    if m:
        return 2, cs, line.content_end
    if re.match(r"^〈.+〉$", s):
        return 3, cs, line.content_end
    if re.match(r"^【[^】]{1,20}】", s):
        return 4, cs, line.content_end
    if re.match(r"^붙임\s*\d*\s*[.:]", s):
        return 2, cs, line.content_end
    return None


def _is_table_line(line: Line) -> bool:
    return "\t" in line.raw and bool(line.raw.strip())


def _is_list_item(line: Line) -> bool:
    return bool(LIST_MARK.match(line.stripped)) and not _heading(line)


def _ends_sentence(text: str) -> bool:
    t = text.rstrip()
    if not t:
        return True
    if t.endswith(")") and t.count("(") <= t.count(")"):
        return True
    if t.endswith(_TERMINAL[:7]) or t.endswith(("」", "』", "]", "'", '"', "’", "”")):
        return True
    return t.endswith(_TERMINAL[7:]) and _final_ending(t.split()[-1])


MAX_TITLE_CHARS = 300  # a first line longer than this is text, not a title (a one-line text file)
MAX_CACHED_WORD = 40  # longer "words" are junk input: analysed, but not kept in the caches below


def _dangling(text: str) -> bool:
    """A line ending in a connective or adnominal ending or a particle continues on the next line."""
    parts = text.split()
    word = parts[-1] if parts else ""
    if not word or not ("가" <= word[-1] <= "힣"):
        return False
    return _dangling_word(word) if len(word) <= MAX_CACHED_WORD else _dangling_word.__wrapped__(word)


@lru_cache(maxsize=4096)
def _dangling_word(word: str) -> bool:
    tokens = get_kiwi().tokenize(word)
    return bool(tokens) and tokens[-1].tag.startswith(("EC", "ETM", "JK", "JC", "JX"))


def _final_ending(word: str) -> bool:
    """``"생각함"``, ``"있음"``, ``"한다"`` end a sentence; ``"처음"`` does not."""
    return _final_ending_word(word) if len(word) <= MAX_CACHED_WORD else _final_ending_word.__wrapped__(word)


@lru_cache(maxsize=4096)
def _final_ending_word(word: str) -> bool:
    tokens = get_kiwi().tokenize(word)
    return bool(tokens) and tokens[-1].tag in ("EF", "ETN")


class TextParser:
    """Line-oriented parser for one text export. Use :func:`parse_text`."""

    def __init__(
        self,
        source: str,
        title_line: int | None = None,
        glue_scorer: Callable[[str, str], bool] | None = None,
        paragraph_starts: frozenset[int] | None = None,
    ):
        self.src = source
        self.lines = split_lines(source)
        self.title_line = title_line
        # offsets where the source format says a paragraph starts (office documents): a line
        # starting there never continues the block above it; any other line does, unless it
        # is a table line, a list item or a heading
        self.starts = paragraph_starts
        self.glue = glue_scorer or _kiwi_glue
        self.out = ParsedText()
        self.stack: list[tuple[int, str]] = []  # (level, heading text)
        self.section = 0
        self.pending_unit: str | None = None
        self.last_label = ""
        self.chapter_level = 0
        self._layout_cache: dict[int, LayoutTable | None] | None = None
        self._open_section("", 0, 0, 0)

    # -- sections -------------------------------------------------------------------
    def _open_section(self, heading: str, level: int, start: int, end: int) -> None:
        if self.out.sections:
            prev = self.out.sections[-1]
            self.out.sections[-1] = Section(prev.index, prev.heading, prev.path, prev.level, prev.start, start)
        if heading:
            while self.stack and self.stack[-1][0] >= level:
                self.stack.pop()
            if level > 1 or self.out.sections[-1].heading:  # the document title is not part of paths
                self.stack.append((level, heading))
        path = tuple(h for _, h in self.stack)
        self.out.sections.append(Section(len(self.out.sections), heading, path, level, start, end))
        self.section = len(self.out.sections) - 1

    def _add_block(self, kind: str, text: str, offsets: OffsetMap, start: int, end: int, level: int = 0, table: int | None = None) -> None:
        if not text and kind != "table":
            return
        self.out.blocks.append(Block(kind, self.section, text, start, end, offsets, level, table))  # type: ignore[arg-type]

    # -- driver ---------------------------------------------------------------------
    def parse(self) -> ParsedText:
        i, n = 0, len(self.lines)
        while i < n:
            line = self.lines[i]
            if line.blank or (_SEPARATOR.match(line.raw) and "-" in line.raw and len(line.stripped) > 2) or _PAGE_NO.match(line.raw):
                i += 1
                continue
            if i == self.title_line and unit_tail(line.raw) is None and len(line.stripped) <= MAX_TITLE_CHARS:  # a longer "title" is body text
                self._heading_block(line, (1, line.content_start, line.content_end))
                i += 1
            elif _is_table_line(line):
                i = self._tab_table(i)
            elif (tail := unit_tail(line.raw)) is not None:
                # a title with the unit of the table below at its end: the title, then the unit
                head = Line(line.start, line.start + tail[1], line.raw[: tail[1]].rstrip())
                h = (1, head.content_start, head.content_end) if i == self.title_line else _heading(head)
                if h is not None:
                    self._heading_block(head, h)
                else:
                    text, offs = clean_span(self.src, head.content_start, head.content_end)
                    self._add_block("paragraph", text, offs, head.content_start, head.content_end)
                    self.last_label = text
                self.pending_unit = tail[0]
                i += 1
            elif (h := _heading(line)) is not None:
                self._heading_block(line, h)
                i += 1
            elif (unit := parse_unit_line(line.stripped)) is not None:
                self.pending_unit = unit
                i += 1
            elif self._record_header(i):
                i = self._record_table(i)
            elif self._grid_header(line):
                i = self._grid_table(i)
            elif (layout := self._layout_table_at(i)) is not None:
                i = self._layout_table(layout)
            elif _is_list_item(line):
                i = self._text_block(i, "list_item")
            elif self._label_heading(i):
                self._heading_block(line, (5, line.content_start, line.content_end))
                i += 1
            else:
                i = self._text_block(i, "paragraph")
        last = self.out.sections[-1]
        self.out.sections[-1] = Section(last.index, last.heading, last.path, last.level, last.start, len(self.src))
        return self.out

    def _next_nonblank(self, j: int) -> int | None:
        while j < len(self.lines):
            if not self.lines[j].blank:
                return j
            j += 1
        return None

    # -- headings -------------------------------------------------------------------
    def _heading_block(self, line: Line, h: tuple[int, int, int]) -> None:
        level, s, e = h
        text, offs = clean_span(self.src, s, e)
        if level > 1 and re.match(r"^\*{0,2}\d{1,2}\*{0,2}\s", text):
            # numbered chapters ("1 기본 현황", "**3** 사업 설명") are siblings whatever their markup
            self.chapter_level = self.chapter_level or level
            level = self.chapter_level
        text, offs = _drop_chars(text, offs, "*#")
        text, offs = _collapse_spaced_tail(text, offs)
        self._open_section(text, level, line.start, line.end)
        self._add_block("heading", text, offs, s, e, level)
        self.last_label = text
        self.pending_unit = None

    def _label_heading(self, i: int) -> bool:
        line = self.lines[i]
        s = line.stripped
        if len(s) > 60 or _ends_sentence(s) or ":" in s or re.search(r"\d{1,2}:\d{2}", s):
            return False
        k = self._next_nonblank(i + 1)
        if k is None:
            return False
        nxt = self.lines[k]
        if self.starts is not None and nxt.start not in self.starts:
            return False  # the next line is the rest of this paragraph
        return (
            _is_list_item(nxt)
            or _is_table_line(nxt)
            or parse_unit_line(nxt.stripped) is not None
            or self._record_header(k)
        )

    # -- paragraphs and list items ----------------------------------------------------
    def _continues(self, last: Line, k: int, list_item: bool) -> bool:
        nxt = self.lines[k]
        if self.starts is not None:
            return nxt.start not in self.starts and not (_is_table_line(nxt) or _is_list_item(nxt) or _heading(nxt))
        if _PAGE_NO.match(nxt.raw):
            return False
        if k == self.title_line or _is_table_line(nxt) or _is_list_item(nxt) or _heading(nxt):
            return False
        if parse_unit_line(nxt.stripped) is not None or self._grid_header(nxt) or self._record_header(k):
            return False
        if self._layout_table_at(k) is not None:
            return False
        s = last.stripped
        if len(s) < 12:
            return False
        if nxt.raw[:1].isspace():
            # a wrapped line aligned under the text of the line above it
            return nxt.indent >= last.indent + 4 and not _ends_sentence(s)
        if _dangling(s) or s[-1] in "·,、/(" or self.glue(s, nxt.stripped):
            return True
        if self._label_heading(k):
            return False
        if list_item and s.endswith(")"):
            return True
        return not _ends_sentence(s)

    def _text_block(self, i: int, kind: str) -> int:
        first = self.lines[i]
        start = first.content_start
        level = first.indent
        glue: list[int] = []
        skip: list[tuple[int, int]] = []
        last = first
        j = i + 1
        while True:
            k = self._next_nonblank(j)
            while k is not None and _PAGE_NO.match(self.lines[k].raw):
                skip.append((self.lines[k].start, self.lines[k].end))
                k = self._next_nonblank(k + 1)
            if k is None:
                break
            nxt = self.lines[k]
            if not self._continues(last, k, kind == "list_item"):
                break
            if not last.raw[-1:].isspace() and self.glue(last.stripped, nxt.stripped):
                glue.append(last.end)
            last = nxt
            j = k + 1
        text, offs = clean_span(self.src, start, last.content_end, glue=glue, skip=skip)
        self._add_block(kind, text, offs, start, last.content_end, level)
        if kind == "paragraph" and len(text) <= 40:
            self.last_label = text
        elif kind == "list_item" and len(text) <= 24:
            self.last_label = LIST_MARK.sub("", text)
        return j if j > i + 1 else i + 1

    # -- tab-separated tables ---------------------------------------------------------
    def _tab_table(self, i: int) -> int:
        rows: list[list[GridCell]] = []
        j = i
        n = len(self.lines)
        while j < n:
            line = self.lines[j]
            if line.blank:
                k = self._next_nonblank(j)
                if k is not None and _is_table_line(self.lines[k]):
                    j = k
                    continue
                break
            if not _is_table_line(line):
                break
            if not (_SEPARATOR.match(line.raw) and "-" in line.raw):
                rows.append(self._split_cells(line))
            j += 1
        if rows:
            self._emit_table(rows)
        return j

    def _split_cells(self, line: Line) -> list[GridCell]:
        cells: list[GridCell] = []
        pos = line.start
        for part in line.raw.split("\t"):
            s, e = pos, pos + len(part)
            cells.append(self._cell(s, e))
            pos = e + 1
        while cells and not cells[-1].text and len(cells) > 1:
            cells.pop()
        return cells

    def _cell(self, s: int, e: int) -> GridCell:
        text, offs = clean_span(self.src, s, e, keep_newlines=True)
        text, offs = collapse_letter_spacing(text, offs)
        text, offs = glue_trailing_syllable(text, offs)
        if not text:
            return GridCell("", s, s)
        a, b = offs.span(0, len(text))
        return GridCell(text, a, b, offsets=offs)

    def _emit_table(self, grid: list[list[GridCell]], layout: str | None = None) -> None:
        index = len(self.out.tables)
        table = build_table(grid, index, self.section, self.last_label, self.pending_unit, layout)
        self.out.tables.append(table)
        self._add_block("table", "", OffsetMap(((0, table.start),)), table.start, table.end, table=index)
        self.pending_unit = None

    # -- tables laid out with spaces: numbered records ---------------------------------
    def _header_tokens(self, line: Line) -> list[tuple[str, int, int]]:
        """Tokens of a header line, letter-spaced runs (``사  업  명``) merged into one."""
        merged: list[tuple[str, int, int]] = []
        prev_single = False
        for w, s, e in _tokens(self.src, line.start, line.end):
            single = len(w) == 1 and "가" <= w <= "힣"
            if single and prev_single:
                merged[-1] = (merged[-1][0] + w, merged[-1][1], e)
            else:
                merged.append((w, s, e))
            prev_single = single
        return merged

    def _record_header(self, i: int) -> bool:
        line = self.lines[i]
        if "\t" in line.raw:
            return False
        toks = self._header_tokens(line)
        if len(toks) < 3 or toks[0][0] not in _RECORD_HEAD:
            return False
        for k in range(i + 1, min(i + 8, len(self.lines))):
            if re.match(r"^\s*1(\s|$)", self.lines[k].raw):
                return True
        return False

    def _record_table(self, i: int) -> int:
        header = [GridCell(w, s, e) for w, s, e in self._header_tokens(self.lines[i])]
        ncol = len(header)
        records: list[list[Line]] = []
        expected = 1
        j = i + 1
        pre: list[Line] = []
        while j < len(self.lines):
            line = self.lines[j]
            if line.blank:
                j += 1
                continue
            if _is_list_item(line) or _heading(line) or _is_table_line(line):
                break
            m = re.match(r"^\s*(\d+)(\s|$)", line.raw)
            if m and int(m.group(1)) == expected:
                records.append([line])
                expected += 1
            elif records:
                records[-1].append(line)
            else:
                pre.append(line)
            j += 1
        grid: list[list[GridCell]] = [header]
        above: GridCell | None = None
        for rec in ([pre] if pre else []) + records:
            row = self._record_row(rec, ncol, numbered=rec is not pre)
            if rec is pre and not row[0].text:
                # the unnumbered line before record 1 is the total ("7개 사업 850,000 6개 부서");
                # its label is ours, not the source's, hence marked as inherited
                row[0] = GridCell("계", rec[0].content_start, rec[0].content_start, inherited=True)
            if rec is not pre and ncol >= 4:
                if row[1].text:
                    above = row[1]
                elif above is not None:
                    row[1] = GridCell(above.text, above.start, above.end, inherited=True, offsets=above.offsets)
            grid.append(row)
        self._emit_table(grid, layout="grid")
        return j

    def _record_row(self, lines: list[Line], ncol: int, numbered: bool) -> list[GridCell]:
        # segments: runs of tokens separated by 2+ spaces or line breaks
        segments: list[list[tuple[str, int, int]]] = []
        for line in lines:
            seg: list[tuple[str, int, int]] = []
            prev_end = None
            for t in _tokens(self.src, line.start, line.end):
                if prev_end is not None and t[1] - prev_end >= 2 and seg:
                    segments.append(seg)
                    seg = []
                seg.append(t)
                prev_end = t[2]
            if seg:
                segments.append(seg)
        flat = [(t, si) for si, seg in enumerate(segments) for t in seg]
        cells: list[GridCell | None] = [None] * ncol
        if numbered and flat:
            t, _ = flat.pop(0)
            cells[0] = GridCell(t[0], t[1], t[2])
        amount_at = max((k for k, (t, _) in enumerate(flat) if re.fullmatch(r"\d{1,3}(?:,\d{3})+|\d+", t[0])), default=None)
        if amount_at is not None and ncol >= 3:
            tail = flat[amount_at + 1 :]
            if tail:
                cells[ncol - 1] = self._span_cell(tail[0][0][1], tail[-1][0][2])
            a = flat[amount_at][0]
            cells[ncol - 2] = GridCell(a[0], a[1], a[2])
            flat = flat[:amount_at]
            middle_cols = list(range(1, ncol - 2))
        else:
            middle_cols = list(range(1, ncol))
        groups: list[list[tuple[str, int, int]]] = []
        last_seg = None
        for t, si in flat:
            if si != last_seg:
                groups.append([])
                last_seg = si
            groups[-1].append(t)
        if len(groups) > len(middle_cols) and middle_cols:
            keep = len(middle_cols) - 1
            groups = [*groups[:keep], [t for g in groups[keep:] for t in g]]
        # fewer groups than columns: the leading columns are merged cells from above
        offset = len(middle_cols) - len(groups)
        for g, col in zip(groups, middle_cols[offset:], strict=False):
            cells[col] = self._span_cell(g[0][1], g[-1][2])
        end = lines[-1].end
        return [c if c is not None else GridCell("", end, end) for c in cells]

    def _span_cell(self, s: int, e: int) -> GridCell:
        return self._cell(s, e)

    # -- tables laid out with spaces: columns that line up (PDF text exports, OCR) -------
    def _layout_table_at(self, i: int) -> LayoutTable | None:
        line = self.lines[i]
        if "\t" in line.raw or "  " not in line.raw.strip():
            return None
        if self._layout_cache is None:
            self._layout_cache = {}
        if i not in self._layout_cache:
            self._layout_cache[i] = find_table([ln.raw for ln in self.lines], i, unit_above=self.pending_unit is not None)
        return self._layout_cache[i]

    def _layout_table(self, lt: LayoutTable) -> int:
        grid: list[list[GridCell]] = []
        for line_no, placed in (*lt.header, *lt.rows):
            line = self.lines[line_no]
            cells = [GridCell("", line.end, line.end) for _ in range(lt.n_cols)]
            for col, seg in placed:
                cells[col] = self._cell(line.start + seg.start, line.start + seg.end)
            grid.append(cells)
        self._emit_layout(grid, len(lt.header))
        return lt.last + 1

    def _emit_layout(self, grid: list[list[GridCell]], n_header: int) -> None:
        index = len(self.out.tables)
        layout = "grid" if n_header else None
        table = build_table(grid, index, self.section, self.last_label, self.pending_unit, layout, n_header if n_header else None)
        self.out.tables.append(table)
        self._add_block("table", "", OffsetMap(((0, table.start),)), table.start, table.end, table=index)
        self.pending_unit = None

    # -- tables laid out with spaces: label rows with k values -------------------------
    def _row_label(self, line: Line) -> tuple[GridCell, int] | None:
        """A leading letter-spaced label (``일  시``) or a word followed by 2+ spaces."""
        toks = _tokens(self.src, line.start, line.end)
        if len(toks) < 2:
            return None
        k = 0
        while k < len(toks) and len(toks[k][0]) == 1 and "가" <= toks[k][0] <= "힣":
            k += 1
        if k >= 2:
            b = TextBuilder()
            for t in toks[:k]:
                b.add(t[0], t[1])
            text, offs = b.build()
            return GridCell(text, toks[0][1], toks[k - 1][2], offsets=offs), toks[k][1] if k < len(toks) else line.end
        if toks[1][1] - toks[0][2] >= 2 and re.fullmatch(r"[가-힣]{2,6}", toks[0][0]):
            return GridCell(toks[0][0], toks[0][1], toks[0][2]), toks[1][1]
        return None

    def _grid_header(self, line: Line) -> bool:
        if "\t" in line.raw:
            return False
        lab = self._row_label(line)
        if lab is None or " " not in self.src[lab[0].start : lab[0].end]:
            return False
        values = _tokens(self.src, lab[1], line.end)
        return len(values) >= 2 and all(re.fullmatch(r"[가-힣A-Za-z·]{2,12}", v[0]) for v in values)

    def _grid_table(self, i: int) -> int:
        head = self.lines[i]
        lab, vstart = self._row_label(head)  # type: ignore[misc]
        values = _tokens(self.src, vstart, head.end)
        k = len(values)
        grid: list[list[GridCell]] = [[lab] + [GridCell(v[0], v[1], v[2]) for v in values]]
        j = i + 1
        vertical: list[tuple[str, int, int]] = []
        sub: tuple[str, int, int] | None = None
        while j < len(self.lines):
            line = self.lines[j]
            if line.blank:
                j += 1
                continue
            s = line.stripped
            if _heading(line) or _is_table_line(line) or (self._label_heading(j) and not vertical):
                break
            if _is_list_item(line) and not s.startswith("※"):
                break
            if re.fullmatch(r"[가-힣]", s):
                vertical.append((s, line.content_start, line.content_end))
                j += 1
                continue
            if vertical and re.fullmatch(r"[가-힣]{2,4}", s) and sub is None:
                sub = (s, line.content_start, line.content_end)
                j += 1
                continue
            if vertical:
                b = TextBuilder()
                for ch, cs, _ in vertical:
                    b.add(ch, cs)
                if sub:
                    b.space(vertical[-1][2])
                    b.add(sub[0], sub[1])
                text, offs = b.build()
                label = GridCell(text, vertical[0][1], (sub or vertical[-1])[2], offsets=offs)
                vstart = line.content_start
                vertical, sub = [], None
            elif s.startswith("※"):
                label, vstart = GridCell("", line.content_start, line.content_start), line.content_start
            else:
                got = self._row_label(line)
                if got is None:
                    break
                label, vstart = got
            toks = _tokens(self.src, vstart, line.end)
            groups = _split_equal(toks, k)
            if groups:
                row = [label] + [self._cell(g[0][1], g[-1][2]) for g in groups]
            else:
                row = [label, self._cell(vstart, line.content_end)] + [GridCell("", line.end, line.end)] * (k - 1)
            grid.append(row)
            j += 1
        self._emit_table(grid, layout="transposed")
        return j


def _drop_chars(text: str, offs: OffsetMap, chars: str) -> tuple[str, OffsetMap]:
    if not any(c in text for c in chars):
        return text, offs
    b = TextBuilder()
    for i, ch in enumerate(text):
        if ch in chars:
            b.space(offs.to_original(i))
        elif ch == " ":
            b.space(offs.to_original(i))
        else:
            b.add(ch, offs.to_original(i))
    return b.build()


def _collapse_spaced_tail(text: str, offs: OffsetMap) -> tuple[str, OffsetMap]:
    """``"Ⅰ 개 최 개 요"`` → ``"Ⅰ 개최개요"``: collapse a letter-spaced run after a marker."""
    m = re.match(r"^(\S+\s+)?([가-힣](?:\s+[가-힣]){2,})$", text)
    if not m:
        return text, offs
    b = TextBuilder()
    pre = m.group(1) or ""
    for i, ch in enumerate(pre.rstrip()):
        b.add(ch, offs.to_original(i))
    if pre:
        b.space(offs.to_original(len(pre.rstrip())))
    for i in range(m.start(2), len(text)):
        if not text[i].isspace():
            b.add(text[i], offs.to_original(i))
    return b.build()


def _kiwi_glue(prev_line: str, next_line: str) -> bool:
    """Whether a line break splits a word: Kiwi scores the joined form clearly higher."""
    a = " ".join(prev_line.split()[-2:])
    b = " ".join(next_line.split()[:2])
    if not (a and b and "가" <= a[-1] <= "힣" and "가" <= b[0] <= "힣"):
        return False

    kiwi = get_kiwi()
    joined = kiwi.analyze(a + b)[0][1]
    spaced = kiwi.analyze(a + " " + b)[0][1]
    return joined > spaced + 1.0


def parse_text(source: str, title_line: int | None = None, paragraph_starts: frozenset[int] | None = None) -> ParsedText:
    """Parse a text export into sections, blocks and tables.

    ``paragraph_starts``: for text rendered from an office document, the offsets where its
    paragraphs start; lines between them are wrapped lines of one paragraph.
    """
    return TextParser(source, title_line, paragraph_starts=paragraph_starts).parse()
