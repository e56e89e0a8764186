"""The search backend interface: where the chunk vectors and BM25 postings of an index
generation are kept, and how candidates are found in them.

Every backend keeps the same chunk ids as the SQLite store (documents, chunks, tables), which
stays the document store whatever the backend. A backend returns two candidate lists, lexical
(BM25) and dense, as ``(chunk id, score)``; fusing them and everything after is the caller's
(``assistant.search``), so every backend fuses and answers identically.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ...records import Chunk, Filters
from ..dense import DenseSettings
from ..lexical import TermStats
from ..store import Store

#: ``(chunk id, score)``, best first
Candidates = list[tuple[int, float]]


class BackendError(RuntimeError):
    """The search engine cannot be reached, or does not hold what the index says it does."""


@dataclass(frozen=True)
class BackendSettings:
    """Which backend keeps the vectors and postings, and how to reach it.

    ``uri``, ``collection`` and ``token`` are for engines that run as a service (Milvus); the
    local backend ignores them."""

    name: str = "local"  # "local" (FAISS + BM25 arrays in the index folder) or "milvus"
    uri: str = ""  # e.g. "http://127.0.0.1:19530", or a path ending in ".db" (Milvus Lite inside this process)
    collection: str = "assistant"  # prefix of the collection names; the index folder's name is appended
    token: str | None = field(default=None, repr=False)  # "user:password" or an API key

    @classmethod
    def from_config(cls, cfg: Any) -> BackendSettings:
        """From a :class:`~assistant.config.Config` (its ``[search]`` section)."""
        s = cfg.search
        return cls(s.backend, s.uri, s.collection, s.token or None)


@dataclass
class Changes:
    """What one build changed, for a backend to write into the new generation.

    ``store`` already holds the new generation's chunks (with their terms); ``removed`` and
    ``added`` are the difference from the previous generation, whose folder and manifest
    sections are given so a backend can update instead of rewriting."""

    folder: Path  # the new generation's folder (not yet live)
    store: Store
    previous: Path | None  # the previous generation's folder; None: write everything
    previous_dense: Mapping[str, Any] | None  # the previous manifest's "dense" section
    previous_backend: Mapping[str, Any] | None  # the previous manifest's "backend" section
    removed: Sequence[int]  # chunk ids of removed or changed documents
    added: Sequence[Chunk]  # the new chunks, ids ascending and above every kept id
    added_terms: Sequence[list[str]]
    added_vectors: np.ndarray
    next_chunk_id: int
    dim: int
    dense: DenseSettings
    #: vectors of stored chunks given as ``(id, text hash, index text)``: from the embedding
    #: cache, embedding what is missing (for writing everything again)
    vectors: Callable[[Sequence[tuple[int, bytes, str]]], np.ndarray]


@dataclass(frozen=True)
class Written:
    """What a backend wrote, as the manifest records it."""

    dense: dict[str, Any]
    bm25: dict[str, Any]
    backend: dict[str, Any]


class SearchBackend(ABC):
    """Vectors and BM25 postings of one index generation: written by a build, searched by a
    loaded index. Create one with :func:`create_backend`."""

    name: ClassVar[str]

    def __init__(self, settings: BackendSettings | None = None):
        self.settings = settings or BackendSettings(self.name)

    # -- writing (inside a build, before the generation goes live) -------------------
    @abstractmethod
    def write(self, changes: Changes) -> Written:
        """Write the new generation's vectors, postings and term statistics. Must leave every
        committed generation answering as before if it fails or is killed midway."""

    def committed(self, root: Path, current: Mapping[str, Any], keep: Sequence[Mapping[str, Any]]) -> None:
        """Called once the generation whose manifest has the backend section ``current`` is
        live in the index folder ``root``; ``keep`` are the sections of the generations that
        may still be read. A backend drops here what none of them uses."""

    # -- reading ---------------------------------------------------------------------
    @abstractmethod
    def open(self, folder: Path, manifest: Any, store: Store, documents: Sequence[Mapping[str, Any]]) -> None:
        """Load the generation in ``folder`` (its :class:`~assistant.index.Manifest`, SQLite store
        and document records, in id order) for searching."""

    @property
    @abstractmethod
    def terms(self) -> TermStats | Any:
        """Term statistics of the generation (``vocab``, ``len()``, ``weights.indptr``)."""

    @abstractmethod
    def lexical(self, terms: Sequence[str], k: int, filters: Filters | None = None) -> Candidates:
        """The ``k`` best chunks by BM25 over ``terms`` (repeats count; unknown terms are ignored),
        among the documents ``filters`` allow; only chunks with a positive score."""

    @abstractmethod
    def dense(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> Candidates:
        """The ``k`` chunks whose vectors have the largest inner product with ``vector``."""

    def candidates(self, terms: Sequence[str] | None, vector: np.ndarray | None, k: int,
                   filters: Filters | None = None) -> tuple[Candidates, Candidates]:
        """Both candidate lists, each the ``k`` best with ties broken by chunk id (a side is
        skipped when its query is ``None``). Engines order equal scores as they like, and many
        chunks tie (repeated wording): broken here, the same way for every backend, the lists
        and everything fused from them do not depend on the engine."""
        lex = best(lambda m: self.lexical(terms, m, filters), k) if terms is not None else []
        den = best(lambda m: self.dense(vector, m, filters), k) if vector is not None else []
        return lex, den

    @abstractmethod
    def ids(self) -> np.ndarray:
        """Every searchable chunk id, ascending (checked against SQLite on load)."""

    @abstractmethod
    def check(self, sql_ids: np.ndarray, dim: int) -> list[str]:
        """Problems that make this generation unusable with the SQLite chunk ids ``sql_ids``
        and the model dimension ``dim`` (empty when consistent)."""

    def close(self) -> None:
        """Release what :meth:`open` took."""


def best(fetch: Callable[[int], Candidates], k: int) -> Candidates:
    """The ``k`` best of ``fetch(m)`` (the ``m`` best by score, in any order among equal scores),
    equal scores ordered by chunk id: fetches more until the group tied with the ``k``-th is complete."""
    if k <= 0:
        return []
    m = k + 8
    while True:
        got = fetch(m)
        if len(got) < m:  # everything there is
            break
        scores = sorted((s for _, s in got), reverse=True)
        if scores[k - 1] > scores[-1]:  # every chunk tied with the k-th scores above the last one fetched
            break
        m *= 2
    return sorted(got, key=lambda c: (-c[1], c[0]))[:k]


def allowed_documents(documents: Sequence[Mapping[str, Any]], filters: Filters | None) -> list[str] | None:
    """Ids of the documents ``filters`` allow, in the given order (``None``: no filter). A
    department matches when a filter's department is part of the document's; a type matches the
    document's type or its 공문서 kind; a date range admits the documents dated inside it."""
    if not filters:
        return None
    out = []
    for d in documents:
        if filters.doc_ids and d["id"] not in filters.doc_ids:
            continue
        if filters.doc_types and d["doc_type"] not in filters.doc_types and d.get("kind", "") not in filters.doc_types:
            continue
        if filters.years and not set(filters.years) & set(d["years"]):
            continue
        if filters.departments and not any(dep and dep in d["department"] for dep in filters.departments):
            continue
        if not filters.admits_date(d.get("date")):
            continue
        out.append(d["id"])
    return out
