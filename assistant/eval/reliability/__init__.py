"""The reliability suite (``assistant check``): crash trials, a live re-index under a running
server, a malformed-file corpus, fuzzed questions, load with an upload, and security. Each part
runs the real programs (``assistant index``, ``assistant serve``) in a workspace of its own and
talks to the server through Gradio's client API; none imports the app. The short profile runs
in CI; ``--full`` is the one whose figures go into ``eval/reliability/report.md``."""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import crash, fuzz, live, load, malformed, security
from .common import ROOT, Workspace

log = logging.getLogger(__name__)

PARTS = ("crash", "live", "malformed", "fuzz", "load", "security")


@dataclass(frozen=True)
class Profile:
    crash_trials: int
    live_rebuilds: int
    live_users: int
    malformed_sizes: str
    malformed_limits: dict[str, Any]
    fuzz_questions: int
    fuzz_server_sample: int
    load_users: tuple[int, ...]
    load_rounds: int
    load_think: tuple[float, float]
    load_closed_loop_users: int


PROFILES = {
    "ci": Profile(5, 2, 4, "ci", {"parse_seconds": 10, "max_chars": 5_000}, 200, 20, (8,), 1, (1.0, 4.0), 0),
    "full": Profile(100, 6, 8, "full", {}, 3000, 300, (8, 32), 3, (3.0, 10.0), 32),
}
#: What each part must show (the issue's "done when").
TARGETS = {
    "crash": "every trial: the index after the kill loads, is consistent and answers; the next build matches the corpus",
    "live": "0 failed answers while `assistant index` rebuilds; each added document answered from the new generation",
    "malformed": "no hang; every good document indexed; every bad file reported; none over its budget; nothing from outside the corpus",
    "fuzz": "0 exceptions; p99 under 1 s",
    "load": "0 errors, 0 mixed answers; 32 users: p95 under 2 s, under 5 s during an upload",
    "security": "401 on every data route without login; no traversal; markup shown as text in Chromium",
}


@dataclass
class CheckOptions:
    full: bool = False
    parts: Sequence[str] = PARTS
    out: Path | None = None  # report.md and results.json go here
    workdir: Path | None = None  # workspaces (default: a temporary folder, removed at the end)
    corpus: Path = ROOT / "corpus"
    cache: Path | None = ROOT / "index" / "cache"  # an embedding cache to start from (copied)
    overrides: dict[str, Any] = field(default_factory=dict)  # Profile fields to change
    command: str = ""
    merge: bool = True  # a run of some parts keeps the other parts' figures of the results.json in ``out``


def _verdict(part: str, r: dict[str, Any], profile: Profile) -> bool:
    if part == "crash":
        return r["trials"] > 0 and r["passed"] == r["trials"]
    if part == "live":
        return (r["failed_answers"] == 0 and r["builds_ok"] == r["rebuilds"] and r["new_documents_answered"] == r["new_documents_added"]
                and r["server_log_errors"] == 0)
    if part == "malformed":
        return bool(r["passed"]) and r["hangs"] == 0
    if part == "fuzz":
        server = r.get("server", {})
        return (r["exceptions_raised"] + r["exceptions_logged"] == 0 and r["latency"]["p99_s"] < 1.0
                and server.get("failed", 0) == 0 and server.get("log_errors", 0) == 0)
    if part == "load":
        ok = r["server_log_errors"] == 0
        for ph in r["phases"]:
            ok &= ph["errors"] == 0 and ph["mixed"] == 0
            if "no think time" in ph["name"]:
                continue  # saturation: reported, not a target
            if ph["users"] >= 32:
                ok &= ph["latency"]["p95_s"] < 2.0 if "upload" not in ph else ph["latency_during_upload"]["p95_s"] < 5.0
            if "upload" in ph:
                ok &= ph["upload"]["indexed"]
        return ok
    if part == "security":
        return bool(r["passed"])
    raise ValueError(part)


RUNNERS: dict[str, Callable[[Workspace, Profile], dict[str, Any]]] = {
    "crash": lambda ws, p: crash.run(ws, trials=p.crash_trials),
    "live": lambda ws, p: live.run(ws, rebuilds=p.live_rebuilds, users=p.live_users),
    "malformed": lambda ws, p: malformed.run(ws, profile=p.malformed_sizes, **p.malformed_limits),
    "fuzz": lambda ws, p: fuzz.run(ws, n=p.fuzz_questions, server_sample=p.fuzz_server_sample),
    "load": lambda ws, p: load.run(ws, users=p.load_users, rounds=p.load_rounds, think=p.load_think, closed_loop_users=p.load_closed_loop_users),
    "security": lambda ws, p: security.run(ws),
}


