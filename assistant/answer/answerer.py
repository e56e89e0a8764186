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

from ..index import Embedder, SearchIndex
from ..ingest import clean_unicode
from ..ingest import terms as content_terms
from ..lexicon import TOTAL_CUES, TYPE_LABELS, entity_stem, related_words
from ..records import Answer, Evidence, Filters, Hit, Table
from ..search import (
    QueryAnalysis,
    RetrievalSettings,
    Retriever,
    analyse,
    asks_typed,
    is_followup,
    question_kinds,
    requested_count,
    resolve_followup,
    wants_list,
)
from .abstain import Calibration, evidence_gaps, load_calibration
from .candidates import units_of
from .compose import MSG, Composer, cell_at, table_items
from .evidence import EvidenceScorer
from .ranking import ENTITY_GAP_WEIGHT, entities_missing_from, named_entities, score_units, table_wins
from .sources import Sources
from .tables import lookup_all

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
MAX_HISTORY_TURNS = 8  # a follow-up is resolved against at most this many earlier turns (the default)
# what the answer says when a question or conversation was only used in part (the cost cap)
_NOTES = {
    "ko": {"clipped": "질문이 길어 앞부분 {n}자만 분석했습니다."},
    "en": {"clipped": "The question is long: only its first {n} characters were analysed."},
}


