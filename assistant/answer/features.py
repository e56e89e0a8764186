"""Features of candidate answers: what each sentence, item or field says about the question
(coverage, focus, the kind of value, years, names), how its passage was found and where it
stands in the document's structure. Plain measurements in an :class:`~assistant.records.Evidence`
record; the trained ranker (:mod:`assistant.answer.ranker`) decides what they are worth."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..ingest import terms as content_terms
from ..ingest import years as years_in_text
from ..lexicon import (
    AMOUNT_KIND,
    ASKS_TIME,
    DATE,
    DISPLAY_MARK,
    HOME_ENTITIES,
    ITEM_START,
    MONTH,
    MONTH_DAY,
    OTHER_PLACE,
    PARTICULAR,
    PLACE,
    ROLE,
    ROLE_WORDS,
    TIME,
    TOTAL_CUES,
    entity_stem,
    is_code,
    masked,
)
from ..records import Evidence, Hit
from ..search import QueryAnalysis, asks_typed, typed_kinds
from .candidates import Unit, is_title, label_part, marker, row_label, row_terms
from .evidence import EvidenceScorer
from .values import enumeration, type_spans


def named_entities(entities: Iterable[str], codes: bool = False) -> list[str]:
    """The places and people among a question's entities, not the home city; document codes
    ("소통행정-3") too when ``codes``: a document must mention a code the question names, but a
    sentence need not repeat it."""
    return [e for e in entities if e not in HOME_ENTITIES and (codes or not is_code(e))]


def entities_missing_from(entities: Sequence[str], text: str) -> float:
    """Share of ``entities`` (places, people, document codes like "소통행정-3") that ``text`` never
    mentions ("금천구" counts as mentioned where "금천" is written)."""
    ents = named_entities(entities, codes=True)
    if not ents:
        return 0.0
    flat = text.replace(" ", "")
    return sum(1 for e in ents if entity_stem(e) not in flat) / len(ents)


@dataclass
class Question:
    """What every candidate of one question is measured against."""

    analysis: QueryAnalysis
    scorer: EvidenceScorer
    kinds: list[str]  # the kinds of answer asked for (when, where, who, count, amount, phone, what)
    wants_list: bool
    hits: list[Hit]
    doc_cover: Callable[[str], float]  # a document's coverage of the question
    doc_gap: Callable[[str], float]  # share of the question's names a document never mentions
    doc_years: Callable[[str], set[int]]
    doc_record: Callable[[str], dict[str, Any]]  # the document's stored record (title, date, …)
    doc_text: Callable[[str], str]
    missing_rare: float = 0.0
    missing_entity: float = 0.0
    change: bool = False  # asks for a change from one value to another ("얼마에서 얼마로")
    unit_dense: Callable[[Unit], float | None] = field(default=lambda u: None)
    best_hit: float = field(init=False)
    best_lexical: float = field(init=False)

    def __post_init__(self) -> None:
        self.best_hit = max((h.score for h in self.hits), default=0.0)
        self.best_lexical = max((h.lexical for h in self.hits), default=0.0)
        text = self.analysis.text
        # what tells a document from its near-identical siblings: "6월분", "3차", "2024. 10. 28."
        self.particulars = list(dict.fromkeys(m.group().replace(" ", "") for m in PARTICULAR.finditer(text)))
        self.dates = {md for m in MONTH_DAY.finditer(text) if (md := _month_day_of(m)) is not None}
        self.months = {int(m.group(1)) for m in MONTH.finditer(text) if 1 <= int(m.group(1)) <= 12}
        self._documents: dict[str, dict[str, float]] = {}

    @property
    def focus(self) -> set[str]:
        return set(self.analysis.focus)

    @property
    def typed_q(self) -> bool:
        return asks_typed(self.kinds)

    def base(self) -> dict[str, float]:
        """The question's own features."""
        a = self.analysis
        return {
            "typed_q": float(self.typed_q),
            "wants_list": float(self.wants_list),
            "has_focus": float(bool(a.focus)),
            "has_years": float(bool(a.years)),
            "english": float(a.language == "en"),
            "total_q": float(total_asked(a.text)),
            "change_q": float(self.change),
            "missing_rare": self.missing_rare,
            "missing_entity": self.missing_entity,
        }

    def found(self, hit: Hit) -> dict[str, float]:
        """How the candidate's passage was found."""
        return {
            "retrieval": hit.score / self.best_hit if self.best_hit > 0 else 0.0,
            "rank": 1.0 / hit.rank if hit.rank > 0 else 0.0,
            "lexical": hit.lexical / self.best_lexical if self.best_lexical > 0 else 0.0,
            "dense": hit.dense,
        }

    def document(self, doc_id: str) -> dict[str, float]:
        """How the candidate's document relates to the question (measured once per document)."""
        if doc_id in self._documents:
            return self._documents[doc_id]
        years = self.doc_years(doc_id)
        asked = set(self.analysis.years)
        record = self.doc_record(doc_id)
        title = str(record.get("title") or "")
        flat = self.doc_text(doc_id).replace(" ", "")
        specs = self.particulars
        dates = self.dates
        doc_date = _month_day(str(record.get("date") or ""))
        out = {
            "doc": self.doc_cover(doc_id),
            "doc_gap": self.doc_gap(doc_id),
            "doc_year": -1.0 if asked and years and not asked & years else 0.0,
            "title_cover": self.scorer.coverage(self.scorer.with_entities(title, set(content_terms(title)))) if title else 0.0,
            "doc_spec": sum(1 for t in specs if t in flat) / len(specs) if specs else 0.0,
            "date_match": _date_match(doc_date, dates, self.months),
        }
        self._documents[doc_id] = out
        return out

    def gaps(self, evidence: str) -> dict[str, float]:
        """A quantity the question specifies ("1분기") or the kind of amount it asks (집행액)
        that the candidate's evidence does not hold."""
        a = self.analysis
        flat = evidence.replace(" ", "")
        measures = [m.group() for m in AMOUNT_KIND.finditer(a.text)] if a.language == "ko" else []
        specs = [t for t in a.content if re.fullmatch(r"\d+(?:분기|월|차|회|개|명|건|층|호)", t)]
        return {
            "gap_spec": float(any(t not in flat for t in specs)),
            "gap_measure": float(any(m.removesuffix("액") not in flat for m in measures)),
        }


