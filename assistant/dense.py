"""FAISS inner-product index over normalised vectors, keyed by chunk id.

Exact search (``IndexFlatIP``) for small collections, HNSW above a configurable size.
HNSW cannot remove vectors: removed ids are kept as tombstones and excluded at search
time until the next full rebuild.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# Below this many allowed ids a filtered HNSW search scores the allowed vectors exactly.
_EXACT_SUBSET = 20_000


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - a hard dependency
        raise ImportError("faiss is required: pip install faiss-cpu") from exc
    return faiss


class DenseIndex:
    """A FAISS ``IndexIDMap2`` (flat or HNSW) plus the set of tombstoned ids."""

    def __init__(self, index: Any, kind: str, deleted: Sequence[int] = (), ef_search: int = 128):
        self.index = index
        self.kind = kind
        self.deleted = np.asarray(sorted(set(int(i) for i in deleted)), dtype=np.int64)
        self.ef_search = ef_search

    @classmethod
    def create(cls, dim: int, kind: str = "flat", m: int = 32, ef_construction: int = 120, ef_search: int = 128) -> DenseIndex:
        faiss = _faiss()
        if kind == "hnsw":
            base = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
            base.hnsw.efConstruction = ef_construction
            base.hnsw.efSearch = ef_search
        elif kind == "flat":
            base = faiss.IndexFlatIP(dim)
        else:
            raise ValueError(f"unknown dense index kind {kind!r}")
        return cls(faiss.IndexIDMap2(base), kind, (), ef_search)

    @property
    def dim(self) -> int:
        return int(self.index.d)

    def all_ids(self) -> np.ndarray:
        return _faiss().vector_to_array(self.index.id_map).astype(np.int64)

    def live_ids(self) -> np.ndarray:
        ids = self.all_ids()
        return np.setdiff1d(ids, self.deleted) if self.deleted.size else np.sort(ids)

    def __len__(self) -> int:
        return int(self.index.ntotal) - int(self.deleted.size)

    def add(self, ids: np.ndarray, vectors: np.ndarray, threads: int = 2) -> None:
        if len(ids) == 0:
            return
        faiss = _faiss()
        faiss.omp_set_num_threads(threads)
        self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    def remove(self, ids: Sequence[int]) -> None:
        if not len(ids):
            return
        arr = np.asarray(list(ids), dtype=np.int64)
        if self.kind == "flat":
            self.index.remove_ids(arr)
        else:
            self.deleted = np.union1d(self.deleted, arr)

    @property
    def tombstone_ratio(self) -> float:
        return float(self.deleted.size) / max(int(self.index.ntotal), 1)

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        return self.index.reconstruct_batch(np.asarray(ids, dtype=np.int64))

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, threads: int = 1) -> list[tuple[int, float]]:
        """``(chunk id, cosine)`` of the ``k`` nearest chunks, optionally only among ``allowed`` ids."""
        faiss = _faiss()
        faiss.omp_set_num_threads(threads)
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        if allowed is not None:
            allowed = np.setdiff1d(np.asarray(allowed, dtype=np.int64), self.deleted) if self.deleted.size else np.asarray(allowed, dtype=np.int64)
            if allowed.size == 0:
                return []
            if self.kind == "hnsw" and allowed.size <= _EXACT_SUBSET:
                sims = self.vectors(allowed) @ q[0]
                order = np.argsort(-sims)[:k]
                return [(int(allowed[i]), float(sims[i])) for i in order]
            sel = faiss.IDSelectorBatch(allowed)
        elif self.deleted.size:
            sel = faiss.IDSelectorNot(faiss.IDSelectorBatch(self.deleted))
        else:
            sel = None
        k = min(k, max(len(self), 1))
        if self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(sel=sel, efSearch=max(self.ef_search, k)) if sel is not None else faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k))
        else:
            params = faiss.SearchParameters(sel=sel) if sel is not None else None
        scores, ids = self.index.search(q, k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def save(self, folder: Path) -> None:
        _faiss().write_index(self.index, str(folder / "dense.faiss"))

    @classmethod
    def load(cls, folder: Path, kind: str, deleted: Sequence[int] = (), ef_search: int = 128) -> DenseIndex:
        index = _faiss().read_index(str(folder / "dense.faiss"))
        return cls(index, kind, deleted, ef_search)
