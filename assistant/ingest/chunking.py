"""Split a parsed document into retrievable chunks.

Text chunks stay inside one section, carry its heading path, are built from whole
sentences and list items (Kiwi sentence splitting) up to a token budget, and overlap
by a sentence or two. Each table row becomes its own chunk with the column labels
repeated, so one row is retrievable on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..records import Block, Cell, Chunk, Document, OffsetMap, Table
from .card import card_chunk
from .cleaning import sub_offsets
from .nlp import sentence_spans
from .tables import kv_fields

TokenCounter = Callable[[str], int]

#: Bump when chunk boundaries or texts change: indexes built by another version are rebuilt.
CHUNKER_VERSION = "11"


@dataclass(frozen=True)
class _Unit:
    text: str
    offsets: OffsetMap
    block: int  # index of the block it comes from
    tokens: int


def approx_tokens(text: str) -> int:
    """A model-free estimate (multilingual subword vocabularies: ~1.8 Hangul chars a token)."""
    hangul = sum(1 for ch in text if "가" <= ch <= "힣")
    return int(hangul / 1.8 + (len(text) - hangul) / 3.5) + 2


def _units(block: Block, bi: int, count: TokenCounter, max_tokens: int) -> Iterator[_Unit]:
    text = block.text
    spans = [(0, len(text))] if block.kind == "list_item" and count(text) <= max_tokens else sentence_spans(text)
    for a, b in spans:
        piece = text[a:b]
        n = count(piece)
        if n <= max_tokens:
            yield _Unit(piece, sub_offsets(block.offsets, a, b), bi, n)
            continue
        # a sentence longer than the budget: cut it into windows on white space
        step = max(1, int(len(piece) * max_tokens / n) - 1)
        pos = 0
        while pos < len(piece):
            end = min(len(piece), pos + step)
            if end < len(piece):
                cut = piece.rfind(" ", pos + step // 2, end)
                end = cut if cut > pos else end
            sub = piece[pos:end].strip()
            if sub:
                lead = len(piece[pos:end]) - len(piece[pos:end].lstrip())
                yield _Unit(sub, sub_offsets(block.offsets, a + pos + lead, a + pos + lead + len(sub)), bi, count(sub))
            pos = end


class Chunker:
    """Chunk documents with a token counter (the embedder's tokenizer)."""

    def __init__(self, count_tokens: TokenCounter | None = None, max_tokens: int = 320, overlap_tokens: int = 64):
        self.count = count_tokens or approx_tokens
        self.max_tokens = max_tokens
        self.overlap = overlap_tokens

    def chunk(self, doc: Document, start_id: int = 0) -> list[Chunk]:
        chunks: list[Chunk] = []
        run: list[tuple[int, Block]] = []
        for bi, block in enumerate(doc.blocks):
            if block.kind == "table" or (run and block.section != run[0][1].section) or block.kind == "heading":
                chunks += self._text_chunks(doc, run, start_id + len(chunks))
                run = []
            if block.kind == "table" and block.table is not None:
                chunks += self._table_chunks(doc, doc.tables[block.table], start_id + len(chunks))
            elif block.kind in ("paragraph", "list_item"):
                run.append((bi, block))
            elif block.kind == "heading" and block.level >= 3 and re.search(r"\d.*(?:[:：]|\s-\s)|[:：]\s*\d", block.text):
                # a heading that states facts ("【19년 2분기】 - 협치론장 운영 : 3회") is also a sentence of its section
                run.append((bi, block))
        chunks += self._text_chunks(doc, run, start_id + len(chunks))
        card = card_chunk(doc, start_id + len(chunks))
        return chunks + ([card] if card is not None else [])

    def _path(self, doc: Document, section: int) -> tuple[str, ...]:
        return doc.sections[section].path if section < len(doc.sections) else ()

    def _text_chunks(self, doc: Document, run: list[tuple[int, Block]], first_id: int) -> list[Chunk]:
        if not run:
            return []
        section = run[0][1].section
        path = self._path(doc, section)
        context = " > ".join((doc.title, *path))
        budget = max(32, self.max_tokens - self.count(context))
        units = [u for bi, block in run for u in _units(block, bi, self.count, budget)]
        groups: list[list[_Unit]] = []
        current: list[_Unit] = []
        size = 0
        for u in units:
            if current and size + u.tokens > budget:
                groups.append(current)
                carry: list[_Unit] = []
                carried = 0
                for prev in reversed(current):
                    if carried + prev.tokens > self.overlap or carried + prev.tokens + u.tokens > budget:
                        break
                    carry.insert(0, prev)
                    carried += prev.tokens
                current, size = carry, carried
            current.append(u)
            size += u.tokens
        if current:
            groups.append(current)
        out = []
        for g in groups:
            out.append(self._make_text_chunk(doc, g, section, path, first_id + len(out)))
        return out

    def _make_text_chunk(self, doc: Document, units: list[_Unit], section: int, path: tuple[str, ...], cid: int) -> Chunk:
        texts: list[str] = []
        anchors: list[tuple[int, int]] = []
        spans: list[tuple[int, int]] = []
        pos = 0
        prev_end = 0
        for i, u in enumerate(units):
            if i:
                sep = " " if u.block == units[i - 1].block else "\n"
                anchors.append((pos, prev_end))
                texts.append(sep)
                pos += len(sep)
            anchors += [(pos + c, o) for c, o in u.offsets.anchors]
            spans.append((pos, pos + len(u.text)))
            texts.append(u.text)
            pos += len(u.text)
            prev_end = u.offsets.to_original(len(u.text) - 1) + 1
        offs = OffsetMap(tuple(anchors))
        text = "".join(texts)
        a, b = offs.span(0, len(text))
        return Chunk(cid, doc.id, section, path, "text", text, a, b, offs, tuple(spans), title=doc.title)

    def _table_chunks(self, doc: Document, table: Table, first_id: int) -> list[Chunk]:
        path = self._path(doc, table.section)
        heading = path[-1] if path else ""
        lead = table.title if table.title and table.title != heading else ""
        if table.unit:
            lead = f"{lead} (단위: {table.unit})".strip()
        out: list[Chunk] = []
        for r, row in enumerate(table.rows):
            if table.layout == "keyvalue":
                if not any(c.text for c in row[1:]):
                    continue
                # each label rides with its value: "총사업비: 1,194백만원 | 사업유형: 계속/자체/운영"
                fields = []
                for k, v in kv_fields(row):
                    if k is not None and v is not None:
                        fields.append(_Field(f"{row[k].text}: ", row[v], row[k].start))
                    else:
                        c = row[v if v is not None else k]  # type: ignore[index]
                        fields.append(_Field("", c, c.start))
            else:
                fields = []
                for j, c in enumerate(row):
                    if not c.text:
                        continue
                    label = table.columns[j] if j < len(table.columns) else ""
                    repeated = j > 0 and label and j - 1 < len(table.columns) and table.columns[j - 1] == label and row[j - 1].text
                    # a merged header over several columns is said once ("2021년 예산내역: ○ … | = | 3,000천원")
                    fields.append(_Field(f"{label}: " if label and not repeated else "", c, c.start))
            if fields:
                out += self._row_chunks(doc, table, r, lead, fields, path, first_id + len(out))
        return out

    def _row_chunks(
        self, doc: Document, table: Table, r: int, lead: str, fields: list[_Field], path: tuple[str, ...], first_id: int
    ) -> list[Chunk]:
        """One chunk per row; a row too long for the budget is split by the lines of its cells,
        the row label (of a label/value row) repeated in front of each part."""
        context = " > ".join((doc.title, *path))
        budget = max(32, self.max_tokens - self.count(context) - self.count(lead))
        pieces = [p for f in fields for p in f.lines()]  # a cell holding a list gives one piece per line
        keep = pieces[0].prefix if table.layout == "keyvalue" and pieces[0].prefix else ""
        groups: list[list[_Piece]] = [[]]
        size = 0
        for piece in pieces:
            n = self.count(piece.text)
            if groups[-1] and size + n > budget:
                groups.append([])
                size = self.count(keep)
            groups[-1].append(piece)
            size += n
        out = []
        for g in groups:
            if keep and g[0].prefix != keep:
                g = [_Piece(keep, "", OffsetMap(()), g[0].anchor, True), *g]
            texts: list[str] = []
            anchors: list[tuple[int, int]] = []
            spans: list[tuple[int, int]] = []
            pos = 0
            if lead:
                texts.append(lead + "\n")
                anchors += [(0, g[0].anchor), (len(lead) + 1, g[0].anchor)]
                pos = len(lead) + 1
            for k, piece in enumerate(g):
                if k and not (k == 1 and g[0].prefix == keep and not g[0].body):
                    sep = " | "
                    anchors.append((pos, piece.anchor))
                    texts.append(sep)
                    pos += len(sep)
                start = pos
                anchors.append((pos, piece.anchor))  # the label maps to the start of its cell
                pos += len(piece.prefix)
                anchors += [(pos + c, o) for c, o in piece.offsets.anchors] or [(pos, piece.anchor)]
                texts.append(piece.text)
                pos += len(piece.body)
                if piece.body or piece.prefix:
                    spans.append((start, pos))
            own = [(p.start, p.end) for p in g if p.body and not p.inherited]
            text = "".join(texts)
            out.append(
                Chunk(
                    first_id + len(out),
                    doc.id,
                    table.section,
                    path,
                    "table_row",
                    text,
                    min((s for s, _ in own), default=table.start),
                    max((e for _, e in own), default=table.end),
                    OffsetMap(tuple(_monotone(anchors))),
                    _merge_label(spans, g, keep),
                    table=table.index,
                    row=r,
                    title=doc.title,
                )
            )
        return out


@dataclass(frozen=True)
class _Piece:
    prefix: str  # synthetic text in front ("2022예산액 (B): "), mapped to ``anchor``
    body: str  # text of the cell (or of one line of it)
    offsets: OffsetMap  # body position -> original position
    anchor: int
    inherited: bool

    @property
    def text(self) -> str:
        return self.prefix + self.body

    @property
    def start(self) -> int:
        return self.offsets.to_original(0) if self.body else self.anchor

    @property
    def end(self) -> int:
        return self.offsets.to_original(len(self.body) - 1) + 1 if self.body else self.anchor


@dataclass(frozen=True)
class _Field:
    prefix: str
    cell: Cell
    anchor: int

    def lines(self) -> list[_Piece]:
        c = self.cell
        offs = c.offsets if c.offsets.anchors else OffsetMap(((0, c.start),))
        if "\n" not in c.text:
            return [_Piece(self.prefix, c.text, offs, self.anchor, c.inherited)]
        out = []
        pos = 0
        for i, line in enumerate(c.text.split("\n")):
            if line.strip():
                out.append(_Piece(self.prefix if i == 0 else "", line, sub_offsets(offs, pos, pos + len(line)), self.anchor, c.inherited))
            pos += len(line) + 1
        return out


def _monotone(anchors: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Anchors sorted by clean position, the last one winning at equal positions."""
    by_pos: dict[int, int] = {}
    for c, o in anchors:
        by_pos[c] = o
    return sorted(by_pos.items())


def _merge_label(spans: list[tuple[int, int]], pieces: list[_Piece], keep: str) -> tuple[tuple[int, int], ...]:
    """A repeated row label with no body of its own belongs to the unit after it."""
    if keep and pieces and pieces[0].prefix == keep and not pieces[0].body and len(spans) > 1:
        return ((spans[0][0], spans[1][1]), *spans[2:])
    return tuple(spans)