def _month_day(iso: str) -> tuple[int, int] | None:
    parts = iso.split("-")
    return (int(parts[1]), int(parts[2])) if len(parts) == 3 else None


def _month_day_of(m: re.Match[str]) -> tuple[int, int] | None:
    month, day = (int(m.group("m")), int(m.group("d"))) if m.group("m") else (int(m.group("m2")), int(m.group("d2")))
    return (month, day) if 1 <= month <= 12 and 1 <= day <= 31 else None


def _date_match(doc_date: tuple[int, int] | None, dates: set[tuple[int, int]], months: set[int]) -> float:
    """+1 when the question names the document's own date (or month), -1 when it names another, 0 when it names none."""
    if doc_date is None or not (dates or months):
        return 0.0
    if dates:
        return 1.0 if doc_date in dates else -1.0
    return 1.0 if doc_date[0] in months else -1.0


def total_asked(question: str) -> bool:
    """Whether the question asks for a total ("총액", "합계")."""
    return any(w in question for w in TOTAL_CUES)


def unit_typed(text: str, kinds: Sequence[str], question: str) -> float:
    """1 when the text holds a value of the asked kind that the question does not already
    contain; a weaker form scores less (an amount or count in prose 0.6; a clock time for a
    date 0.5; a name not beside the asked role or a room not beside the asked place 0.6)."""
    q = question.replace(" ", "")
    asked_roles = [m.group() for m in re.finditer(rf"[가-힣]*(?:{ROLE})", question) if len(m.group()) > 2]
    places = [m.group() for m in PLACE.finditer(question) if m.group() in text]
    best = 0.0
    for t in typed_kinds(kinds):
        for a, b in type_spans(text, t):
            span = text[a:b]
            if span.replace(" ", "") in q or masked(span):
                continue
            if t == "when":
                is_time = bool(TIME.fullmatch(span.strip())) and not DATE.search(span)
                asks_time = bool(ASKS_TIME.search(question))
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
        if t == "who" and best < 0.8 and not asked_roles and any(m.group() not in question for m in ROLE_WORDS.finditer(text)):
            best = 0.8  # "지역협치팀장, 담당 주무관" answers "누가 참여했어?" (but not "위원장은 누구?")
    return best


