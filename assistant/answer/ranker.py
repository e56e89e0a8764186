"""The answer ranker: a trained model of P(this candidate's answer is right) over its
:class:`~assistant.records.Evidence`, and the calibration of the chosen answer's confidence.

The model is fitted by ``assistant train`` (:mod:`assistant.eval.train`, scikit-learn) and kept
as plain arrays in ``assistant/data/ranker.json`` — gradient-boosted trees or a logistic
regression, the feature list it was fitted on, a logistic model of the chosen answer's
confidence and the abstention threshold, both fitted on predictions for documents held out
from fitting — so that answering needs only numpy.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..records import Evidence

log = logging.getLogger(__name__)

FEATURES: tuple[str, ...] = tuple(f.name for f in fields(Evidence))
#: what the confidence of a chosen answer is computed from: how sure the ranker is of it, how far
#: ahead of the next candidate, and the question's and the candidate's signs of a missing answer
CONFIDENCE_FEATURES: tuple[str, ...] = (
    "p_top", "p_second", "margin", "p_mass", "typed_q", "wants_list", "has_years", "english", "missing_rare", "missing_entity",
    "doc_gap", "entity_gap", "year", "doc_year", "typed", "gap_spec", "gap_measure", "cover", "core", "focus",
    "doc", "doc_spec", "date_match", "title_cover", "has_focus", "label",
)
FORMAT = 1


class RankerError(RuntimeError):
    """A ranker file that cannot be used."""


def feature_matrix(evidence: Sequence[Evidence], names: Sequence[str] = FEATURES) -> np.ndarray:
    """Candidates' features as rows of a float matrix, in the order of ``names``."""
    out = np.zeros((len(evidence), len(names)), dtype=np.float64)
    for i, e in enumerate(evidence):
        out[i] = [getattr(e, n) for n in names]
    return out


@dataclass(frozen=True)
class Trees:
    """Gradient-boosted regression trees, all nodes of all trees in flat arrays."""

    baseline: float
    roots: np.ndarray  # the index of each tree's root node
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    leaf: np.ndarray  # bool

    def raw(self, x: np.ndarray) -> np.ndarray:
        """The summed tree outputs (log-odds) for each row of ``x``."""
        if not len(self.roots):
            return np.full(len(x), self.baseline)
        idx = np.broadcast_to(self.roots, (len(x), len(self.roots))).copy()
        rows = np.arange(len(x))[:, None]
        for _ in range(64):  # deeper than any tree we fit
            inner = ~self.leaf[idx]
            if not inner.any():
                break
            go_left = x[rows, self.feature[idx]] <= self.threshold[idx]
            nxt = np.where(go_left, self.left[idx], self.right[idx])
            idx = np.where(inner, nxt, idx)
        return self.baseline + self.value[idx].sum(axis=1)

    def to_json(self) -> dict[str, Any]:
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Trees:
        return cls(
            float(data["baseline"]),
            np.asarray(data["roots"], dtype=np.int64),
            np.asarray(data["feature"], dtype=np.int64),
            np.asarray(data["threshold"], dtype=np.float64),
            np.asarray(data["left"], dtype=np.int64),
            np.asarray(data["right"], dtype=np.int64),
            np.asarray(data["value"], dtype=np.float64),
            np.asarray(data["leaf"], dtype=bool),
        )


