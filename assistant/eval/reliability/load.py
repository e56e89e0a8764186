"""Load: N users at once through Gradio's client API, each with a conversation of its own
(questions and their follow-ups), with and without an upload being indexed meanwhile.

Every answer is compared with the answer the same question and conversation get when asked
alone (computed first, one at a time): a different answer is a *mixed* answer (another user's
state leaking in, or a corrupted one). While an upload is indexed, the index changes when it
commits, so an answer may equal either the reference from before the upload or the one from
after it. Errors are exceptions, the generic error answer, and error lines in the server log.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..questions import load_questions
from .common import ROOT, Server, Workspace, failed_answer, latency_summary, same_answer

log = logging.getLogger(__name__)

#: A document uploaded during the load: about a subject none of the questions asks about.
UPLOAD_TEXT = """도시농업 공공텃밭 분양 계획

1. 추진 배경
 ○ 시민이 직접 농작물을 기르는 도시농업 수요가 늘어 공공텃밭을 확대한다.

2. 분양 개요
 ○ 분양 규모: 텃밭 {n}구획 (구획당 10㎡)
 ○ 신청 기간: 3월 4일부터 3월 15일까지
 ○ 분양 방법: 신청자가 많으면 공개 추첨

3. 담당: 도시농업과 텃밭운영팀 (02-2133-{n:04d})
"""


@dataclass(frozen=True)
class Step:
    """One question of a user's script and the conversation before it."""

    question: str
    history: tuple[str, ...]

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        return self.question, self.history


def scripts(question_dir: Path = ROOT / "eval" / "questions") -> list[list[Step]]:
    """Users' scripts: each conversation of the question sets (asked turn after turn), and each
    single question followed by a follow-up that depends on it."""
    items = load_questions(sorted(question_dir.glob("*.jsonl")))
    out: list[list[Step]] = []
    followups = ("그럼 2020년에는?", "담당 부서는 어디야?", "그 사업의 예산은?")
    for k, item in enumerate(items):
        turns = [t.question for t in item.turns]
        if len(turns) == 1:
            turns.append(followups[k % len(followups)])
        out.append([Step(q, tuple(turns[:i])) for i, q in enumerate(turns)])
    return out


def _references(server: Server, steps: Sequence[Step]) -> dict[tuple[str, tuple[str, ...]], dict[str, Any]]:
    client = server.client()
    return {s.key: client.predict(s.question, list(s.history), api_name="/ask") for s in steps}


def _mixed(step: Step, got: dict[str, Any], refs: list[dict]) -> str:
    if got.get("question") != step.question:
        return f"answer to {got.get('question')!r} for {step.question!r}"
    if not any(same_answer(got, r[step.key]) for r in refs if step.key in r):
        return f"not the answer given alone for {step.question!r} (history {len(step.history)})"
    return ""


