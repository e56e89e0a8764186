"""The assistant: hybrid retrieval, table lookups and cited extractive answers.

``Assistant.ask(question, history=None, filters=None) -> Answer``. No language model is
needed; an optional OpenAI-compatible endpoint may rewrite the extractive answer from the
cited passages only (see :mod:`assistant.generation`).
"""

from __future__ import annotations

import copy
import json
import logging
import math
import os
import re
import shutil
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .embeddings import Embedder, create_embedder
from .extract import (
    HOME_ENTITIES,
    TYPE_PATTERNS,
    EvidenceScorer,
    Unit,
    clause,
    depth,
    entity_stem,
    enumeration,
    marker,
    score_units,
    type_spans,
    units_of,
)
from .feedback import FeedbackStore
from .indexdir import SearchIndex
from .nlp import terms as content_terms
from .query import QueryAnalysis, analyse, is_followup, resolve_followup
from .records import Answer, Citation, Filters, Hit, SkippedFile, Table, TableAnswer, locate
from .retrieval import RetrievalSettings, Retriever
from .tablelookup import TableMatch, lookup_all
from .tables import format_value

log = logging.getLogger(__name__)

_QTYPE_EXPANSIONS: dict[str, tuple[str, ...]] = {
    "when": ("일시", "일자", "날짜", "시간", "기간", "추진기간"),
    "where": ("장소", "위치"),
    "who": ("담당", "성명", "참여자"),
    "phone": ("전화", "연락처"),
}
_LIST_CUES = ("모두", "전부", "목록", "명단", "나열", "정리", "어떤 것들", "무엇무엇", "가지", "어느 구들", "들은", "들이", "들을")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")

MSG = {
    "ko": {
        "empty": "질문을 입력해 주세요.",
        "too_long": "질문이 너무 깁니다({n:,}자). {max:,}자 이내로 줄여서 다시 물어봐 주세요.",
        "no_text": "질문에서 읽을 수 있는 글자를 찾지 못했습니다. 다시 입력해 주세요.",
        "abstain": "문서에서 이 질문에 대한 답을 찾지 못했습니다. 가장 가까운 내용을 출처로 보여 드립니다.",
        "abstain_year": "문서에 {years}년 자료가 없습니다. 가장 가까운 내용을 출처로 보여 드립니다.",
        "no_docs": "검색할 문서가 없습니다(필터 조건에 맞는 문서가 없거나 색인이 비어 있습니다).",
        "items": "{n}개: ",
        "error": "질문을 처리하는 중 문제가 생겼습니다. 다시 시도해 주세요. ({detail})",
    },
    "en": {
        "empty": "Please type a question.",
        "too_long": "The question is too long ({n:,} characters). Please keep it under {max:,} characters.",
        "no_text": "The question has no readable text. Please type it again.",
        "abstain": "The documents do not answer this question. The closest passages are shown as sources.",
        "abstain_year": "The documents hold no figures for {years}. The closest passages are shown as sources.",
        "no_docs": "There is nothing to search (no document matches the filters, or the index is empty).",
        "items": "{n} items: ",
        "error": "Something went wrong while answering. Please try again. ({detail})",
    },
}


@dataclass(frozen=True)
class Library:
    """Where documents live and how the index is built (for uploads from the web chat)."""

    corpus: tuple[str, ...]
    uploads: str
    cache: str
    settings: Any  # IndexSettings
    max_upload_bytes: int = 20 * 1024 * 1024


ENTITY_GAP_WEIGHT = 1.5  # see cover_of() in Assistant._extract
# "신규 희망 지자체(7월 현재) : 16개(광역3, 기초13)": an item that reports a number, not a name
_COUNT_ITEM = re.compile(r"[:：]\s*\d[\d,]*\s*(?:개|회|건|명|곳|개소)(?:\s*\(|\s*$)")


def _table_wins(t_score: float, t_feats: dict[str, float], u_score: float, u_feats: dict[str, float]) -> bool:
    """A table match against the best sentence: when the two are close, the one holding the kind
    of value asked for, under the name asked for, wins ("날짜는?": "일시 : 2023. 4. 10." beats a
    schedule's time cell); otherwise the higher score, with a slight lean to the table."""
    if abs(t_score - u_score) < 0.05:
        t_fit = t_feats.get("typed", 0.0) + t_feats.get("focus", 0.0)
        u_fit = u_feats.get("typed", 0.0) + u_feats.get("focus", 0.0)
        if t_fit != u_fit:
            return t_fit > u_fit
    return t_score >= u_score - 0.02


def _col_label(t: Table, j: int) -> str:
    """A column's header path without the parts that only repeat the table's title."""
    if j >= len(t.columns) or not t.columns[j]:
        return ""
    parts = [p for p in t.columns[j].split(" / ") if p.replace(" ", "") != t.title.replace(" ", "")]
    return " / ".join(parts) or t.columns[j]


def _entities_missing_from(entities: Sequence[str], text: str) -> float:
    """Share of ``entities`` (places, people, document codes like "소통행정-3") that ``text`` never
    mentions ("금천구" counts as mentioned where "금천" is written)."""
    ents = [e for e in entities if e not in HOME_ENTITIES]
    if not ents:
        return 0.0
    flat = text.replace(" ", "")
    return sum(1 for e in ents if entity_stem(e) not in flat) / len(ents)


