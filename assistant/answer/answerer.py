"""The answering pipeline: a question (and the conversation before it) → analysis → hybrid
retrieval → candidate sentences and table matches → ranking → a composed, cited answer or a
calibrated abstention.

``Answerer.ask(question, history=None, filters=None) -> Answer``. No language model is
needed; an optional OpenAI-compatible endpoint may rewrite the extractive answer from the
cited passages only (see :mod:`assistant.answer.generation`).
"""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..index import Embedder, SearchIndex
from ..ingest import clean_unicode
from ..ingest import terms as content_terms
from ..lexicon import TYPE_LABELS, entity_stem, related_words
from ..records import Answer, Filters, Hit
from ..search import (
    QueryAnalysis,
    RetrievalSettings,
    Retriever,
    asks_change,
    is_followup,
    question_kinds,
    requested_count,
    resolve_followup,
    typed_kinds,
    wants_list,
)
from .candidates import Unit, units_of
from .compose import MSG, Composer, kinds_held, value_key
from .evidence import EvidenceScorer
from .features import Question, entities_missing_from, named_entities, relative, restates, unit_features
from .ranker import SHORTLIST, Composed, Ranker, choose, complements, composed_features, load_ranker, side_by_side
from .sources import BoundedCache, Sources
from .tables import TableCandidate, TableView, expand, table_candidates

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
MAX_HISTORY_TURNS = 8  # a follow-up is resolved against at most this many earlier turns (the default)
# what the answer says when a question or conversation was only used in part (the cost cap)
_NOTES = {
    "ko": {"clipped": "질문이 길어 앞부분 {n}자만 분석했습니다."},
    "en": {"clipped": "The question is long: only its first {n} characters were analysed."},
}


Candidate = Unit | TableCandidate


@dataclass(frozen=True)
class AnswerSettings:
    abstain_threshold: float | None = None  # None: the threshold chosen by `assistant train`
    max_citations: int = 3
    max_question_chars: int = 2000  # longer questions are refused without being read
    analysed_chars: int = 200  # a question is analysed on at most this many characters (the rest is noted)
    history_turns: int = MAX_HISTORY_TURNS
    candidates: int = 20  # passages retrieved
    units_from: int = 15  # passages whose sentences and tables are candidates
    count_alternatives: int = 5  # candidates tried when the question says how many items it asks for
    unit_vectors: bool = False  # embed candidate sentences (their similarity to the question is a feature)


@dataclass(frozen=True)
class Candidates:
    """A question's candidate answers, best first, with the answer each composes to."""

    query: str
    candidates: list[Candidate]
    answers: list[Answer]
    kinds: tuple[str, ...] = ()  # the kinds of value the question asks for


def sanitize(question: str) -> str:
    """Drop terminal codes, control and invisible characters and lone surrogates (which no
    encoder accepts), normalise width and white space."""
    q = unicodedata.normalize("NFKC", clean_unicode(question or ""))
    q = _CONTROL.sub(" ", q)
    return " ".join(q.split())


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a space when one is near the end."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", limit * 3 // 4, limit + 1)
    return text[: cut if cut > 0 else limit].rstrip()