def _phase(server: Server, users: int, rounds: int, think: tuple[float, float], plan: list[list[Step]], refs: list[dict], seed: int,
           upload: Path | None = None) -> dict[str, Any]:
    """One load phase; ``refs`` are the acceptable reference answers (before and after an upload)."""
    rng = random.Random(seed)
    results: list[dict[str, Any]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(users + (1 if upload else 0))
    upload_window: dict[str, float] = {}

    clients: list[Any] = []
    for _ in range(users):  # made one after another before the load starts (each fetches the app's config)
        try:
            clients.append(server.client())
        except Exception as exc:
            clients.append(exc)

    def user(u: int) -> None:
        script = plan[u % len(plan)]
        local = random.Random(rng.random() + u)
        client = clients[u]
        if isinstance(client, Exception):
            exc = client
            with lock:
                results.append({"user": u, "error": f"client: {type(exc).__name__}: {exc}", "seconds": 0.0, "start": 0.0})
            barrier.abort()
            return
        try:
            barrier.wait(timeout=300)
        except threading.BrokenBarrierError:
            return
        time.sleep(local.uniform(0, think[1]))  # users do not all start in the same millisecond
        for _ in range(rounds):
            for step in script:
                t0 = time.monotonic()
                try:
                    got: Any = client.predict(step.question, list(step.history), api_name="/ask")
                except Exception as exc:  # reported as an error
                    got = exc
                took = time.monotonic() - t0
                with lock:
                    results.append({"user": u, "step": step, "answer": got, "seconds": took, "start": t0, "end": t0 + took,
                                    "error": failed_answer(got)})
                time.sleep(local.uniform(*think))

    def uploader() -> None:
        from gradio_client import handle_file

        client = server.client()
        barrier.wait(timeout=300)
        time.sleep(2.0)  # the load is running
        upload_window["start"] = time.monotonic()
        try:
            out = client.predict([handle_file(str(upload))], api_name="/upload")
            html = str(out[0] if isinstance(out, (list, tuple)) else out)
            upload_window["ok"] = float("색인에 반영" in html)
            upload_window["html"] = html[:500]  # type: ignore[assignment]
        except Exception as exc:
            upload_window["ok"] = 0.0
            upload_window["html"] = f"{type(exc).__name__}: {exc}"  # type: ignore[assignment]
        upload_window["end"] = time.monotonic()

    threads = [threading.Thread(target=user, args=(u,), daemon=True) for u in range(users)]
    if upload:
        threads.append(threading.Thread(target=uploader, daemon=True))
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=3600)
    wall = time.monotonic() - t0
    if upload:  # the index changed when the upload committed: the answers after it are acceptable too
        refs = [*refs, _references(server, list({r["step"].key: r["step"] for r in results if "step" in r}.values()))]
    for r in results:
        r["mixed"] = "" if r["error"] else _mixed(r["step"], r["answer"], refs)
    lat = [r["seconds"] for r in results if not r["error"]]
    out: dict[str, Any] = {
        "users": users,
        "rounds": rounds,
        "think_s": list(think),
        "questions": len(results),
        "errors": sum(1 for r in results if r["error"]),
        "mixed": sum(1 for r in results if r.get("mixed")),
        "latency": latency_summary(lat),
        "wall_s": round(wall, 1),
        "throughput_qps": round(len(results) / wall, 2) if wall else 0.0,
        "examples": [r["error"] or r["mixed"] for r in results if r["error"] or r.get("mixed")][:5],
    }
    if upload:
        a, b = upload_window.get("start", 0.0), upload_window.get("end", 0.0)
        during = [r["seconds"] for r in results if not r["error"] and r["end"] > a and r["start"] < b]
        out["upload"] = {"indexed": bool(upload_window.get("ok")), "seconds": round(b - a, 1), "result": upload_window.get("html", "")}
        out["latency_during_upload"] = latency_summary(during)
    return out


def run(ws: Workspace, users: Sequence[int] = (8, 32), rounds: int = 2, think: tuple[float, float] = (1.0, 3.0), upload: bool = True,
        seed: int = 17, closed_loop_users: int = 0) -> dict[str, Any]:
    """Load phases for each number of users, then the same with an upload; returns the figures."""
    ws.build()
    plan = scripts()
    random.Random(seed).shuffle(plan)
    plan = plan[: max(users)]  # one script per user (the references cover exactly these)
    steps = {s.key: s for script in plan for s in script}
    phases: list[dict[str, Any]] = []
    with Server(ws, concurrency=8) as server:
        refs = _references(server, list(steps.values()))
        for n in users:
            phases.append({"name": f"{n} users", **_phase(server, n, rounds, think, plan, [refs], seed + n)})
        if closed_loop_users:
            phases.append({"name": f"{closed_loop_users} users, no think time", **_phase(server, closed_loop_users, rounds, (0.0, 0.0), plan, [refs], seed)})
        if upload:
            for k, n in enumerate(users):
                doc = ws.base / "incoming" / f"도시농업-텃밭-{k}.txt"
                doc.parent.mkdir(exist_ok=True)
                doc.write_text(UPLOAD_TEXT.format(n=120 + k), encoding="utf-8")
                phases.append({"name": f"{n} users + upload", **_phase(server, n, rounds, think, plan, [refs], seed + 100 + n, upload=doc)})
                refs = _references(server, list(steps.values()))
        errors = server.errors()
    return {"phases": phases, "server_log_errors": len(errors), "server_log_examples": errors[:3], "scripts": len(plan),
            "distinct_questions": len(steps), "log": str(server.log_path)}


def write_upload_doc(path: Path, n: int) -> Path:
    path.write_text(UPLOAD_TEXT.format(n=n), encoding="utf-8")
    return path


def dumps(result: dict[str, Any]) -> str:
    return json.dumps(result, ensure_ascii=False, indent=1)
