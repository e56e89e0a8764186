"""Train the answer ranker (``assistant train``): collect every candidate answer of every
question with its features and whether the answer it composes to is right, fit a model of
P(right), cross-validate it grouped by document (the questions of a document are never in the
fold the model was fitted on), calibrate the chosen answer's confidence and pick the
abstention threshold on those held-out predictions, and write the model with its feature
list, data hash and cross-validation report.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..answer import (
    CONFIDENCE_FEATURES,
    FEATURES,
    SHORTLIST,
    Answerer,
    Composed,
    Logistic,
    Ranker,
    Trees,
    choose,
    complements,
    composed_features,
    confidence_features,
    feature_matrix,
    kinds_held,
    side_by_side,
)
from ..lexicon import YEAR, YEAR_MAX, years_in
from ..records import Answer, Evidence
from ..search import requested_count, typed_kinds
from .metrics import answer_contains, answer_precision
from .questions import Item, Turn, is_heldout

log = logging.getLogger(__name__)

#: features the model is fitted on: all but the mask flag (a masked candidate is never an
#: answer: where it wins, the assistant says the value is not disclosed)
MODEL_FEATURES = tuple(f for f in FEATURES if f != "masked")
# a wrong answer (or an answer where there is none) costs what a right one gains: answer when the
# calibrated confidence says right is likelier than wrong (the answer shows its sources to check)
WRONG_COST = 1.0
CONFIDENT = 0.8  # "answers given with confidence ≥ 0.8" in the report
SIDE_RATIOS = (0.0, 0.7, 0.85)  # tried: answers this close to the chosen one's probability given beside it


@dataclass
class TurnData:
    """One turn's candidates: features, whether each one's answer is right, and what it composes to."""

    id: str
    source: str
    kind: str
    group: str
    heldout: bool
    unanswerable: bool
    masked: bool
    answers: tuple[str, ...]
    docs: tuple[str, ...]
    want_n: int | None
    x: np.ndarray  # candidates × MODEL_FEATURES
    label: np.ndarray  # 1 when the candidate's composed answer holds every gold answer
    precision: np.ndarray
    is_masked: np.ndarray
    items: np.ndarray  # the number of items each composes to
    doc: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    place: list[str] = field(default_factory=list)  # document and section or table row
    values: list[tuple[str, ...]] = field(default_factory=list)  # each candidate's answer values
    has_items: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    wants_list: bool = False
    synthetic: bool = False  # a near miss made from a real question: fitted on, never scored
    asked: tuple[str, ...] = ()  # the typed kinds of value the question asks for
    held: list[frozenset[str]] = field(default_factory=list)  # the asked kinds each candidate's answer holds


def collect(items: Sequence[Item], answerer: Answerer, progress: Callable[[int, int], None] | None = None) -> list[TurnData]:
    """Every candidate of every turn (conversations turn by turn), nothing chosen."""
    probe = answerer.derive(ranker=Ranker.uniform(MODEL_FEATURES))
    out: list[TurnData] = []
    total = sum(len(it.turns) for it in items)
    done = 0
    for item in items:
        history: list[Answer] = []
        for i, turn in enumerate(item.turns):
            found = probe.candidates(turn.question, history)
            history.append(Answer(turn.question, "", True, query=found.query))
            done += 1
            if progress:
                progress(done, total)
            if turn.retrieval_only:
                continue
            answers = found.answers
            label = np.array([1.0 if turn.answers and answer_contains(a.text, turn.answers) else 0.0 for a in answers])
            prec = np.array([answer_precision(a.values or (a.text,), turn.answers) if turn.answers else 0.0 for a in answers])
            out.append(TurnData(
                f"{item.id}#{i + 1}" if item.conversation else item.id, Path(item.source).stem, item.kind, item.group, is_heldout(item),
                turn.unanswerable, turn.masked, turn.answers, turn.docs, requested_count(turn.question),
                feature_matrix([c.features for c in found.candidates], MODEL_FEATURES), label, prec,
                np.array([bool(c.features.masked) for c in found.candidates]), np.array([len(a.items) for a in answers]),
                [c.hit.chunk.doc_id for c in found.candidates], [a.text for a in answers],
                [c.place for c in found.candidates], [a.values or (a.text,) for a in answers],
                np.array([bool(a.items) for a in answers]), bool(found.candidates) and bool(found.candidates[0].features.wants_list),
                False, tuple(typed_kinds(found.kinds)), [kinds_held(a, typed_kinds(found.kinds)) for a in answers],
            ))
    return out


def near_misses(items: Sequence[Item], collection_text: str, limit: int = 120) -> list[Item]:
    """Unanswerable questions made from answerable ones by changing what tells their document
    apart to something no document holds: a year, a round ("3차"), a month's share ("6월분").
    Real unanswerable questions are scarce; these teach the confidence that a near miss is a miss."""
    flat = collection_text.replace(" ", "")
    present = set(years_in(collection_text))
    out: list[Item] = []
    for item in items:
        if item.conversation or not item.turns[0].answers or len(out) >= limit:
            continue
        q = item.turns[0].question
        changed = None
        years = years_in(q)
        if years:
            absent = next((y for y in range(max(present | set(years)) + 3, YEAR_MAX) if y not in present), None)
            if absent is not None:
                changed = YEAR.sub(lambda m, a=absent: str(a) if m.group(1) else f"'{str(a)[2:]}", q, count=1)
        if changed is None:
            m = re.search(r"(\d{1,2})\s*(차|월분)", q)
            if m:
                n = int(m.group(1))
                for k in range(n + 5, n + 30):
                    if f"{k}{m.group(2)}" not in flat and (m.group(2) != "월분" or k <= 12):
                        changed = q[: m.start(1)] + str(k) + q[m.end(1) :]
                        break
        if changed and changed != q:
            out.append(Item(f"{item.id}~miss", (Turn(changed, (), ()),), item.source, "near-miss"))
    return out


def data_hash(turns: Sequence[TurnData]) -> str:
    h = hashlib.sha256()
    for t in turns:
        h.update(t.id.encode())
        h.update(np.ascontiguousarray(t.x, dtype=np.float32).tobytes())
        h.update(t.label.astype(np.uint8).tobytes())
    return h.hexdigest()[:16]


# -- fitting -------------------------------------------------------------------------------
def _training_rows(turns: Sequence[TurnData]) -> tuple[np.ndarray, np.ndarray]:
    """Candidates that can be judged: not masked, not of a masked-value question."""
    xs, ys = [], []
    for t in turns:
        if t.masked or not len(t.x):
            continue
        keep = ~t.is_masked
        xs.append(t.x[keep])
        ys.append(t.label[keep])
    if not xs:
        return np.zeros((0, len(MODEL_FEATURES))), np.zeros(0)
    return np.vstack(xs), np.concatenate(ys)


def fit_model(x: np.ndarray, y: np.ndarray, kind: str) -> Trees | Logistic:
    """Gradient-boosted trees (``trees``) or a logistic regression (``logistic``) of P(right)."""
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.linear_model import LogisticRegression
    except ImportError as exc:  # pragma: no cover - a dependency
        raise ImportError("training the ranker needs scikit-learn: pip install scikit-learn") from exc
    if y.min() == y.max():
        return Logistic(np.zeros(x.shape[1]), 10.0 if y.max() > 0 else -10.0, np.zeros(x.shape[1]), np.ones(x.shape[1]))
    if kind == "logistic":
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale == 0] = 1.0
        clf = LogisticRegression(C=1.0, max_iter=2000)
        clf.fit((x - mean) / scale, y)
        return Logistic(clf.coef_[0].astype(float), float(clf.intercept_[0]), mean, scale)
    clf = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.08, max_depth=4, max_leaf_nodes=15, min_samples_leaf=20,
                                         l2_regularization=1.0, random_state=0)
    clf.fit(x, y)
    return trees_of(clf)


def trees_of(clf: Any) -> Trees:
    """The trees of a fitted ``HistGradientBoostingClassifier`` as flat arrays."""
    feature, threshold, left, right, value, leaf, roots = [], [], [], [], [], [], []
    offset = 0
    for stage in clf._predictors:
        nodes = stage[0].nodes
        roots.append(offset)
        feature += nodes["feature_idx"].astype(int).tolist()
        threshold += nodes["num_threshold"].astype(float).tolist()
        left += (nodes["left"].astype(int) + offset).tolist()
        right += (nodes["right"].astype(int) + offset).tolist()
        value += nodes["value"].astype(float).tolist()
        leaf += nodes["is_leaf"].astype(bool).tolist()
        offset += len(nodes)
    baseline = float(np.ravel(clf._baseline_prediction)[0])
    return Trees(baseline, np.array(roots, dtype=np.int64), np.array(feature, dtype=np.int64), np.array(threshold), np.array(left, dtype=np.int64),
                 np.array(right, dtype=np.int64), np.array(value), np.array(leaf, dtype=bool))


def _probabilities(model: Trees | Logistic, x: np.ndarray) -> np.ndarray:
    if not len(x):
        return np.zeros(0)
    return 1.0 / (1.0 + np.exp(-np.clip(model.raw(x), -30, 30)))


def group_folds(turns: Sequence[TurnData], k: int) -> list[int]:
    """A fold per turn such that all turns of a document group share one (greedy balance)."""
    sizes: dict[str, int] = {}
    for t in turns:
        sizes[t.group] = sizes.get(t.group, 0) + 1
    load = [0] * k
    fold_of: dict[str, int] = {}
    for g in sorted(sizes, key=lambda g: (-sizes[g], hashlib.md5(g.encode()).hexdigest())):
        f = min(range(k), key=lambda i: load[i])
        fold_of[g] = f
        load[f] += sizes[g]
    return [fold_of[t.group] for t in turns]


def out_of_fold(turns: Sequence[TurnData], kind: str, k: int) -> list[np.ndarray]:
    """Each turn's candidate probabilities from a model fitted without its document's questions."""
    folds = group_folds(turns, k)
    out: list[np.ndarray] = [np.zeros(0)] * len(turns)
    for f in range(k):
        train = [t for t, g in zip(turns, folds, strict=True) if g != f]
        model = fit_model(*_training_rows(train), kind)
        for i, (t, g) in enumerate(zip(turns, folds, strict=True)):
            if g == f:
                out[i] = _probabilities(model, t.x)
    return out


# -- choosing, calibrating, scoring ------------------------------------------------------------
@dataclass
class Outcome:
    """What the assistant would do on one turn with given candidate probabilities."""

    turn: TurnData
    p: float  # the chosen candidate's probability (0 when there is none)
    right: bool  # the chosen candidate's answer is right (a masked question: the chosen is masked and in a gold document)
    masked: bool  # the chosen candidate is masked
    precision: float
    inputs: np.ndarray  # the confidence model's inputs


def _value_key(t: TurnData, k: int) -> str:
    return "" if t.is_masked[k] else "".join("".join(v.split()) for v in t.values[k])


def shortlist(t: TurnData, ps: np.ndarray) -> tuple[list[int], np.ndarray]:
    """The second stage's shortlist of a turn (best first) and its inputs."""
    order = [int(k) for k in sorted(range(len(ps)), key=lambda k: (-ps[k], k))[:SHORTLIST]]
    shapes = [Composed(int(t.items[k]), len(t.text[k]), len(t.held[k]) if t.held else 0, bool(t.is_masked[k])) for k in order]
    return order, composed_features(ps, order, shapes, t.wants_list, t.want_n, len(t.asked))


