"""FAISS inner-product index over normalised vectors, keyed by chunk id.

Exact search (``IndexFlatIP``) below a configurable size, an approximate index above it:
IVF by default, HNSW on request. ``assistant bench`` measured why IVF is the default: on
collections with many near-duplicate chunks (the same budget description year after year)
HNSW's graph stays below 0.7 recall@10 even with a large ``efSearch``, while IVF keeps the
near-duplicates in one list and reaches exact search's top 10 with a few dozen probes.

HNSW cannot remove vectors: removed ids are kept as tombstones and excluded at search time
until the next full rebuild. Flat and IVF indexes remove them for real.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

KINDS = ("flat", "ivf", "hnsw")

# Below this many allowed ids a filtered approximate search scores the allowed vectors exactly.
_EXACT_SUBSET = 20_000


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - a hard dependency
        raise ImportError("faiss is required: pip install faiss-cpu") from exc
    return faiss


@dataclass(frozen=True)
class DenseSettings:
    """How the dense index is built and searched."""

    approximate: str = "ivf"  # the kind used from ``approx_threshold`` chunks on: "ivf" or "hnsw"
    approx_threshold: int = 50_000
    ivf_nprobe: int = 32
    hnsw_m: int = 32
    ef_construction: int = 120
    ef_search: int = 128

    def kind_for(self, n_chunks: int) -> str:
        if self.approximate not in ("ivf", "hnsw"):
            raise ValueError(f"unknown approximate index {self.approximate!r}: use 'ivf' or 'hnsw'")
        return self.approximate if n_chunks >= self.approx_threshold else "flat"


def ivf_lists(n: int) -> int:
    """Number of IVF lists for ``n`` vectors: about 4·√n, with at least 39 training points each."""
    return max(1, min(int(4 * math.sqrt(max(n, 1))), n // 39))


class DenseIndex:
    """A FAISS index (flat and HNSW inside ``IndexIDMap2``, IVF with its own ids) plus the
    tombstoned ids and the search-time parameter (``efSearch`` or ``nprobe``)."""

    def __init__(self, index: Any, kind: str, deleted: Sequence[int] = (), search_param: int = 0):
        if kind not in KINDS:
            raise ValueError(f"unknown dense index kind {kind!r}")
        self.index = index
        self.kind = kind
        self.deleted = np.asarray(sorted(set(int(i) for i in deleted)), dtype=np.int64)
        self.search_param = search_param

    @classmethod
    def create(cls, dim: int, kind: str, settings: DenseSettings | None = None, expected: int = 0) -> DenseIndex:
        """An empty index; an IVF index is trained on the first vectors added (``expected`` sizes its lists)."""
        faiss = _faiss()
        s = settings or DenseSettings()
        if kind == "hnsw":
            base = faiss.IndexHNSWFlat(dim, s.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            base.hnsw.efConstruction = s.ef_construction
            base.hnsw.efSearch = s.ef_search
            return cls(faiss.IndexIDMap2(base), kind, (), s.ef_search)
        if kind == "ivf":
            quantizer = faiss.IndexFlatIP(dim)
            ivf = faiss.IndexIVFFlat(quantizer, dim, ivf_lists(expected), faiss.METRIC_INNER_PRODUCT)
            ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct and remove by chunk id
            return cls(ivf, kind, (), s.ivf_nprobe)
        if kind == "flat":
            return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), kind)
        raise ValueError(f"unknown dense index kind {kind!r}")

    @property
    def dim(self) -> int:
        return int(self.index.d)

    def all_ids(self) -> np.ndarray:
        faiss = _faiss()
        if self.kind != "ivf":
            return faiss.vector_to_array(self.index.id_map).astype(np.int64)
        lists = self.index.invlists
        parts = [faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy() for i in range(self.index.nlist) if lists.list_size(i)]
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)

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
        x = np.ascontiguousarray(vectors, dtype=np.float32)
        if self.kind == "ivf" and not self.index.is_trained:
            n_train = min(len(x), 64 * self.index.nlist)
            sample = x[np.random.default_rng(0).permutation(len(x))[:n_train]] if n_train < len(x) else x
            self.index.train(sample)
        self.index.add_with_ids(x, np.asarray(ids, dtype=np.int64))

    def remove(self, ids: Sequence[int]) -> None:
        if not len(ids):
            return
        arr = np.asarray(list(ids), dtype=np.int64)
        if self.kind == "hnsw":
            self.deleted = np.union1d(self.deleted, arr)
        else:
            self.index.remove_ids(arr)

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
            params = faiss.SearchParametersHNSW(efSearch=max(self.search_param, k))
        elif self.kind == "ivf":
            # a small allowed subset is searched in every list, i.e. exactly
            probe = self.index.nlist if allowed is not None and allowed.size <= _EXACT_SUBSET else self.search_param
            params = faiss.SearchParametersIVF(nprobe=max(1, min(probe, self.index.nlist)))
        else:
            params = faiss.SearchParameters()
        if sel is not None:
            params.sel = sel
        scores, ids = self.index.search(q, k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def info(self) -> dict[str, Any]:
        """What the manifest records about this index."""
        out: dict[str, Any] = {"kind": self.kind, "deleted": self.deleted.tolist()}
        if self.kind == "hnsw":
            out["ef_search"] = self.search_param
        elif self.kind == "ivf":
            out.update(nprobe=self.search_param, nlist=int(self.index.nlist))
        return out

    def save(self, folder: Path) -> None:
        _faiss().write_index(self.index, str(folder / "dense.faiss"))

    @classmethod
    def load(cls, folder: Path, info: dict[str, Any], settings: DenseSettings | None = None) -> DenseIndex:
        """Load the index described by the manifest's ``info``; ``settings`` override the search parameter."""
        faiss = _faiss()
        index = faiss.read_index(str(folder / "dense.faiss"))
        kind = info.get("kind", "flat")
        s = settings or DenseSettings()
        if kind == "ivf":
            param = s.ivf_nprobe if settings else int(info.get("nprobe", s.ivf_nprobe))
        elif kind == "hnsw":
            param = s.ef_search if settings else int(info.get("ef_search", s.ef_search))
        else:
            param = 0
        return cls(index, kind, info.get("deleted", ()), param)
