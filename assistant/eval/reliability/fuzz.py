"""Fuzzed questions: real questions mutated with lone surrogates, control and terminal codes,
invisible and right-to-left characters, markup, injections, very long text and long or
strange conversations. Every question must get an answer or a polite message, with no
exception logged; the latency of each is measured (in-process, and a sample through the
server's API, whose log must stay free of errors)."""

from __future__ import annotations

import json
import logging
import random
import time
from typing import Any

from ...answer import Answerer
from ...index import create_embedder
from ..questions import load_questions
from .common import ROOT, Server, Workspace, failed_answer, latency_summary, raw_ask

log = logging.getLogger(__name__)

INSERTS = (
    "\ud800", "\udfff", "\ud83d", "\x00", "\x07", "\x1b[31m", "\x1b[0m", "\x1b]0;title\x07", "\u200b", "\u200d", "\u202e", "\u2066",
    "\ufeff", "\ufffd", "\u0301", "\u3000", "\x85", "\u2028", "🙂", "👨‍👩‍👧", "ㄱ", "ᄀ", "丁", "\U00020000", "\t", "\r\n", "\\", "%s", "{0}",
)
WHOLE = (
    "", " ", "\n\n\n", "?", "??????", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "'; DROP TABLE documents; --",
    "\" OR 1=1 --", "((((((((((", "[[[[[[", "*" * 50, "{{7*7}}", "${jndi:ldap://x}", "../../../../etc/passwd", "%00%0a%0d",
    "9" * 400 + "년 예산은?", "2019.13.45 예산", "0년 0월 0일", "-1년", "1e308년 예산", "NaN", "null", "undefined", "\\u0000",
    "가" * 2000, "가" * 2001, "가 " * 5000, "a" * 100_000,
)
HISTORY_KINDS = ("none", "normal", "long", "json", "odd")


def _questions() -> list[str]:
    items = load_questions(sorted((ROOT / "eval" / "questions").glob("*.jsonl")))
    return [t.question for it in items for t in it.turns]


def _mutate(q: str, rng: random.Random) -> str:
    chars = list(q)
    for _ in range(rng.randint(1, 6)):
        chars.insert(rng.randint(0, len(chars)), rng.choice(INSERTS))
    return "".join(chars)


def _random_unicode(rng: random.Random, n: int) -> str:
    blocks = ((0x20, 0x7E), (0xAC00, 0xD7A3), (0x1100, 0x11FF), (0x4E00, 0x9FFF), (0x0600, 0x06FF), (0x0300, 0x036F), (0x1F300, 0x1FAFF),
              (0xD800, 0xDFFF), (0x0000, 0x001F), (0xE000, 0xF8FF))
    out = []
    for _ in range(n):
        a, b = rng.choice(blocks)
        out.append(chr(rng.randint(a, b)))
    return "".join(out)


def cases(n: int, seed: int = 3) -> list[tuple[str, list[Any]]]:
    """``n`` (question, history) pairs, the same for the same seed."""
    rng = random.Random(seed)
    real = _questions()
    out: list[tuple[str, list[Any]]] = []
    for _ in range(n):
        r = rng.random()
        if r < 0.35:
            q = _mutate(rng.choice(real), rng)
        elif r < 0.5:
            q = rng.choice(WHOLE)
        elif r < 0.65:
            q = _random_unicode(rng, rng.choice((1, 5, 40, 300, 1500)))
        elif r < 0.75:
            q = " ".join(rng.choice(real) for _ in range(rng.randint(5, 40)))  # a long pasted text
        elif r < 0.8:
            q = bytes(rng.randrange(256) for _ in range(rng.randint(1, 200))).decode("latin-1")
        else:
            q = rng.choice(real)
        kind = rng.choice(HISTORY_KINDS)
        if kind == "normal":
            hist: list[Any] = [rng.choice(real) for _ in range(rng.randint(1, 3))]
        elif kind == "long":
            hist = [_mutate(rng.choice(real), rng) for _ in range(rng.randint(50, 200))]
        elif kind == "json":
            hist = [json.dumps({"question": rng.choice(real), "query": _mutate(rng.choice(real), rng)}, ensure_ascii=False), "{not json"]
        elif kind == "odd":
            hist = [rng.choice(WHOLE), _random_unicode(rng, 50), "", {"question": None}, [rng.choice(real)], 12345, None]
        else:
            hist = []
        out.append((q, hist))
    return out


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()[:200]}")


def run(ws: Workspace, n: int = 200, server_sample: int = 30, seed: int = 3) -> dict[str, Any]:
    ws.build()
    pairs = cases(n, seed)
    embedder = create_embedder()
    answerer = Answerer(ws.index, embedder)
    answerer.ask("서울시 우호교류협약")  # warm up (models, caches)
    handler = _Errors()
    root = logging.getLogger("assistant")
    root.addHandler(handler)
    raised: list[str] = []
    seconds: list[float] = []
    kinds: dict[str, int] = {}
    try:
        for q, hist in pairs:
            t0 = time.perf_counter()
            try:
                answer = answerer.ask(q, history=hist)
                kinds[answer.kind] = kinds.get(answer.kind, 0) + 1
                json.dumps(answer.to_dict(), ensure_ascii=False).encode("utf-8")  # what the API sends
            except Exception as exc:
                raised.append(f"{type(exc).__name__}: {exc}"[:200])
            seconds.append(time.perf_counter() - t0)
    finally:
        root.removeHandler(handler)
    slowest = sorted(zip(seconds, (q for q, _ in pairs), strict=True), key=lambda x: -x[0])[:3]
    out: dict[str, Any] = {
        "questions": len(pairs),
        "exceptions_raised": len(raised),
        "exceptions_logged": len(handler.records),
        "examples": (raised + handler.records)[:5],
        "latency": latency_summary(seconds),
        "answer_kinds": kinds,
        "slowest": [{"seconds": round(s, 3), "question": q[:80].encode("utf-8", "backslashreplace").decode(), "chars": len(q)} for s, q in slowest],
    }
    if server_sample:
        sample = pairs[:: max(1, len(pairs) // server_sample)][:server_sample]
        failed, lat = [], []
        with Server(ws) as server:
            for q, hist in sample:
                t0 = time.monotonic()
                try:
                    got: Any = raw_ask(server.url, q, [h for h in hist if isinstance(h, str)])
                except Exception as exc:
                    got = exc
                lat.append(time.monotonic() - t0)
                if failed_answer(got):
                    failed.append(failed_answer(got))
            errors = server.errors()
        out["server"] = {"questions": len(sample), "failed": len(failed), "examples": failed[:3], "latency": latency_summary(lat),
                         "log_errors": len(errors), "log_examples": errors[:3]}
    return out
