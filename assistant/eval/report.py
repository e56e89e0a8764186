"""Evaluation output: a terminal table, JSON, and a Markdown report with a PNG chart."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from .harness import EvalResult

log = logging.getLogger(__name__)

HEADLINE = ("recall@1", "recall@5", "answer_recall@5", "mrr", "ndcg@10", "answer_accuracy", "citation_accuracy",
            "abstain_precision", "abstain_recall", "followup_accuracy", "latency_p50_ms", "latency_p95_ms")


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.3f}" if v <= 1.0 else f"{v:.1f}"
    return str(v)


def summary_table(result: EvalResult, metrics: tuple[str, ...] = HEADLINE) -> str:
    """Systems as columns, metrics as rows, in plain text (also valid Markdown)."""
    systems = list(result.systems)
    keys = [m for m in metrics if any(result.summary[s].get(m) is not None for s in systems)]
    extra = sorted({k for s in systems for k in result.summary[s] if k not in keys and k not in metrics})
    rows = [["metric", *systems]] + [[k, *(_fmt(result.summary[s].get(k)) for s in systems)] for k in keys + extra]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def write_json(result: EvalResult, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(result.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
    return p


def write_chart(result: EvalResult, path: Path) -> Path | None:
    """A bar chart comparing the systems on the headline metrics (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        log.warning("matplotlib is not installed: no chart")
        return None
    metrics = [m for m in ("recall@1", "recall@5", "mrr", "ndcg@10", "answer_accuracy", "abstain_recall")
               if any(result.summary[s].get(m) is not None for s in result.systems)]
    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=110)
    width = 0.8 / max(len(result.systems), 1)
    for i, s in enumerate(result.systems):
        vals = [result.summary[s].get(m) or 0.0 for m in metrics]
        xs = [j + i * width for j in range(len(metrics))]
        ax.bar(xs, vals, width, label=s)
    ax.set_xticks([j + width * (len(result.systems) - 1) / 2 for j in range(len(metrics))])
    ax.set_xticklabels(metrics)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title("Systems compared on the same questions")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def write_report(result: EvalResult, folder: str | Path, title: str = "Evaluation report", command: str = "") -> Path:
    """``report.md``, ``results.json`` and ``systems.png`` in ``folder``."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    write_json(result, out / "results.json")
    chart = write_chart(result, out / "systems.png")
    n_turns = sum(len(it.turns) for it in result.items)
    lines = [f"# {title}", ""]
    if command:
        lines += [f"Command: `{command}`", ""]
    lines += [f"{len(result.items)} questions and conversations ({n_turns} turns).", "", summary_table(result), ""]
    if chart:
        lines += [f"![systems]({chart.name})", ""]
    if "assistant" in result.systems:
        fails = [r for r in result.results["assistant"] if r.passed is False]
        lines += ["## Assistant: questions that did not pass", ""]
        if not fails:
            lines.append("None.")
        for r in fails:
            text = (r.answer.text if r.answer else "").replace("\n", " ").replace("|", "\\|")
            suffix = f" (turn {r.index + 1})" if r.index else ""
            lines.append(f"- `{r.id}`{suffix} {r.turn.question} — {r.why} — answer: {text[:160]}")
        lines.append("")
    (out / "report.md").write_text("\n".join(lines), encoding="utf-8")
    return out / "report.md"
