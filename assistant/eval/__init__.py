"""Evaluation: question sets, metrics, the harness that runs systems side by side, reports,
the calibration of the abstention model, the benchmark and the reliability suite. Uses search and answer; only the
app imports it."""

from .bench import run_bench
from .calibrate import calibrate, write_calibration
from .harness import SYSTEMS, EvalResult, evaluate
from .metrics import answer_contains, mrr, ndcg_at_k, recall_at_k
from .questions import Item, QuestionSetError, Turn, load_questions, parse_questions
from .reliability import PARTS as CHECK_PARTS
from .reliability import CheckOptions, run_check
from .report import summary_table, write_json, write_report

__all__ = [
    "CHECK_PARTS",
    "SYSTEMS",
    "CheckOptions",
    "EvalResult",
    "Item",
    "QuestionSetError",
    "Turn",
    "answer_contains",
    "calibrate",
    "evaluate",
    "load_questions",
    "mrr",
    "ndcg_at_k",
    "parse_questions",
    "recall_at_k",
    "run_bench",
    "run_check",
    "summary_table",
    "write_calibration",
    "write_json",
    "write_report",
]