def fit_second(turns: Sequence[TurnData], probs: Sequence[np.ndarray]) -> Logistic | None:
    """The second stage: a logistic model of "this shortlisted candidate's answer is right"."""
    from sklearn.linear_model import LogisticRegression

    xs, ys = [], []
    for t, ps in zip(turns, probs, strict=True):
        if t.masked or not t.answers or not len(ps):
            continue
        order, x = shortlist(t, ps)
        xs.append(x)
        ys.append(np.array([t.label[k] if not t.is_masked[k] else 0.0 for k in order]))
    if not xs:
        return None
    x, y = np.vstack(xs), np.concatenate(ys)
    if y.min() == y.max():
        return None
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    clf = LogisticRegression(C=1.0, max_iter=3000).fit((x - mean) / scale, y)
    return Logistic(clf.coef_[0].astype(float), float(clf.intercept_[0]), mean, scale)


def chosen_by(second: Logistic | None, t: TurnData, ps: np.ndarray, alternatives: int) -> int:
    if second is None:
        return choose(ps, t.items, t.want_n, alternatives)
    order, x = shortlist(t, ps)
    return order[int(np.argmax(second.raw(x)))]


def second_out_of_fold(turns: Sequence[TurnData], probs: Sequence[np.ndarray], k: int, alternatives: int) -> list[int]:
    """Each turn's choice by a second stage fitted without its document's questions."""
    folds = group_folds(turns, k)
    out = [0] * len(turns)
    for f in range(k):
        train = [(t, p) for t, p, g in zip(turns, probs, folds, strict=True) if g != f]
        second = fit_second([t for t, _ in train], [p for _, p in train])
        for i, (t, p, g) in enumerate(zip(turns, probs, folds, strict=True)):
            if g == f and len(p):
                out[i] = chosen_by(second, t, p, alternatives)
    return out


