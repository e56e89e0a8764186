"""Fusion, document ranking and the fusion fit as plain functions, checked by hand (no models)."""

import math

import pytest

from assistant.eval.fitfusion import Sample, fit, measure, objective
from assistant.eval.metrics import passage_ndcg_at_k, passage_recall_at_k, passage_relevant
from assistant.search.fusion import (
    DEFAULT_FUSION,
    Fusion,
    convex,
    grouped,
    load_fusion,
    rank_documents,
    ranked,
    select,
    zscore,
)


def test_zscore_and_convex_by_hand():
    z = zscore({1: 1.0, 2: 3.0})
    assert z == {1: -1.0, 2: 1.0}
    assert zscore({1: 2.0, 2: 2.0}) == {1: 0.0, 2: 0.0}
    # lexical min-max {1: 0, 2: 1}; dense min-max {1: 1, 3: 0}; 3 is missing lexically -> the list's lowest (0)
    fused = convex({1: 2.0, 2: 4.0}, {1: 0.9, 3: 0.5}, 0.25, "minmax")
    assert fused == pytest.approx({1: 0.75, 2: 0.25 + 0.75 * 0.0, 3: 0.0})
    # z-score: a chunk missing from the dense list gets that list's lowest z (-1), not 0 (its mean)
    fz = convex({1: 1.0, 2: 3.0}, {1: 0.9, 3: 0.1}, 0.5, "zscore")
    assert fz == pytest.approx({1: 0.0, 2: 0.0, 3: -1.0})
    with pytest.raises(ValueError, match="weight"):
        convex({1: 1.0}, {}, 1.5)


def test_fusion_record_methods_and_scale():
    lex, den = [(2, 4.0), (1, 2.0)], [(1, 0.9), (3, 0.5)]  # best first, as a backend returns them
    z = Fusion("convex", "zscore", 0.5)(lex, den)
    assert all(0.0 < s < 1.0 for s in z.values())  # logistic of the z combination: same order, one scale
    assert ranked(z)[0][0] == 1
    assert Fusion("rrf", "minmax", 0.5, 60)(lex, den)[1] == pytest.approx(0.5 / 62 + 0.5 / 61)
    w = Fusion("weighted", "minmax", 0.6)(lex, den)
    assert w == pytest.approx({1: 0.6 * 0.5 + 0.4 * 1.0, 2: 0.6, 3: 0.0})
    assert Fusion("convex", "minmax", 1.0)([], den) == dict(den)  # no lexical match: dense alone
    with pytest.raises(ValueError, match="fusion"):
        Fusion("mean")
    back = Fusion.from_json(Fusion("convex", "minmax", 0.35, fitted={"how": "x"}).to_json())
    assert (back.method, back.norm, back.weight, back.fitted) == ("convex", "minmax", 0.35, {"how": "x"})


def test_fitted_fusion_file_and_default(tmp_path):
    assert load_fusion(str(tmp_path / "missing.json")) == DEFAULT_FUSION
    path = Fusion("convex", "minmax", 0.7, fitted={"turns": 3}).save(tmp_path / "fusion.json")
    got = load_fusion(str(path))
    assert got.weight == 0.7 and got.fitted == {"turns": 3}
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    assert load_fusion(str(tmp_path / "bad.json")) == DEFAULT_FUSION


def test_documents_ranked_by_their_passages():
    scores = {1: 0.9, 2: 0.8, 3: 0.7, 4: 0.1, 5: 0.85}
    doc_of = {1: "a", 2: "b", 3: "b", 4: "b", 5: "c"}
    by_max = rank_documents(scores, doc_of, "max")
    assert [d.doc_id for d in by_max] == ["a", "c", "b"]
    # decayed sum (shifted so the lowest candidate counts 0): b = 0.7 + 0.5*0.6 + 0.25*0 = 1.0 beats a = 0.8 and c = 0.75
    by_decay = rank_documents(scores, doc_of, "decay", 0.5)
    assert [d.doc_id for d in by_decay] == ["b", "a", "c"]
    assert by_decay[0].score == pytest.approx(1.0)
    assert [c for c, _ in by_decay[0].passages] == [2, 3, 4]
    # passages grouped under their document, at most two each, until five
    assert [c for c, _ in grouped(by_decay, 5, 2)] == [2, 3, 1, 5]
    assert [c for c, _ in select(scores, 2, "document", doc_of, "decay", 0.5, 2)] == [2, 3, 1]
    assert [c for c, _ in select(scores, 2, "passage")] == [1, 5]
    with pytest.raises(ValueError, match="aggregate"):
        rank_documents(scores, doc_of, "mean")


