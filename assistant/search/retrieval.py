"""Hybrid retrieval: BM25 over Kiwi morphemes, dense FAISS search, and their fusion."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..index import Embedder, SearchIndex
from ..lexicon import DOC_NUMBER
from ..records import Filters, Hit
from .fusion import ranked, rrf, weighted
from .names import NameIndex
from .query import QueryAnalysis, analyse, language

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class RetrievalSettings:
    top_k: int = 8
    candidates: int = 50
    fusion: str = "weighted"
    bm25_weight: float = 0.6
    dense_weight: float = 0.4
    rrf_k: int = 60


class Retriever:
    """Searches one loaded index with one embedder (the one the index was built with)."""

    def __init__(self, index: SearchIndex, embedder: Embedder, settings: RetrievalSettings | None = None):
        index.check_model(embedder.key)
        self.index = index
        self.embedder = embedder
        self.settings = settings or RetrievalSettings()
        self._names: NameIndex | None = None
        self.numbers: dict[str, list[str]] = {}  # 문서번호 → the documents that carry it
        for doc_id in index.doc_order:
            number = index.documents[doc_id].get("number") or ""
            if number:
                self.numbers.setdefault(number, []).append(doc_id)

    def named_documents(self, text: str) -> tuple[str, ...]:
        """The indexed documents whose number (처리과명-일련번호) ``text`` names: "청년사업담당관-381 문서의 …"."""
        out: list[str] = []
        for m in DOC_NUMBER.finditer(text):
            out += [d for d in self.numbers.get(f"{m.group('office')}-{m.group('serial')}", ()) if d not in out]
        return tuple(out)

    @property
    def names(self) -> NameIndex:
        """The index's words by their romanisation (built on first use: only English questions need it)."""
        if self._names is None:
            self._names = NameIndex(self.index.bm25.vocab)
        return self._names

    def analyse(self, question: str) -> QueryAnalysis:
        """The question analysed against this index (English names matched to its words)."""
        return analyse(question, self.names if language(question) == "en" else None)

    # -- filters --------------------------------------------------------------------
    def allowed_docs(self, filters: Filters | None) -> list[str] | None:
        if not filters:
            return None
        out = []
        for doc_id in self.index.doc_order:
            d = self.index.documents[doc_id]
            if filters.doc_ids and doc_id not in filters.doc_ids:
                continue
            if filters.doc_types and d["doc_type"] not in filters.doc_types and d.get("kind", "") not in filters.doc_types:
                continue
            if filters.years and not set(filters.years) & set(d["years"]):
                continue
            if filters.departments and not any(dep and dep in d["department"] for dep in filters.departments):
                continue
            if not filters.admits_date(d.get("date")):
                continue
            out.append(doc_id)
        return out

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """Boolean mask over chunks (in id order) allowed by ``filters``; ``None`` = all."""
        docs = self.allowed_docs(filters)
        if docs is None:
            return None
        pos = {d: i for i, d in enumerate(self.index.doc_order)}
        return np.isin(self.index.chunk_doc, np.asarray([pos[d] for d in docs], dtype=np.int32))

    # -- searching ------------------------------------------------------------------
    def bm25(self, analysis: QueryAnalysis, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        return self.index.bm25.search(list(analysis.terms), k, mask)

    def dense(self, vector: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        allowed = self.index.chunk_ids[mask] if mask is not None else None
        return self.index.dense.search(vector, k, allowed)

    def search(
        self,
        query: str | QueryAnalysis,
        k: int | None = None,
        filters: Filters | None = None,
        mode: str = "hybrid",
        vector: np.ndarray | None = None,
    ) -> list[Hit]:
        """The ``k`` best chunks for ``query`` with their fused and per-system scores."""
        analysis = self.analyse(query) if isinstance(query, str) else query
        k = k or self.settings.top_k
        n = max(k, self.settings.candidates)
        named = self.named_documents(analysis.text)
        if named and not (filters and filters.doc_ids):
            # a question naming a document by its number is about that document
            narrowed = replace(filters or Filters(), doc_ids=named)
            if self.allowed_docs(narrowed):
                filters = narrowed
        m = self.mask(filters)
        if m is not None and not m.any():
            return []
        lex: list[tuple[int, float]] = []
        den: list[tuple[int, float]] = []
        if mode in ("bm25", "hybrid"):
            lex = self.bm25(analysis, n, m)
        if mode in ("dense", "hybrid"):
            if vector is None:
                vector = self.embedder.embed_query(analysis.text)
            den = self.dense(vector, n, m)
        if mode == "bm25":
            fused = dict(lex)
        elif mode == "dense":
            fused = dict(den)
        else:
            fused = self.fuse(lex, den)
        top = ranked(fused, k)
        chunks = self.index.store.chunks([cid for cid, _ in top])
        lex_d, den_d = dict(lex), dict(den)
        hits = []
        for rank, (cid, score) in enumerate(top, start=1):
            if cid not in chunks:
                continue
            hits.append(Hit(chunks[cid], float(score), rank, lexical=float(lex_d.get(cid, 0.0)), dense=float(den_d.get(cid, 0.0))))
        return hits

    def fuse(self, lex: Sequence[tuple[int, float]], den: Sequence[tuple[int, float]]) -> dict[int, float]:
        s = self.settings
        if s.fusion == "rrf":
            return rrf([[c for c, _ in lex], [c for c, _ in den]], [s.bm25_weight, s.dense_weight], s.rrf_k)
        if not lex:  # nothing matched lexically (e.g. an untranslatable English question): dense alone
            return dict(den)
        return weighted([dict(lex), dict(den)], [s.bm25_weight, s.dense_weight], floors=[0.0, None])