def outcomes(turns: Sequence[TurnData], probs: Sequence[np.ndarray], alternatives: int, side_ratio: float = 0.0,
             chosen: Sequence[int] | None = None) -> list[Outcome]:
    out = []
    for n, (t, ps) in enumerate(zip(turns, probs, strict=True)):
        if not len(ps):
            out.append(Outcome(t, 0.0, False, False, 0.0, np.zeros(len(CONFIDENCE_FEATURES))))
            continue
        i = chosen[n] if chosen is not None else choose(ps, t.items, t.want_n, alternatives)
        is_masked = bool(t.is_masked[i])
        beside: list[int] = []
        if not is_masked and not t.wants_list and not t.has_items[i]:
            beside = side_by_side(ps, i, t.place, lambda k, t=t: _value_key(t, k), side_ratio)
            beside += complements(ps, i, t.doc, lambda k, t=t: frozenset() if t.is_masked[k] else t.held[k], t.asked, beside)
        if t.masked:
            right = is_masked and t.doc[i] in t.docs
        elif beside:
            right = answer_contains("\n".join(t.text[k] for k in [i, *beside]), t.answers)
        else:
            right = bool(t.label[i]) and not is_masked
        evidence = Evidence(**dict(zip(MODEL_FEATURES, t.x[i].tolist(), strict=True)))
        precision = float(t.precision[i])
        if beside and t.answers:
            precision = answer_precision([v for k in [i, *beside] for v in t.values[k]], t.answers)
        out.append(Outcome(t, float(ps[i]), right, is_masked, precision, confidence_features(ps, i, evidence)))
    return out


