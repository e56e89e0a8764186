"""The answer ranker: exported trees and logistic models score like scikit-learn, the choice
rule, the calibration and the file format."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.answer import CONFIDENCE_FEATURES, FEATURES, Logistic, Ranker, RankerError, Trees, choose, feature_matrix
from assistant.eval.train import MODEL_FEATURES, TurnData, choose_threshold, fit_model, group_folds, outcomes, trees_of
from assistant.records import Evidence


def _data(n: int = 600, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 6))
    # an interaction a linear model cannot express: right when typed and asked, or covered
    y = (((x[:, 0] > 0.5) & (x[:, 1] > 0.5)) | (x[:, 2] > 0.85)).astype(float)
    return x, y


def test_exported_trees_score_like_scikit_learn():
    from sklearn.ensemble import HistGradientBoostingClassifier

    x, y = _data()
    clf = HistGradientBoostingClassifier(max_iter=40, max_depth=4, random_state=0).fit(x, y)
    trees = trees_of(clf)
    assert np.allclose(trees.raw(x), clf.decision_function(x), atol=1e-9)
    again = Trees.from_json(json.loads(json.dumps(trees.to_json())))
    assert np.allclose(again.raw(x), clf.decision_function(x), atol=1e-9)


def test_logistic_model_scores_like_scikit_learn():
    x, y = _data()
    model = fit_model(x, y, "logistic")
    assert isinstance(model, Logistic)
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    ref = LogisticRegression(C=1.0, max_iter=2000).fit((x - mean) / scale, y)
    assert np.allclose(model.raw(x), ref.decision_function((x - mean) / scale), atol=1e-6)


def test_trees_learn_what_a_line_cannot():
    x, y = _data()
    for kind, floor in (("trees", 0.95), ("logistic", 0.0)):
        model = fit_model(x[:400], y[:400], kind)
        acc = ((model.raw(x[400:]) > 0) == (y[400:] > 0)).mean()
        assert acc >= floor, (kind, acc)


def test_ranker_round_trip_and_probabilities(tmp_path):
    names = ("cover", "typed")
    n = len(CONFIDENCE_FEATURES)
    margin = np.zeros(n)
    margin[CONFIDENCE_FEATURES.index("margin")] = 4.0
    confidence = Logistic(margin, -1.0, np.zeros(n), np.ones(n))
    ranker = Ranker(names, Logistic(np.array([2.0, 1.0]), -1.0, np.zeros(2), np.ones(2)), confidence, 0.4, {})
    path = ranker.save(tmp_path / "r.json")
    loaded = Ranker.from_json(json.loads(path.read_text()))
    ev = [Evidence(cover=1.0, typed=1.0), Evidence()]
    p = loaded.probabilities(ev)
    assert p[0] == pytest.approx(1 / (1 + np.exp(-2.0))) and p[1] == pytest.approx(1 / (1 + np.exp(1.0)))
    # the confidence grows with the chosen candidate's lead over the next one
    margin_p = p[0] - p[1]
    assert loaded.confidence(p, 0, ev[0]) == pytest.approx(1 / (1 + np.exp(-(4.0 * margin_p - 1.0))))
    assert loaded.confidence([0.5, 0.5], 0, ev[0]) < loaded.confidence(p, 0, ev[0])
    assert loaded.threshold_for(None) == 0.4 and loaded.threshold_for(0.7) == 0.7


def test_ranker_refuses_unknown_features():
    data = Ranker.uniform(("cover",)).to_json()
    data["features"] = ["no_such_feature"]
    with pytest.raises(RankerError, match="does not compute"):
        Ranker.from_json(data)


def test_feature_matrix_follows_the_record():
    m = feature_matrix([Evidence(cover=0.5, year=-1.0)], FEATURES)
    assert m[0, FEATURES.index("cover")] == 0.5 and m[0, FEATURES.index("year")] == -1.0 and m.sum() == -0.5


def test_choose_prefers_the_asked_number_of_items():
    ps = [0.9, 0.8, 0.7]
    assert choose(ps, [2, 3, 3], None, 5) == 0
    assert choose(ps, [2, 3, 3], 3, 5) == 1  # "세 가지는?": the next one listing three
    assert choose(ps, [2, 4, 4], 3, 5) == 0  # none lists three: the most probable
    assert choose(ps, [2, 4, 3], 3, 1) == 0  # only one alternative is looked at
    calls = []
    assert choose(ps, lambda i: calls.append(i) or 2, None, 5) == 0 and calls == []  # nothing composed when no count is asked


def _turn(ident: str, group: str, labels: list[float], answers=("x",), masked=False) -> TurnData:
    n = len(labels)
    return TurnData(ident, "set", "fact", group, False, not answers and not masked, masked, tuple(answers), ("d",), None,
                    np.zeros((n, len(MODEL_FEATURES))), np.array(labels), np.array(labels), np.zeros(n, dtype=bool), np.zeros(n, dtype=int), ["d"] * n, [""] * n,
                    [f"d|{i}" for i in range(n)], [(f"v{i}",) for i in range(n)], np.zeros(n, dtype=bool))


def test_folds_keep_a_documents_questions_together():
    turns = [_turn(f"q{i}", f"doc{i % 7}", [1.0]) for i in range(40)]
    folds = group_folds(turns, 5)
    by_group: dict[str, set[int]] = {}
    for t, f in zip(turns, folds, strict=True):
        by_group.setdefault(t.group, set()).add(f)
    assert all(len(fs) == 1 for fs in by_group.values()) and len(set(folds)) == 5


def test_threshold_weighs_wrong_answers_twice():
    turns = [_turn("a", "g1", [1.0]), _turn("b", "g2", [0.0]), _turn("c", "g3", [0.0], answers=())]
    outs = outcomes(turns, [np.array([0.9]), np.array([0.6]), np.array([0.3])], 5)
    conf = np.array([0.9, 0.6, 0.3])
    thr, table = choose_threshold(outs, conf)
    assert 0.6 < thr <= 0.9  # answer the right one only
    row = next(r for r in table if r["threshold"] == thr)
    assert row["answer_accuracy"] == 0.5 and row["abstain_recall"] == 1.0 and row["wrong_when_confident"] == 0.0


def test_side_by_side_needs_another_place_and_value():
    from assistant.answer import side_by_side

    ps = [0.9, 0.85, 0.8, 0.3]
    places = ["a|1", "a|1", "b|2", "c|3"]
    values = ["10월 14일", "10월 14일", "9월 2일", "8월 1일"]
    assert side_by_side(ps, 0, places, values.__getitem__, 0.7) == [2]  # same place skipped, the improbable one too
    assert side_by_side(ps, 0, places, values.__getitem__, 0.0) == []
    assert side_by_side(ps, 0, ["a", "b", "c", "d"], ["x", "x", "y", "z"].__getitem__, 0.7) == [2]  # the same value is not a second answer
