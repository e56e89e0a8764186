"""Run the evaluation questions on indexes built from the PDF, HWPX, HWP and DOCX renderings.

Usage: ``python eval/formats/run_variants.py [--formats pdf,hwpx,hwp,docx] [--out eval/formats/RESULTS.md]``

For the text exports and for each format, an index of the five corpus documents plus the
ten distractors in ``eval/distractors`` is built exactly as ``assistant eval`` builds its
evaluation index (``assistant.cli.build_index`` with the configured embedder and cache). The
gold document ids of the questions are remapped to the rendered file names (same stem, the
format's suffix) and the assistant is scored with the same harness. The figures go to a
table on stdout and to ``RESULTS.md``, with every question whose pass/fail differs from the
text index, the harness's verdict and the reason found for it (``REASONS``).

Renderings come from ``eval/formats/render_corpus.py``; indexes go to ``index/eval-formats/``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1].parent
sys.path.insert(0, str(ROOT))

from assistant.app import Assistant  # noqa: E402
from assistant.app.cli import build_index  # noqa: E402
from assistant.config import load_config  # noqa: E402
from assistant.eval.harness import EvalResult, evaluate  # noqa: E402
from assistant.eval.questions import Item, load_questions  # noqa: E402

RENDERED = ROOT / "eval" / "formats" / "corpus"
CORPUS = ROOT / "corpus"
DISTRACTORS = ROOT / "eval" / "distractors"
QUESTIONS = sorted((ROOT / "eval" / "questions").glob("*.jsonl"))
INDEX_ROOT = ROOT / "index" / "eval-formats"
RESULTS = ROOT / "eval" / "formats" / "RESULTS.md"
FORMATS = ("pdf", "hwpx", "hwp", "docx")
METRICS = (
    "answer_accuracy",
    "citation_accuracy",
    "abstain_recall",
    "abstain_precision",
    "followup_accuracy",
    "recall@1",
    "recall@5",
    "mrr",
)

#: Why a question passes on one index and not on another, as found by reading the answers,
#: by question id (and turn for conversations: "conv-002#2"); a format-specific reason is
#: keyed by "id@format".
REASONS: dict[str, str] = {
    "lst-018": (
        "export artefact, fixed in the renderings. The text export breaks the item \"- '18. 11. 29. : 학교 주변 보행안전 "
        '개선사업(산기슭도로)(민관협치" before "사업) 공사 완료"; the parser takes that line for a label heading, so the '
        "【18년 4분기】 section ends there and the list misses 쓰레기문제 개선사업 and 임대공간. The renderings keep the item "
        "as one paragraph (`FIXES['003']` in render_corpus.py), so all five projects are listed."
    ),
    "tbl-042": (
        "export artefact, fixed in the renderings. The export flattened 004's 진행순서 table into lines laid out with "
        "spaces, which the parser reads as paragraphs, so the PT보고 row's time and presenter are not linked. The "
        "renderings have the table again (`FIXES['004']`); its row gives 14:05~14:20 and 협치조정관."
    ),
    "lst-020": (
        "answer selection, not a reader. The restored 진행순서 table (see tbl-042) has a column headed 주 요 내 용, and "
        "'분과회의(9월) 주요내용은?' is now answered from that table (row 안내 → 참석자 소개 및 인사) instead of the four "
        "list items under the label line 주요내용. Rendering 004 without the table fix makes it pass (checked on HWPX, "
        "whose parse is the same as the other formats'; only lst-018 then differs). The choice between a table column and a labelled list is made in "
        "answer.py / tablelookup.py."
    ),
}


def remap(items: list[Item], fmt: str) -> list[Item]:
    """Questions whose gold corpus documents are named as the ``fmt`` renderings."""
    stems = {p.name: f"{p.stem}.{fmt}" for p in CORPUS.glob("*.txt")}

    def turn(t: Any) -> Any:
        return replace(t, docs=tuple(stems.get(d, d) for d in t.docs))

    return [replace(it, turns=tuple(turn(t) for t in it.turns)) for it in items]


def outcomes(result: EvalResult) -> dict[str, tuple[bool | None, str, str]]:
    """``id`` (``id#turn`` in conversations) → (passed, harness verdict, answer text)."""
    out: dict[str, tuple[bool | None, str, str]] = {}
    for r in result.results["assistant"]:
        item = next(it for it in result.items if it.id == r.id)
        key = f"{r.id}#{r.index + 1}" if item.conversation else r.id
        out[key] = (r.passed, r.why, (r.answer.text if r.answer else "")[:160])
    return out


def run(formats: list[str], files: list[Path], quiet: bool = True, rendered: Path = RENDERED) -> dict[str, Any]:
    cfg = load_config(None)
    items = load_questions(files)
    runs: dict[str, dict[str, Any]] = {}
    settings = [("text", [str(CORPUS), str(DISTRACTORS)], cfg.paths.eval_index)]
    settings += [(fmt, [str(rendered / fmt), str(DISTRACTORS)], str(INDEX_ROOT / fmt)) for fmt in formats]
    for name, folders, index_dir in settings:
        t0 = time.perf_counter()
        # the renderings rarely change but the readers do: rebuild (vectors come from the cache)
        summary = build_index(cfg, folders, index_dir, rebuild=name != "text", quiet=True)
        if summary.skipped:
            raise SystemExit(f"{name}: files skipped: {[(s.path, s.reason) for s in summary.skipped]}")
        assistant = Assistant.from_config(cfg, index_dir).answerer
        qs = items if name == "text" else remap(items, name)
        result = evaluate(qs, assistant, ["assistant"], (1, 3, 5, 10))
        runs[name] = {
            "summary": result.summary["assistant"],
            "outcomes": outcomes(result),
            "index": {"documents": summary.documents, "chunks": summary.chunks, "tables": summary.tables, "path": index_dir},
            "seconds": round(time.perf_counter() - t0, 1),
        }
        if not quiet:
            s = result.summary["assistant"]
            print(
                f"{name:<5} answer {s['answer_accuracy']:.3f} citation {s['citation_accuracy']:.3f} "
                f"abstain recall {s['abstain_recall']:.3f} recall@5 {s['recall@5']:.3f} ({runs[name]['seconds']} s)",
                flush=True,
            )
    return runs


def figures_table(runs: dict[str, Any]) -> str:
    names = list(runs)
    lines = ["| metric | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for m in METRICS:
        cells = []
        for n in names:
            v = runs[n]["summary"].get(m)
            cells.append("–" if v is None else f"{v:.3f}")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    for key in ("documents", "chunks", "tables"):
        lines.append(f"| index {key} | " + " | ".join(str(runs[n]["index"][key]) for n in names) + " |")
    return "\n".join(lines)


def differences(runs: dict[str, Any]) -> list[dict[str, Any]]:
    base = runs["text"]["outcomes"]
    rows = []
    for key, (ok, why, text) in base.items():
        per = {n: runs[n]["outcomes"][key] for n in runs if n != "text"}
        if all(v[0] == ok for v in per.values()):
            continue
        qid = key.split("#")[0]
        reasons = {n: REASONS.get(f"{qid}@{n}") or REASONS.get(f"{key}@{n}") for n in per}
        rows.append(
            {"id": key, "text": (ok, why, text), "formats": per, "reason": REASONS.get(key) or REASONS.get(qid), "by_format": reasons}
        )
    return rows


def _mark(ok: bool | None) -> str:
    return "–" if ok is None else ("pass" if ok else "FAIL")


def write_results(runs: dict[str, Any], command: str, path: Path) -> None:
    fmts = [n for n in runs if n != "text"]
    out = [
        "# Format variants: the same questions on PDF, HWPX, HWP and DOCX renderings",
        "",
        "Generated by `eval/formats/run_variants.py`; the renderings come from `eval/formats/render_corpus.py`.",
        "Each index holds the five corpus documents in one format plus the ten distractors of `eval/distractors/`",
        "(built like `assistant eval` builds its evaluation index); gold document ids are remapped to the rendered",
        "file names. `text` is the ordinary evaluation index of the text exports.",
        "",
        "```",
        command,
        "```",
        "",
        figures_table(runs),
        "",
        "## Questions whose pass/fail differs from the text index",
        "",
    ]
    diffs = differences(runs)
    if not diffs:
        out.append("None.")
    for d in diffs:
        ok, why, _ = d["text"]
        marks = ", ".join(f"{n} {_mark(d['formats'][n][0])}" for n in fmts)
        out.append(f"### {d['id']}: text {_mark(ok)}; {marks}")
        out.append("")
        out.append(f"- text: {why}")
        for n in fmts:
            fok, fwhy, _ = d["formats"][n]
            if fok != ok:
                out.append(f"- {n}: {fwhy}")
        reason = d["reason"]
        extra = [f"{n}: {r}" for n, r in d["by_format"].items() if r]
        out.append(f"- reason: {reason or ('; '.join(extra) if extra else 'not analysed')}")
        if reason and extra:
            out.extend(f"  - {e}" for e in extra)
        out.append("")
    path.write_text("\n".join(out).rstrip() + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--out", type=Path, default=RESULTS, help="the Markdown results file")
    ap.add_argument("--json", type=Path, help="also write every outcome as JSON here")
    ap.add_argument("--rendered", type=Path, default=RENDERED, help="folder holding the {pdf,hwpx,hwp,docx}/ renderings")
    ap.add_argument("questions", nargs="*", type=Path, default=QUESTIONS)
    args = ap.parse_args()
    formats = [f for f in args.formats.split(",") if f]
    missing = [f for f in formats if not any((args.rendered / f).glob(f"*.{f}"))]
    if missing:
        raise SystemExit(f"no renderings for {missing}: run python eval/formats/render_corpus.py")
    runs = run(formats, args.questions, quiet=False, rendered=args.rendered)
    print()
    print(figures_table(runs))
    diffs = differences(runs)
    print(f"\n{len(diffs)} question(s) differ from the text index:")
    for d in diffs:
        marks = ", ".join(f"{n} {_mark(v[0])}" for n, v in d["formats"].items())
        print(f"  {d['id']}: text {_mark(d['text'][0])}; {marks}")
    command = "python eval/formats/run_variants.py" + (f" --formats {args.formats}" if args.formats != ",".join(FORMATS) else "")
    write_results(runs, command, args.out)
    print(f"written: {args.out}")
    if args.json:
        args.json.write_text(json.dumps(runs, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