def fit_confidence(outs: Sequence[Outcome]) -> Logistic | None:
    """A logistic model of P(the chosen answer is right) over the confidence inputs."""
    from sklearn.linear_model import LogisticRegression

    x = np.array([o.inputs for o in outs])
    y = np.array([1.0 if o.right else 0.0 for o in outs])
    if len(x) < 4 or y.min() == y.max():
        return None
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    clf = LogisticRegression(C=0.5, max_iter=3000).fit((x - mean) / scale, y)
    return Logistic(clf.coef_[0].astype(float), float(clf.intercept_[0]), mean, scale)


def _confidence(model: Logistic | None, outs: Sequence[Outcome]) -> np.ndarray:
    if model is None:
        return np.array([o.p for o in outs])
    x = np.array([o.inputs for o in outs]) if outs else np.zeros((0, len(CONFIDENCE_FEATURES)))
    return 1.0 / (1.0 + np.exp(-np.clip(model.raw(x), -30, 30))) if len(x) else np.zeros(0)


def calibrated(outs: Sequence[Outcome], k: int) -> np.ndarray:
    """Each turn's confidence from a confidence model fitted on the other folds' turns."""
    folds = group_folds([o.turn for o in outs], k)
    conf = np.zeros(len(outs))
    for f in range(k):
        model = fit_confidence([o for o, g in zip(outs, folds, strict=True) if g != f])
        idx = [i for i, g in enumerate(folds) if g == f]
        conf[idx] = _confidence(model, [outs[i] for i in idx])
    return conf


def scores(outs: Sequence[Outcome], conf: np.ndarray, threshold: float) -> dict[str, float]:
    """The answer layer's figures when answers below ``threshold`` are withheld."""
    answerable = [i for i, o in enumerate(outs) if o.turn.answers]
    unanswerable = [i for i, o in enumerate(outs) if o.turn.unanswerable]
    masked = [i for i, o in enumerate(outs) if o.turn.masked]
    given = [i for i, o in enumerate(outs) if conf[i] >= threshold]
    right = [i for i in answerable if i in set(given) and outs[i].right]
    given_answerable = [i for i in answerable if i in set(given) and not outs[i].masked]
    confident = [i for i in given if conf[i] >= CONFIDENT]
    return {
        "answer_accuracy": len(right) / len(answerable) if answerable else math.nan,
        "answer_precision": float(np.mean([outs[i].precision for i in given_answerable])) if given_answerable else math.nan,
        "abstain_recall": sum(1 for i in unanswerable if conf[i] < threshold) / len(unanswerable) if unanswerable else math.nan,
        "masked_accuracy": sum(1 for i in masked if conf[i] >= threshold and outs[i].right) / len(masked) if masked else math.nan,
        "wrong_when_confident": sum(1 for i in confident if not outs[i].right) / len(confident) if confident else 0.0,
        "answered": len(given) / len(outs) if outs else math.nan,
        "turns": float(len(outs)),
    }


