"""Typed records that flow through the pipeline.

This module is dependency-free on purpose: parsing, indexing, retrieval, answering,
the web layer and the evaluation harness all exchange these records.

Offsets: every ``start``/``end`` pair is a character span ``[start, end)`` into the
*original* decoded text of a document (``Document.text``), so a UI can show and
highlight the exact source. Texts carried by records are *clean* (repaired line
breaks, stripped markup); an :class:`OffsetMap` maps clean positions back.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

DOC_TYPE_LABELS: dict[str, str] = {
    "official": "공문서",
    "budget": "예산사업 설명서",
    "press_release": "보도자료",
    "performance_report": "성과·공약 보고",
    "meeting_report": "회의 결과 보고",
    "bill": "법령·조례안",
    "other": "기타 문서",
}

BlockKind = Literal["heading", "paragraph", "list_item", "table"]
ChunkKind = Literal["text", "table_row", "table", "card"]


@dataclass(frozen=True)
class OffsetMap:
    """Maps positions in a clean text back to positions in the original text.

    ``anchors`` holds ``(clean_pos, orig_pos)`` pairs sorted by ``clean_pos``; between two
    anchors the mapping is linear (one clean character per original character).
    """

    anchors: tuple[tuple[int, int], ...]

    def to_original(self, pos: int) -> int:
        if not self.anchors:
            return pos
        keys = [a[0] for a in self.anchors]
        i = max(bisect_right(keys, pos) - 1, 0)
        clean, orig = self.anchors[i]
        mapped = orig + (pos - clean)
        # synthetic text (a column label in a table-row chunk) is anchored twice at the same
        # original offset: it maps to that offset instead of running past it
        if i + 1 < len(self.anchors) and self.anchors[i + 1][1] == orig and mapped > orig:
            return orig
        return mapped

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original span covering the clean span ``[start, end)``."""
        if end <= start:
            p = self.to_original(start)
            return p, p
        return self.to_original(start), self.to_original(end - 1) + 1

    def shifted(self, clean_delta: int) -> OffsetMap:
        return OffsetMap(tuple((c + clean_delta, o) for c, o in self.anchors))

    def to_list(self) -> list[list[int]]:
        return [list(a) for a in self.anchors]

    @classmethod
    def from_list(cls, data: list[list[int]] | list[tuple[int, int]]) -> OffsetMap:
        return cls(tuple((int(c), int(o)) for c, o in data))


@dataclass(frozen=True)
class Contact:
    role: str
    name: str
    phone: str = ""
    department: str = ""


@dataclass(frozen=True)
class Section:
    """A section of a document: its heading and the heading path above it."""

    index: int
    heading: str
    path: tuple[str, ...]
    level: int
    start: int
    end: int


@dataclass(frozen=True)
class Block:
    """A paragraph, list item, heading or table reference inside a section."""

    kind: BlockKind
    section: int
    text: str
    start: int
    end: int
    offsets: OffsetMap
    level: int = 0
    table: int | None = None


@dataclass(frozen=True)
class Cell:
    """One table cell: its clean text, the normalised value and unit where it is a number."""

    text: str
    start: int
    end: int
    value: float | None = None
    unit: str | None = None
    inherited: bool = False  # filled from a merged cell above (not in the source at this row)
    offsets: OffsetMap = field(default_factory=lambda: OffsetMap(()), repr=False, compare=False)
    masked: bool = False  # the publisher masked (part of) this value ("***", "홍○○"): never an answer
    won: float | None = None  # an amount in 원 ("1.2조원" → 1.2e12), beside the written value and unit


@dataclass(frozen=True)
class Table:
    """A structured table: header rows, flattened column labels, data rows."""

    index: int
    section: int
    title: str
    unit: str | None
    columns: tuple[str, ...]
    header_rows: tuple[tuple[Cell, ...], ...]
    rows: tuple[tuple[Cell, ...], ...]
    start: int
    end: int
    layout: Literal["grid", "keyvalue", "transposed"] = "grid"

    def row_label(self, r: int) -> str:
        """Text of the leading label cells of row ``r`` (non-numeric cells before the first value)."""
        if self.layout != "grid":
            return self.rows[r][0].text if self.rows[r] else ""
        parts: list[str] = []
        for cell in self.rows[r]:
            if cell.value is not None and parts:
                break
            if cell.text:
                parts.append(cell.text)
            if len(parts) >= 2:
                break
        return " ".join(parts)


