"""Abstention: signs that the chosen evidence does not hold what was asked, and the
calibrated probability that an answer is right (below the threshold the assistant says it
did not find the answer)."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..lexicon import AMOUNT_KIND, COUNT_ITEM
from ..records import Answer, Evidence
from ..search import QueryAnalysis

FEATURES = tuple(f.name for f in fields(Evidence))


@dataclass(frozen=True)
class Calibration:
    """Logistic model of P(the answer is right) over evidence features, fitted on the question
    sets by ``assistant calibrate``; ``threshold`` is the abstention point chosen there."""

    weights: dict[str, float]
    bias: float
    threshold: float

    def probability(self, evidence: Evidence) -> float:
        z = self.bias + sum(w * getattr(evidence, k, 0.0) for k, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def threshold_for(self, configured: float | None) -> float:
        """The configured threshold when set (``answer.abstain_threshold``), else the fitted one."""
        return self.threshold if configured is None else configured


# used only until ``assistant calibrate`` has written assistant/data/calibration.json
DEFAULT_CALIBRATION = Calibration(
    {"cover": 1.2, "core": 1.8, "own": 0.7, "gap_year": -4.0, "gap_typed": -3.5, "gap_entity": -2.3, "gap_measure": -2.8,
     "gap_list": -1.4, "missing_rare": -0.5},
    -1.0,
    0.4,
)


def calibration_path() -> Path:
    return Path(str(resources.files("assistant.data").joinpath("calibration.json")))


@lru_cache(maxsize=1)
def load_calibration() -> Calibration:
    """The committed calibration (``assistant/data/calibration.json``), or the default."""
    try:
        data = json.loads(calibration_path().read_text(encoding="utf-8"))
        return Calibration(dict(data["weights"]), float(data["bias"]), float(data["threshold"]))
    except (FileNotFoundError, KeyError, ValueError):
        return DEFAULT_CALIBRATION


def evidence_gaps(a: QueryAnalysis, wants_list: bool, f: Evidence, evidence: str, answer: Answer) -> dict[str, float]:
    """Binary signs that the chosen evidence does not hold what was asked: the asked year is
    not there, no value of the asked kind, a named place/person/code absent from the index,
    another amount than the one asked (집행액 asked, 예산액 found), only counts where names are
    asked, or a quantity the question specifies (1분기) missing."""
    flat = evidence.replace(" ", "")
    measures = [m.group() for m in AMOUNT_KIND.finditer(a.text)]
    measure_gap = any(m.removesuffix("액") not in flat for m in measures) if measures and a.language == "ko" else False
    specs = [t for t in a.content if re.fullmatch(r"\d+(?:분기|월|차|회|개|명|건|층|호)", t)]
    return {
        "gap_spec": float(any(t not in flat for t in specs)),
        "gap_year": float(f.year < 0 or f.doc_year < 0),
        "gap_typed": float(f.typed_q > 0 and f.typed < 0.5),
        "gap_entity": float(f.missing_entity > 0),
        "gap_measure": float(measure_gap),
        # names asked ("명단은?"), only counts given ("16개", "광역3")
        "gap_list": float(wants_list and bool(answer.items) and all(
            (len(it) <= 8 and re.search(r"\d", it)) or COUNT_ITEM.search(it) for it in answer.items)),
    }
