"""Evaluation: question sets, metrics, the harness that runs systems side by side, reports,
the training of the answer ranker, the fusion fit, the benchmark and the reliability suite. Uses search and answer; only the
app imports it."""

from .bench import run_bench
from .fitfusion import METRICS as FUSION_METRICS
from .fitfusion import run as fit_fusion
from .fitfusion import write_report as write_fusion_report
from .harness import SYSTEMS, EvalResult, evaluate
from .metrics import answer_contains, mrr, ndcg_at_k, recall_at_k
from .questions import Item, QuestionSetError, Turn, is_heldout, load_questions, parse_questions, split_heldout
from .reliability import PARTS as CHECK_PARTS
from .reliability import CheckOptions, run_check
from .report import summary_table, write_json, write_report
from .train import train
from .train import write_report as write_train_report

__all__ = [
    "CHECK_PARTS",
    "FUSION_METRICS",
    "SYSTEMS",
    "CheckOptions",
    "EvalResult",
    "Item",
    "QuestionSetError",
    "Turn",
    "answer_contains",
    "evaluate",
    "fit_fusion",
    "is_heldout",
    "load_questions",
    "mrr",
    "ndcg_at_k",
    "parse_questions",
    "recall_at_k",
    "run_bench",
    "run_check",
    "split_heldout",
    "summary_table",
    "train",
    "write_fusion_report",
    "write_json",
    "write_report",
    "write_train_report",
]