ApprovalRole = Literal["drafter", "reviewer", "cooperator", "approver"]


@dataclass(frozen=True)
class Approval:
    """One signer on a 공문서's 결재 line: role (기안자, 검토자, 협조자, 결재권자), position (직위) and name."""

    role: ApprovalRole
    position: str
    name: str
    mark: str = ""  # how it was signed: 代 (대결), 전결; "" for an ordinary signature
    signed: str = ""  # the date written beside the signature ("07/10")


@dataclass(frozen=True)
class Reference:
    """A document the text cites ("미래청년기획단-920(… 운영계획, 2024.1.19.)호와 관련"), with its span."""

    number: str  # as written, with the issuing body if named: "동대문구 일자리청년과-11919"
    key: str  # 처리과명-일련번호 without the body, what documents are matched by: "일자리청년과-11919"
    title: str = ""
    date: str | None = None  # ISO
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Document:
    """A parsed document. ``id`` is its file name."""

    id: str
    title: str
    doc_type: str
    years: tuple[int, ...]
    department: str
    contacts: tuple[Contact, ...]
    date: str | None
    path: str
    sha256: str
    encoding: str
    text: str = field(repr=False)
    sections: tuple[Section, ...] = field(default=(), repr=False)
    blocks: tuple[Block, ...] = field(default=(), repr=False)
    tables: tuple[Table, ...] = field(default=(), repr=False)
    # (original offset, label) anchors such as page or paragraph numbers, sorted by offset
    anchors: tuple[tuple[int, str], ...] = field(default=(), repr=False)
    format: str = "text"
    # the 공문서 form (empty for documents without it)
    number: str = ""  # 문서번호, 처리과명-일련번호: "청년사업담당관-381"
    office: str = ""  # 처리과: "청년사업담당관"
    kind: str = ""  # the kind of 공문서 (plan, payment, reply, …; see lexicon.OFFICIAL_KIND_LABELS)
    recipients: tuple[str, ...] = ()  # 수신 ("내부결재" for an internal approval)
    via: tuple[str, ...] = ()  # 경유
    sender: str = ""  # 발신명의: "서울특별시장"
    approvals: tuple[Approval, ...] = ()  # the 결재 line in order: drafter, reviewers, approver, cooperators
    attachments: tuple[str, ...] = ()  # 붙임
    disclosure: str = ""  # 공개구분: "공개", "부분공개(6)", "비공개(5)"
    references: tuple[Reference, ...] = ()  # documents the text cites
    masked: tuple[tuple[int, int], ...] = field(default=(), repr=False)  # original spans the publisher masked

    def locate(self, pos: int) -> str:
        """Human-readable position (page, paragraph, table) of an original offset, if known."""
        return locate(self.anchors, pos)


def locate(anchors: tuple[tuple[int, str], ...] | list[tuple[int, str]], pos: int) -> str:
    label = ""
    for off, name in anchors:
        if off > pos:
            break
        label = name
    return label