def test_passage_metrics_by_hand():
    assert passage_relevant("총 사업비는 1,194 백만원", ["1,194백만원"])
    assert not passage_relevant("총 사업비", ["1,194백만원", ""])
    assert passage_recall_at_k([5, 6, 7], {7}, 2) == 0.0 and passage_recall_at_k([5, 6, 7], {7}, 3) == 1.0
    # relevant {6, 9}: one found at rank 2; ideal ranks both first
    assert passage_ndcg_at_k([5, 6, 7], {6, 9}, 10) == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))


def _sample(i: int, lexical_right: bool) -> Sample:
    """A turn whose gold passage (10·i) is first in one list and fourth in the other."""
    gold = 10 * i
    right = [(gold, 9.0), (gold + 1, 8.0), (gold + 2, 7.0), (gold + 3, 6.0)]
    wrong = [(gold + 1, 0.9), (gold + 2, 0.8), (gold + 3, 0.7), (gold, 0.6)]
    lex, den = (right, wrong) if lexical_right else ([(c, s / 10) for c, s in wrong], [(c, s / 10) for c, s in right])
    doc_of = {gold: f"d{i}", gold + 1: f"x{i}", gold + 2: f"y{i}", gold + 3: f"z{i}"}
    return Sample(f"q{i}", "set", "-", f"d{i}", False, "?", (f"d{i}",), frozenset({gold}), lex, den, doc_of)


def test_fit_recovers_the_side_that_is_right_and_cross_validates():
    # lexical is right on 9 turns of 10: the fitted weight leans lexical, and every fold agrees
    dev = [_sample(i, lexical_right=i % 10 != 0) for i in range(40)]
    fusion, info = fit(dev, folds=4)
    assert fusion.weight > 0.5
    m = measure(dev[1], fusion(dev[1].lexical, dev[1].dense))
    assert m["recall@5"] == 1.0 and m["p_recall@5"] == 1.0 and objective(m) > 0.9
    assert len(info["folds_chosen"]) == 4 and info["turns"] == 40 and info["groups"] == 40
    assert info["cross_validated"]["ndcg@10"] >= 0.9
    # dense right on most turns: the weight leans dense
    fusion2, _ = fit([_sample(i, lexical_right=i % 10 == 0) for i in range(40)], folds=4)
    assert fusion2.weight < 0.5 or fusion2.method == "rrf"


def test_a_language_fitted_apart_gets_its_own_weight(tmp_path):
    f = Fusion("convex", "minmax", 0.8, by_language={"en": 0.2})
    lex, den = [(1, 5.0), (2, 1.0)], [(2, 0.9), (1, 0.1)]
    assert ranked(f(lex, den, "ko"))[0][0] == 1 and ranked(f(lex, den, "en"))[0][0] == 2
    assert f.weight_for("ja") == 0.8
    back = load_fusion(str(f.save(tmp_path / "f.json")))
    assert back.by_language == {"en": 0.2} and "en:0.20" in back.label
    with pytest.raises(ValueError, match="weight"):
        Fusion("convex", "minmax", 0.5, by_language={"en": 2.0})


def test_language_weights_are_kept_only_when_they_cross_validate_better():
    # English turns are right on the dense side, Korean ones on the lexical side: a weight each
    dev = [_sample(i, lexical_right=True) for i in range(30)] + [_sample(100 + i, lexical_right=False) for i in range(20)]
    for s in dev[30:]:
        s.language = "en"
    fusion, info = fit(dev, folds=5)
    assert fusion.weight > 0.5 and fusion.weight_for("en") < 0.5
    assert info["cross_validated"]["objective"] > info["cross_validated_one_weight"]["objective"]
    # every language alike: one weight
    same = [_sample(i, lexical_right=i % 10 != 0) for i in range(50)]
    for s in same[25:]:
        s.language = "en"
    assert fit(same, folds=5)[0].by_language == {}
