"""Run retrieval systems and the assistant on the same questions and score them.

Retrieval systems (``bm25``, ``dense``, ``hybrid``) get each question as written; the
``assistant`` answers conversations turn by turn with their history.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..answer import Answerer
from ..records import Answer
from .metrics import (
    abstention_scores,
    answer_contains,
    answer_precision,
    answer_recall_at_k,
    ndcg_at_k,
    passage_ndcg_at_k,
    passage_recall_at_k,
    passage_relevant,
    percentile,
    recall_at_k,
    reciprocal_rank,
)
from .questions import Item, Turn

log = logging.getLogger(__name__)

SYSTEMS = ("bm25", "dense", "hybrid", "reranked", "assistant")  # reranked: hybrid, then the configured reranker
MAX_ANSWER_CHARS = 300  # an answer longer than this reads like a dump, whatever it holds
DEFAULT_KS = (1, 3, 5, 10)
#: ``progress(done, total, message)``
Progress = Callable[[int, int, str], None]


@dataclass
class TurnResult:
    id: str
    system: str
    turn: Turn
    index: int  # 0 for single questions, 0.. for conversation turns
    retrieved: list[str] = field(default_factory=list)
    chunk_texts: list[str] = field(default_factory=list)
    passages: list[int] = field(default_factory=list)  # chunk ids, in rank order
    relevant: frozenset[int] = frozenset()  # chunk ids of the gold documents that hold an answer
    answer: Answer | None = None
    latency_ms: float = 0.0
    passed: bool | None = None
    why: str = ""

    def record(self) -> dict[str, Any]:
        a = self.answer
        return {
            "id": self.id,
            "system": self.system,
            "question": self.turn.question,
            "answer": a.text if a else (self.chunk_texts[0] if self.chunk_texts else ""),
            "abstained": bool(a.abstained) if a else False,
            "citations": [{"doc": c.doc_id, "start": c.start, "end": c.end} for c in a.citations] if a else [],
            "retrieved": self.retrieved,
            "pass": self.passed,
            "why": self.why,
            "latency_ms": round(self.latency_ms, 2),
        }


@dataclass
class EvalResult:
    systems: tuple[str, ...]
    ks: tuple[int, ...]
    items: list[Item]
    results: dict[str, list[TurnResult]]
    summary: dict[str, dict[str, float | None]]

    def to_json(self) -> dict[str, Any]:
        questions: list[dict[str, Any]] = []
        for system in self.systems:
            by_id: dict[str, list[TurnResult]] = {}
            for r in self.results[system]:
                by_id.setdefault(r.id, []).append(r)
            for item in self.items:
                rs = by_id.get(item.id, [])
                if item.conversation:
                    questions.append({"id": item.id, "system": system, "turns": [r.record() for r in rs]})
                elif rs:
                    questions.append(rs[0].record())
        return {"summary": self.summary, "questions": questions}


def _judge_assistant(turn: Turn, a: Answer) -> tuple[bool | None, str]:
    if turn.masked:
        cited = any(c.doc_id in turn.docs for c in a.citations[:2])
        if a.kind == "masked" and cited:
            return True, "said the value is not disclosed, citing the document"
        return False, "did not say the value is masked" if a.kind != "masked" else "did not cite the document"
    if turn.unanswerable:
        return (True, "abstained") if a.abstained else (False, f"answered although the documents do not say: {a.text[:80]}")
    if turn.retrieval_only:
        ok = any(c.doc_id in turn.docs for c in a.citations[:1])
        return ok, "cited a gold document" if ok else "no gold document cited"
    if a.abstained:
        return False, f"abstained (confidence {a.confidence:.2f})"
    missing = [x for x in turn.answers if not answer_contains(a.text, [x])]
    return (not missing), ("ok" if not missing else "missing: " + ", ".join(missing[:5]))


def _judge_retrieval(turn: Turn, retrieved: list[str]) -> tuple[bool | None, str]:
    if turn.unanswerable:
        return None, "unanswerable: not scored for retrieval"
    ok = bool(recall_at_k(retrieved, turn.docs, 5))
    return ok, "gold document in the top 5" if ok else "no gold document in the top 5"


class Relevance:
    """The passages of an index's gold documents that hold an expected answer (each document read once)."""

    def __init__(self, store: Any):
        self.store = store
        self._chunks: dict[str, list[tuple[int, str]]] = {}

    def __call__(self, docs: Sequence[str], answers: Sequence[str]) -> frozenset[int]:
        if not answers:
            return frozenset()
        out: set[int] = set()
        for d in docs:
            if d not in self._chunks:
                self._chunks[d] = [(c.id, c.index_text) for c in self.store.document_chunks(d)]
            out |= {cid for cid, text in self._chunks[d] if passage_relevant(text, answers)}
        return frozenset(out)