@dataclass(frozen=True)
class Chunk:
    """A retrievable unit. ``text`` is clean; ``start``/``end`` point into the original file."""

    id: int
    doc_id: str
    section: int
    heading_path: tuple[str, ...]
    kind: ChunkKind
    text: str
    start: int
    end: int
    offsets: OffsetMap = field(repr=False)
    # clean-text spans of the sentences (or list items, table cells) inside ``text``
    sentences: tuple[tuple[int, int], ...] = field(default=(), repr=False)
    table: int | None = None
    row: int | None = None
    title: str = ""

    @property
    def context(self) -> str:
        return " > ".join((self.title, *self.heading_path)) if self.title else " > ".join(self.heading_path)

    @property
    def index_text(self) -> str:
        """What is embedded and indexed: the heading context, then the body."""
        return f"{self.context}\n{self.text}" if self.context else self.text


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk: its fused score and rank, and the score of each retrieval system."""

    chunk: Chunk
    score: float
    rank: int
    lexical: float = 0.0  # BM25
    dense: float = 0.0  # cosine similarity


@dataclass(frozen=True)
class Evidence:
    """The features of one candidate answer to one question: what the answer ranker scores and the
    confidence comes from. All in [0, 1] unless stated; 0 when not measured."""

    # what the candidate is (one of them is 1)
    sentence: float = 0.0  # a sentence or clause of prose
    item: float = 0.0  # a list item (it starts with a marker)
    field: float = 0.0  # a "label: value" line, or a pair of a label/value table
    cell: float = 0.0  # a cell of a grid table
    listing: float = 0.0  # a table's header row or label column, as a list
    # what it says
    cover: float = 0.0  # IDF-weighted share of the question's words in the candidate and its headings
    own: float = 0.0  # … in the candidate itself, beyond its document's title
    core: float = 0.0  # … weighted by squared IDF (what is rare in the question)
    focus: float = 0.0  # share of the asked noun phrase ("사업비") found (in the label or column that names the value)
    near: float = 0.0  # share of the question's adjacent word pairs that stand together
    col: float = 0.0  # coverage by the column label (cells) or the field's label
    row: float = 0.0  # coverage by what only the row says (cells)
    quoted_row: float = 0.0  # the question writes the row's label verbatim
    quoted_col: float = 0.0  # the question writes the column's label verbatim
    label: float = 0.0  # the candidate's label is what the question asks for ("배석자: …" for "배석자는?")
    novel: float = 0.0  # share of the candidate's words the question does not have
    typed: float = 0.0  # holds the kind of value asked for (a date for "언제"): 1 exact, less for a weaker form
    consistent: float = 0.0  # a list whose stated count matches its items ("7개 분야(▲…)")
    two_values: float = 0.0  # holds two or more values of the asked kind (what a "얼마에서 얼마로" question needs)
    value: float = 0.0  # a cell holding a number
    year: float = 0.0  # +1 an asked year is there, -1 only other years, 0 no year asked or none written
    doc_year: float = 0.0  # -1 when the candidate's document never mentions an asked year
    entity_gap: float = 0.0  # the one place or person the question names is missing here, another is named
    doc: float = 0.0  # the document's coverage of the question
    doc_gap: float = 0.0  # share of the question's names (places, people, codes) the document never mentions
    title_cover: float = 0.0  # the question's coverage by the document's title (what tells a document from its siblings)
    doc_spec: float = 0.0  # share of the question's particulars (6월분, 3차, 10.28.) the document writes
    date_match: float = 0.0  # +1 the question names the document's own date, -1 it names another full date, 0 none
    masked: float = 0.0  # the value is masked in the published document (*** / ○○)
    # against the question's other candidates: this one's value less the best value (≤ 0)
    rel_cover: float = 0.0
    rel_own: float = 0.0
    rel_core: float = 0.0
    rel_focus: float = 0.0
    rel_typed: float = 0.0
    rel_dense: float = 0.0
    rel_doc: float = 0.0
    rel_title: float = 0.0
    # how it was found
    retrieval: float = 0.0  # the passage's fused score relative to the best passage
    rank: float = 0.0  # 1 / the passage's rank
    lexical: float = 0.0  # the passage's BM25 score relative to the best BM25 score
    dense: float = 0.0  # the passage's dense similarity
    unit_dense: float = 0.0  # the candidate's own dense similarity to the question (its passage's when not embedded)
    # where it stands
    depth: float = 0.0  # the list marker's rank (□ 0, ○ 1, - 2 …; prose 9)
    children: float = 0.0  # items are nested under it
    title: float = 0.0  # it only repeats the document's title
    total: float = 0.0  # a row of totals (계, 합계)
    merged: float = 0.0  # a row under a merged label shared with other rows
    length: float = 0.0  # log2(1 + characters)
    # the question (the same for all its candidates)
    typed_q: float = 0.0  # asks for a typed value
    wants_list: float = 0.0  # asks for several things
    has_focus: float = 0.0  # names what it asks for
    has_years: float = 0.0  # names a year
    english: float = 0.0  # is in English
    total_q: float = 0.0  # asks for a total
    change_q: float = 0.0  # asks for a change from one value to another
    missing_rare: float = 0.0  # IDF share of its words that no indexed text has
    missing_entity: float = 0.0  # share of its names that no indexed text has
    # gaps between the question and the candidate's evidence
    gap_spec: float = 0.0  # a quantity the question specifies ("1분기", "3차") is missing
    gap_measure: float = 0.0  # another amount than the one asked (집행액 asked, 예산액 found)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class Citation:
    """A numbered source: where the supporting text is, in the clean excerpt and in the file."""

    number: int
    doc_id: str
    title: str
    section_path: tuple[str, ...]
    excerpt: str
    highlight: tuple[int, int]  # span of the supporting text inside ``excerpt``
    start: int  # span of the supporting text in the original file
    end: int
    chunk_id: int
    locator: str = ""
    score: float = 0.0


@dataclass(frozen=True)
class TableAnswer:
    """Rows of a source table used by an answer, ready to render."""

    doc_id: str
    table: int
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    unit: str | None
    highlight: tuple[int, int] | None  # (row, column) of the answering cell within ``rows``
    citation: int


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...] = ()
    tables: tuple[TableAnswer, ...] = ()
    confidence: float = 0.0
    kind: str = "fact"
    query: str = ""  # the question as resolved against the conversation
    language: str = "ko"
    timings: Mapping[str, float] = field(default_factory=dict)
    items: tuple[str, ...] = ()  # the listed items of a list answer
    values: tuple[str, ...] = ()  # the answer's value(s): a list's items, or the one cell, date, amount or clause that answers
    evidence: Evidence | None = None  # the features the confidence was computed from
    retrieved: tuple[str, ...] = ()  # document ids of the retrieved chunks, best first
    notes: tuple[str, ...] = ()  # what the user should know about how the question was handled (e.g. cut short)

    def to_dict(self) -> dict[str, Any]:
        """The JSON record of ``assistant ask --json`` and of the web API."""
        return {
            "question": self.question,
            "query": self.query,
            "text": self.text,
            "abstained": self.abstained,
            "kind": self.kind,
            "language": self.language,
            "confidence": round(self.confidence, 4),
            "items": list(self.items),
            "values": list(self.values),
            "citations": [
                {
                    "number": c.number,
                    "doc": c.doc_id,
                    "title": c.title,
                    "section": list(c.section_path),
                    "start": c.start,
                    "end": c.end,
                    "excerpt": c.excerpt,
                    "highlight": list(c.highlight),
                    "locator": c.locator,
                    "score": round(c.score, 4),
                }
                for c in self.citations
            ],
            "tables": [
                {
                    "doc": t.doc_id,
                    "table": t.table,
                    "title": t.title,
                    "columns": list(t.columns),
                    "rows": [list(r) for r in t.rows],
                    "unit": t.unit,
                    "highlight": list(t.highlight) if t.highlight else None,
                    "citation": t.citation,
                }
                for t in self.tables
            ],
            "notes": list(self.notes),
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
            "evidence": {k: round(v, 4) for k, v in self.evidence.as_dict().items()} if self.evidence else {},
        }


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


@dataclass(frozen=True)
class Filters:
    """Narrow a search to documents, document types, years or departments (empty = all)."""

    doc_ids: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()  # a type ("official") or a kind of 공문서 ("payment")
    years: tuple[int, ...] = ()
    departments: tuple[str, ...] = ()
    # the document's own date (시행일), ISO "2024-07-10"; a bound may be a prefix ("2024-07")
    date_from: str = ""
    date_to: str = ""

    def __bool__(self) -> bool:
        return bool(self.doc_ids or self.doc_types or self.years or self.departments or self.date_from or self.date_to)

    def admits_date(self, date: str | None) -> bool:
        """Whether a document dated ``date`` is inside the date range (an undated one is not, when a range is set)."""
        if not (self.date_from or self.date_to):
            return True
        if not date:
            return False
        return (not self.date_from or date >= self.date_from) and (not self.date_to or date[: len(self.date_to)] <= self.date_to)

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
