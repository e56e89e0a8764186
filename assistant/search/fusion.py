"""Rank fusion as plain functions over ``{id: score}`` mappings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def rrf(rankings: Sequence[Sequence[int]], weights: Sequence[float] | None = None, k: int = 60) -> dict[int, float]:
    """Weighted reciprocal rank fusion: ``sum_i w_i / (k + rank_i)`` (ranks from 1)."""
    weights = weights or [1.0] * len(rankings)
    out: dict[int, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        for r, doc in enumerate(ranking, start=1):
            out[doc] = out.get(doc, 0.0) + w / (k + r)
    return out


def minmax(scores: Mapping[int, float], floor: float | None = None) -> dict[int, float]:
    """Scale scores to [0, 1] (the lowest becomes 0, or ``floor`` maps to 0 if given)."""
    if not scores:
        return {}
    hi = max(scores.values())
    lo = min(scores.values()) if floor is None else floor
    span = hi - lo
    if span <= 1e-12:
        return {d: 1.0 for d in scores}
    return {d: max(0.0, (s - lo) / span) for d, s in scores.items()}


def weighted(score_lists: Sequence[Mapping[int, float]], weights: Sequence[float], floors: Sequence[float | None] | None = None) -> dict[int, float]:
    """Convex combination of min-max normalised scores; a missing entry counts 0."""
    floors = floors or [None] * len(score_lists)
    out: dict[int, float] = {}
    for scores, w, f in zip(score_lists, weights, floors, strict=True):
        for d, s in minmax(scores, f).items():
            out[d] = out.get(d, 0.0) + w * s
    return out


def ranked(scores: Mapping[int, float], k: int | None = None) -> list[tuple[int, float]]:
    items = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return items[:k] if k else items
