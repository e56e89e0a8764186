"""Ranking candidates: the score of each sentence and table match, and the choice between
the best table match and the best sentence."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from ..ingest import terms as content_terms
from ..ingest import years as years_in_text
from ..lexicon import ASKS_TIME, DATE, HOME_ENTITIES, ITEM_START, OTHER_PLACE, PLACE, ROLE, ROLE_WORDS, TIME, entity_stem, is_code
from ..records import Evidence
from ..search import asks_typed, typed_kinds
from .candidates import Unit, is_title, label_part, row_label, row_terms
from .evidence import EvidenceScorer
from .values import enumeration, type_spans

ENTITY_GAP_WEIGHT = 1.5  # how much a name the document never mentions counts against it (see document_cover)


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


def table_wins(t_score: float, t_feats: Evidence, u_score: float, u_feats: Evidence) -> bool:
    """A table match against the best sentence: when the two are close, the one holding the kind
    of value asked for, under the name asked for, wins ("날짜는?": "일시 : 2023. 4. 10." beats a
    schedule's time cell); otherwise the higher score, with a slight lean to the table."""
    if abs(t_score - u_score) < 0.05:
        t_fit = t_feats.typed + t_feats.focus
        u_fit = u_feats.typed + u_feats.focus
        if t_fit != u_fit:
            return t_fit > u_fit
    return t_score >= u_score - 0.02


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
    typed_q = asks_typed(qtypes) or wants_list
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
        return 1.0 if any(m.group(1) not in HOME_ENTITIES for m in OTHER_PLACE.finditer(u.text)) else 0.0

    for u in units:
        terms = scorer.with_entities(u.text, u.terms)
        both_ctx = u.context_terms | u.parent_terms
        # what the unit says beyond its document's title (shared by every chunk of it)
        own = scorer.coverage_beyond(terms, u.title_terms)
        both = scorer.coverage(terms | both_ctx)
        label_years = set(years_in_text(row_label(u)))
        # a table row is about the year in its label ("2019년도"), whatever dates its text mentions
        yrs = label_years or set(years_in_text(u.text)) | set(years_in_text(" ".join(u.chunk.heading_path)))
        year = scorer.year_agreement(yrs)
        consistent = 0.0
        if wants_list and not asks_typed(qtypes):
            items = enumeration(u.text)
            typed = 1.0 if (u.has_children or len(items) >= 3) else (0.7 if u.depth[0] < 9 else 0.0)
            stated = [int(m.group(1)) for m in re.finditer(r"(\d+)\s*개\s*[가-힣]", u.text)]
            consistent = 1.0 if items and len(items) in stated else 0.0  # "7개 분야(▲… seven items)"
        else:
            typed = unit_typed(u.text, qtypes, scorer.q.text) if typed_q else 0.5
        label = label_part(u.text)
        label_terms = set(content_terms(label)) if label else set()
        if label_terms and ((focus and all(scorer.has(f, label_terms) for f in focus)) or label_terms <= set(scorer.q.content)):
            # "배석자: …" answers "배석자는?"; "※ 마이스(MICE): …" defines what the question names;
            # but "대외협력과장: 배덕환" does not answer "배덕환 과장 전화번호는?": no number in it
            asked = typed_kinds(qtypes)
            if typed > 0 or asked != ["phone"]:  # the one kind of value whose ask is unmistakable
                typed = max(typed, 1.0 if focus else 0.8)
            foc = 1.0
        elif focus:
            foc = scorer.focus_coverage(focus, terms | set(row_terms(u)))
            if u.chunk.heading_path and u.text.lstrip()[:1] in ITEM_START:
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
        u.features = Evidence(own=own, cover=both, core=core, year=year, typed=typed, retrieval=retrieval, focus=foc,
                              near=near, doc=doc, novel=novel, dense=u.hit.dense)
        u.score = (0.4 * both + 0.25 * own + 0.1 * retrieval + (0.3 if typed_q else 0.1) * typed + 0.25 * year
                   + focus_term(foc, bool(focus), typed_q) + 0.15 * near + 0.2 * doc - (0.2 if novel < 0.34 and (not typed_q or typed == 0) else 0.0)
                   + 0.15 * consistent
                   - 0.25 * entity_gap(u)
                   - (0.4 if is_title(u) else 0.0))


def unit_typed(text: str, qtypes: Sequence[str], question: str) -> float:
    """1 when the text holds a value of the asked kind that the question does not already
    contain (0.6 for amounts and counts in prose, weaker than a table's number cell; for "언제"
    a date beats a clock time unless the question asks for the time)."""
    q = question.replace(" ", "")
    asked_roles = [m.group() for m in re.finditer(rf"[가-힣]*(?:{ROLE})", question) if len(m.group()) > 2]
    places = [m.group() for m in PLACE.finditer(question) if m.group() in text]
    best = 0.0
    for t in qtypes:
        if t not in typed_kinds((t,)):
            continue
        for a, b in type_spans(text, t):
            span = text[a:b]
            if span.replace(" ", "") in q:
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



def focus_term(foc: float, has_focus: bool, typed_q: bool) -> float:
    """Score contribution of the focus: strong when the question asks for a named thing
    ("사업근거는?"), weaker when a question word carries the ask ("몇 시에")."""
    if not has_focus:
        return 0.0
    if typed_q:
        return 0.15 * foc
    return 0.3 * foc - (0.15 if foc == 0 else 0.0)
