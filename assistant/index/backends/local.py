"""The default backend: FAISS and BM25 arrays in the generation folder, searched in process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...records import Filters
from ..dense import DenseIndex, ivf_lists
from ..lexical import BM25Index, TermStats
from ..store import Store
from .base import Candidates, Changes, SearchBackend, Written, allowed_documents

log = logging.getLogger(__name__)


class LocalBackend(SearchBackend):
    """``dense.faiss`` (:class:`~assistant.index.DenseIndex`) and ``bm25*.npz``
    (:class:`~assistant.index.BM25Index`) beside ``store.sqlite``."""

    name = "local"

    bm25: BM25Index
    dense_index: DenseIndex

    # -- writing ---------------------------------------------------------------------
    def write(self, changes: Changes) -> Written:
        dense = self._dense(changes)
        dense.save(changes.folder)
        bm25 = self._bm25(changes)
        bm25.save(changes.folder)
        return Written(dense.info(), {"k1": bm25.k1, "b": bm25.b, "terms": len(bm25.vocab)}, {"name": self.name})

    @staticmethod
    def _bm25(ch: Changes) -> BM25Index:
        """The previous BM25 index updated with the changed chunks, or one built from the store."""
        new_terms = [(c.id, t) for c, t in zip(ch.added, ch.added_terms, strict=True)]
        if ch.previous is not None and (ch.previous / "bm25.npz").exists():
            try:
                old = BM25Index.load(ch.previous, counts=True)
                if old.counts is not None:
                    return old.updated(ch.removed, new_terms)
            except (OSError, ValueError) as exc:
                log.warning("rebuilding BM25 from the store: %s", exc)
        return BM25Index.build(ch.store.iter_terms())

    @staticmethod
    def _dense(ch: Changes) -> DenseIndex:
        """The previous FAISS index updated in place where possible, else one built from the cache."""
        s = ch.dense
        total = ch.store.counts()["chunks"]
        kind = s.kind_for(total)
        new_ids = np.asarray([c.id for c in ch.added], dtype=np.int64)
        prev = ch.previous_dense
        if ch.previous is not None and prev is not None and prev.get("kind") == kind and (ch.previous / "dense.faiss").exists():
            dense = DenseIndex.load(ch.previous, prev, s)
            dense.remove(ch.removed)
            # an IVF index keeps the lists it was trained with: retrain once it has grown 4x past them
            outgrown = kind == "ivf" and ivf_lists(total) > 2 * int(prev.get("nlist", 1))
            if dense.tombstone_ratio <= 0.25 and not outgrown:
                dense.add(new_ids, ch.added_vectors)
                return dense
        # full rebuild from the cache (new index, kind change, or too many tombstones)
        dense = DenseIndex.create(ch.dim, kind, s, expected=total)
        rows = ch.store.chunk_hashes()
        if rows:
            ids = np.asarray([r[0] for r in rows], dtype=np.int64)
            dense.add(ids, ch.vectors(rows))
        return dense

    # -- reading ---------------------------------------------------------------------
    def open(self, folder: Path, manifest: Any, store: Store, documents: Sequence[Mapping[str, Any]]) -> None:
        self.bm25 = BM25Index.load(folder)
        self.dense_index = DenseIndex.load(folder, manifest.dense)
        self.documents = list(documents)
        pos = {d["id"]: i for i, d in enumerate(self.documents)}
        self.chunk_doc = np.asarray([pos[d] for _, d in store.chunk_doc_ids()], dtype=np.int32)
        self._masks: dict[Filters, np.ndarray] = {}
        self._lock = threading.Lock()
        self._stats: TermStats | None = None

    @property
    def terms(self) -> BM25Index:
        return self.bm25

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """Boolean mask over chunks (in id order) allowed by ``filters``; ``None`` = all."""
        if not filters:
            return None
        with self._lock:
            m = self._masks.get(filters)
        if m is None:
            docs = allowed_documents(self.documents, filters) or []
            pos = {d["id"]: i for i, d in enumerate(self.documents)}
            m = np.isin(self.chunk_doc, np.asarray([pos[d] for d in docs], dtype=np.int32))
            with self._lock:  # the last few filters: a question's lexical and dense search share one
                if len(self._masks) >= 16:
                    self._masks.pop(next(iter(self._masks)))
                self._masks[filters] = m
        return m

    def lexical(self, terms: Sequence[str], k: int, filters: Filters | None = None) -> Candidates:
        m = self.mask(filters)
        if m is not None and not m.any():
            return []
        return self.bm25.search(list(terms), k, m)

    def dense(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> Candidates:
        m = self.mask(filters)
        if m is not None and not m.any():
            return []
        allowed = self.bm25.ids[m] if m is not None else None
        return self.dense_index.search(vector, k, allowed)

    def ids(self) -> np.ndarray:
        return self.bm25.ids

    def check(self, sql_ids: np.ndarray, dim: int) -> list[str]:
        problems = []
        if not np.array_equal(sql_ids, self.bm25.ids):
            problems.append(f"SQLite has {sql_ids.size} chunks, BM25 {self.bm25.ids.size}")
        dense_ids = self.dense_index.live_ids()
        if not np.array_equal(sql_ids, np.sort(dense_ids)):
            problems.append(f"SQLite has {sql_ids.size} chunks, FAISS {dense_ids.size}")
        if self.dense_index.dim != dim:
            problems.append(f"FAISS dimension {self.dense_index.dim} != model dimension {dim}")
        return problems