@dataclass(frozen=True)
class AnswerSettings:
    abstain_threshold: float | None = None  # None: the calibrated threshold
    max_citations: int = 3
    max_question_chars: int = 2000  # longer questions are refused without being read
    analysed_chars: int = 200  # a question is analysed on at most this many characters (the rest is noted)
    history_turns: int = MAX_HISTORY_TURNS
    candidates: int = 20
    units_from: int = 15


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
        calibration: Calibration | None = None,
        generator: Any = None,
    ):
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.retrieval_settings = retrieval or RetrievalSettings()
        self.settings = settings or AnswerSettings()
        self.calibration = calibration or load_calibration()
        self.generator = generator
        self._lock = threading.RLock()
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

    def derive(self, calibration: Calibration | None = None, settings: AnswerSettings | None = None) -> Answerer:
        """This answerer (same index, models and caches) with another calibration or settings."""
        other = copy.copy(self)
        other.calibration = calibration or self.calibration
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
        self._evidence.last = ([], [])
        answer = self.ask(question, history, filters)
        units, matches = self._evidence.last
        return {
            "answer": answer.to_dict(),
            "sentences": [
                {"doc": u.chunk.doc_id, "text": u.text, "score": round(u.score, 3),
                 "features": {k: round(v, 3) for k, v in u.features.as_dict().items() if v}}
                for u in units
            ],
            "tables": [
                {"doc": m.doc_id, "table": m.table.title, "kind": m.kind, "cells": m.cells[:6], "score": round(m.score, 3),
                 "features": {k: round(v, 3) for k, v in m.features.as_dict().items() if v}}
                for m in matches
            ],
        }

    # -- the pipeline ---------------------------------------------------------------
    def _ask(self, original: str, q: str, history: Sequence[Any] | None, filters: Filters | None, t0: float) -> Answer:
        timings: dict[str, float] = {}
        previous = self._previous_query(history)
        query = q
        if previous and is_followup(q, previous):
            query = resolve_followup(q, previous)
        analysis = analyse(query)
        own = analyse(q)
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
        answer = replace(self._extract(original, query, analysis, qtypes, wants, hits), retrieved=tuple(h.chunk.doc_id for h in hits))
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

    # -- evidence -------------------------------------------------------------------
    def _extract(self, question: str, query: str, a: QueryAnalysis, qtypes: list[str], wants: bool, hits: list[Hit]) -> Answer:
        src = self.sources
        scorer = EvidenceScorer(a, src.idf, dict(related_words()), [w for t in qtypes for w in TYPE_LABELS.get(t, ())])
        best_hit = hits[0].score
        focus = set(a.focus)
        doc_cover: dict[str, float] = {}
        entity_gap: dict[str, float] = {}

        def gap_of(doc_id: str) -> float:
            """Share of the places, people and compound names the question names that the document never mentions."""
            if doc_id not in entity_gap:
                entity_gap[doc_id] = entities_missing_from((*a.entities, *a.topics), src.text(doc_id))
            return entity_gap[doc_id]

        def cover_of(doc_id: str) -> float:
            # a document that never names a place the question names ("금천구 …") is a poor
            # source whatever else it shares with the question
            if doc_id not in doc_cover:
                cov = scorer.coverage(scorer.with_entities(src.text(doc_id), src.vocabulary(doc_id)))
                doc_cover[doc_id] = cov - ENTITY_GAP_WEIGHT * gap_of(doc_id)
            return doc_cover[doc_id]

        # grid tables answer through the table lookup; label/value tables and prose through sentences
        pool = hits[: self.settings.units_from]
        units = units_of([h for h in pool if h.chunk.table is None or src.layout(h) == "keyvalue"], src.text)
        score_units(units, scorer, qtypes, best_hit, focus, cover_of, wants)
        units.sort(key=lambda u: -u.score)
        candidates: list[tuple[Hit, Table, set[str]]] = []
        seen: set[tuple[str, int]] = set()
        for h in pool:
            if h.chunk.table is None or (h.chunk.doc_id, h.chunk.table) in seen:
                continue
            seen.add((h.chunk.doc_id, h.chunk.table))
            table = src.table(h.chunk.doc_id, h.chunk.table)
            if table is not None:
                candidates.append((h, table, set(content_terms(" ".join((h.chunk.title, *h.chunk.heading_path))))))
        total = any(w in a.text for w in TOTAL_CUES)
        matches = lookup_all(candidates, scorer, qtypes, wants, best_hit, focus, total, cover_of) if candidates else []
        self._evidence.last = (units[:8], matches[:5])  # for explain(), in this thread only
        tmatch = matches[0] if matches else None
        unit = units[0] if units else None
        missing_entity = self._missing_entities(a)
        extra = {"missing_rare": self._missing_rare(a), "typed_q": float(asks_typed(qtypes)), "has_focus": float(bool(a.focus))}

        def doc_year(doc_id: str) -> float:
            """-1 when the question asks for years its evidence's document never mentions."""
            years = src.doc_years(doc_id)
            return -1.0 if a.years and years and not set(a.years) & years else 0.0

        composer = self.composer
        want_n = requested_count(question)
        if tmatch is not None and want_n and unit is not None and table_items(tmatch) != want_n:
            alt = composer.text_answer(question, query, a, qtypes, wants, unit, units, hits)
            if len(alt.items) == want_n:
                tmatch = None
        feats: Evidence
        if tmatch is not None and (unit is None or table_wins(tmatch.score, tmatch.features, unit.score, unit.features)):
            feats = replace(tmatch.features, **extra, missing_entity=max(missing_entity, gap_of(tmatch.doc_id)), doc_year=doc_year(tmatch.doc_id))
            answer = composer.table_answer(question, query, a, qtypes, tmatch, hits)
            t = tmatch.table
            evidence = " ".join([t.title, tmatch.hit.chunk.context] + [t.columns[j] for _, j in tmatch.cells if 0 <= j < len(t.columns)]
                                + [cell_at(t, r, j).text for r, j in tmatch.cells] + [t.row_label(r) for r in tmatch.rows if r >= 0])
        elif unit is not None:
            feats = replace(unit.features, **extra, missing_entity=max(missing_entity, gap_of(unit.chunk.doc_id)), doc_year=doc_year(unit.chunk.doc_id))
            answer = composer.text_answer(question, query, a, qtypes, wants, unit, units, hits)
            evidence = " ".join((unit.text, unit.chunk.context, *unit.parent_terms))
        else:
            return composer.abstain(question, query, a, hits, 0.0, None)
        feats = replace(feats, **evidence_gaps(a, wants, feats, evidence, answer))
        confidence = self.calibration.probability(feats)
        if confidence < self.calibration.threshold_for(self.settings.abstain_threshold):
            return replace(composer.abstain(question, query, a, hits, confidence, feats), evidence=feats)
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
