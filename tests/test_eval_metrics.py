"""Metric functions on hand-computed cases."""

import math

import pytest

from assistant.eval.metrics import (
    abstention_scores,
    answer_contains,
    answer_recall_at_k,
    mrr,
    ndcg_at_k,
    percentile,
    recall_at_k,
    reciprocal_rank,
)


def test_answer_contains_ignores_white_space():
    assert answer_contains("협약식 2023. 4. 10.(월)", ["2023.4.10."])
    assert not answer_contains("98,450천원", ["98,450", "102,050"])
    assert answer_contains("anything", [])


def test_recall_mrr_ndcg_on_a_worked_example():
    retrieved = ["b", "b", "a", "c", "d"]  # chunks' documents: b, then a at document rank 2
    gold = ["a", "d"]
    assert recall_at_k(retrieved, gold, 1) == 0.0
    assert recall_at_k(retrieved, gold, 2) == 1.0
    assert reciprocal_rank(retrieved, gold) == 0.5
    # documents b, a, c, d: gains at ranks 2 and 4; ideal: ranks 1 and 2
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3)
    assert ndcg_at_k(retrieved, gold, 10) == pytest.approx(dcg / ideal)
    assert ndcg_at_k(retrieved, gold, 2) == pytest.approx((1 / math.log2(3)) / ideal)
    assert mrr([retrieved, ["a"], ["x"]], [gold, ["a"], ["a"]]) == pytest.approx((0.5 + 1 + 0) / 3)


def test_answer_recall_uses_the_union_of_chunks():
    chunks = ["고성, 거제", "옥천", "기타"]
    assert answer_recall_at_k(chunks, ["고성", "옥천"], 1) == 0.0
    assert answer_recall_at_k(chunks, ["고성", "옥천"], 2) == 1.0


def test_abstention_precision_recall():
    abstained = [True, True, False, False]
    unanswerable = [True, False, True, False]
    assert abstention_scores(abstained, unanswerable) == (0.5, 0.5)
    assert abstention_scores([False, False], [False, False]) == (1.0, 1.0)


def test_percentile():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10], 95) == 10
    assert percentile([], 50) == 0.0


def test_answer_precision_counts_what_is_needed():
    from assistant.eval.metrics import answer_precision

    assert answer_precision(["고성", "옥천", "거제"], ["고성", "옥천"]) == pytest.approx(2 / 3)  # an extra item counts against a list
    assert answer_precision(["13,500천원"], ["13,500"]) == pytest.approx(6 / 8)  # white space ignored, the unit is not needed
    assert answer_precision(["2024. 7. 10."], ["2024. 7. 10."]) == 1.0
    assert answer_precision(["그 문서의 긴 문장 전체가 답으로 나온 경우 청년사업담당관-920"], ["청년사업담당관-920"]) < 0.5
    assert answer_precision([], ["x"]) == 0.0