class Answerer:
    """Answers questions over one index. Thread-safe; :meth:`reload` after the index changes."""

    def __init__(
        self,
        index_dir: str | Path,
        embedder: Embedder,
        retrieval: RetrievalSettings | None = None,
        settings: AnswerSettings | None = None,
        ranker: Ranker | None = None,
        generator: Any = None,
    ):
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.retrieval_settings = retrieval or RetrievalSettings()
        self.settings = settings or AnswerSettings()
        self._ranker = ranker  # loaded on first use: training needs an answerer before there is a ranker
        self.generator = generator
        self._lock = threading.RLock()
        self._vectors: BoundedCache[str, np.ndarray] = BoundedCache(50_000)
        self._evidence = threading.local()  # the last answer's evidence, per thread (for explain())
        self.index: SearchIndex
        self.retriever: Retriever
        self.sources: Sources
        self.composer: Composer
        self.reload()

    def reload(self) -> None:
        """(Re)load the index from disk, e.g. after ``assistant index`` or an upload."""
        index = SearchIndex.load(self.index_dir)
        retriever = Retriever(index, self.embedder, self.retrieval_settings)
        sources = Sources(index)
        with self._lock:
            old = getattr(self, "index", None)
            self.index, self.retriever, self.sources = index, retriever, sources
            self.composer = Composer(sources, self.settings.max_citations)
        if old is not None:
            old.close()

    @property
    def ranker(self) -> Ranker:
        if self._ranker is None:
            self._ranker = load_ranker()
        return self._ranker

    def derive(self, ranker: Ranker | None = None, settings: AnswerSettings | None = None) -> Answerer:
        """This answerer (same index, models and caches) with another ranker or settings."""
        other = copy.copy(self)
        other._ranker = ranker or self._ranker
        other.settings = settings or self.settings
        other.composer = Composer(self.sources, other.settings.max_citations)
        return other

    # -- public API -----------------------------------------------------------------
    def ask(self, question: str, history: Sequence[Any] | None = None, filters: Filters | None = None) -> Answer:
        """Answer ``question`` (optionally following up on ``history``) with citations."""
        t0 = time.perf_counter()
        question = question if isinstance(question, str) else str(question or "")
        if len(question) > self.settings.max_question_chars:  # refused before any work on it
            head = sanitize(question[:200])
            lang = "en" if re.search(r"[A-Za-z]{3}", head) and not re.search(r"[가-힣]", head) else "ko"
            return self._message(clean_unicode(question), "too_long", lang, n=len(question), max=self.settings.max_question_chars)
        shown = clean_unicode(question)  # what the answer repeats: no codes an encoder or a terminal would choke on
        q = sanitize(question)
        lang = "en" if re.search(r"[A-Za-z]{3}", q) and not re.search(r"[가-힣]", q) else "ko"
        if not q:
            return self._message(shown, "empty" if not (question or "").strip() else "no_text", lang)
        notes: list[str] = []
        original = shown
        if len(q) > self.settings.analysed_chars:  # the cost of a question is capped: analyse its beginning
            q = original = clip(q, self.settings.analysed_chars)
            notes.append(_NOTES[lang]["clipped"].format(n=self.settings.analysed_chars))
        try:
            answer = self._ask(original, q, history, filters, t0)
        except Exception as exc:  # the service must keep serving: report, don't crash
            log.exception("failed to answer %r", shown[:300])
            return self._message(shown, "error", lang, detail=type(exc).__name__)
        if original is not shown or notes:
            answer = replace(answer, question=shown, notes=(*answer.notes, *notes))
        return answer

    def explain(self, question: str, history: Sequence[Any] | None = None, filters: Filters | None = None) -> dict[str, Any]:
        """The answer with the evidence it was chosen from: the best sentences and table
        matches with their scores and features (for checking the assistant, not for speed)."""
        self._evidence.last = ([],)
        answer = self.ask(question, history, filters)
        (found,) = self._evidence.last
        return {
            "answer": answer.to_dict(),
            "candidates": [
                {"doc": c.hit.chunk.doc_id, "kind": "cell" if isinstance(c, TableCandidate) else "text", "text": c.text[:200],
                 "p": round(c.p, 3), "features": {k: round(v, 3) for k, v in c.features.as_dict().items() if v}}
                for c in found
            ],
        }

    # -- the pipeline ---------------------------------------------------------------
    def _ask(self, original: str, q: str, history: Sequence[Any] | None, filters: Filters | None, t0: float) -> Answer:
        timings: dict[str, float] = {}
        previous = self._previous_query(history)
        query = q
        if previous and is_followup(q, previous):
            query = resolve_followup(q, previous)
        analysis = self.retriever.analyse(query)
        own = self.retriever.analyse(q)
        qtypes = question_kinds(own, analysis)
        wants = wants_list(q, own) or (query != q and wants_list(query, analysis))
        t1 = time.perf_counter()
        timings["analyse_ms"] = (t1 - t0) * 1000
        vector = self.embedder.embed_query(analysis.text)
        t2 = time.perf_counter()
        timings["embed_ms"] = (t2 - t1) * 1000
        hits = self.retriever.search(analysis, k=self.settings.candidates, filters=filters, vector=vector)
        t3 = time.perf_counter()
        timings["retrieve_ms"] = (t3 - t2) * 1000
        if not hits:
            ans = Answer(original, MSG[analysis.language]["no_docs"], True, kind="none", query=query, language=analysis.language)
            return self._finish(ans, timings, t0)
        answer = replace(self._extract(original, query, analysis, qtypes, wants, hits, vector), retrieved=tuple(h.chunk.doc_id for h in hits))
        t4 = time.perf_counter()
        timings["answer_ms"] = (t4 - t3) * 1000
        if self.generator is not None and not answer.abstained:
            answer = self.generator.rewrite(answer)
            timings["generate_ms"] = (time.perf_counter() - t4) * 1000
        return self._finish(answer, timings, t0)

    def _finish(self, answer: Answer, timings: dict[str, float], t0: float) -> Answer:
        timings["total_ms"] = (time.perf_counter() - t0) * 1000
        return replace(answer, timings=timings)

    def _message(self, question: str, key: str, lang: str, **kw: Any) -> Answer:
        return Answer(question, MSG[lang][key].format(**kw), True, kind="invalid", language=lang)

    def _previous_query(self, history: Sequence[Any] | None) -> str | None:
        """The last question of the conversation, resolved against the ones before it."""
        if not history:
            return None
        resolved: str | None = None
        limit = self.settings.max_question_chars
        for turn in list(history)[-self.settings.history_turns :]:
            if isinstance(turn, Answer):
                text = turn.query or turn.question
                resolved = text if len(text) <= limit else None
                continue
            if isinstance(turn, str) and turn.lstrip().startswith("{") and len(turn) <= 100 * limit:
                try:  # an answer record sent as JSON text (the web API accepts both)
                    turn = json.loads(turn)
                except ValueError:
                    pass
            if isinstance(turn, dict):
                text = str(turn.get("query") or turn.get("question") or "")
            elif isinstance(turn, (list, tuple)) and turn:
                text = str(turn[0])
            else:
                text = str(turn)
            text = sanitize(text[: limit + 1])
            if not text or len(text) > limit:  # too long to be a question: not analysed
                continue
            text = clip(text, self.settings.analysed_chars)
            resolved = resolve_followup(text, resolved) if resolved and is_followup(text, resolved) else text
        return resolved

    # -- candidates and the choice between them ------------------------------------------
    def candidates(self, question: str, history: Sequence[Any] | None = None, filters: Filters | None = None) -> Candidates:
        """Every candidate answer to a question with its features and the answer it composes to
        (for training the ranker: nothing is chosen, nothing abstains)."""
        q = sanitize(question)
        previous = self._previous_query(history)
        query = resolve_followup(q, previous) if previous and is_followup(q, previous) else q
        analysis, own = self.retriever.analyse(query), self.retriever.analyse(q)
        kinds = question_kinds(own, analysis)
        wants = wants_list(q, own) or (query != q and wants_list(query, analysis))
        vector = self.embedder.embed_query(analysis.text)
        hits = self.retriever.search(analysis, k=self.settings.candidates, filters=filters, vector=vector)
        if not hits:
            return Candidates(query, [], [])
        found = self._gather(analysis, kinds, wants, hits, vector)
        answers = [self._compose(question, query, analysis, kinds, wants, c, found, hits) for c in found]
        return Candidates(query, found, answers, tuple(kinds))

    def _unit_similarity(self, texts: list[str], vector: np.ndarray) -> dict[str, float]:
        """Cosine similarity of each candidate sentence to the question (sentences embedded once)."""
        todo = [t for t in dict.fromkeys(texts) if self._vectors.peek(t) is None]
        if todo:
            for t, v in zip(todo, self.embedder.embed_passages(todo, batch_size=32), strict=True):
                self._vectors.get(t, lambda v=v: v)
        return {t: float(self._vectors.get(t, lambda: np.zeros(len(vector), dtype=np.float32)) @ vector) for t in dict.fromkeys(texts)}

    def _question(self, a: QueryAnalysis, kinds: list[str], wants: bool, hits: list[Hit]) -> Question:
        src = self.sources
        scorer = EvidenceScorer(a, src.idf, dict(related_words()), [w for t in kinds for w in TYPE_LABELS.get(t, ())])
        names = (*a.entities, *a.topics)
        gaps: dict[str, float] = {}
        covers: dict[str, float] = {}

        def doc_gap(doc_id: str) -> float:
            if doc_id not in gaps:
                gaps[doc_id] = entities_missing_from(names, src.text(doc_id))
            return gaps[doc_id]

        def doc_cover(doc_id: str) -> float:
            if doc_id not in covers:
                covers[doc_id] = scorer.coverage(scorer.with_entities(src.text(doc_id), src.vocabulary(doc_id)))
            return covers[doc_id]

        return Question(a, scorer, kinds, wants, hits, doc_cover, doc_gap, src.doc_years, lambda d: src.documents.get(d, {}), src.text,
                        missing_rare=self._missing_rare(a), missing_entity=self._missing_entities(a), change=asks_change(a.text))

    def _gather(self, a: QueryAnalysis, kinds: list[str], wants: bool, hits: list[Hit], vector: np.ndarray | None = None) -> list[Candidate]:
        """The sentences, items and fields of the retrieved passages, and the cells of their
        tables (grid tables answer through cells, label/value tables both ways), with features."""
        src = self.sources
        q = self._question(a, kinds, wants, hits)
        pool = hits[: self.settings.units_from]
        units = units_of([h for h in pool if h.chunk.table is None or src.layout(h) == "keyvalue"], src.text)
        if vector is not None and self.settings.unit_vectors:
            sims = self._unit_similarity([u.text for u in units], vector)
            q.unit_dense = lambda u: sims.get(u.text)
        unit_features(units, q)
        cells: list[TableCandidate] = []
        seen: set[tuple[str, int]] = set()
        for h in pool:
            if h.chunk.table is None or (h.chunk.doc_id, h.chunk.table) in seen:
                continue
            seen.add((h.chunk.doc_id, h.chunk.table))
            table = src.table(h.chunk.doc_id, h.chunk.table)
            if table is not None and table.rows:
                context = set(content_terms(" ".join((h.chunk.title, *h.chunk.heading_path))))
                cells += table_candidates(TableView(h, table, context, q))
        # an answer says something the question does not (a heading restating it may still head the list asked for)
        found: list[Candidate] = [c for c in (*units, *cells) if not restates(c.text, a.text) or (isinstance(c, Unit) and c.has_children)]
        for c, e in zip(found, relative([c.features for c in found]), strict=True):
            c.features = e
        ps = self.ranker.probabilities([c.features for c in found])
        for c, p in zip(found, ps, strict=True):
            c.p = float(p)
        found.sort(key=lambda c: -c.p)
        return found

    def _compose(self, question: str, query: str, a: QueryAnalysis, kinds: list[str], wants: bool, c: Candidate,
                 found: list[Candidate], hits: list[Hit]) -> Answer:
        composer = self.composer
        if isinstance(c, TableCandidate):
            return composer.table_answer(question, query, a, kinds, expand(c, [x for x in found if isinstance(x, TableCandidate)]), hits)
        return composer.text_answer(question, query, a, kinds, wants, c, [x for x in found if isinstance(x, Unit)], hits)

    def _extract(self, question: str, query: str, a: QueryAnalysis, kinds: list[str], wants: bool, hits: list[Hit],
                 vector: np.ndarray | None = None) -> Answer:
        found = self._gather(a, kinds, wants, hits, vector)
        self._evidence.last = (found[:10],)  # for explain(), in this thread only
        if not found:
            return self.composer.abstain(question, query, a, hits, 0.0, None)
        composed: dict[int, Answer] = {}

        def answer_of(i: int) -> Answer:
            if i not in composed:
                composed[i] = self._compose(question, query, a, kinds, wants, found[i], found, hits)
            return composed[i]

        ps = [c.p for c in found]
        asked = typed_kinds(kinds)
        if self.ranker.second is not None:
            # the few most probable, each composed: the answer that reads as the question asks (a list, so many items, the asked kinds)
            order = sorted(range(len(found)), key=lambda k: (-ps[k], k))[:SHORTLIST]
            shapes = [Composed(len(answer_of(k).items), len(answer_of(k).text), len(kinds_held(answer_of(k), asked)), bool(found[k].features.masked))
                      for k in order]
            second = self.ranker.rerank(composed_features(ps, order, shapes, wants, requested_count(question), len(asked)))
            i = order[int(np.argmax(second))]
        else:
            i = choose(ps, lambda i: len(answer_of(i).items), requested_count(question), self.settings.count_alternatives)
        best, answer = found[i], answer_of(i)
        confidence = self.ranker.confidence(ps, i, best.features)
        feats = best.features
        if confidence < self.ranker.threshold_for(self.settings.abstain_threshold):
            return replace(self.composer.abstain(question, query, a, hits, confidence, feats), evidence=feats)
        if feats.masked:
            # the best place holds the asked value but the city masked it: say so, never show the mask as a value
            span = (best.start, best.end) if isinstance(best, Unit) else None
            return self.composer.masked(question, query, a, best.hit, span, confidence, feats)
        if not wants and not answer.items:
            beside = side_by_side(ps, i, [c.place for c in found], lambda k: value_key(answer_of(k)) if not found[k].features.masked else "",
                                  self.ranker.side_ratio)
            beside += complements(ps, i, [c.hit.chunk.doc_id for c in found],
                                  lambda k: frozenset() if found[k].features.masked else kinds_held(answer_of(k), asked), asked, beside)
            if beside:
                answer = self.composer.side_by_side([answer, *(answer_of(k) for k in beside)])
        return replace(answer, confidence=confidence, evidence=feats)

    def _missing_entities(self, a: QueryAnalysis) -> float:
        """Share of the places and people the question names that no indexed text mentions."""
        ents = named_entities(a.entities, codes=True)  # codes too: "소통행정-3" must be indexed
        if not ents:
            return 0.0
        src = self.sources
        missing = 0
        for e in ents:
            base = entity_stem(e)
            if not src.indexed(base) and not src.indexed(e) and not all(src.indexed(t) for t in content_terms(base)):
                missing += 1
        return missing / len(ents)

    def _missing_rare(self, a: QueryAnalysis) -> float:
        """Share (by IDF) of the question's content words that no indexed text contains."""
        if not a.content:
            return 0.0
        src = self.sources
        total = sum(src.idf(t) for t in a.content)
        missing = sum(src.idf(t) for t in a.content if not src.indexed(t))
        return missing / total if total else 0.0
