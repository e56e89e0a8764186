"""Rank fusion and document ranking as plain functions over candidate lists.

A search backend returns two candidate lists, lexical (BM25) and dense, as ``(chunk id, score)``;
everything here works on those lists (or ``{id: score}`` mappings), so it fuses the same whatever
backend found them:

- :func:`normalise` scales one list per query (``minmax`` or ``zscore``);
- :func:`convex` is the convex combination ``w·N(lexical) + (1−w)·N(dense)`` whose weight ``w`` is
  fitted on question sets (:class:`Fusion`, kept in ``assistant/data/fusion.json`` by
  ``assistant fit-fusion``);
- :func:`rrf` is weighted reciprocal rank fusion; :func:`weighted` the earlier fixed-weight
  min-max combination;
- :func:`rank_documents` ranks documents by their best passages (the best one, or a decayed sum)
  and keeps the passages grouped under their document.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Candidates = Sequence[tuple[int, float]]
METHODS = ("convex", "rrf", "weighted")
NORMS = ("minmax", "zscore")
AGGREGATES = ("max", "decay")


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


def zscore(scores: Mapping[int, float]) -> dict[int, float]:
    """Standard scores over one query's candidates (all 0 when they are equal)."""
    if not scores:
        return {}
    vals = list(scores.values())
    mean = sum(vals) / len(vals)
    sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / len(vals))
    if sd <= 1e-12:
        return {d: 0.0 for d in scores}
    return {d: (s - mean) / sd for d, s in scores.items()}


def normalise(scores: Mapping[int, float], norm: str = "minmax") -> dict[int, float]:
    """One query's scores made comparable with another system's: ``minmax`` or ``zscore``."""
    if norm == "minmax":
        return minmax(scores)
    if norm == "zscore":
        return zscore(scores)
    raise ValueError(f"unknown score normalisation {norm!r}; choose one of {', '.join(NORMS)}")