def run_check(options: CheckOptions, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the chosen parts; returns (and writes, when ``options.out`` is set) the results."""
    name = "full" if options.full else "ci"
    profile = Profile(**{**asdict(PROFILES[name]), **options.overrides})
    base = Path(options.workdir) if options.workdir else Path(tempfile.mkdtemp(prefix="assistant-check-"))
    cache = options.cache if options.cache and Path(options.cache).is_file() else None
    started = time.strftime("%Y-%m-%d %H:%M:%S %z")
    load_before = os.getloadavg()
    results: dict[str, Any] = {}
    t0 = time.monotonic()
    try:
        for part in options.parts:
            if progress:
                progress(f"{part}: {TARGETS[part]}")
            ws = Workspace(base / part, Path(options.corpus), cache)
            tp = time.monotonic()
            part_started, part_load = time.strftime("%Y-%m-%d %H:%M:%S %z"), os.getloadavg()[0]
            try:
                figures = RUNNERS[part](ws, profile)
                passed = _verdict(part, figures, profile)
            except Exception as exc:  # a part that cannot run fails; the others still run
                log.exception("reliability part %s failed to run", part)
                figures, passed = {"error": f"{type(exc).__name__}: {exc}"}, False
            results[part] = {"passed": passed, "seconds": round(time.monotonic() - tp, 1), "target": TARGETS[part], "started": part_started,
                             "load_average": [round(part_load, 2), round(os.getloadavg()[0], 2)], **figures}
            if progress:
                progress(f"{part}: {'pass' if passed else 'FAIL'} ({results[part]['seconds']:.0f} s)")
            if cache is None and (ws.cache).is_file():
                cache = ws.cache  # later parts start from what this one embedded
    finally:
        if not options.workdir:
            shutil.rmtree(base, ignore_errors=True)
    out = {
        "profile": name,
        "settings": asdict(profile),
        "passed": all(r["passed"] for r in results.values()),
        "started": started,
        "seconds": round(time.monotonic() - t0, 1),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_before": [round(x, 2) for x in load_before], "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "command": options.command,
        "parts": results,
    }
    if options.out:
        from .report import write

        previous = Path(options.out) / "results.json"
        if options.merge and previous.is_file() and set(options.parts) != set(PARTS):
            out = merge(json.loads(previous.read_text(encoding="utf-8")), out)
        write(out, Path(options.out))
    return out


def merge(previous: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``new`` (a run of some parts) with the other parts' figures from ``previous``, when both
    ran the same profile with the same settings; otherwise ``new`` alone."""
    if previous.get("profile") != new["profile"] or previous.get("settings") != json.loads(json.dumps(new["settings"])):
        log.warning("results in the report folder are of another profile or settings: not merged")
        return new
    parts = {p: previous["parts"][p] for p in PARTS if p in previous.get("parts", {})}
    parts.update(new["parts"])
    for p, r in parts.items():  # a part of the earlier run: when and under what load it ran
        if p not in new["parts"]:
            r.setdefault("started", previous["started"])
            if "load_average" not in r:  # figures of a run that did not note each part's: the whole run's
                r["load_average"] = [previous["machine"]["load_average_before"][0], previous["machine"]["load_average_after"][0]]
                r["load_average_of"] = "run"
    runs = previous.get("runs") or [{"started": previous["started"], "command": previous.get("command", ""), "parts": list(previous["parts"]),
                                     "seconds": previous["seconds"], "machine": previous["machine"]}]
    runs = [*runs, {"started": new["started"], "command": new["command"], "parts": list(new["parts"]), "seconds": new["seconds"],
                    "machine": new["machine"]}]
    ordered = {p: parts[p] for p in PARTS if p in parts}
    return {**new, "parts": ordered, "passed": all(r["passed"] for r in ordered.values()), "runs": runs}


def dumps(results: dict[str, Any]) -> str:
    return json.dumps(results, ensure_ascii=False, indent=1)


__all__ = ["PARTS", "PROFILES", "TARGETS", "CheckOptions", "Profile", "merge", "run_check"]