def choose_threshold(outs: Sequence[Outcome], conf: np.ndarray, wrong_cost: float = WRONG_COST) -> tuple[float, list[dict[str, float]]]:
    """The threshold with the best utility: +1 per right answer, -``wrong_cost`` per answer
    given wrongly or where there is none; ties go to the higher (more cautious) threshold."""
    table = []
    for thr in np.round(np.arange(0.05, 0.96, 0.05), 2):
        given = conf >= thr
        right = sum(1 for o, g in zip(outs, given, strict=True) if g and o.right)
        wrong = sum(1 for o, g in zip(outs, given, strict=True) if g and not o.right)
        table.append({"threshold": float(thr), "utility": right - wrong_cost * wrong, **scores(outs, conf, float(thr))})
    best = max(table, key=lambda r: (r["utility"], r["threshold"]))
    return best["threshold"], table


def report_by(outs: Sequence[Outcome], conf: np.ndarray, threshold: float, key: Callable[[TurnData], str]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[int]] = {}
    for i, o in enumerate(outs):
        groups.setdefault(key(o.turn), []).append(i)
    return {g: scores([outs[i] for i in idx], conf[idx], threshold) for g, idx in sorted(groups.items())}


# -- the command ---------------------------------------------------------------------------
def train(
    items: Sequence[Item],
    answerer: Answerer,
    kind: str = "auto",
    folds: int = 5,
    heldout: bool = False,
    progress: Callable[[int, int], None] | None = None,
    augment: bool = True,
) -> tuple[Ranker, dict[str, Any]]:
    """Fit the ranker on the development items and report its cross-validated figures (and, with
    ``heldout``, its figures on the fixed held-out fold, which it never sees while fitting)."""
    t0 = time.perf_counter()
    if not heldout:  # the held-out fold is neither fitted on nor looked at
        items = [it for it in items if not is_heldout(it)]
    dev_items = [it for it in items if not is_heldout(it)]
    misses = near_misses(dev_items, "\n".join(answerer.sources.text(d) for d in answerer.index.doc_order)) if augment else []
    turns = collect([*items, *misses], answerer, progress)
    for t in turns:
        if t.id.endswith("~miss"):
            t.synthetic = True
            t.group = next((it.group for it in dev_items if f"{it.id}~miss" == t.id), t.group)
    dev = [t for t in turns if not t.heldout]
    held = [t for t in turns if t.heldout]
    alternatives = answerer.settings.count_alternatives
    t1 = time.perf_counter()
    kinds = ["trees", "logistic"] if kind == "auto" else [kind]
    cv: dict[str, Any] = {}
    best_kind, best_utility = kinds[0], -math.inf
    per_kind: dict[str, tuple[list[Outcome], np.ndarray, float]] = {}
    best_ratio = 0.0
    for kd in kinds:
        oof = out_of_fold(dev, kd, folds)
        picks = second_out_of_fold(dev, oof, folds, alternatives)
        for ratio in SIDE_RATIOS:
            every = outcomes(dev, oof, alternatives, ratio, picks)
            conf_all = calibrated(every, folds)  # near misses are fitted on, not scored
            real = [i for i, o in enumerate(every) if not o.turn.synthetic]
            outs, conf = [every[i] for i in real], conf_all[real]
            thr, table = choose_threshold(outs, conf)
            utility = max(r["utility"] for r in table)
            cv[f"{kd}, side-by-side {ratio:g}"] = {"threshold": thr, **scores(outs, conf, thr), "utility": utility}
            if utility > best_utility:
                best_kind, best_utility, best_ratio = kd, utility, ratio
                per_kind[kd] = (outs, conf, thr, every, oof)
    outs, conf, thr, every, best_oof = per_kind[best_kind]
    model = fit_model(*_training_rows(dev), best_kind)
    second = fit_second(dev, best_oof)  # stacked on predictions for documents held out from the first stage
    real = [t for t in dev if not t.synthetic]
    real_probs = [_probabilities(model, t.x) for t in real]
    in_sample = outcomes(real, real_probs, alternatives, best_ratio, [chosen_by(second, t, p, alternatives) if len(p) else 0 for t, p in zip(real, real_probs, strict=True)])
    confidence = fit_confidence(every)
    in_conf = _confidence(confidence, in_sample)
    report: dict[str, Any] = {
        "model": best_kind,
        "side_ratio": best_ratio,
        "features": list(MODEL_FEATURES),
        "data_hash": data_hash(dev),
        "folds": folds,
        "threshold": thr,
        "samples": {"turns": sum(1 for t in dev if not t.synthetic), "near_misses": sum(1 for t in dev if t.synthetic),
                    "candidates": int(sum(len(t.x) for t in dev)),
                    "positives": int(sum(t.label.sum() for t in dev)), "documents": len({t.group for t in dev})},
        "cross_validated": scores(outs, conf, thr),
        "cross_validated_by_set": report_by(outs, conf, thr, lambda t: t.source),
        "cross_validated_by_kind": report_by(outs, conf, thr, lambda t: t.kind or "-"),
        "models": cv,
        "in_sample": scores(in_sample, in_conf, thr),
        "collect_seconds": round(t1 - t0, 1),
        "fit_seconds": round(time.perf_counter() - t1, 1),
    }
    if heldout and held:
        h_probs = [_probabilities(model, t.x) for t in held]
        h_outs = outcomes(held, h_probs, alternatives, best_ratio, [chosen_by(second, t, p, alternatives) if len(p) else 0 for t, p in zip(held, h_probs, strict=True)])
        h_conf = _confidence(confidence, h_outs)
        report["heldout"] = scores(h_outs, h_conf, thr)
        report["heldout_by_kind"] = report_by(h_outs, h_conf, thr, lambda t: t.kind or "-")
    ranker = Ranker(MODEL_FEATURES, model, confidence, thr, {"report": report}, best_ratio, second)
    return ranker, report


