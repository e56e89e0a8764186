"""The FAISS wrapper on random unit vectors (no models): exact, IVF and HNSW."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.index.dense import DenseIndex, DenseSettings, ivf_lists


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    x = np.random.default_rng(0).normal(size=(3000, 32)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


IDS = np.arange(100, 3100, dtype=np.int64)


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_search_remove_filter_and_reload(kind, vectors, tmp_path):
    index = DenseIndex.create(32, kind, DenseSettings(ivf_nprobe=64), expected=len(vectors))
    index.add(IDS, vectors)
    assert index.search(vectors[10], 3)[0][0] == 110
    index.remove([110, 111])
    assert len(index) == 2998 and 110 not in index.search(vectors[10], 5)
    assert index.live_ids().size == 2998 and 110 not in set(index.live_ids().tolist())
    assert np.allclose(index.vectors(np.array([120]))[0], vectors[20])
    assert {cid for cid, _ in index.search(vectors[0], 5, allowed=np.array([500, 600, 700]))} == {500, 600, 700}
    assert index.search(vectors[0], 5, allowed=np.array([110])) == []  # only a removed id allowed
    index.save(tmp_path)
    again = DenseIndex.load(tmp_path, index.info())
    assert again.kind == kind and len(again) == 2998
    assert again.search(vectors[30], 1)[0][0] == 130


def test_ivf_recall_against_exact(vectors):
    exact = DenseIndex.create(32, "flat")
    exact.add(IDS, vectors)
    ivf = DenseIndex.create(32, "ivf", DenseSettings(ivf_nprobe=ivf_lists(len(vectors))), expected=len(vectors))
    ivf.add(IDS, vectors)
    queries = vectors[:50] + 0.1
    for q in queries:  # probing every list is exact search
        assert [c for c, _ in ivf.search(q, 10)] == [c for c, _ in exact.search(q, 10)]


def test_kind_for_threshold():
    s = DenseSettings(approximate="ivf", approx_threshold=100)
    assert s.kind_for(99) == "flat" and s.kind_for(100) == "ivf"
    with pytest.raises(ValueError):
        DenseSettings(approximate="annoy").kind_for(1000)


def test_ivf_lists_have_enough_training_points():
    assert ivf_lists(100_000) == 1264
    assert ivf_lists(1000) * 39 <= 1000
