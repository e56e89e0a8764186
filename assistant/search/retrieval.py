"""Hybrid retrieval: BM25 over Kiwi morphemes and dense search, found by the index's search
backend (local FAISS + BM25 arrays, or Milvus), and their fusion."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..index import Embedder, SearchIndex, allowed_documents
from ..lexicon import DOC_NUMBER
from ..records import Filters, Hit
from .fusion import DEFAULT_FUSION, Fusion, load_fusion, select
from .names import NameIndex
from .query import QueryAnalysis, analyse, language
from .rerank import Reranker, shared_reranker

log = logging.getLogger(__name__)

UNITS = ("passage", "document")


@dataclass(frozen=True)
class RetrievalSettings:
    """``fusion``: ``fitted`` (the weight ``assistant fit-fusion`` fitted, kept in
    ``assistant/data/fusion.json``; the default fusion when there is none), ``convex`` (``norm``,
    lexical share ``bm25_weight / (bm25_weight + dense_weight)``), ``rrf`` or ``weighted`` (the
    earlier fixed min-max sum). ``unit``: rank passages, or documents by their passages
    (``aggregate`` ``max`` or ``decay``) with their passages grouped under them."""

    top_k: int = 8
    candidates: int = 50
    fusion: str = "fitted"
    bm25_weight: float = 0.6
    dense_weight: float = 0.4
    rrf_k: int = 60
    norm: str = "zscore"
    unit: str = "passage"
    aggregate: str = "decay"
    decay: float = 0.5
    per_document: int = 3  # passages kept under each document (unit "document")
    fusion_file: str = ""  # the fitted fusion to use ("": assistant/data/fusion.json)
    reranker: str = ""  # a cross-encoder's name or folder: reorders the best passages ("": off)
    rerank_candidates: int = 20  # passages the reranker reorders
    device: str = "cpu"

    def resolve_fusion(self) -> Fusion:
        """The :class:`Fusion` these settings describe."""
        if self.fusion == "fitted":
            return load_fusion(self.fusion_file or None)
        total = self.bm25_weight + self.dense_weight
        share = self.bm25_weight / total if total > 0 else DEFAULT_FUSION.weight
        return Fusion(self.fusion, self.norm, share, self.rrf_k, {"how": "configured"})


class Retriever:
    """Searches one loaded index with one embedder (the one the index was built with)."""

    def __init__(self, index: SearchIndex, embedder: Embedder, settings: RetrievalSettings | None = None,
                 fusion: Fusion | None = None, reranker: Reranker | None = None):
        index.check_model(embedder.key)
        self.index = index
        self.embedder = embedder
        self.settings = settings or RetrievalSettings()
        if self.settings.unit not in UNITS:
            raise ValueError(f"unknown retrieval unit {self.settings.unit!r}; choose one of {', '.join(UNITS)}")
        self.fusion = fusion or self.settings.resolve_fusion()
        self.reranker = reranker or (shared_reranker(self.settings.reranker, self.settings.device) if self.settings.reranker else None)
        self._doc_of: dict[int, str] | None = None
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
        """The documents ``filters`` allow, in index order (``None``: no filter)."""
        return allowed_documents([self.index.documents[d] for d in self.index.doc_order], filters)

    # -- searching ------------------------------------------------------------------
    def bm25(self, analysis: QueryAnalysis, k: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        return self.index.backend.lexical(list(analysis.terms), k, filters)

    def dense(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        return self.index.backend.dense(vector, k, filters)

    def search(
        self,
        query: str | QueryAnalysis,
        k: int | None = None,
        filters: Filters | None = None,
        mode: str = "hybrid",
        vector: np.ndarray | None = None,
        unit: str | None = None,
        rerank: bool | None = None,
    ) -> list[Hit]:
        """The ``k`` best chunks for ``query`` with their fused and per-system scores. With
        ``unit="document"``: the passages of the ``k`` best documents (at most
        ``per_document`` each), grouped under their document in its rank order. ``rerank``
        (default: hybrid searches, when a reranker is configured): the first
        ``rerank_candidates`` passages reordered by the reranker."""
        analysis = self.analyse(query) if isinstance(query, str) else query
        k = k or self.settings.top_k
        unit = unit or self.settings.unit
        lex, den = self.candidates(analysis, max(k, self.settings.candidates), filters, mode, vector)
        if mode == "bm25":
            fused = dict(lex)
        elif mode == "dense":
            fused = dict(den)
        else:
            fused = self.fuse(lex, den, analysis.language)
        st = self.settings
        top = select(fused, k, unit, self.doc_of, st.aggregate, st.decay, st.per_document)
        chunks = self.index.store.chunks([cid for cid, _ in top])
        lex_d, den_d = dict(lex), dict(den)
        hits = []
        for cid, score in top:
            if cid not in chunks:
                continue
            hits.append(Hit(chunks[cid], float(score), len(hits) + 1, lexical=float(lex_d.get(cid, 0.0)), dense=float(den_d.get(cid, 0.0))))
        if self.reranker is not None and (rerank if rerank is not None else mode == "hybrid"):
            hits = self.reranker.rerank(analysis.text, hits, self.settings.rerank_candidates)
        return hits

    def candidates(
        self,
        analysis: QueryAnalysis,
        n: int,
        filters: Filters | None = None,
        mode: str = "hybrid",
        vector: np.ndarray | None = None,
    ) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
        """The ``n`` best lexical and dense candidates ``(chunk id, score)`` (a side is empty when
        ``mode`` does not use it)."""
        named = self.named_documents(analysis.text)
        if named and not (filters and filters.doc_ids):
            # a question naming a document by its number is about that document
            narrowed = replace(filters or Filters(), doc_ids=named)
            if self.allowed_docs(narrowed):
                filters = narrowed
        if mode in ("dense", "hybrid") and vector is None:
            vector = self.embedder.embed_query(analysis.text)
        # the backend (local or Milvus) finds the candidates; fusing them is ours, the same for every backend
        return self.index.backend.candidates(
            list(analysis.terms) if mode in ("bm25", "hybrid") else None, vector if mode in ("dense", "hybrid") else None, n, filters)

    def doc_of(self, chunk_id: int) -> str:
        """The document a chunk belongs to."""
        if self._doc_of is None:
            self._doc_of = dict(self.index.store.chunk_doc_ids())
        return self._doc_of[chunk_id]

    def fuse(self, lex: Sequence[tuple[int, float]], den: Sequence[tuple[int, float]], lang: str = "") -> dict[int, float]:
        return self.fusion(lex, den, lang)

