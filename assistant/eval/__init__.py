"""Evaluation: question sets, metrics, the harness that runs systems side by side, reports,
and the calibration of the abstention model. Uses retrieval and answering; nothing imports it."""

from .metrics import answer_contains, mrr, ndcg_at_k, recall_at_k
from .questions import Item, Turn, load_questions

__all__ = ["Item", "Turn", "answer_contains", "load_questions", "mrr", "ndcg_at_k", "recall_at_k"]
