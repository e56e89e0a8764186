"""BM25 and fusion as plain functions, checked against hand-computed values (no models)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assistant.index.lexical import BM25Index, bm25_weights, term_counts, top_k
from assistant.search.fusion import minmax, ranked, rrf, weighted

DOCS = [
    (0, ["예산", "협약", "예산"]),
    (1, ["협약", "지자체"]),
    (2, ["회의", "분과", "회의", "회의"]),
]


def _bm25(tf: int, dl: int, avgdl: float, df: int, n: int, k1: float = 1.2, b: float = 0.75) -> float:
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))


def test_term_counts_sum_repeats():
    tf = term_counts([[0, 1, 0], [2]], 3).toarray()
    assert tf.tolist() == [[2, 1, 0], [0, 0, 1]]


def test_weights_match_the_formula():
    index = BM25Index.build(DOCS)
    v = index.vocab
    w = index.weights.toarray()
    avgdl = (3 + 2 + 4) / 3
    assert w[0, v["예산"]] == pytest.approx(_bm25(2, 3, avgdl, 1, 3), rel=1e-5)
    assert w[0, v["협약"]] == pytest.approx(_bm25(1, 3, avgdl, 2, 3), rel=1e-5)
    assert w[2, v["회의"]] == pytest.approx(_bm25(3, 4, avgdl, 1, 3), rel=1e-5)
    assert w[1, v["예산"]] == 0.0


def test_search_ranks_and_ignores_unknown_terms():
    index = BM25Index.build(DOCS)
    hits = index.search(["협약", "예산", "없는말"], k=5)
    assert [cid for cid, _ in hits] == [0, 1]
    assert index.search(["없는말"], k=5) == []
    mask = np.array([False, True, True])
    assert [cid for cid, _ in index.search(["협약", "예산"], k=5, mask=mask)] == [1]


def test_update_equals_a_fresh_build():
    first = BM25Index.build(DOCS)
    added = [(3, ["협약", "분과", "신규"]), (4, ["예산"])]
    updated = first.updated([1], added)
    fresh = BM25Index.build([d for d in DOCS if d[0] != 1] + added)
    assert updated.ids.tolist() == fresh.ids.tolist() == [0, 2, 3, 4]
    for query in (["협약"], ["예산", "분과"], ["신규"], ["지자체"], ["회의", "협약"]):
        assert np.allclose(updated.scores(query), fresh.scores(query), atol=1e-6), query


def test_update_rejects_ids_out_of_order():
    with pytest.raises(ValueError):
        BM25Index.build(DOCS).updated([], [(1, ["예산"])])


def test_save_and_load_round_trip(tmp_path):
    index = BM25Index.build(DOCS)
    index.save(tmp_path)
    plain = BM25Index.load(tmp_path)
    assert plain.counts is None
    with_counts = BM25Index.load(tmp_path, counts=True)
    assert np.allclose(with_counts.counts.toarray(), index.counts.toarray())
    assert np.allclose(plain.scores(["예산", "회의"]), index.scores(["예산", "회의"]))


def test_top_k_keeps_only_positive_scores_in_order():
    idx, sc = top_k(np.array([0.0, 3.0, 1.0, 2.0, 0.0]), 2)
    assert idx.tolist() == [1, 3] and sc.tolist() == [3.0, 2.0]
    idx, _ = top_k(np.array([0.0, 0.0]), 3)
    assert idx.size == 0


def test_weights_direct_from_counts():
    tf = term_counts([[0, 0], [1]], 2)
    w = bm25_weights(tf, k1=1.2, b=0.0).toarray()
    idf = math.log(1 + (2 - 1 + 0.5) / (1 + 0.5))
    assert w[0, 0] == pytest.approx(idf * 2 * 2.2 / (2 + 1.2), rel=1e-5)


def test_rrf_by_hand():
    fused = rrf([[10, 20], [20, 30]], k=60)
    assert fused[20] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[10] == pytest.approx(1 / 61)
    assert [d for d, _ in ranked(fused)] == [20, 10, 30]
    weighted_rrf = rrf([[10], [20]], [0.75, 0.25], k=0)
    assert weighted_rrf == {10: 0.75, 20: 0.25}


def test_weighted_fusion_by_hand():
    assert minmax({1: 2.0, 2: 4.0}) == {1: 0.0, 2: 1.0}
    assert minmax({1: 2.0, 2: 4.0}, floor=0.0) == {1: 0.5, 2: 1.0}
    fused = weighted([{1: 2.0, 2: 4.0}, {1: 0.9, 3: 0.5}], [0.6, 0.4], floors=[0.0, None])
    assert fused[1] == pytest.approx(0.6 * 0.5 + 0.4 * 1.0)
    assert fused[2] == pytest.approx(0.6)
    assert fused[3] == pytest.approx(0.0)