@dataclass(frozen=True)
class Logistic:
    """A logistic regression over standardised features."""

    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray

    def raw(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.weights + self.bias

    def to_json(self) -> dict[str, Any]:
        return {"weights": self.weights.tolist(), "bias": self.bias, "mean": self.mean.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Logistic:
        return cls(np.asarray(data["weights"], float), float(data["bias"]), np.asarray(data["mean"], float), np.asarray(data["scale"], float))


#: the second stage: the few most probable candidates, each composed into its answer, scored on
#: what the answer looks like (a list where a list is asked, the asked number of items, the asked
#: kinds of value) beside the first stage's probability
COMPOSED_FEATURES: tuple[str, ...] = (
    "p", "rank", "p_rel", "items", "n_items", "wants_list", "list_fit", "count_fit", "length", "kinds_fit",
)
SHORTLIST = 6  # candidates composed for the second stage


@dataclass(frozen=True)
class Composed:
    """A composed answer as the second stage sees it."""

    items: int  # listed items
    length: int  # characters of the answer text
    kinds: int  # asked kinds of value it holds
    masked: bool  # not an input: a masked value is never chosen for its shape, only said to be masked


def composed_features(ps: Sequence[float], order: Sequence[int], composed: Sequence[Composed], wants_list: bool, want_n: int | None,
                      asked: int) -> np.ndarray:
    """The second stage's inputs for the shortlisted candidates ``order`` (best first) and their answers."""
    top = float(ps[order[0]]) if order else 0.0
    rows = []
    for rank, (i, c) in enumerate(zip(order, composed, strict=True), start=1):
        rows.append([
            float(ps[i]), 1.0 / rank, float(ps[i]) / top if top > 0 else 0.0, float(c.items > 0), float(np.log1p(c.items)),
            float(wants_list), float(wants_list == (c.items > 0)), float(bool(want_n) and c.items == want_n),
            float(np.log1p(c.length)), (c.kinds / asked) if asked else 0.0,
        ])
    return np.array(rows, dtype=float).reshape(len(rows), len(COMPOSED_FEATURES))


def confidence_features(ps: Sequence[float], chosen: int, evidence: Evidence) -> np.ndarray:
    """The confidence model's inputs for the chosen candidate of one question."""
    p = np.sort(np.asarray(ps, dtype=float))[::-1]
    top = float(ps[chosen]) if len(ps) else 0.0
    second = float(p[1]) if len(p) > 1 else 0.0
    others = {"p_top": top, "p_second": second, "margin": top - second, "p_mass": float(np.minimum(p, 1).sum()) / 10.0}
    return np.array([others[n] if n in others else float(getattr(evidence, n)) for n in CONFIDENCE_FEATURES])


@dataclass(frozen=True)
class Ranker:
    """Scores candidates, and turns the chosen one's standing into a calibrated confidence."""

    features: tuple[str, ...]
    model: Trees | Logistic
    confidence_model: Logistic | None  # P(the chosen answer is right) over CONFIDENCE_FEATURES
    threshold: float  # abstain below this confidence
    info: dict[str, Any]
    side_ratio: float = 0.0  # answers this close to the chosen one's probability are given beside it (0: never)
    second: Logistic | None = None  # the second stage over COMPOSED_FEATURES (None: the most probable, see choose())

    def rerank(self, features: np.ndarray) -> np.ndarray:
        """The second stage's scores of the shortlisted candidates (higher is better)."""
        if self.second is None or not len(features):
            return -np.arange(len(features), dtype=float)
        return self.second.raw(features)

    def probabilities(self, evidence: Sequence[Evidence]) -> np.ndarray:
        """P(the candidate's answer is right) for each candidate."""
        if not evidence:
            return np.zeros(0)
        z = self.model.raw(feature_matrix(evidence, self.features))
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))

    def confidence(self, ps: Sequence[float], chosen: int, evidence: Evidence) -> float:
        """The probability that the answer of candidate ``chosen`` (among candidates scored ``ps``) is right."""
        if self.confidence_model is None:
            return float(ps[chosen]) if len(ps) else 0.0
        z = self.confidence_model.raw(confidence_features(ps, chosen, evidence)[None, :])[0]
        return float(1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0))))

    @classmethod
    def uniform(cls, features: Sequence[str] = FEATURES) -> Ranker:
        """A ranker that scores every candidate alike (for collecting training data)."""
        n = len(features)
        return cls(tuple(features), Logistic(np.zeros(n), 0.0, np.zeros(n), np.ones(n)), None, 0.0, {})

    def threshold_for(self, configured: float | None) -> float:
        """The configured threshold when set (``answer.abstain_threshold``), else the fitted one."""
        return self.threshold if configured is None else configured

    def to_json(self) -> dict[str, Any]:
        kind = "trees" if isinstance(self.model, Trees) else "logistic"
        conf = {"features": list(CONFIDENCE_FEATURES), **self.confidence_model.to_json()} if self.confidence_model else None
        second = {"features": list(COMPOSED_FEATURES), **self.second.to_json()} if self.second else None
        return {"format": FORMAT, "features": list(self.features), "kind": kind, "model": self.model.to_json(),
                "confidence": conf, "second": second, "threshold": self.threshold, "side_ratio": self.side_ratio, **self.info}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Ranker:
        if data.get("format") != FORMAT:
            raise RankerError(f"ranker format {data.get('format')!r}, expected {FORMAT}: run `assistant train`")
        names = tuple(data["features"])
        unknown = [n for n in names if n not in FEATURES]
        if unknown:
            raise RankerError(f"the ranker uses features this version does not compute ({', '.join(unknown)}): run `assistant train`")
        model: Trees | Logistic = Trees.from_json(data["model"]) if data["kind"] == "trees" else Logistic.from_json(data["model"])
        conf = data.get("confidence")
        if conf is not None and tuple(conf.get("features", ())) != CONFIDENCE_FEATURES:
            raise RankerError("the ranker's confidence model uses other inputs than this version computes: run `assistant train`")
        second = data.get("second")
        if second is not None and tuple(second.get("features", ())) != COMPOSED_FEATURES:
            raise RankerError("the ranker's second stage uses other inputs than this version computes: run `assistant train`")
        info = {k: v for k, v in data.items() if k not in ("format", "features", "kind", "model", "confidence", "second", "threshold", "side_ratio")}
        return cls(names, model, Logistic.from_json(conf) if conf else None, float(data["threshold"]), info, float(data.get("side_ratio", 0.0)),
                   Logistic.from_json(second) if second else None)

    def save(self, path: str | Path) -> Path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=None, separators=(",", ":")), encoding="utf-8")
        return p


