"""The search backend interface without an engine: the factory, tie-breaking at the cut, the
term statistics and BM25 split into document and query sides, Milvus filter expressions."""

from __future__ import annotations

import random

import numpy as np
import pytest

from assistant.index import BackendSettings, TermStats, create_backend
from assistant.index.backends import best
from assistant.index.backends import milvus as mv
from assistant.index.backends.local import LocalBackend
from assistant.index.lexical import BM25Index
from assistant.records import Filters

DOCS = [
    (0, ["예산", "협약", "예산"]),
    (1, ["협약", "지자체"]),
    (2, ["회의", "분과", "회의", "회의"]),
    (3, []),
    (4, ["협약", "지자체"]),
    (5, ["2024", "예산", "청년", "수당", "지급"]),
]


def test_factory_names_and_refuses_unknown_backends():
    assert isinstance(create_backend(), LocalBackend) and isinstance(create_backend("local"), LocalBackend)
    assert isinstance(create_backend(BackendSettings("milvus", "http://127.0.0.1:1")), mv.MilvusBackend)  # connects only when used
    with pytest.raises(ValueError, match=r"unknown search backend 'faiss'.*local, milvus"):
        create_backend("faiss")
    assert "secret" not in repr(BackendSettings("milvus", token="secret"))


def test_best_breaks_ties_by_chunk_id_whatever_the_engine_returns():
    scores = {i: float(10 - i // 4) for i in range(40)}  # groups of four equal scores

    def engine(seed):
        def fetch(m):
            rng = random.Random(seed * 1000 + m)
            items = sorted(scores.items(), key=lambda kv: (-kv[1], rng.random()))  # ties in any order
            return items[:m]
        return fetch

    expected = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    for k in (1, 3, 4, 6, 13, 40, 60):
        results = {tuple(best(engine(seed), k)) for seed in range(5)}
        assert results == {tuple(expected[:k])}, k
    calls = []
    assert best(lambda m: calls.append(m) or [(1, 1.0)] * 0, 5) == [] and calls == [13]
    assert best(engine(0), 0) == []


def test_a_big_tie_at_the_cut_is_fetched_whole():
    items = [(i, 2.0) for i in range(3)] + [(i, 1.0) for i in range(3, 100)]
    calls = []

    def fetch(m):
        calls.append(m)
        return list(reversed(items[:3])) + list(reversed(items[3:]))[:m - 3]  # the tie group in reverse id order

    assert [c for c, _ in best(fetch, 5)] == [0, 1, 2, 3, 4]
    assert calls[-1] >= 100


def test_term_stats_update_equals_a_fresh_count():
    first = TermStats.build(t for _, t in DOCS[:4])
    updated = first.updated([DOCS[1][1]], [t for _, t in DOCS[4:]])
    fresh = TermStats.build([DOCS[0][1], DOCS[2][1], DOCS[3][1], DOCS[4][1], DOCS[5][1]])
    assert (updated.n_docs, updated.total_length) == (fresh.n_docs, fresh.total_length) == (5, 14)
    assert {t: updated.frequency(t) for t in fresh.vocab} == {t: fresh.frequency(t) for t in fresh.vocab}
    assert updated.avgdl == pytest.approx(14 / 5)
    with pytest.raises(ValueError):
        first.updated([["없던말"] * 3] * 9, [])


def test_term_stats_read_like_the_bm25_index(tmp_path):
    index = BM25Index.build(DOCS)
    stats = TermStats.of(index)
    assert len(stats) == len(index) and stats.vocab == index.vocab
    assert np.array_equal(stats.weights.indptr, index.weights.indptr)  # what the answer layer counts frequencies from
    stats.save(tmp_path)
    again = TermStats.load(tmp_path)
    assert again.vocab == stats.vocab and np.array_equal(again.df, stats.df) and again.total_length == 16


def test_document_times_query_weights_is_the_local_bm25():
    """The split Milvus relies on: doc weights (tf part) · query weights (idf) = BM25Index scores."""
    index = BM25Index.build(DOCS)
    stats = TermStats.build(t for _, t in DOCS)
    for query in (["협약"], ["예산", "예산", "협약"], ["회의", "분과", "없는말"], ["2024", "청년", "수당"]):
        q = stats.query_weights(query)
        for row, (_cid, terms) in enumerate(DOCS):
            d = stats.doc_weights(terms)
            got = sum(w * q.get(t, 0.0) for t, w in d.items())
            assert got == pytest.approx(float(index.scores(query)[row]), rel=1e-6, abs=1e-6), (query, row)
    assert stats.query_weights(["없는말"]) == {}


def test_term_dimensions_fit_milvus():
    dims = {mv.term_dim(t) for t in ["예산", "협약", "2024", "a", ""]}
    assert all(0 <= d < mv.EMPTY_DIM for d in dims) and len(dims) == 5
    assert mv.term_dim("예산") == mv.term_dim("예산")


def _reader(departments):
    be = mv.MilvusBackend(BackendSettings("milvus", "http://127.0.0.1:1"))
    be.visible, be.departments = "id < 10 and until > 1", departments
    return be


def test_milvus_filter_expressions():
    be = _reader(sorted(["", "대외협력과", "청년정책과", "청년일자리팀"]))
    assert be.expression(None) == "id < 10 and until > 1" == be.expression(Filters())
    expr = be.expression(Filters(doc_ids=('따옴표"와 \\역슬래시.txt', "100%_완료.hwp"), doc_types=("budget",), years=(2023, 2024), departments=("청년",)))
    assert expr == ('id < 10 and until > 1 and doc_id in ["따옴표\\"와 \\\\역슬래시.txt", "100%_완료.hwp"] and doc_type in ["budget"] '
                    'and (years_tag like "%|2023|%" or years_tag like "%|2024|%") and department in ["청년일자리팀", "청년정책과"]')
    assert be.expression(Filters(departments=("없는부서",))) is None and be.expression(Filters(departments=("",))) is None
    assert mv.collection_base("assistant", "index/main") == "assistant_main"
    assert mv.collection_base("x", "/tmp/평가-index.v2") == "x____index_v2"