def unit_features(units: Sequence[Unit], q: Question) -> None:
    """Fill ``Unit.features`` for the sentences, items and fields of the retrieved passages.
    For a question asking for a list, holding or heading a list is "the kind of value asked for"."""
    scorer = q.scorer
    focus = q.focus
    typed_q = q.typed_q or q.wants_list
    places = named_entities(scorer.q.entities)
    base = q.base()
    content = set(scorer.q.content)

    def entity_gap(u: Unit) -> float:
        """1 when the one place or person the question names is missing from the unit (and from
        the item it belongs to) and another place is named: "대전이랑은 언제" is not answered by a
        sentence about 광주."""
        if len(places) != 1:  # several places are often context ("세종·대전 이전에 협약을 맺은 곳은?")
            return 0.0
        flat = (u.text + "".join(u.parent_terms)).replace(" ", "")  # not the headings: the title names every city
        if entity_stem(places[0]) in flat:
            return 0.0
        return 1.0 if any(m.group(1) not in HOME_ENTITIES for m in OTHER_PLACE.finditer(u.text)) else 0.0

    for u in units:
        terms = scorer.with_entities(u.text, u.terms)
        both_ctx = u.context_terms | u.parent_terms
        label_years = set(years_in_text(row_label(u)))
        # a table row is about the year in its label ("2019년도"), whatever dates its text mentions
        yrs = label_years or set(years_in_text(u.text)) | set(years_in_text(" ".join(u.chunk.heading_path)))
        consistent = 0.0
        if q.wants_list and not q.typed_q:
            items = enumeration(u.text)
            typed = 1.0 if (u.has_children or len(items) >= 3) else (0.7 if u.depth[0] < 9 else 0.0)
            stated = [int(m.group(1)) for m in re.finditer(r"(\d+)\s*개\s*[가-힣]", u.text)]
            consistent = 1.0 if items and len(items) in stated else 0.0
        else:
            typed = unit_typed(u.text, q.kinds, scorer.q.text) if typed_q else 0.5
        label = label_part(u.text)
        label_terms = set(content_terms(label)) if label else set()
        labelled = bool(label_terms) and ((bool(focus) and all(scorer.has(f, label_terms) for f in focus)) or label_terms <= content)
        if focus:
            foc = scorer.focus_coverage(focus, terms | set(row_terms(u)))
            if u.chunk.heading_path and u.text.lstrip()[:1] in ITEM_START:
                # an item of the section the question names ("사업근거를 나열해줘")
                heading = set(content_terms(u.chunk.heading_path[-1])) | u.parent_terms
                foc = max(foc, scorer.focus_coverage(focus, heading))
        else:
            foc = 0.0
        # an answer says something the question does not: a unit that only restates it is not one
        plain = {t for t in u.terms if not t[:1].isdigit()}
        if u.has_children:
            novel = 1.0
        elif plain:
            novel = len(plain - content - set(scorer.weights)) / len(plain)
        else:  # only numbers: new when the question does not write them
            novel = float(any(t not in scorer.q.text for t in u.terms))
        is_field = u.chunk.kind != "text" or bool(label)
        is_item = not is_field and bool(marker(u.text))
        dense = q.unit_dense(u)
        n_values = len({u.text[x:y] for k in typed_kinds(q.kinds) for x, y in type_spans(u.text, k)})
        evidence = " ".join((u.text, u.chunk.context, *u.parent_terms))
        u.features = Evidence(
            sentence=float(not is_field and not is_item), item=float(is_item), field=float(is_field),
            cover=scorer.coverage(terms | both_ctx), own=scorer.coverage_beyond(terms, u.title_terms),
            core=scorer.core_coverage(terms | both_ctx), focus=foc, near=scorer.proximity(content_terms(u.text)),
            col=scorer.coverage(label_terms) if label_terms else 0.0, label=float(labelled), novel=novel,
            typed=typed, consistent=consistent, two_values=float(n_values >= 2), year=scorer.year_agreement(yrs), entity_gap=entity_gap(u),
            masked=float(masked(u.text)), unit_dense=u.hit.dense if dense is None else dense,
            depth=min(u.depth[0], 9) / 9.0, children=float(u.has_children), title=float(is_title(u)),
            length=math.log2(1 + len(u.text)),
            **base, **q.found(u.hit), **q.document(u.chunk.doc_id), **q.gaps(evidence),
        )



RELATIVE = {"rel_cover": "cover", "rel_own": "own", "rel_core": "core", "rel_focus": "focus", "rel_typed": "typed", "rel_dense": "unit_dense",
            "rel_doc": "doc", "rel_title": "title_cover"}


def relative(evidence: Sequence[Evidence]) -> list[Evidence]:
    """Each candidate's features with how far it is from the best candidate of the same question
    on the main measures (a ranker scores candidates one by one; this tells it the competition)."""
    if not evidence:
        return []
    best = {k: max(getattr(e, v) for e in evidence) for k, v in RELATIVE.items()}
    return [replace(e, **{k: getattr(e, v) - best[k] for k, v in RELATIVE.items()}) for e in evidence]


def restates(candidate: str, question: str) -> bool:
    """Whether a candidate only repeats the question: its value (after a "label:" and the list
    marker) is written in the question itself. An answer says something the question does not."""
    value = label_value(candidate)
    flat = re.sub(r"\s+", "", value)
    return bool(flat) and flat in re.sub(r"\s+", "", question)


def label_value(text: str) -> str:
    """The value of a "label: value" line ("문서번호: X" → "X"), or the text without its list marker."""
    t = DISPLAY_MARK.sub("", text.strip())
    m = re.match(r"^[^:：]{1,14}[:：]\s*(\S.*)$", t)
    return m.group(1) if m else t
