"""BM25 over Kiwi content morphemes, as plain functions over sparse arrays (bm25s style).

Scores are computed eagerly at build time: ``weights[d, t]`` holds the BM25 contribution
of term ``t`` to document ``d``, so a query is a sum of a few sparse columns.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from scipy import sparse


def term_counts(rows: Sequence[Sequence[int]], n_terms: int) -> sparse.csr_matrix:
    """Term-frequency matrix (documents × terms) from term-id lists; repeats are summed."""
    n_docs = len(rows)
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.fromiter((len(r) for r in rows), dtype=np.int64, count=n_docs), out=indptr[1:])
    indices = np.fromiter((t for r in rows for t in r), dtype=np.int32, count=int(indptr[-1]))
    tf = sparse.csr_matrix((np.ones(indices.size, dtype=np.float32), indices, indptr), shape=(n_docs, n_terms))
    tf.sum_duplicates()
    return tf


def bm25_weights(tf: sparse.csr_matrix, k1: float = 1.2, b: float = 0.75) -> sparse.csc_matrix:
    """BM25 weight matrix (documents × terms) from term counts (Lucene's idf, always positive)."""
    n_docs, n_terms = tf.shape
    lengths = np.asarray(tf.sum(axis=1)).ravel().astype(np.float64)
    df = np.bincount(tf.indices, minlength=n_terms).astype(np.float64)
    idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
    avgdl = float(lengths.mean()) if n_docs else 1.0
    doc_of = np.repeat(np.arange(n_docs), np.diff(tf.indptr))
    norm = k1 * (1.0 - b + b * lengths[doc_of] / max(avgdl, 1e-9))
    tfv = tf.data.astype(np.float64)
    w = sparse.csr_matrix(((tfv * (k1 + 1.0) / (tfv + norm) * idf[tf.indices]).astype(np.float32), tf.indices, tf.indptr), shape=tf.shape)
    return w.tocsc()


def bm25_scores(weights: sparse.csc_matrix, term_ids: Sequence[int]) -> np.ndarray:
    """Score every document for a query given as term ids (repeats count)."""
    scores = np.zeros(weights.shape[0], dtype=np.float32)
    for t in term_ids:
        a, z = weights.indptr[t], weights.indptr[t + 1]
        scores[weights.indices[a:z]] += weights.data[a:z]  # rows are unique within a column
    return scores


def top_k(scores: np.ndarray, k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Indices and scores of the ``k`` best positive scores (optionally within ``mask``)."""
    s = scores if mask is None else np.where(mask, scores, 0.0)
    nz = np.flatnonzero(s > 0)
    if nz.size == 0:
        return nz, s[nz]
    if nz.size > k:
        part = nz[np.argpartition(-s[nz], k - 1)[:k]]
    else:
        part = nz
    order = part[np.argsort(-s[part], kind="stable")]
    return order, s[order]


class BM25Index:
    """BM25 over chunk ids; rows are in ascending chunk-id order.

    The raw term counts are kept beside the weights (``bm25_counts.npz``) so that an update
    only analyses the changed chunks: rows are dropped and appended and the weights are
    recomputed with array operations, never by re-reading every chunk's terms.
    """

    def __init__(self, ids: np.ndarray, vocab: dict[str, int], weights: sparse.csc_matrix, k1: float, b: float,
                 counts: sparse.csr_matrix | None = None):
        self.ids = ids
        self.vocab = vocab
        self.weights = weights
        self.k1 = k1
        self.b = b
        self.counts = counts

    @classmethod
    def build(cls, docs: Iterable[tuple[int, list[str]]], k1: float = 1.2, b: float = 0.75) -> BM25Index:
        vocab: dict[str, int] = {}
        ids: list[int] = []
        rows: list[list[int]] = []
        for cid, terms in docs:
            ids.append(cid)
            rows.append([vocab.setdefault(t, len(vocab)) for t in terms])
        counts = term_counts(rows, max(len(vocab), 1))
        return cls(np.asarray(ids, dtype=np.int64), vocab, bm25_weights(counts, k1, b), k1, b, counts)

    def updated(self, removed: Iterable[int], added: Sequence[tuple[int, list[str]]]) -> BM25Index:
        """A new index without the ``removed`` chunk ids and with the ``added`` chunks
        (whose ids must be larger than every kept id). Needs the counts (see :meth:`load`)."""
        if self.counts is None:
            raise ValueError("this BM25 index was loaded without its term counts")
        keep = ~np.isin(self.ids, np.fromiter(removed, dtype=np.int64))
        vocab = dict(self.vocab)
        rows = [[vocab.setdefault(t, len(vocab)) for t in terms] for _, terms in added]
        ids = np.concatenate([self.ids[keep], np.asarray([cid for cid, _ in added], dtype=np.int64)])
        if ids.size > 1 and np.any(np.diff(ids) <= 0):
            raise ValueError("added chunk ids must come after the kept ones")
        n_terms = max(len(vocab), 1)
        old = self.counts[np.flatnonzero(keep)]
        old = sparse.csr_matrix((old.data, old.indices, old.indptr), shape=(old.shape[0], n_terms))
        counts = sparse.vstack([old, term_counts(rows, n_terms)], format="csr")
        return BM25Index(ids, vocab, bm25_weights(counts, self.k1, self.b), self.k1, self.b, counts)

    def __len__(self) -> int:
        return int(self.ids.size)

    def term_ids(self, terms: Iterable[str]) -> list[int]:
        return [self.vocab[t] for t in terms if t in self.vocab]

    def search(self, terms: Sequence[str], k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """``(chunk id, score)`` of the best ``k`` chunks; unknown terms are ignored."""
        tids = self.term_ids(terms)
        if not tids:
            return []
        idx, sc = top_k(bm25_scores(self.weights, tids), k, mask)
        return [(int(self.ids[i]), float(s)) for i, s in zip(idx, sc, strict=True)]

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        return bm25_scores(self.weights, self.term_ids(terms))

    def save(self, folder: Path) -> None:
        np.savez(
            folder / "bm25.npz",
            ids=self.ids,
            data=self.weights.data,
            indices=self.weights.indices,
            indptr=self.weights.indptr,
            shape=np.asarray(self.weights.shape),
            params=np.asarray([self.k1, self.b]),
        )
        if self.counts is not None:
            c = self.counts
            np.savez(folder / "bm25_counts.npz", data=c.data.astype(np.uint16), indices=c.indices, indptr=c.indptr, shape=np.asarray(c.shape))
        vocab = sorted(self.vocab, key=self.vocab.__getitem__)
        (folder / "bm25_vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, counts: bool = False) -> BM25Index:
        """Load for searching; ``counts=True`` also loads the term counts (for :meth:`updated`)."""
        z = np.load(folder / "bm25.npz")
        shape = tuple(int(x) for x in z["shape"])
        weights = sparse.csc_matrix((z["data"], z["indices"], z["indptr"]), shape=shape)
        vocab_list = json.loads((folder / "bm25_vocab.json").read_text(encoding="utf-8"))
        k1, b = (float(x) for x in z["params"])
        tf = None
        if counts and (folder / "bm25_counts.npz").exists():
            c = np.load(folder / "bm25_counts.npz")
            tf = sparse.csr_matrix((c["data"].astype(np.float32), c["indices"], c["indptr"]), shape=tuple(int(x) for x in c["shape"]))
        return cls(z["ids"].astype(np.int64), {t: i for i, t in enumerate(vocab_list)}, weights, k1, b, tf)


def bm25_idf(n_docs: int, df: np.ndarray | int) -> np.ndarray:
    """Lucene's BM25 idf, ``ln(1 + (N - df + 0.5) / (df + 0.5))`` (always positive), as in :func:`bm25_weights`."""
    df = np.asarray(df, dtype=np.float64)
    return np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


def bm25_doc_weights(terms: Sequence[str], avgdl: float, k1: float = 1.2, b: float = 0.75) -> dict[str, float]:
    """The document side of BM25 for one chunk, ``tf·(k1+1) / (tf + k1·(1−b+b·dl/avgdl))`` per term:
    :func:`bm25_weights` without the idf. An engine that scores by inner product (Milvus sparse
    vectors) multiplies it by the query side :meth:`TermStats.query_weights` and gets BM25 exactly."""
    tf = Counter(terms)
    norm = k1 * (1.0 - b + b * len(terms) / max(avgdl, 1e-9))
    return {t: c * (k1 + 1.0) / (c + norm) for t, c in tf.items()}


class _DfColumns:
    """Column pointers of a BM25 matrix without its entries: ``indptr[t+1] - indptr[t]`` is the
    document frequency of term ``t``, which is all that readers of ``BM25Index.weights`` use
    when the postings live in another engine."""

    def __init__(self, df: np.ndarray):
        self.indptr = np.concatenate([[0], np.cumsum(df, dtype=np.int64)])


class TermStats:
    """The corpus side of BM25 without its postings: the vocabulary, how many chunks hold each
    term, how many chunks there are and how long they are. Enough to weigh a query (idf) and a
    new chunk (length normalisation) when the postings are kept by a search engine; small
    (a few MB for a million terms), so it stays with the document store on one machine.

    Like :class:`BM25Index`, it answers ``vocab``, ``len()`` and ``weights.indptr`` (document
    frequencies), so the answer layer's term statistics read the same from either."""

    def __init__(self, vocab: dict[str, int], df: np.ndarray, n_docs: int, total_length: int, k1: float = 1.2, b: float = 0.75):
        self.vocab = vocab
        self.df = np.asarray(df, dtype=np.int64)
        self.n_docs = int(n_docs)
        self.total_length = int(total_length)
        self.k1 = k1
        self.b = b

    @classmethod
    def build(cls, docs: Iterable[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> TermStats:
        """From every chunk's terms (repeats count towards the length)."""
        return cls({}, np.zeros(0, dtype=np.int64), 0, 0, k1, b).updated((), docs)

    def updated(self, removed: Iterable[Sequence[str]], added: Iterable[Sequence[str]]) -> TermStats:
        """Without the chunks ``removed`` and with the chunks ``added`` (each given by its terms).
        The vocabulary only grows, as :meth:`BM25Index.updated`'s does: a removed term keeps its
        id with frequency 0."""
        vocab = dict(self.vocab)
        delta: Counter[int] = Counter()
        n, total = self.n_docs, self.total_length
        for terms in removed:
            n -= 1
            total -= len(terms)
            delta.update({vocab[t]: -1 for t in set(terms) if t in vocab})
        for terms in added:
            n += 1
            total += len(terms)
            delta.update({vocab.setdefault(t, len(vocab)): 1 for t in set(terms)})
        df = np.zeros(len(vocab), dtype=np.int64)
        df[: self.df.size] = self.df
        if delta:
            ids = np.fromiter(delta.keys(), dtype=np.int64, count=len(delta))
            df[ids] += np.fromiter(delta.values(), dtype=np.int64, count=len(delta))
        if n < 0 or total < 0 or (df < 0).any():
            raise ValueError("removed chunks that were never added")
        return TermStats(vocab, df, n, total, self.k1, self.b)

    @classmethod
    def of(cls, index: BM25Index) -> TermStats:
        """The statistics of a local BM25 index (lengths are known only when it was loaded with its counts)."""
        df = np.diff(index.weights.indptr).astype(np.int64)
        total = int(index.counts.sum()) if index.counts is not None else 0
        return cls(index.vocab, df, len(index), total, index.k1, index.b)

    def __len__(self) -> int:
        return self.n_docs

    @property
    def avgdl(self) -> float:
        return self.total_length / self.n_docs if self.n_docs else 1.0

    @property
    def weights(self) -> _DfColumns:
        return _DfColumns(self.df)

    def frequency(self, term: str) -> int:
        i = self.vocab.get(term)
        return int(self.df[i]) if i is not None else 0

    def query_weights(self, terms: Sequence[str]) -> dict[str, float]:
        """The query side of BM25: ``idf(t)`` per known term, counted as often as the query repeats
        it (as :meth:`BM25Index.search` does); terms no chunk holds are left out."""
        out: dict[str, float] = {}
        for t in terms:
            df = self.frequency(t)
            if df > 0:
                out[t] = out.get(t, 0.0) + float(bm25_idf(self.n_docs, df))
        return out

    def doc_weights(self, terms: Sequence[str], avgdl: float | None = None) -> dict[str, float]:
        """:func:`bm25_doc_weights` of one chunk with these statistics' ``k1``, ``b`` and average length."""
        return bm25_doc_weights(terms, self.avgdl if avgdl is None else avgdl, self.k1, self.b)

    def save(self, folder: Path) -> None:
        np.savez(folder / "bm25_stats.npz", df=self.df, sizes=np.asarray([self.n_docs, self.total_length], dtype=np.int64),
                 params=np.asarray([self.k1, self.b]))
        vocab = sorted(self.vocab, key=self.vocab.__getitem__)
        (folder / "bm25_vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> TermStats:
        z = np.load(folder / "bm25_stats.npz")
        vocab_list = json.loads((folder / "bm25_vocab.json").read_text(encoding="utf-8"))
        n, total = (int(x) for x in z["sizes"])
        k1, b = (float(x) for x in z["params"])
        if len(vocab_list) != z["df"].size:
            raise ValueError(f"term statistics in {folder} are inconsistent: {len(vocab_list)} terms, {z['df'].size} frequencies")
        return cls({t: i for i, t in enumerate(vocab_list)}, z["df"], n, total, k1, b)
