"""Evaluation metrics as plain functions (unit-tested on hand-computed cases)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Matching ignores white space."""
    return _WS.sub("", text)


def answer_contains(text: str, answers: Sequence[str]) -> bool:
    """Every expected answer string appears in ``text`` (white space ignored)."""
    flat = normalise(text)
    return all(normalise(a) in flat for a in answers)


def answer_precision(values: Sequence[str], answers: Sequence[str]) -> float:
    """How much of an answer is needed. A list answer (two values or more): the share of its
    values that hold a gold answer, so extra items count against it. One value: the share of its
    characters the gold answers it holds take (white space ignored), at most 1. No value: 0."""
    vals = [normalise(v) for v in values if normalise(v)]
    golds = [normalise(a) for a in answers if normalise(a)]
    if not vals or not golds:
        return 0.0
    if len(vals) >= 2:
        return sum(1 for v in vals if any(g in v or v in g for g in golds)) / len(vals)
    v = vals[0]
    needed = sum(len(g) for g in golds if g in v)
    return min(1.0, needed / len(v))


def dedupe(docs: Sequence[str]) -> list[str]:
    """Document ids in rank order, each once (the rank of a document is its best chunk's)."""
    return list(dict.fromkeys(docs))


def recall_at_k(retrieved: Sequence[str], gold: Sequence[str], k: int) -> float:
    """1 if a gold document is among the first ``k`` retrieved documents, else 0."""
    return 1.0 if set(dedupe(retrieved)[:k]) & set(gold) else 0.0


def answer_recall_at_k(chunk_texts: Sequence[str], answers: Sequence[str], k: int) -> float:
    """1 if every answer string is inside the union of the first ``k`` chunks, else 0."""
    return 1.0 if answer_contains("\n".join(chunk_texts[:k]), answers) else 0.0


def reciprocal_rank(retrieved: Sequence[str], gold: Sequence[str]) -> float:
    for i, d in enumerate(dedupe(retrieved), start=1):
        if d in gold:
            return 1.0 / i
    return 0.0


def mrr(rankings: Sequence[Sequence[str]], golds: Sequence[Sequence[str]]) -> float:
    """Mean reciprocal rank of the first gold document."""
    if not rankings:
        return 0.0
    return sum(reciprocal_rank(r, g) for r, g in zip(rankings, golds, strict=True)) / len(rankings)


def ndcg_at_k(retrieved: Sequence[str], gold: Sequence[str], k: int = 10) -> float:
    """Binary-relevance nDCG@k over de-duplicated documents."""
    docs = dedupe(retrieved)[:k]
    dcg = sum(1.0 / math.log2(i + 2) for i, d in enumerate(docs) if d in gold)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(set(gold)))))
    return dcg / ideal if ideal else 0.0


def abstention_scores(abstained: Sequence[bool], unanswerable: Sequence[bool]) -> tuple[float, float]:
    """(precision, recall) of abstaining, where the positives are the unanswerable questions."""
    tp = sum(1 for a, u in zip(abstained, unanswerable, strict=True) if a and u)
    n_abstained = sum(1 for a in abstained if a)
    n_unanswerable = sum(1 for u in unanswerable if u)
    precision = tp / n_abstained if n_abstained else 1.0
    recall = tp / n_unanswerable if n_unanswerable else 1.0
    return precision, recall


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (``p`` in 0..100)."""
    if not values:
        return 0.0
    xs = sorted(values)
    pos = (len(xs) - 1) * p / 100.0
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def passage_relevant(text: str, answers: Sequence[str]) -> bool:
    """A passage answers when it holds one of the expected answer strings (white space ignored)."""
    flat = normalise(text)
    return any(normalise(a) and normalise(a) in flat for a in answers)


def passage_recall_at_k(passages: Sequence[int], relevant: set[int] | frozenset[int], k: int) -> float:
    """1 if a relevant passage (of a gold document, holding an answer) is among the first ``k``, else 0."""
    return 1.0 if set(passages[:k]) & set(relevant) else 0.0


def passage_ndcg_at_k(passages: Sequence[int], relevant: set[int] | frozenset[int], k: int = 10) -> float:
    """Binary-relevance nDCG@k over passages; the ideal ranks every relevant passage of the index first."""
    dcg = sum(1.0 / math.log2(i + 2) for i, p in enumerate(passages[:k]) if p in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0