MAX_HISTORY_TURNS = 20  # a follow-up is resolved against at most this many earlier turns


@dataclass(frozen=True)
class AnswerSettings:
    abstain_threshold: float | None = None  # None: the calibrated threshold
    max_citations: int = 3
    max_question_chars: int = 2000
    candidates: int = 20
    units_from: int = 15


@dataclass(frozen=True)
class Calibration:
    """Logistic model of P(the answer is right) over evidence features, fitted on the question
    sets by ``assistant calibrate``; ``threshold`` is the abstention point chosen there."""

    weights: dict[str, float]
    bias: float
    threshold: float

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * features.get(k, 0.0) for k, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def threshold_for(self, configured: float | None) -> float:
        """The configured threshold when set (``answer.abstain_threshold``), else the fitted one."""
        return self.threshold if configured is None else configured


# used only until ``assistant calibrate`` has written assistant/data/calibration.json
DEFAULT_CALIBRATION = Calibration(
    {"cover": 1.2, "core": 1.8, "own": 0.7, "gap_year": -4.0, "gap_typed": -3.5, "gap_entity": -2.3, "gap_measure": -2.8,
     "gap_list": -1.4, "missing_rare": -0.5},
    -1.0,
    0.4,
)


def calibration_path() -> Path:
    return Path(str(resources.files("assistant.data").joinpath("calibration.json")))


@lru_cache(maxsize=1)
def load_calibration() -> Calibration:
    """The committed calibration (``assistant/data/calibration.json``), or the default."""
    try:
        data = json.loads(calibration_path().read_text(encoding="utf-8"))
        return Calibration(dict(data["weights"]), float(data["bias"]), float(data["threshold"]))
    except (FileNotFoundError, KeyError, ValueError):
        return DEFAULT_CALIBRATION


@lru_cache(maxsize=1)
def synonyms() -> dict[str, tuple[str, ...]]:
    text = resources.files("assistant.data").joinpath("synonyms_ko.tsv").read_text(encoding="utf-8")
    out: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#") and "\t" in line:
            word, also = line.split("\t", 1)
            out[word.strip()] = tuple(also.split())
    return out


def sanitize(question: str) -> str:
    """Drop control and invisible characters, normalise width and white space."""
    q = unicodedata.normalize("NFKC", question or "")
    q = _CONTROL.sub(" ", q)
    return " ".join(q.split())