def evaluate(
    items: Sequence[Item],
    assistant: Answerer,
    systems: Sequence[str] | None = None,
    ks: Sequence[int] = DEFAULT_KS,
    progress: Progress | None = None,
    unit: str = "passage",
) -> EvalResult:
    """Run every system on every question (conversations turn by turn) and summarise (``systems``:
    all, ``reranked`` only when the retriever has a reranker). Retrieval systems return ``unit``s:
    10 passages, or the passages of 10 documents grouped under them."""
    if systems is None:
        systems = [s for s in SYSTEMS if s != "reranked" or assistant.retriever.reranker is not None]
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        raise ValueError(f"unknown system(s) {', '.join(unknown)}; choose from {', '.join(SYSTEMS)}")
    if unit not in ("passage", "document"):
        raise ValueError(f"unknown unit {unit!r}; choose passage or document")
    if "reranked" in systems and assistant.retriever.reranker is None:
        raise ValueError("the reranked system needs a reranker: set [retrieval] reranker to a cross-encoder's name or folder")
    ks = tuple(sorted(set(int(k) for k in ks)))
    systems = list(systems)
    depth = max(max(ks), 10)
    results: dict[str, list[TurnResult]] = {s: [] for s in systems}
    total = sum(len(it.turns) for it in items) * len(systems)
    done = 0
    retriever = assistant.retriever
    relevance = Relevance(retriever.index.store)
    for system in systems:
        for item in items:
            history: list[Answer] = []
            for i, turn in enumerate(item.turns):
                r = TurnResult(item.id, system, turn, i)
                t0 = time.perf_counter()
                if system == "assistant":
                    r.answer = assistant.ask(turn.question, history=history)
                    r.latency_ms = (time.perf_counter() - t0) * 1000
                    history.append(r.answer)
                    r.retrieved = list(r.answer.retrieved)
                    r.passed, r.why = _judge_assistant(turn, r.answer)
                else:
                    reranked = system == "reranked"
                    hits = retriever.search(turn.question, k=depth, mode="hybrid" if reranked else system, unit=unit, rerank=reranked)
                    r.latency_ms = (time.perf_counter() - t0) * 1000
                    r.retrieved = [h.chunk.doc_id for h in hits]
                    r.chunk_texts = [h.chunk.index_text for h in hits]
                    r.passages = [h.chunk.id for h in hits]
                    r.relevant = relevance(turn.docs, turn.answers)
                    r.passed, r.why = _judge_retrieval(turn, r.retrieved)
                results[system].append(r)
                done += 1
                if progress:
                    progress(done, total, f"{system} {item.id}")
    summary = {s: summarise(results[s], ks, s == "assistant") for s in systems}
    return EvalResult(tuple(systems), ks, list(items), results, summary)


def summarise(rs: Sequence[TurnResult], ks: Sequence[int], is_assistant: bool) -> dict[str, float | None]:
    """Metrics of one system over its turn results."""
    out: dict[str, float | None] = {}
    with_docs = [r for r in rs if r.turn.docs]
    with_answers = [r for r in rs if r.turn.answers]
    for k in ks:
        out[f"recall@{k}"] = _mean([recall_at_k(r.retrieved, r.turn.docs, k) for r in with_docs])
        if not is_assistant:
            out[f"answer_recall@{k}"] = _mean([answer_recall_at_k(r.chunk_texts, r.turn.answers, k) for r in with_answers])
    out["mrr"] = _mean([reciprocal_rank(r.retrieved, r.turn.docs) for r in with_docs])
    out["ndcg@10"] = _mean([ndcg_at_k(r.retrieved, r.turn.docs, 10) for r in with_docs])
    if not is_assistant:  # passage level: a passage of a gold document that holds an answer
        judged = [r for r in with_docs if r.relevant]
        for k in ks:
            out[f"p_recall@{k}"] = _mean([passage_recall_at_k(r.passages, r.relevant, k) for r in judged])
        out["p_ndcg@10"] = _mean([passage_ndcg_at_k(r.passages, r.relevant, 10) for r in judged])
    lat = [r.latency_ms for r in rs]
    out["latency_p50_ms"] = round(percentile(lat, 50), 2)
    out["latency_p95_ms"] = round(percentile(lat, 95), 2)
    if is_assistant:
        answered = [r for r in with_answers]
        out["answer_accuracy"] = _mean([1.0 if r.passed else 0.0 for r in answered])
        out["citation_accuracy"] = _mean(
            [1.0 if (r.answer and r.answer.citations and not r.answer.abstained and r.answer.citations[0].doc_id in r.turn.docs) else 0.0 for r in answered]
        )
        scored = [r for r in rs if not r.turn.retrieval_only and not r.turn.masked]
        abstained = [bool(r.answer and r.answer.abstained) for r in scored]
        unanswerable = [r.turn.unanswerable for r in scored]
        p, rec = abstention_scores(abstained, unanswerable)
        out["abstain_precision"] = round(p, 4)
        out["abstain_recall"] = round(rec, 4)
        follow = [r for r in rs if r.index > 0]
        out["followup_accuracy"] = _mean([1.0 if r.passed else 0.0 for r in follow])
        given = [r for r in answered if r.answer and not r.answer.abstained]
        out["answer_precision"] = _mean([answer_precision(r.answer.values or (r.answer.text,), r.turn.answers) for r in given if r.answer])
        lengths = [len(r.answer.text) for r in rs if r.answer and not r.answer.abstained]
        out["answer_chars_p95"] = round(percentile(lengths, 95), 1) if lengths else None
        out["over_length"] = _mean([1.0 if n > MAX_ANSWER_CHARS else 0.0 for n in lengths])
        masked = [r for r in rs if r.turn.masked]
        out["masked_accuracy"] = _mean([1.0 if r.passed else 0.0 for r in masked])
        stages = sorted({k for r in rs if r.answer for k in r.answer.timings if k != "total_ms"})
        for st in stages:
            vals = [r.answer.timings[st] for r in rs if r.answer and st in r.answer.timings]
            out[f"{st.removesuffix('_ms')}_p50_ms"] = round(percentile(vals, 50), 2)
            out[f"{st.removesuffix('_ms')}_p95_ms"] = round(percentile(vals, 95), 2)
    return out


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None
