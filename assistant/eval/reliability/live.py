"""Live re-index: users keep asking a running server while ``assistant index`` rebuilds its
index folder (documents added, changed, removed). Every answer must succeed, and the server
must move to each new generation by itself (a question about the newly added document is
answered from it)."""

from __future__ import annotations

import logging
import random
import subprocess
import threading
import time
from typing import Any

from .common import Server, Workspace, failed_answer, latency_summary
from .load import scripts

log = logging.getLogger(__name__)

PLACES = ("달빛정원", "별빛광장", "무지개숲", "은하수길", "햇살마당", "구름다리공원", "노을전망대", "바람개비언덕")
DOC = """{place} 조성 계획

1. 사업 개요
 ○ 사업명: {place} 조성
 ○ 사업 기간: 2031년 3월부터 2032년 12월까지
 ○ 총사업비: {amount}억원 (시비 100%)

2. 담당: 공원조성과 ({phone})
"""


def run(ws: Workspace, rebuilds: int = 2, users: int = 4, seed: int = 11, pickup_timeout: float = 60.0) -> dict[str, Any]:
    rng = random.Random(seed)
    ws.build()
    plan = scripts()
    stop = threading.Event()
    answers: list[dict[str, Any]] = []
    lock = threading.Lock()
    rounds: list[dict[str, Any]] = []
    with Server(ws) as server:

        # every client is made before the load starts, one after another (each fetches the app's config)
        clients = [server.client() for _ in range(users + 1)]
        client = clients[users]  # the one that asks about each added document

        def user(u: int) -> None:
            client = clients[u]
            local = random.Random(seed + u)
            while not stop.is_set():
                for step in plan[local.randrange(len(plan))]:
                    t0 = time.monotonic()
                    try:
                        got: Any = client.predict(step.question, list(step.history), api_name="/ask")
                    except Exception as exc:
                        got = exc
                    with lock:
                        answers.append({"seconds": time.monotonic() - t0, "error": failed_answer(got), "question": step.question})
                    time.sleep(local.uniform(0.1, 0.6))

        threads = [threading.Thread(target=user, args=(u,), daemon=True) for u in range(users)]
        for t in threads:
            t.start()
        time.sleep(3)
        added: list[str] = []
        for i in range(rebuilds):
            op = "add" if i % 3 != 2 or not added else rng.choice(["change", "remove"])
            if op == "add":
                place = PLACES[i % len(PLACES)]
                name = f"live-{i}.txt"
                amount = rng.randint(10, 90)
                (ws.corpus / name).write_text(DOC.format(place=place, amount=amount, phone=f"02-2133-{2000 + i}"), encoding="utf-8")
                added.append(name)
            elif op == "change":
                target = ws.corpus / rng.choice(added)
                target.write_text(target.read_text(encoding="utf-8").replace("억원", "억 원"), encoding="utf-8")
            else:
                name = added.pop(rng.randrange(len(added)))
                (ws.corpus / name).unlink()
            t0 = time.monotonic()
            proc = subprocess.run(ws.index_cmd(), env=ws.env(), cwd=ws.base, capture_output=True, text=True, timeout=1800)
            rec: dict[str, Any] = {"round": i, "change": op, "build_ok": proc.returncode == 0, "build_seconds": round(time.monotonic() - t0, 1)}
            if proc.returncode != 0:
                rec["build_error"] = proc.stderr[-500:]
            if op == "add" and proc.returncode == 0:  # the server must answer from the new generation by itself
                question = f"{PLACES[i % len(PLACES)]} 조성 총사업비는?"
                t1 = time.monotonic()
                picked = None
                while time.monotonic() - t1 < pickup_timeout:
                    t2 = time.monotonic()
                    try:
                        got = client.predict(question, [], api_name="/ask")
                    except Exception as exc:  # a failed answer like the users' ones, not the end of the part
                        got = exc
                    with lock:
                        answers.append({"seconds": time.monotonic() - t2, "error": failed_answer(got), "question": question})
                    if not failed_answer(got) and any(c["doc"] == name for c in got.get("citations", [])):
                        picked = time.monotonic() - t1
                        break
                    time.sleep(0.5)
                rec["new_document_answered_after_s"] = round(picked, 2) if picked is not None else None
            rounds.append(rec)
            log.info("live re-index round %s", rec)
            time.sleep(2)
        stop.set()
        for t in threads:
            t.join(timeout=120)
        generations = sorted(p.name for p in ws.index.glob("*gen-*"))
        errors = server.errors()
    failed = [a for a in answers if a["error"]]
    return {
        "rebuilds": len(rounds),
        "builds_ok": sum(r["build_ok"] for r in rounds),
        "answers": len(answers),
        "failed_answers": len(failed),
        "failed_examples": [a["error"] for a in failed[:5]],
        "new_documents_answered": sum(1 for r in rounds if r.get("new_document_answered_after_s") is not None),
        "new_documents_added": sum(1 for r in rounds if r["change"] == "add" and r["build_ok"]),
        "latency": latency_summary([a["seconds"] for a in answers if not a["error"]]),
        "server_log_errors": len(errors),
        "server_log_examples": errors[:3],
        "generations_on_disk_at_end": len(generations),
        "rounds": rounds,
    }
