"""``report.md`` and ``results.json`` of a reliability run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _lat(d: dict[str, Any]) -> str:
    return f"p50 {d['p50_s']:.2f} s · p95 {d['p95_s']:.2f} s · p99 {d['p99_s']:.2f} s · max {d['max_s']:.2f} s (n={d['n']})"


def _summary(part: str, r: dict[str, Any]) -> str:
    if "error" in r:
        return f"did not run: {r['error']}"
    if part == "crash":
        return (f"{r['passed']}/{r['trials']} trials passed ({r['killed_mid_build']} killed mid-build, {r['injected_commit_points']} at an "
                f"injected commit step; after the kill: previous generation {r['previous_generation_after_kill']}, new "
                f"{r['new_generation_after_kill']}); an uninterrupted build took {r['build_seconds']} s")
    if part == "live":
        picked = [x["new_document_answered_after_s"] for x in r["rounds"] if x.get("new_document_answered_after_s") is not None]
        return (f"{r['failed_answers']} failed answers of {r['answers']} during {r['rebuilds']} rebuilds by `assistant index` "
                f"({r['builds_ok']} succeeded); {r['new_documents_answered']}/{r['new_documents_added']} added documents answered from the new "
                f"generation (after {max(picked, default=0):.1f} s at most); {r['server_log_errors']} server log errors; "
                f"{r['generations_on_disk_at_end']} generations on disk at the end; latency {_lat(r['latency'])}")
    if part == "malformed":
        if r.get("build_failed"):
            return f"the build did not finish ({'hang' if r.get('hangs') else 'failed'})"
        return (f"{r['kinds']} kinds ({r['bad_kinds']} bad); {r['hangs']} hangs; build {r['build_seconds']} s; good documents lost: "
                f"{len(r['good_documents_lost'])}; bad files unreported: {len(r['bad_files_unreported'])}; paths unaccounted: "
                f"{len(r['paths_unaccounted'])}; over budget: {len(r['over_budget'])}; text from outside the corpus: {len(r['leaked_outside_text'])}")
    if part == "fuzz":
        s = r.get("server", {})
        return (f"{r['questions']} questions: {r['exceptions_raised']} raised, {r['exceptions_logged']} logged; {_lat(r['latency'])}; "
                f"through the server: {s.get('failed', '-')} failed of {s.get('questions', 0)}, {s.get('log_errors', '-')} log errors")
    if part == "load":
        parts = []
        for ph in r["phases"]:
            line = f"{ph['name']}: {ph['errors']} errors, {ph['mixed']} mixed of {ph['questions']}; p50 {ph['latency']['p50_s']:.2f} s, p95 {ph['latency']['p95_s']:.2f} s"
            if "upload" in ph:
                line += (f"; during the upload ({ph['upload']['seconds']} s, indexed: {ph['upload']['indexed']}) p50 "
                         f"{ph['latency_during_upload']['p50_s']:.2f} s, p95 {ph['latency_during_upload']['p95_s']:.2f} s")
            parts.append(line)
        return "; ".join(parts)
    if part == "security":
        b = r.get("browser", {})
        return (f"{r['routes_checked']} routes without login: {len(r['routes_without_login'])} answered; {r['traversal_forms']} traversal "
                f"forms: {len(r['traversal_served'])} served; Chromium: script ran: {b.get('executed')}, markup shown as text: "
                f"{b.get('shown_as_text')}")
    return ""


def markdown(res: dict[str, Any]) -> str:
    m = res["machine"]
    runs = res.get("runs") or [{"started": res["started"], "command": res["command"], "parts": list(res["parts"]), "seconds": res["seconds"],
                                "machine": m}]
    lines = [f"# Reliability report ({res['profile']} profile)", ""]
    for run in runs:
        rm = run["machine"]
        lines.append(f"Run {run['started']} (`{run['command'] or 'assistant check'}`: {', '.join(run['parts'])}), {run['seconds'] / 60:.1f} min, "
                     f"on {rm['cpus']} CPUs ({rm['platform']}, Python {rm['python']}); load average before {rm['load_average_before'][0]}, "
                     f"after {rm['load_average_after'][0]}.")
        lines.append("")
    lines += [
        "The machine is shared: latencies include other work (the load average of each part, at its start and end, is in the table; "
        "2 CPUs means a load average above 2 leaves each process less than a core).",
        "",
        f"Overall: **{'pass' if res['passed'] else 'FAIL'}**.",
        "",
        "| part | target | result | measured | load average |",
        "|---|---|---|---|---|",
    ]
    for part, r in res["parts"].items():
        la = r.get("load_average")
        load = (f"{la[0]} → {la[1]}" + (" (whole run)" if r.get("load_average_of") == "run" else "")) if la else ""
        lines.append(f"| {part} | {r['target']} | {'pass' if r['passed'] else '**FAIL**'} | {_summary(part, r)} | {load} |")
    lines += ["", "## How each part measures", ""]
    lines += [
        "- **crash**: a random change of the corpus (add, change, remove a document), then `assistant index` killed with SIGKILL after a "
        "random delay within the measured build time (start-up included), or a driver that kills itself at one of the steps of the "
        "commit (renames, fsyncs, the swap of CURRENT, the removal of old generations). Then: the index loads (SQLite, BM25 and FAISS "
        "agree), SQLite's integrity check passes, the live generation is the one from before or the whole new one, a question is "
        "answered; an uninterrupted build then succeeds and holds exactly the corpus.",
        "- **live**: a server answers several users continuously while `assistant index` rebuilds its folder (documents added, "
        "changed, removed); failed answers are exceptions or the generic error answer; each added document must be answered from the "
        "new generation without a restart.",
        "- **malformed**: the files below are written into a copy of the corpus and indexed by `assistant index` with a time limit; "
        "parse times come from the build summary, characters and chunks from the index.",
        "- **fuzz**: questions and conversations generated from the question sets (seeded), answered in-process (exceptions raised "
        "and ERROR log records counted, latency measured per question) and a sample through the server's HTTP API with the request "
        "escaped as a browser would send it.",
        "- **load**: each user is a thread with its own Gradio client and its own conversation (questions of the question sets "
        "and their follow-ups), waiting a random think time between questions (the settings below) after a random start; every "
        "answer is compared with the answer the same question and conversation get alone (before and, with an upload, after it). "
        "The upload goes through the web chat's upload event (`/upload`) while the users ask.",
        "- **security**: the server runs with a login; data routes are requested without it; files are requested by absolute, "
        "relative, encoded and double-encoded paths with it; Chromium logs in, asks a question with markup, reads an uploaded "
        "document whose text and file name hold markup.",
        "",
        f"Settings: `{json.dumps(res['settings'], ensure_ascii=False)}`",
        "",
    ]
    mal = res["parts"].get("malformed", {})
    if mal.get("cases"):
        lines += ["## Malformed corpus", "", "| kind | file | expected | outcome | reason | parse s |", "|---|---|---|---|---|---|"]
        for c in mal["cases"]:
            reason = str(c["reason"]).replace("|", "\\|")[:120]
            parse = "" if c["parse_s"] is None else f"{c['parse_s']:.2f}"
            lines.append(f"| {c['kind']} | `{c['path'][:40]}` | {c['expect']} | {c['outcome']}{'' if c['ok'] else ' **✗**'} | {reason} | {parse} |")
        lines.append("")
    load_part = res["parts"].get("load", {})
    if load_part.get("phases"):
        lines += ["## Load", "", "| phase | questions | errors | mixed | p50 s | p95 s | p99 s | during upload p50 / p95 s | upload s | q/s |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for ph in load_part["phases"]:
            up = ph.get("latency_during_upload")
            during = f"{up['p50_s']:.2f} / {up['p95_s']:.2f}" if up else ""
            lines.append(f"| {ph['name']} (think {ph['think_s'][0]:g}–{ph['think_s'][1]:g} s) | {ph['questions']} | {ph['errors']} | {ph['mixed']} | "
                         f"{ph['latency']['p50_s']:.2f} | {ph['latency']['p95_s']:.2f} | {ph['latency']['p99_s']:.2f} | "
                         f"{during} | {ph.get('upload', {}).get('seconds', '')} | {ph['throughput_qps']} |")
        lines.append("")
    failures = {p: r for p, r in res["parts"].items() if not r["passed"]}
    if failures:
        lines += ["## Failures", ""]
        for part, r in failures.items():
            detail = {k: v for k, v in r.items() if k in ("error", "failures", "failed_examples", "examples", "good_documents_lost",
                                                           "bad_files_unreported", "paths_unaccounted", "over_budget", "routes_without_login",
                                                           "traversal_served", "browser", "server_log_examples")}
            lines += [f"### {part}", "", "```", json.dumps(detail, ensure_ascii=False, indent=1)[:4000], "```", ""]
    return "\n".join(lines) + "\n"


def write(res: dict[str, Any], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(res, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    path = folder / "report.md"
    path.write_text(markdown(res), encoding="utf-8")
    return path