def write_report(report: dict[str, Any], path: str | Path) -> Path:
    """The training report as JSON (``*.json``) or Markdown (any other suffix)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.suffix == ".json":
        p.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=float), encoding="utf-8")
    else:
        p.write_text(report_markdown(report), encoding="utf-8")
    return p


_COLUMNS = ("answer_accuracy", "answer_precision", "abstain_recall", "masked_accuracy", "wrong_when_confident", "answered", "turns")


def _row(name: str, s: dict[str, float]) -> str:
    def fmt(v: float) -> str:
        return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else (f"{int(v)}" if v > 1 else f"{v:.3f}")

    return f"| {name} | " + " | ".join(fmt(s.get(k)) for k in _COLUMNS) + " |"


def report_markdown(report: dict[str, Any]) -> str:
    """The answer ranker's figures: cross-validated by document (and beside them in-sample)."""
    head = "| | " + " | ".join(_COLUMNS) + " |\n|" + "---|" * (len(_COLUMNS) + 1)
    lines = [
        "# Answer ranker: cross-validated by document",
        "",
        f"Model: {report['model']} (answers side by side from {report['side_ratio']:g} of the chosen one's probability), "
        f"abstention threshold {report['threshold']:.2f}; {report['samples']['turns']} turns ({report['samples'].get('near_misses', 0)} "
        f"near misses made from them fitted on, not scored), {report['samples']['candidates']:,} candidates, "
        f"{report['samples']['documents']} document groups, {report['folds']} folds; data hash {report['data_hash']}.",
        "",
        "Every cross-validated figure comes from models fitted without the questions of the document scored; "
        "the in-sample row is the final model on the questions it was fitted on.",
        "",
        head,
        _row("**cross-validated**", report["cross_validated"]),
        _row("in-sample", report["in_sample"]),
    ]
    if "heldout" in report:
        lines.append(_row("**held-out fold**", report["heldout"]))
    lines += ["", "## Cross-validated, by question set", "", head]
    lines += [_row(k, v) for k, v in report["cross_validated_by_set"].items()]
    lines += ["", "## Cross-validated, by kind of question", "", head]
    lines += [_row(k, v) for k, v in report["cross_validated_by_kind"].items()]
    if "heldout_by_kind" in report:
        lines += ["", "## Held-out fold, by kind of question", "", head]
        lines += [_row(k, v) for k, v in report["heldout_by_kind"].items()]
    lines += ["", "## Model families and side-by-side answers tried (cross-validated)", "", "| | threshold | " + " | ".join(_COLUMNS) + " | utility |",
              "|" + "---|" * (len(_COLUMNS) + 3)]
    lines += [f"| {k} | {v['threshold']:.2f} | " + _row("", v).split("|", 2)[2].strip() + f" {v['utility']:.0f} |" for k, v in report["models"].items()]
    return "\n".join(lines) + "\n"