def convex(lexical: Mapping[int, float], dense: Mapping[int, float], weight: float, norm: str = "minmax") -> dict[int, float]:
    """``weight·N(lexical) + (1−weight)·N(dense)`` over the union of both lists. A chunk missing
    from one list ranked below all of that list's candidates: it gets the list's lowest
    normalised score (0 when the list is empty, e.g. no word of the question is indexed)."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"the lexical weight must be in [0, 1], not {weight}")
    out: dict[int, float] = {}
    for scores, w in ((normalise(lexical, norm), weight), (normalise(dense, norm), 1.0 - weight)):
        low = min(scores.values(), default=0.0)
        for d in set(lexical) | set(dense):
            out[d] = out.get(d, 0.0) + w * scores.get(d, low)
    return out


def weighted(score_lists: Sequence[Mapping[int, float]], weights: Sequence[float], floors: Sequence[float | None] | None = None) -> dict[int, float]:
    """Combination of min-max normalised scores; a missing entry counts 0 (the earlier fixed-weight fusion)."""
    floors = floors or [None] * len(score_lists)
    out: dict[int, float] = {}
    for scores, w, f in zip(score_lists, weights, floors, strict=True):
        for d, s in minmax(scores, f).items():
            out[d] = out.get(d, 0.0) + w * s
    return out


def ranked(scores: Mapping[int, float], k: int | None = None) -> list[tuple[int, float]]:
    """``(id, score)`` best first, equal scores by id."""
    items = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return items[:k] if k else items


@dataclass(frozen=True)
class Fusion:
    """How the lexical and dense candidate lists of one query become one ranking.

    ``method``: ``convex`` (``weight`` is the lexical share after ``norm``), ``rrf`` (``weight`` the
    lexical share of the reciprocal ranks, ``rrf_k`` their offset) or ``weighted`` (the earlier
    min-max sum, BM25 floored at 0). ``fitted`` says how the weight was chosen."""

    method: str = "convex"
    norm: str = "zscore"
    weight: float = 0.5
    rrf_k: int = 60
    fitted: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    #: the lexical weight for questions in a language ("en": English questions, whose lexical
    #: side is a translation), when it was fitted apart; others use ``weight``
    by_language: dict[str, float] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown fusion {self.method!r}; choose one of {', '.join(METHODS)} (or 'fitted')")
        if self.norm not in NORMS:
            raise ValueError(f"unknown score normalisation {self.norm!r}; choose one of {', '.join(NORMS)}")
        for w in (self.weight, *self.by_language.values()):
            if not 0.0 <= w <= 1.0:
                raise ValueError(f"the lexical weight must be in [0, 1], not {w}")

    def weight_for(self, language: str = "") -> float:
        return self.by_language.get(language, self.weight)

    def __call__(self, lexical: Candidates, dense: Candidates, language: str = "") -> dict[int, float]:
        """Fused scores of every candidate of either list (``language``: the question's, for its own weight)."""
        w = self.weight_for(language)
        if self.method == "rrf":
            return rrf([[c for c, _ in lexical], [c for c, _ in dense]], [w, 1.0 - w], self.rrf_k)
        if not lexical:  # nothing matched lexically (e.g. an untranslatable English question): dense alone
            return dict(dense)
        if self.method == "weighted":
            return weighted([dict(lexical), dict(dense)], [w, 1.0 - w], floors=[0.0, None])
        fused = convex(dict(lexical), dict(dense), w, self.norm)
        if self.norm == "zscore":  # into (0, 1), like every other fusion's scores (same order)
            return {d: 1.0 / (1.0 + math.exp(-s)) for d, s in fused.items()}
        return fused

    @property
    def label(self) -> str:
        langs = "".join(f" {lang}:{w:.2f}" for lang, w in sorted(self.by_language.items()))
        if self.method == "rrf":
            return f"rrf k={self.rrf_k} w={self.weight:.2f}{langs}"
        return f"{self.method} {self.norm if self.method == 'convex' else 'minmax'} w={self.weight:.2f}{langs}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fusion:
        return cls(str(data.get("method", "convex")), str(data.get("norm", "zscore")), float(data.get("weight", 0.5)),
                   int(data.get("rrf_k", 60)), dict(data.get("fitted") or {}),
                   {str(k): float(v) for k, v in (data.get("by_language") or {}).items()})

    def save(self, path: str | Path) -> Path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(p.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        tmp.replace(p)
        return p


#: What fusion does when no fitted weight is there: z-scores, equal shares (both signals at the
#: same scale, neither trusted more without evidence)
DEFAULT_FUSION = Fusion("convex", "zscore", 0.5, fitted={"how": "default: no question sets were fitted"})


def fusion_path() -> Path:
    """Where ``assistant fit-fusion`` keeps the fitted fusion: ``assistant/data/fusion.json``."""
    return Path(str(resources.files("assistant.data").joinpath("fusion.json")))


@lru_cache(maxsize=4)
def load_fusion(path: str | None = None) -> Fusion:
    """The fitted fusion (``assistant/data/fusion.json``, or ``path``); the default when there is none."""
    p = Path(path) if path else fusion_path()
    if not p.is_file():
        return DEFAULT_FUSION
    try:
        return Fusion.from_json(json.loads(p.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        log.warning("cannot read the fitted fusion %s (%s): using the default", p, exc)
        return DEFAULT_FUSION


@dataclass(frozen=True)
class RankedDocument:
    """A document ranked by its passages: its score and its passages' ``(chunk id, score)``, best first."""

    doc_id: str
    score: float
    passages: tuple[tuple[int, float], ...]


def rank_documents(
    scores: Mapping[int, float],
    doc_of: Callable[[int], str] | Mapping[int, str],
    aggregate: str = "decay",
    decay: float = 0.5,
) -> list[RankedDocument]:
    """Documents ranked by their passages' scores: ``max`` (the best passage) or ``decay``
    (``Σ decay^i · s_i`` over the passages best first, scores shifted so the lowest candidate
    counts 0: a document with several good passages beats one with a single one of the same
    score, and one good passage still beats many weak ones). Ties by the best passage, then id."""
    if aggregate not in AGGREGATES:
        raise ValueError(f"unknown document aggregate {aggregate!r}; choose one of {', '.join(AGGREGATES)}")
    get = doc_of.__getitem__ if isinstance(doc_of, Mapping) else doc_of
    groups: dict[str, list[tuple[int, float]]] = {}
    for cid, s in ranked(scores):
        groups.setdefault(get(cid), []).append((cid, s))
    low = min(scores.values(), default=0.0)
    out = []
    for doc, passages in groups.items():
        if aggregate == "max":
            score = passages[0][1]
        else:
            score = sum((decay**i) * (s - low) for i, (_, s) in enumerate(passages))
        out.append(RankedDocument(doc, score, tuple(passages)))
    out.sort(key=lambda d: (-d.score, -d.passages[0][1], d.doc_id))
    return out


def grouped(documents: Sequence[RankedDocument], k: int, per_document: int | None = None) -> list[tuple[int, float]]:
    """The passages of the documents in rank order, each document's together (at most
    ``per_document`` of them), until ``k`` passages."""
    out: list[tuple[int, float]] = []
    for d in documents:
        for p in d.passages[:per_document]:
            if len(out) >= k:
                return out
            out.append(p)
    return out


def select(
    scores: Mapping[int, float],
    k: int,
    unit: str = "passage",
    doc_of: Callable[[int], str] | Mapping[int, str] | None = None,
    aggregate: str = "decay",
    decay: float = 0.5,
    per_document: int = 3,
) -> list[tuple[int, float]]:
    """What a search returns from fused ``scores``: the ``k`` best passages (``unit="passage"``),
    or the passages of the ``k`` best documents, at most ``per_document`` each, grouped under
    their document in its rank order (``unit="document"``)."""
    if unit == "passage":
        return ranked(scores, k)
    if unit != "document":
        raise ValueError(f"unknown retrieval unit {unit!r}; choose passage or document")
    if doc_of is None:
        raise ValueError("ranking documents needs the document of each chunk")
    return grouped(rank_documents(scores, doc_of, aggregate, decay)[:k], k * per_document, per_document)
