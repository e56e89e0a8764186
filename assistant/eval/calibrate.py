"""Fit the abstention model: a logistic regression of "the answer is right" on the evidence
features the assistant reports, measured on the question sets.

Answerable questions answered correctly are positives; unanswerable questions and wrong
answers are negatives. The threshold is chosen on leave-one-out probabilities by a stated
utility: each correct answer kept scores +1 and each answer given where it should not be
(a wrong answer, or any answer to an unanswerable question) scores ``-wrong_cost``, so a
confident wrong answer costs more than an honest "not found". Ties go to the higher
threshold (the more cautious one).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..answer import Answerer, Calibration
from .metrics import answer_contains
from .questions import Item

log = logging.getLogger(__name__)

FEATURES = ("cover", "core", "own", "gap_year", "gap_typed", "gap_entity", "gap_measure", "gap_list", "gap_spec", "missing_rare")


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.3, negative_weight: float = 2.0, iterations: int = 4000) -> tuple[np.ndarray, float]:
    """Weighted, L2-regularised logistic regression by gradient descent."""
    w = np.zeros(x.shape[1])
    b = 0.0
    sample_w = np.where(y == 1, 1.0, negative_weight)
    n = len(y)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        r = (p - y) * sample_w
        w -= x.T @ r / n + l2 * w / n
        b -= r.mean()
    return w, b


def collect(items: list[Item], assistant: Answerer) -> list[dict[str, Any]]:
    """Answer every turn without abstaining and record its features and whether it is right."""
    # nothing abstains while collecting: every turn is answered and its evidence recorded
    probe = assistant.derive(Calibration({}, 10.0, 0.0), replace(assistant.settings, abstain_threshold=0.0))
    rows = []
    for item in items:
        history = []
        for i, turn in enumerate(item.turns):
            a = probe.ask(turn.question, history=history)
            history.append(a)
            if turn.retrieval_only:
                continue
            if turn.unanswerable:
                label, kind = 0, "unanswerable"
            else:
                ok = not a.abstained and answer_contains(a.text, turn.answers)
                label, kind = int(ok), "correct" if ok else "wrong"
            rows.append({"id": f"{item.id}#{i + 1}" if item.conversation else item.id, "label": label, "kind": kind,
                         "features": {k: float(getattr(a.evidence, k, 0.0)) if a.evidence else 0.0 for k in FEATURES}})
    return rows


def calibrate(items: list[Item], assistant: Answerer, wrong_cost: float = 2.0, negative_weight: float = 2.0) -> dict[str, Any]:
    """Fit the abstention model on ``items`` and choose its threshold (see the module doc)."""
    rows = collect(items, assistant)
    x = np.array([[r["features"][k] for k in FEATURES] for r in rows])
    y = np.array([r["label"] for r in rows], dtype=float)
    kinds = [r["kind"] for r in rows]
    w, b = fit_logistic(x, y, negative_weight=negative_weight)
    loo = np.zeros(len(y))
    for i in range(len(y)):
        mask = np.ones(len(y), dtype=bool)
        mask[i] = False
        wi, bi = fit_logistic(x[mask], y[mask], negative_weight=negative_weight, iterations=2000)
        loo[i] = 1.0 / (1.0 + np.exp(-(x[i] @ wi + bi)))
    correct = [i for i, k in enumerate(kinds) if k == "correct"]
    wrong = [i for i, k in enumerate(kinds) if k == "wrong"]
    unanswerable = [i for i, k in enumerate(kinds) if k == "unanswerable"]
    answerable = len(correct) + len(wrong)
    table = []
    for thr in np.round(np.arange(0.05, 0.96, 0.05), 2):
        kept = sum(1 for i in correct if loo[i] >= thr)
        wrong_kept = sum(1 for i in wrong if loo[i] >= thr)
        abst = sum(1 for i in unanswerable if loo[i] < thr)
        utility = kept - wrong_cost * (wrong_kept + len(unanswerable) - abst)
        table.append({"threshold": float(thr), "answer_accuracy": kept / max(answerable, 1),
                      "wrong_answers": wrong_kept, "abstain_recall": abst / max(len(unanswerable), 1),
                      "utility": float(utility)})
    chosen = max(table, key=lambda t: (t["utility"], t["threshold"]))
    return {
        "features": list(FEATURES),
        "weights": {k: round(float(v), 4) for k, v in zip(FEATURES, w, strict=True)},
        "bias": round(float(b), 4),
        "threshold": chosen["threshold"],
        "negative_weight": negative_weight,
        "wrong_cost": wrong_cost,
        "cross_validated": chosen,
        "thresholds": table,
        "samples": {"correct": len(correct), "wrong": len(wrong), "unanswerable": len(unanswerable)},
    }


def write_calibration(data: dict[str, Any], path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return p
