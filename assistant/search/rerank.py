"""An optional second stage: a cross-encoder reads the question with each of the best passages
and reorders them (sentence-transformers ``CrossEncoder``, any model name or local path, e.g.
``BAAI/bge-reranker-v2-m3``). Off unless configured (``[retrieval] reranker``)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from ..records import Hit

log = logging.getLogger(__name__)


class RerankerError(RuntimeError):
    """The reranking model cannot be loaded."""


class Reranker:
    """Scores ``(question, passage)`` pairs with a cross-encoder; the passage is its heading
    context and text (what the first stage indexed)."""

    def __init__(self, model: str, device: str = "cpu", max_length: int = 512, batch_size: int = 16):
        try:
            from sentence_transformers import CrossEncoder
        except ImportError as exc:
            raise ImportError(
                "the reranker needs torch and sentence-transformers: pip install torch==2.13.0 && pip install 'assistant[st]'"
            ) from exc
        local = Path(model).expanduser()
        self.name = str(local.resolve()) if local.exists() else model
        self.batch_size = batch_size
        try:
            self._model = CrossEncoder(self.name, device=device, max_length=max_length)
        except Exception as exc:  # the library raises many kinds (OSError, HFValidationError, ...)
            hint = " (no network for model hubs here: bring the model folder onto this machine and give its path)" if not local.exists() else ""
            raise RerankerError(f"cannot load the reranker {model!r}: {exc}{hint}") from exc
        self._lock = threading.Lock()
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    def scores(self, question: str, passages: Sequence[str]) -> list[float]:
        """One relevance score a passage (higher is more relevant)."""
        if not passages:
            return []
        with self._lock:
            out = self._model.predict([(question, p) for p in passages], batch_size=self.batch_size, show_progress_bar=False,
                                      convert_to_numpy=True)
        return [float(x) for x in out.reshape(len(passages), -1)[:, -1]]

    def rerank(self, question: str, hits: Sequence[Hit], top: int = 20) -> list[Hit]:
        """The first ``top`` hits reordered by the cross-encoder (its score becomes ``Hit.score``,
        the first stage's ``lexical``/``dense`` stay); the rest follow in their order."""
        head, tail = list(hits[:top]), list(hits[top:])
        if len(head) < 2:
            return list(hits)
        s = self.scores(question, [h.chunk.index_text for h in head])
        order = sorted(range(len(head)), key=lambda i: (-s[i], i))
        out = [replace(head[i], score=s[i]) for i in order] + tail
        return [replace(h, rank=r) for r, h in enumerate(out, start=1)]


@lru_cache(maxsize=2)
def shared_reranker(model: str, device: str = "cpu") -> Reranker:
    """One loaded reranker per model for the process (an index reload keeps it)."""
    return Reranker(model, device)


def create_reranker(model: str, device: str = "cpu", max_length: int = 512, batch_size: int = 16) -> Reranker | None:
    """The configured reranker, or ``None`` when ``model`` is empty (reranking off)."""
    return Reranker(model, device, max_length, batch_size) if model.strip() else None