class Assistant:
    """Answers questions over one index. Thread-safe; reload after the index changes."""

    def __init__(
        self,
        index_dir: str | Path,
        embedder: Embedder | None = None,
        retrieval: RetrievalSettings | None = None,
        settings: AnswerSettings | None = None,
        calibration: Calibration | None = None,
        generator: Any = None,
        library: Library | None = None,
        feedback_path: str | Path | None = None,
    ):
        self.index_dir = Path(index_dir)
        self.library = library
        self.feedback = FeedbackStore(feedback_path) if feedback_path else None
        self._build_lock = threading.Lock()
        self.embedder = embedder or create_embedder()
        self.retrieval_settings = retrieval or RetrievalSettings()
        self.settings = settings or AnswerSettings()
        self.calibration = calibration or load_calibration()
        self.generator = generator
        self._lock = threading.RLock()
        self._evidence = threading.local()  # the last answer's evidence, per thread (for explain())
        self._tables: OrderedDict[tuple[str, int], Table | None] = OrderedDict()
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._doc_vocab: OrderedDict[str, set[str]] = OrderedDict()
        self.index: SearchIndex
        self.retriever: Retriever
        self.reload()

    @classmethod
    def from_config(cls, cfg: Any, index_dir: str | Path | None = None) -> Assistant:
        """Build from a :class:`~assistant.config.Config`."""
        from .generation import Generator
        from .indexer import IndexSettings

        emb = create_embedder(cfg.embedder.backend, cfg.embedder.model, cfg.embedder.device, cfg.embedder.query_prefix, cfg.embedder.passage_prefix)
        r = cfg.retrieval
        a = cfg.answer
        settings = IndexSettings.from_config(cfg)
        corpus = tuple(cfg.paths.corpus) if index_dir in (None, cfg.paths.index) else tuple(cfg.paths.eval_corpus)
        return cls(
            index_dir or cfg.paths.index,
            emb,
            RetrievalSettings(r.top_k, r.candidates, r.fusion, r.bm25_weight, r.dense_weight, r.rrf_k),
            AnswerSettings(abstain_threshold=a.abstain_threshold, max_citations=a.max_citations, max_question_chars=a.max_question_chars),
            generator=Generator.from_config(cfg.generation) if cfg.generation.enabled else None,
            library=Library(corpus, cfg.paths.uploads, cfg.paths.cache, settings, cfg.server.max_upload_mb * 1024 * 1024),
            feedback_path=cfg.paths.feedback,
        )

    # -- documents ------------------------------------------------------------------
    def add_documents(self, files: Sequence[str | Path], names: Sequence[str] | None = None) -> tuple[Any, list[SkippedFile]]:
        """Check uploaded files, copy the good ones into the uploads folder and index them
        incrementally; returns the build summary and the files refused (with the reason).
        A bad file is refused before anything is copied: it changes nothing else."""
        if self.library is None:
            raise RuntimeError("this assistant has no document library configured")
        from .indexer import Indexer
        from .readers import SUPPORTED_SUFFIXES, UnreadableDocument, load_document

        refused: list[SkippedFile] = []
        accepted: list[tuple[Path, str]] = []
        for i, f in enumerate(files):
            src = Path(f)
            name = Path(names[i]).name if names else src.name
            if not name or name.startswith(".") or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                refused.append(SkippedFile(name or str(src), f"unsupported file type; supported: {', '.join(SUPPORTED_SUFFIXES)}"))
                continue
            try:
                size = src.stat().st_size
            except OSError as exc:
                refused.append(SkippedFile(name, f"cannot read file: {exc.strerror or exc}"))
                continue
            if size > self.library.max_upload_bytes:
                refused.append(SkippedFile(name, f"file too large ({size / 1048576:.1f} MiB, limit {self.library.max_upload_bytes // 1048576} MiB)"))
                continue
            try:
                load_document(src, doc_id=name)  # the reader goes by the upload's own name
            except UnreadableDocument as exc:
                refused.append(SkippedFile(name, exc.reason))
                continue
            except Exception as exc:  # a reader bug must not take the service down
                log.exception("cannot parse upload %s", name)
                refused.append(SkippedFile(name, f"cannot parse: {type(exc).__name__}"))
                continue
            accepted.append((src, name))
        summary = None
        if accepted:
            uploads = Path(self.library.uploads)
            uploads.mkdir(parents=True, exist_ok=True)
            with self._build_lock:
                for src, name in accepted:
                    tmp = uploads / f".{name}.part"
                    shutil.copyfile(src, tmp)
                    os.replace(tmp, uploads / name)
                folders = list(dict.fromkeys([*self.library.corpus, str(uploads)]))
                summary = Indexer(self.index_dir, self.embedder, self.library.cache, self.library.settings).build(folders)
                self.reload()
        return summary, refused

    def record_feedback(self, answer: Answer, helpful: bool, comment: str = "", session: str = "") -> int:
        if self.feedback is None:
            raise RuntimeError("feedback storage is not configured")
        return self.feedback.add(answer, helpful, comment, session)

    def derive(self, calibration: Calibration | None = None, settings: AnswerSettings | None = None) -> Assistant:
        """This assistant (same index, models and caches) with another calibration or settings."""
        other = copy.copy(self)
        other.calibration = calibration or self.calibration
        other.settings = settings or self.settings
        return other

    def reload(self) -> None:
        """(Re)load the index from disk, e.g. after ``assistant index`` or an upload."""
        index = SearchIndex.load(self.index_dir)
        retriever = Retriever(index, self.embedder, self.retrieval_settings)
        with self._lock:
            old = getattr(self, "index", None)
            self.index, self.retriever = index, retriever
            self._tables.clear()
            self._texts.clear()
            self._doc_vocab.clear()
            df = index.bm25.weights.indptr[1:] - index.bm25.weights.indptr[:-1]
            self._df = dict(zip(sorted(index.bm25.vocab, key=index.bm25.vocab.__getitem__), df.tolist(), strict=True))
            self._n = max(len(index.bm25), 1)
        if old is not None:
            old.close()

    # -- public API -----------------------------------------------------------------
    def documents(self) -> list[dict[str, Any]]:
        return [self.index.documents[d] for d in self.index.doc_order]

    def document(self, doc_id: str):
        return self.index.store.document(doc_id)

    def idf(self, term: str) -> float:
        df = self._df.get(term, 0)
        return math.log(1.0 + (self._n - df + 0.5) / (df + 0.5))

    def ask(self, question: str, history: Sequence[Any] | None = None, filters: Filters | None = None) -> Answer:
        """Answer ``question`` (optionally following up on ``history``) with citations."""
        t0 = time.perf_counter()
        q = sanitize(question)
        lang = "en" if re.search(r"[A-Za-z]{3}", q) and not re.search(r"[가-힣]", q) else "ko"
        if not q:
            return self._message(question, "empty" if not (question or "").strip() else "no_text", lang)
        if len(question) > self.settings.max_question_chars:
            return self._message(question, "too_long", lang, n=len(question), max=self.settings.max_question_chars)
        try:
            return self._ask(question, q, history, filters, t0)
        except Exception as exc:  # the service must keep serving: report, don't crash
            log.exception("failed to answer %r", question)
            return self._message(question, "error", lang, detail=type(exc).__name__)

    # -- the pipeline ---------------------------------------------------------------
    def _ask(self, original: str, q: str, history: Sequence[Any] | None, filters: Filters | None, t0: float) -> Answer:
        timings: dict[str, float] = {}
        previous = self._previous_query(history)
        query = q
        if previous and is_followup(q, previous):
            query = resolve_followup(q, previous)
        analysis = analyse(query)
        own = analyse(q)
        qtypes = _qtypes(own, analysis)
        wants_list = _wants_list(q, own) or (query != q and _wants_list(query, analysis))
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
        answer = replace(self._extract(original, query, analysis, qtypes, wants_list, hits), retrieved=tuple(h.chunk.doc_id for h in hits))
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
        for turn in list(history)[-MAX_HISTORY_TURNS:]:
            if isinstance(turn, Answer):
                text = turn.query or turn.question
                resolved = text if len(text) <= limit else None
                continue
            if isinstance(turn, str) and turn.lstrip().startswith("{"):
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
            text = sanitize(text)
            if not text or len(text) > limit:  # too long to be a question: not analysed
                continue
            resolved = resolve_followup(text, resolved) if resolved and is_followup(text, resolved) else text
        return resolved

    # -- evidence -------------------------------------------------------------------
    def _table(self, doc_id: str, idx: int) -> Table | None:
        key = (doc_id, idx)
        with self._lock:
            if key in self._tables:
                self._tables.move_to_end(key)
                return self._tables[key]
        table = self.index.store.table(doc_id, idx)
        with self._lock:
            self._tables[key] = table
            while len(self._tables) > 256:
                self._tables.popitem(last=False)
        return table

    def _doc_text(self, doc_id: str) -> str:
        with self._lock:
            if doc_id in self._texts:
                self._texts.move_to_end(doc_id)
                return self._texts[doc_id]
        text = self.index.store.document_text(doc_id) or ""
        with self._lock:
            self._texts[doc_id] = text
            while len(self._texts) > 64:
                self._texts.popitem(last=False)
        return text

    def explain(self, question: str, history: Sequence[Any] | None = None, filters: Filters | None = None) -> dict[str, Any]:
        """The answer with the evidence it was chosen from: the best sentences and table
        matches with their scores and features (for checking the assistant, not for speed)."""
        self._evidence.last = ([], [])
        answer = self.ask(question, history, filters)
        units, matches = self._evidence.last
        return {
            "answer": answer.to_dict(),
            "sentences": [
                {"doc": u.chunk.doc_id, "text": u.text, "score": round(u.score, 3), "features": {k: round(v, 3) for k, v in u.features.items()}}
                for u in units
            ],
            "tables": [
                {"doc": m.doc_id, "table": m.table.title, "kind": m.kind, "cells": m.cells[:6], "score": round(m.score, 3),
                 "features": {k: round(v, 3) for k, v in m.features.items()}}
                for m in matches
            ],
        }

    def _doc_terms(self, doc_id: str) -> set[str]:
        """Every indexed term of a document (for "does this document talk about it at all")."""
        with self._lock:
            if doc_id in self._doc_vocab:
                return self._doc_vocab[doc_id]
        rows = self.index.store.query("SELECT terms FROM chunks WHERE doc_id=?", (doc_id,))
        vocab = {t for r in rows for t in r["terms"].split()}
        with self._lock:
            self._doc_vocab[doc_id] = vocab
            while len(self._doc_vocab) > 128:
                self._doc_vocab.popitem(last=False)
        return vocab

    def _extract(self, question: str, query: str, a: QueryAnalysis, qtypes: list[str], wants_list: bool, hits: list[Hit]) -> Answer:
        scorer = EvidenceScorer(a, self.idf, dict(synonyms()), [w for t in qtypes for w in _QTYPE_EXPANSIONS.get(t, ())])
        best_hit = hits[0].score
        focus = set(a.focus)
        doc_cover: dict[str, float] = {}

        entity_gap: dict[str, float] = {}

        def gap_of(doc_id: str) -> float:
            """Share of the places, people and compound names the question names that the document never mentions."""
            if doc_id not in entity_gap:
                entity_gap[doc_id] = _entities_missing_from((*a.entities, *a.topics), self._doc_text(doc_id))
            return entity_gap[doc_id]

        def cover_of(doc_id: str) -> float:
            # a document that never names a place the question names ("금천구 …") is a poor
            # source whatever else it shares with the question
            if doc_id not in doc_cover:
                cov = scorer.coverage(scorer.with_entities(self._doc_text(doc_id), self._doc_terms(doc_id)))
                doc_cover[doc_id] = cov - ENTITY_GAP_WEIGHT * gap_of(doc_id)
            return doc_cover[doc_id]

        # grid tables answer through the table lookup; label/value tables and prose through sentences
        pool = hits[: self.settings.units_from]
        units = units_of([h for h in pool if h.chunk.table is None or self._layout(h) == "keyvalue"], self._doc_text)
        score_units(units, scorer, qtypes, best_hit, focus, cover_of, wants_list)
        units.sort(key=lambda u: -u.score)
        candidates: list[tuple[Hit, Table, set[str]]] = []
        seen: set[tuple[str, int]] = set()
        for h in pool:
            if h.chunk.table is None or (h.chunk.doc_id, h.chunk.table) in seen:
                continue
            seen.add((h.chunk.doc_id, h.chunk.table))
            table = self._table(h.chunk.doc_id, h.chunk.table)
            if table is not None:
                candidates.append((h, table, set(content_terms(" ".join((h.chunk.title, *h.chunk.heading_path))))))
        total = any(w in a.text for w in ("총 ", "총액", "합계", "전체", "모두 합"))
        matches = lookup_all(candidates, scorer, qtypes, wants_list, best_hit, focus, total, cover_of) if candidates else []
        self._evidence.last = (units[:8], matches[:5])  # for explain(), in this thread only
        tmatch = matches[0] if matches else None
        unit = units[0] if units else None
        typed_q = any(t in TYPE_PATTERNS or t == "who" for t in qtypes)
        extra = {"missing_rare": self._missing_rare(a), "missing_entity": self._missing_entities(a),
                 "typed_q": float(typed_q), "has_focus": float(bool(a.focus))}

        def doc_year(doc_id: str) -> float:
            """-1 when the question asks for years its evidence's document never mentions."""
            years = set(self.index.documents.get(doc_id, {}).get("years", ()))
            return -1.0 if a.years and years and not set(a.years) & years else 0.0

        want_n = requested_count(question)
        if tmatch is not None and want_n and unit is not None and _table_items(tmatch) != want_n:
            alt = self._text_answer(question, query, a, qtypes, wants_list, unit, units, hits)
            if len(alt.items) == want_n:
                tmatch = None
        if tmatch is not None and (unit is None or _table_wins(tmatch.score, tmatch.features, unit.score, unit.features)):
            extra["missing_entity"] = max(extra["missing_entity"], gap_of(tmatch.doc_id))
            feats = {**tmatch.features, **extra, "doc_year": doc_year(tmatch.doc_id)}
            answer = self._table_answer(question, query, a, qtypes, tmatch, hits)
            t = tmatch.table
            evidence = " ".join([t.title, tmatch.hit.chunk.context] + [t.columns[j] for _, j in tmatch.cells if 0 <= j < len(t.columns)]
                                + [_cell(t, r, j).text for r, j in tmatch.cells] + [t.row_label(r) for r in tmatch.rows if r >= 0])
        elif unit is not None:
            extra["missing_entity"] = max(extra["missing_entity"], gap_of(unit.chunk.doc_id))
            feats = {**unit.features, **extra, "doc_year": doc_year(unit.chunk.doc_id)}
            answer = self._text_answer(question, query, a, qtypes, wants_list, unit, units, hits)
            evidence = " ".join((unit.text, unit.chunk.context, *unit.parent_terms))
        else:
            return self._abstain(question, query, a, hits, 0.0, {})
        feats.update(evidence_gaps(a, qtypes, wants_list, feats, evidence, answer))
        confidence = self.calibration.probability(feats)
        if confidence < self.calibration.threshold_for(self.settings.abstain_threshold):
            return replace(self._abstain(question, query, a, hits, confidence, feats), evidence=feats)
        return replace(answer, confidence=confidence, evidence=feats)

    def _layout(self, hit: Hit) -> str:
        t = self._table(hit.chunk.doc_id, hit.chunk.table) if hit.chunk.table is not None else None
        return t.layout if t is not None else ""

    def _missing_entities(self, a: QueryAnalysis) -> float:
        """Share of the places and people the question names that no indexed text mentions."""
        ents = [e for e in a.entities if e not in HOME_ENTITIES]  # codes too: "소통행정-3" must be indexed
        if not ents:
            return 0.0
        missing = 0
        for e in ents:
            base = entity_stem(e)
            if base not in self._df and e not in self._df and not all(t in self._df for t in content_terms(base)):
                missing += 1
        return missing / len(ents)

    def _missing_rare(self, a: QueryAnalysis) -> float:
        """Share (by IDF) of the question's content words that no indexed text contains."""
        if not a.content:
            return 0.0
        total = sum(self.idf(t) for t in a.content)
        missing = sum(self.idf(t) for t in a.content if t not in self._df)
        return missing / total if total else 0.0

    # -- composing answers ----------------------------------------------------------
    def _citation(self, number: int, hit: Hit, span: tuple[int, int] | None = None) -> Citation:
        c = hit.chunk
        a, b = span if span else (0, len(c.text))
        start, end = c.offsets.span(a, b)
        anchors = self.index.store.anchors(c.doc_id) if self.index.documents.get(c.doc_id, {}).get("format", "text") != "text" else ()
        return Citation(number, c.doc_id, c.title, c.heading_path, c.text, (a, b), start, end, c.id, locate(anchors, start), hit.score)

    def _citations(self, primary: list[tuple[Hit, tuple[int, int] | None]], hits: list[Hit]) -> tuple[Citation, ...]:
        out: list[Citation] = []
        used: set[int] = set()
        for hit, span in primary:
            if hit.chunk.id in used:
                continue
            used.add(hit.chunk.id)
            out.append(self._citation(len(out) + 1, hit, span))
        return tuple(out)

    def _table_answer(self, question: str, query: str, a: QueryAnalysis, qtypes: list[str], m: TableMatch, hits: list[Hit]) -> Answer:
        t = m.table
        lang = a.language
        hit = m.hit
        # cite the row chunk of the answering row when it was retrieved, else the table's best hit
        row = m.rows[0] if m.rows else (m.cells[0][0] if m.cells else 0)
        row_hits = {h.chunk.row: h for h in hits if h.chunk.doc_id == m.doc_id and h.chunk.table == t.index}
        cite_hit = row_hits.get(row, hit)
        if m.kind in ("list", "header"):
            items = m.items
            text = MSG[lang]["items"].format(n=len(items)) + ", ".join(items)
        else:
            parts = []
            unlabelled = not any(_col_label(t, j) for _, j in m.cells)
            for r, j in sorted(m.cells, key=lambda rc: rc[1]) if unlabelled else m.cells:
                cell = _cell(t, r, j)
                value = format_value(cell.value, cell.unit) if cell.value is not None and not re.search(r"[가-힣]{2}", cell.text) else cell.text
                if unlabelled:  # a label/value row without a header: its cells in order
                    if value not in parts:
                        parts.append(value)
                    continue
                label = _col_label(t, j) or (t.rows[r][j - 1].text if j > 0 else "")
                parts.append(f"{label} {value}".strip() if m.kind == "row" or len(m.cells) > 1 else value)
            row_label = t.row_label(row) if t.rows else ""
            col_labels = [_col_label(t, j) for _, j in m.cells if _col_label(t, j)]
            where = " · ".join(x for x in (t.title, row_label if m.kind != "row" and not unlabelled else "",
                                           col_labels[0] if len(m.cells) == 1 and col_labels else "") if x)
            text = (" · " if unlabelled else " / ").join(parts) + (f" ({where})" if where else "")
            if m.kind == "cell" and len(m.cells) == 1 and "phone" in qtypes:
                phone = type_spans(_cell(t, *m.cells[0]).text, "phone")
                if phone:
                    cell_text = _cell(t, *m.cells[0]).text
                    text = cell_text[phone[0][0] : phone[0][1]] + f" ({cell_text}; {where})"
        span = _row_span(cite_hit, t, row)
        citations = self._citations([(cite_hit, span)], hits)
        shown_rows = m.rows if m.kind == "list" else ([row] if m.kind != "header" else [])
        cols = tuple(t.columns) if any(t.columns) else tuple("" for _ in range(len(t.rows[0]) if t.rows else 0))
        rows = tuple(tuple(c.text for c in t.rows[r]) for r in shown_rows)
        highlight = None
        if m.cells and m.kind in ("cell", "row") and m.cells[0][0] >= 0:
            highlight = (0, m.cells[0][1])
        if m.kind == "header":
            cols = tuple(t.columns)
            rows = tuple(tuple(c.text for c in r) for r in t.rows)
        table = TableAnswer(m.doc_id, t.index, t.title, cols, rows, t.unit, highlight, citations[0].number if citations else 1)
        return Answer(question, f"{text} [1]", False, citations, (table,), kind="table" if m.kind != "list" else "list",
                      query=query, language=lang, items=tuple(m.items))

    def _text_answer(
        self, question: str, query: str, a: QueryAnalysis, qtypes: list[str], wants_list: bool, unit: Unit, units: list[Unit], hits: list[Hit]
    ) -> Answer:
        lang = a.language
        want_n = requested_count(question)
        composed = None
        for candidate in ([unit] + [u for u in units[1:6] if u.score >= unit.score - 0.3]) if want_n else [unit]:
            c = self._compose(candidate, units, a, qtypes, wants_list)
            if composed is None:
                composed = c
            if not want_n or len(c[1]) == want_n:
                composed = c
                break
        assert composed is not None
        span_units, items = composed
        if want_n and len(items) > want_n:
            items = _filter_items(items, question, want_n)
        unit = span_units[0] if span_units else unit
        if items:
            lead = MSG[lang]["items"].format(n=len(items)) + ", ".join(items)
            head = span_units[0].text if len(span_units) > 1 and not _is_same_list(span_units, items) else ""
            body = lead + (f" — {_strip_marker(head)}" if head and _strip_marker(head) not in lead else "")
            kind = "list"
        else:
            parts = []
            lead = ""
            for t in qtypes:
                sp = type_spans(unit.text, t) if (t in TYPE_PATTERNS or t == "who") else []
                sp = [x for x in sp if unit.text[x[0] : x[1]].replace(" ", "") not in a.text.replace(" ", "")]
                if sp:
                    best = _nearest(sp, unit, a)
                    lead = unit.text[best[0] : best[1]]
                    break
            for u in span_units:
                first_type = type_spans(u.text, qtypes[0]) if qtypes else []
                s0, e0 = clause(u.text, first_type[0] if first_type else None)
                parts.append(_strip_marker(u.text[s0:e0]))
            body = " / ".join(parts)
            if lead and len(" ".join(u.text for u in span_units)) > 40 and lead not in body[: len(lead) + 2]:
                body = f"{lead} — {body}"
            kind = qtypes[0] if qtypes else "fact"
        same_chunk = [u for u in span_units if u.chunk.id == unit.chunk.id]
        span = (min(u.start for u in same_chunk), max(u.end for u in same_chunk)) if same_chunk else (unit.start, unit.end)
        citations = self._citations([(unit.hit, span)], hits)
        return Answer(question, f"{body} [1]", False, citations, (), kind=kind, query=query, language=lang, items=tuple(items))

    def _compose(self, unit: Unit, units: list[Unit], a: QueryAnalysis, qtypes: list[str], wants_list: bool) -> tuple[list[Unit], list[str]]:
        """The units an answer quotes, and its items when it is a list."""
        chunk = unit.chunk
        same = sorted((u for u in units if u.chunk.id == chunk.id), key=lambda u: u.start)
        idx = next(i for i, u in enumerate(same) if u.start == unit.start)
        text = self._doc_text(chunk.doc_id)
        depths = [depth(u, text) for u in same]
        children = []
        for k in range(idx + 1, len(same)):
            if depths[k] > depths[idx]:
                children.append(same[k])
            else:
                break
        lo = idx
        while lo > 0 and depths[lo - 1] >= depths[idx]:
            lo -= 1
        hi = idx
        while hi + 1 < len(same) and depths[hi + 1] >= depths[idx]:
            hi += 1
        mark = marker(unit.text)
        siblings = [same[k] for k in range(lo, hi + 1) if depths[k] == depths[idx] and mark and marker(same[k].text) == mark]
        focus = set(a.focus)
        heading_terms = set(content_terms(chunk.heading_path[-1])) if chunk.heading_path else set()
        typed = any(t in TYPE_PATTERNS or t == "who" for t in qtypes)
        asks_section = bool(focus) and focus <= heading_terms and not typed
        # a list inside the unit (or the lines under it); the items under a label; the unit's
        # sibling items; the items of the section the question names
        enum_unit = next((u for u in [unit, *children] if enumeration(u.text)), None)
        if enum_unit is not None and not (asks_section and not mark):
            spans = enumeration(enum_unit.text)
            body = _strip_marker(enum_unit.text)
            rest = enum_unit.text
            for s0, e0 in reversed(spans):
                rest = rest[:s0] + rest[e0:]
            rest = re.sub(r"^[^:：]{1,14}[:：]", "", _strip_marker(rest))
            stated = bool(re.search(r"\d", rest))  # "위원수 : 12명이내(…)": a value the list only details
            # the unit is the list ("- 고성, 거제, …"), or a list is asked for; otherwise the list is a
            # detail of a fact and the whole unit answers
            if wants_list or enum_unit is not unit or (len(body) - sum(e - s for s, e in spans) <= 20 and not stated):
                return [unit] + ([enum_unit] if enum_unit is not unit else []), [enum_unit.text[s:e] for s, e in spans]
        if children and (wants_list or _is_label(unit.text) or mark == "【"):
            items = [_strip_marker(u.text) for u in children if depth(u, text)[0] == min(depth(c, text)[0] for c in children)]
            if mark == "【" and chunk.kind == "text":
                items = self._section_items(chunk.doc_id, chunk.section) or items  # all of it, across chunks
            return [unit, *children], items if (wants_list or mark == "【" or len(items) >= 2) else []
        if mark and len(siblings) >= 2 and (wants_list or asks_section):
            return siblings, [_strip_marker(u.text) for u in siblings]
        if asks_section and chunk.kind == "text":
            more = self._section_items(chunk.doc_id, chunk.section)
            if len(more) >= 2:
                return [unit], more
        return [unit], []

    def _section_items(self, doc_id: str, section: int) -> list[str]:
        """The top-level list items of a section (a section asked about as a whole)."""
        rows = self.index.store.query(
            "SELECT text, level FROM blocks WHERE doc_id=? AND section=? AND kind='list_item' ORDER BY idx", (doc_id, section)
        )
        if not rows:
            return []
        top = min(r["level"] for r in rows)
        return [_strip_marker(r["text"]) for r in rows if r["level"] == top]

    def _abstain(self, question: str, query: str, a: QueryAnalysis, hits: list[Hit], confidence: float, feats: dict[str, float]) -> Answer:
        lang = a.language
        if (feats.get("gap_year", 0.0) > 0 or feats.get("year", 0.0) < 0) and a.years:
            msg = MSG[lang]["abstain_year"].format(years=", ".join(str(y) for y in a.years))
        else:
            msg = MSG[lang]["abstain"]
        citations = tuple(self._citation(i + 1, h) for i, h in enumerate(hits[: self.settings.max_citations]))
        return Answer(question, msg, True, citations, (), confidence, kind="abstain", query=query, language=lang)


