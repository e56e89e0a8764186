"""Crash trials: ``kill -9`` of ``assistant index`` at random moments of a build (and at each
step of the commit, by a driver that kills itself there), each after a random change of the
corpus (a document added, changed or removed).

After every kill: the index loads and is consistent (SQLite, BM25 and FAISS hold the same
chunks; SQLite's integrity check passes), it is either the generation from before the build
or the complete new one (never a mixture), and it answers a question. Then a build without a
kill must succeed and match the corpus.
"""

from __future__ import annotations

import logging
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from ...answer import Answerer
from ...index import IndexFolder, Manifest, SearchIndex, create_embedder
from .common import ROOT, Workspace

log = logging.getLogger(__name__)

PROBE = "2019년에 우호교류협약을 맺은 지자체는?"

#: Kills itself at the ``point``-th step of IndexFolder.commit (renames, fsyncs, the CURRENT swap, cleanup).
COMMIT_DRIVER = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {root!r})
    from assistant.index import folder as F
    from assistant.index.embedders import create_embedder
    from assistant.index.indexer import Indexer
    point = {point}
    steps = [0]
    inside = [False]
    def step(name):
        if inside[0]:
            steps[0] += 1
            if steps[0] == point:
                print("killed at", name, flush=True)
                os.kill(os.getpid(), signal.SIGKILL)
    real_replace, real_fsync, real_remove = os.replace, F._fsync_dir, F._remove_unless_read
    def replace(a, b):
        step("before replace " + os.path.basename(str(b)))
        real_replace(a, b)
        step("after replace " + os.path.basename(str(b)))
    def fsync(p):
        step("fsync " + os.path.basename(str(p)))
        real_fsync(p)
    def remove(p):
        step("before removing " + os.path.basename(str(p)))
        return real_remove(p)
    os.replace, F._fsync_dir, F._remove_unless_read = replace, fsync, remove
    real_commit = F.IndexFolder.commit
    def commit(self, tmp):
        inside[0] = True
        step("commit start")
        out = real_commit(self, tmp)
        step("commit end")
        inside[0] = False
        return out
    F.IndexFolder.commit = commit
    Indexer({index!r}, create_embedder(), {cache!r}).build([{corpus!r}])
    print("finished", flush=True)
    """
)
COMMIT_POINTS = 9


def _docs(index: Path) -> set[str] | None:
    current = IndexFolder(index).current()
    return set(Manifest.load(current).documents) if current else None


def _corpus_docs(corpus: Path) -> set[str]:
    return {p.name for p in corpus.iterdir() if p.is_file() and not p.name.startswith(".")}


def _mutate(corpus: Path, rng: random.Random, pool: list[str], trial: int) -> str:
    extras = sorted(p for p in corpus.glob("extra-*.txt"))
    ops = ["add", "modify"] + (["remove"] if extras else [])
    op = rng.choice(ops)
    if op == "add":
        (corpus / f"extra-{trial:03d}.txt").write_text(rng.choice(pool) + f"\n\n추가 문서 {trial}번: 시험용 문장입니다.\n", encoding="utf-8")
    elif op == "modify":
        target = rng.choice(extras) if extras else corpus / f"extra-{trial:03d}.txt"
        text = target.read_text(encoding="utf-8") if target.exists() else rng.choice(pool)
        target.write_text(text + f"\n변경 {trial}: 일정이 바뀌었습니다.\n", encoding="utf-8")
    else:
        rng.choice(extras).unlink()
    return op


def _check_index(index: Path, embedder: Any) -> tuple[str, set[str]]:
    """'' if the live index is whole and answers, else what is wrong; and its documents."""
    try:
        loaded = SearchIndex.load(index)  # checks SQLite, BM25 and FAISS agree
    except Exception as exc:
        return f"does not load: {exc}", set()
    docs = set(loaded.documents)
    con = sqlite3.connect(f"file:{loaded.path / 'store.sqlite'}?mode=ro", uri=True)
    try:
        ok = con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()
    if ok != "ok":
        return f"SQLite integrity check: {ok}", docs
    answer = Answerer(index, embedder).ask(PROBE)
    if answer.kind == "error":
        return f"error answer: {answer.text}", docs
    return "", docs


def run(ws: Workspace, trials: int = 5, seed: int = 7, commit_share: float = 0.25) -> dict[str, Any]:
    """``trials`` kills (a share of them at injected commit steps); returns the figures."""
    rng = random.Random(seed)
    pool = [p.read_text(encoding="utf-8") for p in sorted(ws.corpus.glob("*.txt"))][:3]
    ws.build()
    embedder = create_embedder()
    # how long a build takes here, start-up included: kills are spread over it
    _mutate(ws.corpus, rng, pool, 999)
    t0 = time.monotonic()
    ws.build()
    duration = time.monotonic() - t0
    results: list[dict[str, Any]] = []
    for i in range(trials):
        before = _docs(ws.index)
        op = _mutate(ws.corpus, rng, pool, i)
        after = _corpus_docs(ws.corpus)
        injected = rng.random() < commit_share
        rec: dict[str, Any] = {"trial": i, "change": op}
        if injected:
            point = 1 + (i % COMMIT_POINTS)
            code = COMMIT_DRIVER.format(root=str(ROOT), point=point, index=str(ws.index), cache=str(ws.cache), corpus=str(ws.corpus))
            proc = subprocess.run([sys.executable, "-c", code], env=ws.env(), cwd=ws.base, capture_output=True, text=True, timeout=900)
            rec["kill"] = f"commit step {point}: " + (proc.stdout.strip().splitlines() or ["?"])[-1]
            rec["killed"] = proc.returncode == -signal.SIGKILL
        else:
            delay = rng.uniform(0.2, duration * 1.1)
            proc2 = subprocess.Popen(ws.index_cmd(), env=ws.env(), cwd=ws.base, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
            time.sleep(delay)
            rec["killed"] = proc2.poll() is None
            if rec["killed"]:
                proc2.send_signal(signal.SIGKILL)
            proc2.wait(60)
            rec["kill"] = f"after {delay:.2f} s of {duration:.1f} s"
        problem, docs = _check_index(ws.index, embedder)
        if not problem and docs not in (before, after):
            problem = f"a mixture: {len(docs)} documents, neither the {len(before or ())} before nor the {len(after)} after"
        rec["after_kill"] = problem or "ok"
        rec["generation"] = "new" if docs == after and docs != before else "previous"
        try:
            summary = ws.build()
            problem2, docs2 = _check_index(ws.index, embedder)
            if not problem2 and docs2 != after:
                problem2 = f"the next build holds {len(docs2)} documents, the corpus {len(after)}"
            leftovers = [p.name for p in ws.index.glob(".tmp-gen-*")]
            if leftovers:
                problem2 = problem2 or f"unfinished generations left: {leftovers}"
            rec["next_build"] = problem2 or "ok"
            rec["next_build_seconds"] = round(summary.get("seconds", 0.0), 1)
        except Exception as exc:
            rec["next_build"] = f"failed: {exc}"[:300]
        rec["ok"] = rec["after_kill"] == "ok" and rec["next_build"] == "ok"
        results.append(rec)
        log.info("crash trial %d: %s", i, rec)
    passed = sum(r["ok"] for r in results)
    return {
        "trials": len(results),
        "passed": passed,
        "killed_mid_build": sum(1 for r in results if r.get("killed")),
        "injected_commit_points": sum(1 for r in results if str(r.get("kill", "")).startswith("commit")),
        "previous_generation_after_kill": sum(1 for r in results if r.get("generation") == "previous"),
        "new_generation_after_kill": sum(1 for r in results if r.get("generation") == "new"),
        "build_seconds": round(duration, 1),
        "failures": [r for r in results if not r["ok"]][:10],
        "trial_log": results,
    }
