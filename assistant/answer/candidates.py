"""Candidate answers: the sentences, list items and label/value fields of the retrieved
chunks (:class:`Unit`), with the list structure they sit in (marker, depth, parent item)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..ingest import terms as content_terms
from ..lexicon import ITEM_START, LABEL_BEFORE_MARK, MARKER_RANK
from ..records import Evidence, Hit

_LABELLED = re.compile(r"^\s*(?:[" + re.escape("".join(sorted(ITEM_START))) + r"]\s*)?([^:：]{1,14})\s*[:：]\s*\S")


@dataclass
class Unit:
    """A candidate answer inside a retrieved chunk: a sentence, a list item or a label/value field."""

    hit: Hit
    start: int  # span inside hit.chunk.text
    end: int
    text: str
    terms: set[str] = field(default_factory=set)
    context_terms: set[str] = field(default_factory=set)  # headings and document title
    title_terms: set[str] = field(default_factory=set)
    parent_terms: set[str] = field(default_factory=set)  # the list item this one is nested under
    has_children: bool = False
    depth: tuple[float, int] = (9, 99)
    features: Evidence = field(default_factory=Evidence)
    p: float = 0.0  # the ranker's probability that this candidate's answer is right

    @property
    def chunk(self):
        return self.hit.chunk

    @property
    def place(self) -> str:
        """Where it stands: its document and section (or table row), for telling answers from different places apart."""
        c = self.hit.chunk
        if c.table is not None:
            return f"{c.doc_id}|t{c.table}|r{c.row}"
        if c.kind == "card":  # each field of the card stands on its own
            return f"{c.doc_id}|card|{self.start}"
        return f"{c.doc_id}|{c.kind}|s{c.section}"


def units_of(hits: Sequence[Hit], source_of: Callable[[str], str] | None = None) -> list[Unit]:
    """Sentences, list items and table fields of the retrieved chunks (each source span once:
    overlapping chunks repeat sentences). ``source_of(doc_id)`` gives a document's original text,
    whose indentation nests items that share a marker ("- 운영" over "  - 위원수 : …")."""
    out: list[Unit] = []
    seen: set[tuple[str, int, int]] = set()
    for h in hits:
        ctx_terms = set(content_terms(" ".join(h.chunk.heading_path))) if h.chunk.heading_path else set()
        title_terms = set(content_terms(h.chunk.title)) if h.chunk.title else set()
        spans = h.chunk.sentences or ((0, len(h.chunk.text)),)
        for a, b in spans:
            text = h.chunk.text[a:b]
            key = (h.chunk.doc_id, *h.chunk.offsets.span(a, b))
            if not text.strip() or key in seen:
                continue
            seen.add(key)
            out.append(Unit(h, a, b, text, set(content_terms(text)), ctx_terms | title_terms, title_terms))
    _nest(out, source_of)
    return out




def marker(text: str) -> str:
    """The list marker a unit starts with ("○", "-", "." for "1.", "【" for a quarter heading)."""
    t = LABEL_BEFORE_MARK.sub("", text.lstrip())  # "2019년도: ○ …"
    if not t:
        return ""
    if t[0] in MARKER_RANK:
        return t[0]
    m = re.match(r"^(\d{1,2}[.)]|[가-하][.)])\s", t)
    return m.group(1)[-1] if m else ""


def depth(u: Unit, source: str = "") -> tuple[float, int]:
    """(marker rank, indentation): smaller is shallower; prose is deepest-but-separate (9, 99)."""
    mark = marker(u.text)
    if not mark:
        return (9, 99)
    indent = 0
    if source and u.chunk.kind == "text":
        pos = u.chunk.offsets.to_original(u.start)
        line_start = source.rfind("\n", 0, pos) + 1
        indent = len(source[line_start:pos]) - len(source[line_start:pos].lstrip(" \u3000\t"))
    return (MARKER_RANK.get(mark, 5), indent)


_SHORT_ITEM = 40


def _nest(units: list[Unit], source_of: Callable[[str], str] | None = None) -> None:
    """Give each list item the terms of the item it is nested under (same chunk, shallower)."""
    for u in units:
        u.depth = depth(u, source_of(u.chunk.doc_id) if source_of else "")
    by_chunk: dict[int, list[Unit]] = {}
    for u in units:
        by_chunk.setdefault(u.chunk.id, []).append(u)
    for group in by_chunk.values():
        group.sort(key=lambda x: x.start)
        for i, u in enumerate(group):
            if u.depth[0] >= 9:
                continue
            for prev in reversed(group[:i]):
                if prev.depth[0] < u.depth[0] or (prev.depth < u.depth and len(prev.text) <= _SHORT_ITEM):
                    # an item indented under one with the same marker is a sub-item of a heading-like
                    # item ("- 지역상생발전위원회 운영"); under a full sentence it elaborates on its own
                    u.parent_terms = prev.terms
                    break
            if i + 1 < len(group) and group[i + 1].depth > u.depth and group[i + 1].depth[0] < 9:
                u.has_children = True


def label_part(text: str) -> str:
    """The label of a "label: value" unit ("배석자" of "- 배석자: …")."""
    m = _LABELLED.match(text)
    return m.group(1) if m else ""


def is_title(u: Unit) -> bool:
    """The unit only repeats its document's title ("소통행정-3: <title>")."""
    t = re.sub(r"\s+", "", u.text)
    title = re.sub(r"\s+", "", u.chunk.title)
    return bool(title) and len(title) >= 6 and t.endswith(title) and len(t) - len(title) <= 12


def row_terms(u: Unit) -> list[str]:
    return content_terms(row_label(u)) if u.chunk.kind == "table_row" else []


def row_label(u: Unit) -> str:
    """The label of the table row a unit comes from ("2019년도" of "2019년도: ○ …")."""
    if u.chunk.kind != "table_row":
        return ""
    first = u.chunk.sentences[0] if u.chunk.sentences else (0, 0)
    text = u.chunk.text[first[0] : first[1]]
    return re.split(r"[:：]", text, maxsplit=1)[0] if re.search(r"[:：]", text) else text