# -- helpers ---------------------------------------------------------------------------
def conversation_markdown(answers: Sequence[Answer], title: str = "대화 기록") -> str:
    """A conversation as Markdown: each question, its answer and its numbered sources."""
    lines = [f"# {title}", ""]
    for i, a in enumerate(answers, start=1):
        lines += [f"## {i}. {a.question}", ""]
        if a.query and a.query != a.question:
            lines += [f"*질문 해석: {a.query}*", ""]
        lines += [a.text, ""]
        for t in a.tables:
            lines += [f"**{t.title}**" + (f" (단위: {t.unit})" if t.unit else ""), ""]
            if t.columns:
                lines += ["| " + " | ".join(t.columns) + " |", "|" + "---|" * len(t.columns)]
            lines += ["| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in row) + " |" for row in t.rows]
            lines.append("")
        if a.citations:
            lines.append("출처:" if not a.abstained else "가장 가까운 구절:")
            for c in a.citations:
                quote = c.excerpt[c.highlight[0] : c.highlight[1]].replace("\n", " ")
                where = f", {c.locator}" if c.locator else ""
                lines.append(f"[{c.number}] {c.title} — {' > '.join(c.section_path)} ({c.doc_id}, {c.start}–{c.end}자{where}): \"{quote}\"")
            lines.append("")
    return "\n".join(lines)
def _qtypes(own: QueryAnalysis, resolved: QueryAnalysis) -> list[str]:
    from .query import question_types

    types = question_types(own.text, own.language)
    if not types or types == ["what"]:
        types = question_types(resolved.text, resolved.language) or types
    return types


_KO_NUM = {"한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10}


def requested_count(q: str) -> int | None:
    """How many items the question asks for ("세 가지", "4개는", "three regions")."""
    m = re.search(r"(\d{1,2})\s*(?:개|가지|곳|명)(?:는|은|를|을|가|이|만)?\s*(?:[?？]|$|뭐|무엇|알려|나열|말해)", q)
    if m:
        return int(m.group(1))
    m = re.search(r"(한|두|세|네|다섯|여섯|일곱|여덟|아홉|열)\s*(?:가지|개|곳|명)", q)
    if m:
        return _KO_NUM[m.group(1)]
    m = re.search(r"\b(two|three|four|five|six|seven|eight|nine|ten)\b", q.lower())
    return ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"].index(m.group(1)) + 2 if m else None


_MEASURE = re.compile(r"[가-힣]*(?:예산액|집행액|확보액|잔액|이월액|이월|사업비|투자수요|집행잔액|예산현액|최종예산|증감|결산액)")


def evidence_gaps(a: QueryAnalysis, qtypes: list[str], wants_list: bool, f: dict[str, float], evidence: str, answer: Answer) -> dict[str, float]:
    """Binary signs that the chosen evidence does not hold what was asked: the asked year is
    not there, no value of the asked kind, a named place/person/code absent from the index,
    another amount than the one asked (집행액 asked, 예산액 found), only counts where names are
    asked, or a quantity the question specifies (1분기) missing."""
    flat = evidence.replace(" ", "")
    measures = [m.group() for m in _MEASURE.finditer(a.text)]
    measure_gap = any(m.removesuffix("액") not in flat for m in measures) if measures and a.language == "ko" else False
    specs = [t for t in a.content if re.fullmatch(r"\d+(?:분기|월|차|회|개|명|건|층|호)", t)]
    return {
        "gap_spec": float(any(t not in flat for t in specs)),
        "gap_year": float(f.get("year", 0.0) < 0 or f.get("doc_year", 0.0) < 0),
        "gap_typed": float(f.get("typed_q", 0.0) > 0 and f.get("typed", 0.0) < 0.5),
        "gap_entity": float(f.get("missing_entity", 0.0) > 0),
        "gap_measure": float(measure_gap),
        # names asked ("명단은?"), only counts given ("16개", "광역3")
        "gap_list": float(wants_list and bool(answer.items) and all(
            (len(it) <= 8 and re.search(r"\d", it)) or _COUNT_ITEM.search(it) for it in answer.items)),
    }


def _filter_items(items: list[str], question: str, n: int) -> list[str]:
    """"민관협치 사업 5개가 뭐야?" over 8 items: keep the 5 that mention what is counted."""
    m = re.search(r"([가-힣A-Za-z][가-힣A-Za-z ]{1,30}?)\s*(?:\d+|한|두|세|네|다섯|여섯|일곱)\s*(?:개|가지|곳|명)", question)
    if not m:
        return items
    words = [w for w in re.findall(r"[가-힣A-Za-z]{2,}", m.group(1))]
    for term in [m.group(1).replace(" ", ""), *sorted(words, key=len, reverse=True)]:
        kept = [it for it in items if term in it.replace(" ", "")]
        if len(kept) == n:
            return kept
    return items


def _wants_list(q: str, a: QueryAnalysis) -> bool:
    if a.language == "en":
        low = q.lower()
        plural = re.search(r"\b(?:which|what)\s+(?:(?:two|three|four|five|six|seven|\d+)\s+)?(\w+s)\b", low)
        return bool(re.search(r"\b(list|all|what are|which are)\b", low)) or bool(plural and not plural.group(1).endswith("ss"))
    return requested_count(q) not in (None, 1) or any(c in q for c in _LIST_CUES) or bool(re.search(r"\d+\s*(개|가지|곳)\s*(는|은|를|을|가|이)?\s*[?？]?$", q)) or bool(
        re.search(r"(분야|지자체|자치단체|구들|사업들|항목)(는|은|를|을|가|이)?\s*[?？]?$", q)
    )


def _strip_marker(text: str) -> str:
    text = re.sub(r"^[^:：\n]{1,14}[:：]\s*(?=[□■○●❍◦\-–·▸‣▹•※‧])", "", text.lstrip())
    return re.sub(r"^\s*(?:[□■○●❍◦\-–·▸‣▹•※‧]|\d{1,2}[.)]|[가-하][.)])\s*", "", text).strip()


def _is_label(text: str) -> bool:
    t = _strip_marker(text)
    return len(t) <= 16 and not re.search(r"[.다음함임]$", t)


def _is_same_list(units: list[Unit], items: list[str]) -> bool:
    return all(_strip_marker(u.text) in items for u in units)


def _nearest(spans: list[tuple[int, int]], unit: Unit, a: QueryAnalysis) -> tuple[int, int]:
    """The typed span closest to where the question's words occur in the unit."""
    positions = [m.start() for t in a.content if len(t) >= 2 for m in re.finditer(re.escape(t.rstrip("다")), unit.text)]
    if not positions:
        return spans[0]
    return min(spans, key=lambda s: min(abs(s[0] - p) for p in positions))


def _table_items(m: TableMatch) -> int:
    if m.items:
        return len(m.items)
    text = " ".join(_cell(m.table, r, j).text for r, j in m.cells)
    return max(1, len(re.findall(r"(?:^|\s)[○●❍\-▸]\s", " " + text)))


def _cell(t: Table, r: int, j: int):
    if r < 0:
        from .records import Cell

        return Cell(t.columns[j] if j < len(t.columns) else "", t.start, t.end)
    from .tablelookup import _value_cell

    return _value_cell(t, r, j)


def _row_span(hit: Hit, t: Table, row: int) -> tuple[int, int] | None:
    if hit.chunk.table == t.index and hit.chunk.row == row:
        return (0, len(hit.chunk.text))
    return None