def choose(ps: Sequence[float], items: Sequence[int] | Callable[[int], int], want_n: int | None, alternatives: int) -> int:
    """The candidate to answer with: the most probable, unless the question says how many items
    it asks for ("세 가지") and one of the next ``alternatives`` lists exactly that many while the
    most probable does not. ``items(i)`` (or ``items[i]``) is the number of items candidate ``i``
    composes to; it is asked for lazily."""
    count = items if callable(items) else items.__getitem__
    order = sorted(range(len(ps)), key=lambda i: (-ps[i], i))
    best = order[0]
    if want_n and count(best) != want_n:
        for i in order[1 : alternatives + 1]:
            if count(i) == want_n:
                return i
    return best


def side_by_side(ps: Sequence[float], chosen: int, places: Sequence[str], values: Callable[[int], str], ratio: float, limit: int = 2) -> list[int]:
    """Other candidates to answer beside the chosen one: nearly as probable (``ratio`` of its
    probability or more), from another place (another document, table row or section), and
    saying something else ("several meetings, several years answer differently"). ``values(i)``
    is candidate ``i``'s answer value, asked for lazily."""
    if ratio <= 0 or not len(ps):
        return []
    out: list[int] = []
    seen_places = {places[chosen]}
    seen_values = {values(chosen)}
    for i in sorted(range(len(ps)), key=lambda i: (-ps[i], i)):
        if i == chosen:
            continue
        if ps[i] < ratio * ps[chosen] or len(out) >= limit:
            break
        if places[i] in seen_places:
            continue
        v = values(i)
        if not v or any(v in w or w in v for w in seen_values):
            continue
        out.append(i)
        seen_places.add(places[i])
        seen_values.add(v)
    return out


def complements(ps: Sequence[float], chosen: int, docs: Sequence[str], kinds_of: Callable[[int], frozenset[str]], asked: Sequence[str],
                skip: Sequence[int] = ()) -> list[int]:
    """Candidates that complete a question asking for several kinds of value ("언제 열렸고 어디서",
    "문서번호와 시행일은?"): for each asked kind the chosen answer lacks, the most probable candidate of
    the same document that holds it. ``kinds_of(i)`` is the set of kinds candidate ``i``'s answer holds."""
    if len(asked) < 2 or not len(ps):
        return []
    have = set(kinds_of(chosen))
    out: list[int] = []
    for kind in asked:
        if kind in have:
            continue
        for i in sorted(range(len(ps)), key=lambda i: (-ps[i], i)):
            if i != chosen and i not in out and i not in skip and docs[i] == docs[chosen] and kind in kinds_of(i):
                out.append(i)
                have |= kinds_of(i)
                break
    return out


def ranker_path() -> Path:
    return Path(str(resources.files("assistant.data").joinpath("ranker.json")))


@lru_cache(maxsize=1)
def load_ranker(path: str | None = None) -> Ranker:
    """The committed ranker (``assistant/data/ranker.json``) or the one at ``path``."""
    p = Path(path) if path else ranker_path()
    try:
        return Ranker.from_json(json.loads(p.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise RankerError(f"no answer ranker at {p}: run `assistant train`") from exc
    except (KeyError, ValueError, TypeError) as exc:
        raise RankerError(f"cannot read the answer ranker {p}: {exc}") from exc
