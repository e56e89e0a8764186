"""Extractive answering over retrieved chunks: candidate units, evidence scores, answer spans.

A *unit* is a sentence, list item or table field inside a retrieved chunk. Units are
scored by how much of the question they cover (IDF-weighted content morphemes), whether
their years agree with the question's, whether they hold the kind of value asked for
(a date for "언제", a count for "몇 개", ...), and how well their chunk was retrieved.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .metadata import years as years_in_text
from .nlp import decompound
from .nlp import terms as content_terms
from .query import QueryAnalysis
from .records import Hit

# -- answer-type detectors -------------------------------------------------------------
DATE = re.compile(
    r"(?:(?:19|20)\d{2}|['‘’]\d{2})\s*\.\s*\d{1,2}\s*\.(?:\s*\d{1,2}\s*\.?)?(?:\s*\([월화수목금토일]\))?"
    r"|(?<![\d.])\d{1,2}\s*\.\s*\d{1,2}\s*\.?\s*\([월화수목금토일]\)"
    r"|(?:(?:19|20)\d{2}\s*년\s*)?\d{1,2}\s*월(?:\s*\d{1,2}\s*일)?"
    r"|(?:19|20)\d{2}\s*년(?:도)?"
    r"|['‘’]\d{2}(?:\s*[.~]\s*\d{1,2})*\.?"
    r"|(?<![\d.:])\d{1,2}\s*\.\s*\d{1,2}\s*\.(?!\d)"
    r"|\d{1,2}\.\d{1,2}(?=\))"
)
TIME = re.compile(r"\d{1,2}:\d{2}(?:\s*~\s*\d{1,2}:\d{2})?(?:\s*\(\d+'?\))?|\d{1,2}\s*시(?:\s*\d{1,2}\s*분)?")
COUNT = re.compile(r"\d[\d,]*\s*(?:여\s*)?(?:개소|개|명|건|회|곳|차례|분야|과제|대|호)(?:\s*이내|\s*이상)?")
AMOUNT = re.compile(r"[Δ△-]?\d[\d,]*(?:\.\d+)?\s*(?:백만원|천원|억원|만원|원|억|%)")
PHONE = re.compile(r"(?<!\d)(?:\d{2,4}-)?\d{3,4}-\d{4}(?:,\s*\d{4})*|\((\d{4})\)")
PLACE = re.compile(
    r"(?:[가-힣]{1,10}(?:시청|구청|청사|도청)\s*)?(?:\d+층\s*)?[가-힣‘’'A-Za-z]{0,14}(?:대회의실|회의실|접견실|응접실|센터|강당|홀|광장)"
    r"|[가-힣]{1,10}(?:시청|구청|청사|도청)(?:\s*\d+층)?"
    r"|구청\s*내\s*[^,()]{1,20}?회의실"
)
# a value written after a place label ("장소: 노들섬 잔디마당") is a place whatever its words
LABELLED_PLACE = re.compile(r"(?:개최\s*)?(?:장\s*소|위\s*치|행사장|개최지)\s*[:：]\s*([^\n,;()]{2,40})")
_SURNAMES = set(
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진지엄채원천방공현함변염여추도소석선설마길연위표명기반라왕금옥육인맹제모탁국어은봉사부가복태목형피두감음빈동온호경"
)
_ROLE = "시장|구청장|과장|팀장|주무관|국장|실장|위원장|담당관|담당자|담당|조정관|지원관"
PERSON = re.compile(
    rf"(?<![가-힣])([가-힣]{{2,4}})(?=\s+(?:{_ROLE})|\s+[가-힣]{{1,6}}(?:시장|구청장|도지사)|\s+\d{{2,4}}-\d{{3,4}}|\s*\(\d{{4}}\)|\s*외\s*\d+\s*명)"
    rf"|(?:{_ROLE})\s*[:：]?\s*([가-힣]{{2,4}})(?![가-힣])"
)
_NOT_NAME_END = re.compile(r"(시|도|군|구|과|실|국|관|는|를|을|에|의|와|로|며|청|회)$")
_ENUM_SEP = re.compile(r"\s*(?:,(?!\d{3})|、|▲|ㆍ(?=[가-힣]{2,}))\s*")
HOME_ENTITIES = ("서울", "서울시", "서울특별시")  # every document is Seoul's: naming it tells nothing


_OTHER_PLACE = re.compile(r"([가-힣]{2,8}(?:특별자치시|특별자치도|광역시|특별시|시|도|군|구))(?=[\s,·()'‘’와과의은는이가에도를]|$)")


def named_entities(entities: Iterable[str]) -> list[str]:
    """The places and people among a question's entities: not the home city, not a document
    code ("소통행정-3")."""
    return [e for e in entities if e not in HOME_ENTITIES and not re.search(r"-\d", e)]


def entity_stem(entity: str) -> str:
    """"금천구" is mentioned where "금천" is written, "대전시" where "대전" is."""
    e = entity.replace(" ", "")
    return e[:-1] if e.endswith(("시", "도", "구", "군")) and len(e) > 2 else e


TOTAL_LABELS = frozenset({"계", "합계", "총계", "소계", "총", "합 계"})

TYPE_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "when": (DATE, TIME),
    "count": (COUNT,),
    "amount": (AMOUNT,),
    "phone": (PHONE,),
    "where": (LABELLED_PLACE, PLACE),
}


def type_spans(text: str, qtype: str) -> list[tuple[int, int]]:
    """Spans of ``text`` holding the kind of value a ``qtype`` question asks for."""
    if qtype == "who":
        out = []
        for m in PERSON.finditer(text):
            g = 1 if m.group(1) else 2
            name = m.group(g)
            if name and name[0] in _SURNAMES and not _NOT_NAME_END.search(name) and not re.search(_ROLE, name):
                out.append((m.start(g), m.end(g)))
        return out
    pats = TYPE_PATTERNS.get(qtype, ())
    spans: list[tuple[int, int]] = []
    for p in pats:
        for m in p.finditer(text):
            a, b = m.span(1) if p is LABELLED_PLACE else m.span()
            while a < b and text[a].isspace():
                a += 1
            if b > a and not any(a < e and s < b for s, e in spans):
                spans.append((a, b))
    return sorted(spans)


def enumeration(text: str) -> list[tuple[int, int]]:
    """Items of an enumeration in ``text`` (``a, b, c`` or ``▲a ▲b``), if there is one (3+ items)."""
    best: list[tuple[int, int]] = []
    # the list may sit after a dash or colon, or inside parentheses
    for region in _regions(text):
        a, b = region
        parts: list[tuple[int, int]] = []
        pos = a
        for m in _ENUM_SEP.finditer(text, a, b):
            if m.start() > pos:
                parts.append((pos, m.start()))
            pos = m.end()
        if pos < b:
            parts.append((pos, b))
        parts = [(s, e) for s, e in (_trim(text, s, e) for s, e in parts) if e > s]
        if len(parts) >= 3:
            parts[0] = _tail_phrase(text, *parts[0])
            parts[-1] = _head_phrase(text, *parts[-1])
        if len(parts) < 3 or max(e - s for s, e in parts) > 40:
            continue
        if any(":" in text[s:e] or "\n" in text[s:e] or " | " in text[s:e] for s, e in parts):
            continue
        if len(parts) >= len(best):  # later regions are tighter (after the colon, inside brackets)
            best = parts
    return best


def _regions(text: str) -> Iterable[tuple[int, int]]:
    yield 0, len(text)
    for m in re.finditer(r"[:：\-–]\s*", text):
        yield m.end(), len(text)
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch == "(":
            if depth == 0:
                start = i + 1
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
            if depth == 0:
                yield start, i


_CLAUSE_BREAK = re.compile(r"(?:위해|하여|통해|통하여|에서는|에서|으로|하고|하며|있고|[을를은는])\s+")
_PHRASE_END = re.compile(r"(?:분야|부문)?(?:에서도|에서|에도|에|와|과|을|를|으로|로|등)(?:\s|$)")


def _tail_phrase(text: str, s: int, e: int) -> tuple[int, int]:
    """A long first item keeps its last phrase: "…달성을 위해 생활폐기물 감량 및 재활용" → "생활폐기물 감량 및 재활용"."""
    if e - s <= 40:
        return s, e
    cut = None
    for m in _CLAUSE_BREAK.finditer(text, s, e):
        cut = m.end()
    return (cut, e) if cut is not None and e - cut >= 2 else (s, e)


def _head_phrase(text: str, s: int, e: int) -> tuple[int, int]:
    """A long last item stops before its predicate: "신재생에너지 분야에서도 상호 협력을…" → "신재생에너지"."""
    if e - s <= 16:
        return s, e
    m = _PHRASE_END.search(text, s, e)
    if m and m.start() - s >= 2:
        end = m.start()
        while end > s and text[end - 1] == " ":
            end -= 1
        return s, end
    return s, e


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and (text[s].isspace() or text[s] in "-○●❍▸‣·•▲("):
        s += 1
    while e > s and (text[e - 1].isspace() or text[e - 1] in ".)"):
        e -= 1
    if e > s and text[s:e].count("(") > text[s:e].count(")"):
        e = min(len(text), text.find(")", s) + 1) if ")" in text[s:] else e
    return s, e


def clause(text: str, focus: tuple[int, int] | None, limit: int = 140) -> tuple[int, int]:
    """Trim a long sentence to the clause around ``focus`` (a span), keeping short ones whole."""
    if len(text) <= limit or focus is None:
        return 0, len(text)
    bounds = [0] + [m.end() for m in re.finditer(r"(?:,|며|고|하여|으며)\s", text)] + [len(text)]
    a = max(b for b in bounds if b <= focus[0])
    z = min(b for b in bounds if b >= focus[1])
    while z - a < 40 and (a > 0 or z < len(text)):
        i = bounds.index(a)
        j = bounds.index(z)
        a = bounds[i - 1] if i > 0 else a
        z = bounds[j + 1] if j + 1 < len(bounds) else z
    return a, z


# -- evidence scoring ------------------------------------------------------------------
@dataclass
class Unit:
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
    score: float = 0.0
    features: dict[str, float] = field(default_factory=dict)

    @property
    def chunk(self):
        return self.hit.chunk


class EvidenceScorer:
    """Scores how well a piece of text answers the analysed question."""

    def __init__(
        self,
        analysis: QueryAnalysis,
        idf: Callable[[str], float],
        expansions: dict[str, tuple[str, ...]],
        extra: Sequence[str] = (),
    ):
        """``expansions`` maps question words to related words; ``extra`` words (from the
        question type: 일시 for "언제") count like expansions."""
        self.q = analysis
        self.weights: dict[str, float] = {}
        for t in analysis.content:
            self.weights[t] = max(self.weights.get(t, 0.0), idf(t))
        expansions = {**expansions, **{t: tuple(expansions.get(t, ())) + alts for t, alts in analysis.alternatives.items()}}
        raw = [e for t in analysis.content for e in expansions.get(t, ())] + list(extra)
        added = [a for e in raw for a in (content_terms(e) or [e])]
        # a focus word is also found through a related word, all of whose parts must be present
        # (as written, or in the parts Kiwi gives it alone: "일시" alone is 일 + 시, in a sentence 일시)
        self._related = {
            t: tuple(dict.fromkeys(f for e in expansions.get(t, ()) for f in ((e,), tuple(content_terms(e) or [e]))))
            for t in analysis.content
        }
        # an English word's Korean alternatives already count as that word (see has()); weighing
        # them again as related words would credit one question word twice
        alternative = {x for alts in analysis.alternatives.values() for x in alts}
        for e in added:
            if e not in self.weights and e not in alternative:
                self.weights[e] = 0.5 * idf(e)
        self._expansion = {e for e in added if e not in analysis.content}
        # a compound ("대전시장") is found where its parts are ("대전", "시장")
        self._parts = {t: parts for t in self.weights if (parts := decompound(t))}
        self._entity_terms = {e: tuple(content_terms(e)) for e in analysis.entities if len(e) >= 2}
        # a document code ("소통행정-3") counts as a word of its own, found only where it is written
        for code in (e for e in analysis.entities if re.search(r"-\d", e)):
            self.weights[code] = max((self.weights.get(p, 1.0) for p in content_terms(code)), default=1.0) * 1.5
            self._entity_terms[code] = (*self._entity_terms.get(code, ()), code)
        self._compounds = [t for t in self.weights if len(t) >= 3 and all("가" <= ch <= "힣" for ch in t)]
        self.total = sum(w for t, w in self.weights.items() if t not in self._expansion) or 1.0

    def with_entities(self, text: str, terms: set[str]) -> set[str]:
        """``terms`` plus the question's names and compound words that ``text`` contains
        verbatim: Kiwi may split "정인애" or "협치론장" in one place and not in another."""
        flat = text.replace(" ", "")
        extra = [t for e, ts in self._entity_terms.items() if e in text for t in ts]
        extra += [t for t in self._compounds if t in flat and t not in terms]
        return terms | set(extra) if extra else terms

    def has(self, term: str, terms: set[str]) -> bool:
        if term in terms:
            return True
        if any(a in terms for a in self.q.alternatives.get(term, ())):
            return True
        parts = self._parts.get(term)
        return bool(parts) and all(p in terms for p in parts)

    def coverage(self, terms: set[str]) -> float:
        got = sum(w for t, w in self.weights.items() if self.has(t, terms))
        return min(1.0, got / self.total)

    def core_coverage(self, terms: set[str]) -> float:
        """Coverage weighted by squared IDF: how much of what is rare in the question (트램, 개통)
        the evidence has; common words barely count."""
        total = sum(w * w for t, w in self.weights.items() if t not in self._expansion)
        got = sum(w * w for t, w in self.weights.items() if t not in self._expansion and self.has(t, terms))
        return got / total if total else 0.0

    def coverage_beyond(self, terms: set[str], context: set[str]) -> float:
        """Coverage by question words that ``terms`` has and ``context`` lacks (what a row or a
        sentence says beyond the document title it shares with its neighbours)."""
        got = sum(w for t, w in self.weights.items() if self.has(t, terms) and not self.has(t, context))
        return min(1.0, got / self.total)

    def focus_coverage(self, focus: set[str], terms: set[str]) -> float:
        """IDF-weighted share of the focus words found in ``terms`` (directly or through a
        related word: 소관 → 부서)."""
        if not focus:
            return 0.0
        total = sum(self.weights.get(t, 1.0) for t in focus)
        got = sum(
            self.weights.get(t, 1.0)
            for t in focus
            if self.has(t, terms) or any(all(self.has(p, terms) for p in parts) for parts in self._related.get(t, ()))
        )
        return got / total

    def proximity(self, unit_terms: Sequence[str]) -> float:
        """Share of the question's adjacent word pairs that stand together (within 3 words, in
        either order: an English question's order is not the Korean text's) in the unit."""
        q = [t for t in self.q.content if t in self.weights]
        pairs = list(itertools.pairwise(q))
        if not pairs:
            return 0.0
        pos: dict[str, list[int]] = {}
        for i, t in enumerate(unit_terms):
            pos.setdefault(t, []).append(i)
            for main, alts in self.q.alternatives.items():
                if t in alts:
                    pos.setdefault(main, []).append(i)
        hit = sum(1 for a, b in pairs if any(0 < abs(j - i) <= 3 for i in pos.get(a, ()) for j in pos.get(b, ())))
        return hit / len(pairs)

    def year_agreement(self, years: Iterable[int]) -> float:
        """+1 when the evidence mentions an asked year, -1 when it only mentions others, 0 otherwise."""
        if not self.q.years:
            return 0.0
        ys = set(years)
        if ys & set(self.q.years):
            return 1.0
        return -1.0 if ys else 0.0


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


MARKER_RANK = {"【": -1, "□": 0, "■": 0, ".": 0.5, ")": 0.5, "○": 1, "●": 1, "❍": 1, "◦": 1, "-": 2, "–": 2, "·": 2,
               "▸": 3, "‣": 3, "▹": 3, "•": 3, "※": 3, "‧": 4}
_LABEL_PREFIX = re.compile(r"^[^:：\n]{1,14}[:：]\s*(?=[□■○●❍◦\-–·▸‣▹•※‧])")


def marker(text: str) -> str:
    """The list marker a unit starts with ("○", "-", "." for "1.", "【" for a quarter heading)."""
    t = _LABEL_PREFIX.sub("", text.lstrip())  # "2019년도: ○ …"
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


def typed_question(qtypes: Sequence[str]) -> bool:
    return any(t in TYPE_PATTERNS or t == "who" for t in qtypes)


def score_units(
    units: Sequence[Unit],
    scorer: EvidenceScorer,
    qtypes: Sequence[str],
    best_hit: float,
    focus: set[str],
    doc_cover: Callable[[str], float] | None = None,
    wants_list: bool = False,
) -> None:
    """Fill ``Unit.score`` and ``Unit.features``. For a question asking for a list, holding or
    heading a list is what "the kind of value asked for" means."""
    typed_q = typed_question(qtypes) or wants_list
    places = named_entities(scorer.q.entities)

    def entity_gap(u: Unit) -> float:
        """1 when the one place or person the question names is missing from the unit (and from
        the item it belongs to): "대전이랑은 언제" is not answered by a sentence about 광주."""
        if len(places) != 1:  # several places are often context ("세종·대전 이전에 협약을 맺은 곳은?")
            return 0.0
        flat = (u.text + "".join(u.parent_terms)).replace(" ", "")  # not the headings: the title names every city
        if entity_stem(places[0]) in flat:
            return 0.0
        # it names other places instead ("전라남도('04년), 광주광역시('17년)"); a line naming no
        # place ("사업규모: 8.5억") is about the document's own subject
        return 1.0 if any(m.group(1) not in HOME_ENTITIES for m in _OTHER_PLACE.finditer(u.text)) else 0.0

    for u in units:
        terms = scorer.with_entities(u.text, u.terms)
        both_ctx = u.context_terms | u.parent_terms
        # what the unit says beyond its document's title (shared by every chunk of it)
        own = scorer.coverage_beyond(terms, u.title_terms)
        both = scorer.coverage(terms | both_ctx)
        row_label = _row_label(u)
        label_years = set(years_in_text(row_label))
        # a table row is about the year in its label ("2019년도"), whatever dates its text mentions
        yrs = label_years or set(years_in_text(u.text)) | set(years_in_text(" ".join(u.chunk.heading_path)))
        year = scorer.year_agreement(yrs)
        consistent = 0.0
        if wants_list and not typed_question(qtypes):
            items = enumeration(u.text)
            typed = 1.0 if (u.has_children or len(items) >= 3) else (0.7 if u.depth[0] < 9 else 0.0)
            stated = [int(m.group(1)) for m in re.finditer(r"(\d+)\s*개\s*[가-힣]", u.text)]
            consistent = 1.0 if items and len(items) in stated else 0.0  # "7개 분야(▲… seven items)"
        else:
            typed = unit_typed(u.text, qtypes, scorer.q.text) if typed_q else 0.5
        label = _label_part(u.text)
        label_terms = set(content_terms(label)) if label else set()
        if label_terms and ((focus and all(scorer.has(f, label_terms) for f in focus)) or label_terms <= set(scorer.q.content)):
            # "배석자: …" answers "배석자는?"; "※ 마이스(MICE): …" defines what the question names;
            # but "대외협력과장: 배덕환" does not answer "배덕환 과장 전화번호는?": no number in it
            asked = [t for t in qtypes if t in TYPE_PATTERNS or t == "who"]
            if typed > 0 or asked != ["phone"]:  # the one kind of value whose ask is unmistakable
                typed = max(typed, 1.0 if focus else 0.8)
            foc = 1.0
        elif focus:
            foc = scorer.focus_coverage(focus, terms | set(_row_terms(u)))
            if u.chunk.heading_path and u.text.lstrip()[:1] in _LIST_START:
                # an item of the section the question names ("사업근거를 나열해줘")
                heading = set(content_terms(u.chunk.heading_path[-1])) | u.parent_terms
                foc = max(foc, 0.8 * scorer.focus_coverage(focus, heading))
        else:
            foc = 0.0
        near = scorer.proximity(content_terms(u.text))
        doc = doc_cover(u.chunk.doc_id) if doc_cover else 0.0
        # an answer says something the question does not: a unit that only restates it is not one
        plain = {t for t in u.terms if not t[:1].isdigit()}
        novel = len(plain - set(scorer.q.content) - set(scorer.weights)) / max(len(plain), 1) if not u.has_children else 1.0
        retrieval = u.hit.score / best_hit if best_hit > 0 else 0.0
        core = scorer.core_coverage(terms | both_ctx)
        u.features = {"own": own, "cover": both, "core": core, "year": year, "typed": typed, "retrieval": retrieval, "focus": foc,
                      "near": near, "doc": doc, "novel": novel, "dense": u.hit.scores.get("dense", 0.0)}
        u.score = (0.4 * both + 0.25 * own + 0.1 * retrieval + (0.3 if typed_q else 0.1) * typed + 0.25 * year
                   + focus_term(foc, bool(focus), typed_q) + 0.15 * near + 0.2 * doc - (0.2 if novel < 0.34 and (not typed_q or typed == 0) else 0.0)
                   + 0.15 * consistent
                   - 0.25 * entity_gap(u)
                   - (0.4 if _is_title(u) else 0.0))


_LIST_START = set("-–○●❍◦▸‣•·※▪")


_ASKS_TIME = re.compile(r"몇\s*시|시간|몇\s*분")
_ROLE_WORDS = re.compile(rf"(?:{_ROLE})(?![가-힣])|실·국장|팀장")


def unit_typed(text: str, qtypes: Sequence[str], question: str) -> float:
    """1 when the text holds a value of the asked kind that the question does not already
    contain (0.6 for amounts and counts in prose, weaker than a table's number cell; for "언제"
    a date beats a clock time unless the question asks for the time)."""
    q = question.replace(" ", "")
    asked_roles = [m.group() for m in re.finditer(rf"[가-힣]*(?:{_ROLE})", question) if len(m.group()) > 2]
    places = [m.group() for m in PLACE.finditer(question) if m.group() in text]
    best = 0.0
    for t in qtypes:
        if t not in TYPE_PATTERNS and t != "who":
            continue
        for a, b in type_spans(text, t):
            span = text[a:b]
            if span.replace(" ", "") in q:
                continue
            if t == "when":
                is_time = bool(TIME.fullmatch(span.strip())) and not DATE.search(span)
                asks_time = bool(_ASKS_TIME.search(question))
                best = max(best, 1.0 if is_time == asks_time else 0.5)
            elif t == "who" and asked_roles:
                # "대전시장은 누구": the name written next to 대전시장, not next to 세종시장
                near_role = any(0 <= m.start() - b <= 3 or 0 <= a - m.end() <= 3 for r in asked_roles for m in re.finditer(re.escape(r), text))
                best = max(best, 1.0 if near_role else 0.6)
            elif t == "where" and places:
                # "대전시청 어디에서": a room or floor written next to 대전시청
                near_place = any(abs(a - m.end()) <= 14 for p in places for m in re.finditer(re.escape(p), text))
                best = max(best, 1.0 if near_place else 0.6)
            else:
                best = max(best, 0.6 if t in ("amount", "count") else 1.0)
        if t == "who" and best < 0.8 and not asked_roles and any(m.group() not in question for m in _ROLE_WORDS.finditer(text)):
            best = 0.8  # "지역협치팀장, 담당 주무관" answers "누가 참여했어?" (but not "위원장은 누구?")
    return best


def _label_part(text: str) -> str:
    m = re.match(r"^\s*(?:[-○●❍◦▸‣•·※]\s*)?([^:：]{1,14})\s*[:：]\s*\S", text)
    return m.group(1) if m else ""


def _is_title(u: Unit) -> bool:
    """The unit only repeats its document's title ("소통행정-3: <title>")."""
    t = re.sub(r"\s+", "", u.text)
    title = re.sub(r"\s+", "", u.chunk.title)
    return bool(title) and len(title) >= 6 and t.endswith(title) and len(t) - len(title) <= 12


def focus_term(foc: float, has_focus: bool, typed_q: bool) -> float:
    """Score contribution of the focus: strong when the question asks for a named thing
    ("사업근거는?"), weaker when a question word carries the ask ("몇 시에")."""
    if not has_focus:
        return 0.0
    if typed_q:
        return 0.15 * foc
    return 0.3 * foc - (0.15 if foc == 0 else 0.0)


def _row_terms(u: Unit) -> list[str]:
    return content_terms(_row_label(u)) if u.chunk.kind == "table_row" else []


def _row_label(u: Unit) -> str:
    """The label of the table row a unit comes from ("2019년도" of "2019년도: ○ …")."""
    if u.chunk.kind != "table_row":
        return ""
    first = u.chunk.sentences[0] if u.chunk.sentences else (0, 0)
    text = u.chunk.text[first[0] : first[1]]
    return re.split(r"[:：]", text, maxsplit=1)[0] if re.search(r"[:：]", text) else text
