"""Fit the fusion of BM25 and dense search on question sets, cross-validated by document.

Every turn with gold documents is searched once: its lexical and dense candidate lists are kept
(``Retriever.candidates``, whatever backend finds them), so each fusion on the grid (min-max or
z-score per query and a convex weight, or weighted RRF) is scored on the same lists without
searching again. The objective is the mean of document-level and passage-level nDCG@10 of the
passage ranking (a passage is relevant when it is in a gold document and holds an expected
answer). The cross-validated figure comes from folds grouped by document (a fold's turns are
scored with the fusion chosen on the other folds); the weight written is the one chosen on every
development turn. The fixed held-out fold is neither fitted on nor looked at unless asked, and
then only scored once, with the written fusion.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..search import Fusion, Retriever, select
from .harness import Relevance
from .metrics import (
    dedupe,
    ndcg_at_k,
    passage_ndcg_at_k,
    passage_recall_at_k,
    recall_at_k,
)
from .questions import Item, is_heldout
from .train import group_folds

log = logging.getLogger(__name__)

#: (document-level, passage-level) metrics reported per system
METRICS = ("recall@5", "ndcg@10", "p_recall@5", "p_ndcg@10")
WEIGHTS = tuple(round(w, 2) for w in np.arange(0.0, 1.0001, 0.05))


@dataclass
class Sample:
    """One searched turn: its candidate lists and what counts as relevant."""

    id: str
    source: str  # the question set's file stem
    kind: str
    group: str
    heldout: bool
    question: str
    docs: tuple[str, ...]
    relevant: frozenset[int]  # chunk ids of gold documents holding an expected answer
    lexical: list[tuple[int, float]]
    dense: list[tuple[int, float]]
    doc_of: dict[int, str] = field(default_factory=dict)
    language: str = "ko"


def collect(items: Sequence[Item], retriever: Retriever, candidates: int = 50,
            progress: Callable[[int, int], None] | None = None) -> list[Sample]:
    """Both candidate lists of every turn that has gold documents (turns as written, like the harness)."""
    relevance = Relevance(retriever.index.store)
    out: list[Sample] = []
    total = sum(len(it.turns) for it in items)
    done = 0
    for item in items:
        for i, turn in enumerate(item.turns):
            done += 1
            if progress:
                progress(done, total)
            if not turn.docs:
                continue
            analysis = retriever.analyse(turn.question)
            lex, den = retriever.candidates(analysis, candidates)
            doc_of = {c: retriever.doc_of(c) for c, _ in (*lex, *den)}
            out.append(Sample(f"{item.id}#{i + 1}" if item.conversation else item.id, Path(item.source).stem, item.kind or "-",
                              item.group, is_heldout(item), turn.question, turn.docs, relevance(turn.docs, turn.answers),
                              list(lex), list(den), doc_of, analysis.language))
    return out


def measure(s: Sample, scores: dict[int, float], unit: str = "passage", aggregate: str = "decay", decay: float = 0.5,
            per_document: int = 3, depth: int = 10) -> dict[str, float | None]:
    """Document- and passage-level metrics of one turn's ranking (as ``Retriever.search`` returns it)."""
    top = [c for c, _ in select(scores, depth, unit, s.doc_of, aggregate, decay, per_document)]
    docs = dedupe([s.doc_of[c] for c in top])
    out: dict[str, float | None] = {"recall@5": recall_at_k(docs, s.docs, 5), "ndcg@10": ndcg_at_k(docs, s.docs, 10)}
    if s.relevant:
        out["p_recall@5"] = passage_recall_at_k(top, s.relevant, 5)
        out["p_ndcg@10"] = passage_ndcg_at_k(top, s.relevant, 10)
    else:
        out["p_recall@5"] = out["p_ndcg@10"] = None
    return out


def objective(m: dict[str, float | None]) -> float:
    """What the fit maximises per turn: the mean of the four reported metrics, document and
    passage recall@5 and nDCG@10 (the document's two alone when the turn has no answer string)."""
    vals = [float(m[k]) for k in METRICS if m[k] is not None]  # type: ignore[arg-type]
    return sum(vals) / len(vals)


def grid(rrf_k: int = 60) -> list[Fusion]:
    """Every fusion the fit chooses from."""
    out = [Fusion("convex", norm, w) for norm in ("minmax", "zscore") for w in WEIGHTS]
    out += [Fusion("weighted", "minmax", w) for w in WEIGHTS]
    out += [Fusion("rrf", "minmax", w, rrf_k) for w in WEIGHTS]
    return out


def _system(s: Sample, system: str | Fusion) -> dict[int, float]:
    if system == "bm25":
        return dict(s.lexical)
    if system == "dense":
        return dict(s.dense)
    assert isinstance(system, Fusion)
    return system(s.lexical, s.dense, s.language)


def mean(rows: Sequence[dict[str, float | None]], key: str) -> float | None:
    vals = [float(r[key]) for r in rows if r.get(key) is not None]  # type: ignore[arg-type]
    return round(sum(vals) / len(vals), 4) if vals else None


def summary(rows: Sequence[dict[str, float | None]]) -> dict[str, float | None]:
    return {k: mean(rows, k) for k in METRICS} | {"turns": float(len(rows))}


def fit(dev: Sequence[Sample], folds: int = 5, rrf_k: int = 60, min_language_turns: int = 10) -> tuple[Fusion, dict[str, Any]]:
    """The fusion with the best mean objective on ``dev``, and its cross-validated figures. The
    family and weight are chosen on every turn; then each question language with at least
    ``min_language_turns`` turns gets its own weight within that family when that scores better
    on its turns (English questions search a translation lexically)."""
    options = grid(rrf_k)
    per = [[measure(s, o(s.lexical, s.dense)) for s in dev] for o in options]
    obj = np.array([[objective(m) for m in row] for row in per])  # options × turns
    langs = np.array([s.language for s in dev])

    def choose(mask: np.ndarray, among: Sequence[int] | None = None) -> int:
        idx = list(among) if among is not None else list(range(len(options)))
        means = obj[np.ix_(idx, np.flatnonzero(mask))].mean(axis=1)
        best = means.max()
        # equal means (within rounding): the weight nearest an even share, fused scores before ranks
        near = [i for i, m in zip(idx, means, strict=True) if m >= best - 1e-9]
        return min(near, key=lambda i: (options[i].method == "rrf", abs(options[i].weight - 0.5), i))

    def choose_all(mask: np.ndarray) -> tuple[int, dict[str, int]]:
        """The option for every turn, and the options of the languages fitted apart."""
        g = choose(mask)
        family = [i for i, o in enumerate(options) if (o.method, o.norm) == (options[g].method, options[g].norm)]
        own: dict[str, int] = {}
        for lang in sorted(set(langs.tolist())):
            m = mask & (langs == lang)
            if m.sum() >= min_language_turns and len(set(langs[mask].tolist())) > 1:
                i = choose(m, family)
                if obj[i, m].mean() > obj[g, m].mean() + 1e-9:
                    own[lang] = i
        return g, own

    def fusion_of(g: int, own: dict[str, int]) -> Fusion:
        o = options[g]
        return Fusion(o.method, o.norm, o.weight, o.rrf_k, by_language={lang: options[i].weight for lang, i in own.items()})

    def option_for(t: int, g: int, own: dict[str, int]) -> int:
        return own.get(str(langs[t]), g)

    fold_of = np.asarray(group_folds(dev, folds)) if len(dev) >= folds else np.zeros(len(dev), dtype=int)
    oof: list[dict[str, float | None]] = [{} for _ in dev]
    oof_single: list[dict[str, float | None]] = [{} for _ in dev]  # one weight for every language
    chosen: list[dict[str, Any]] = []
    for f in sorted(set(fold_of.tolist())):
        train = fold_of != f
        g, own = choose_all(train if train.any() else ~train)
        test = np.flatnonzero(~train)
        for t in test:
            oof[t] = per[option_for(t, g, own)][t]
            oof_single[t] = per[g][t]
        chosen.append({"fold": int(f), "turns": len(test), "groups": len({dev[t].group for t in test}),
                       "fusion": fusion_of(g, own).label,
                       "objective_out_of_fold": round(float(np.mean([obj[option_for(t, g, own), t] for t in test])), 4),
                       "one_weight": {"fusion": fusion_of(g, {}).label, "objective_out_of_fold": round(float(obj[g, test].mean()), 4)}})
    g, own = choose_all(np.ones(len(dev), dtype=bool))
    cv_own = float(np.mean([objective(m) for m in oof]))
    cv_one = float(np.mean([objective(m) for m in oof_single]))
    if cv_own <= cv_one + 1e-9:  # weights per language do not cross-validate better: one weight for all
        own = {}
        oof = oof_single
        chosen = [c | c["one_weight"] for c in chosen]
    by_norm = {}
    for j, o in enumerate(options):
        key = o.norm if o.method == "convex" else o.method
        if key not in by_norm or obj[j].mean() > by_norm[key][1]:
            by_norm[key] = (o.label, float(obj[j].mean()))
    curve = {o.label: round(float(obj[j].mean()), 4) for j, o in enumerate(options)}
    info = {
        "objective": "mean over turns of document and passage recall@5 and nDCG@10 (document figures alone without answer strings)",
        "grid": f"convex min-max and z-score, min-max with BM25 floored at 0 ('weighted'), weighted RRF k={rrf_k}; "
                f"lexical weight {WEIGHTS[0]}..{WEIGHTS[-1]} step 0.05; then a weight per question language "
                f"(at least {min_language_turns} turns) within the chosen family when it scores better, kept only when "
                "that cross-validates better than one weight",
        "folds": folds,
        "cross_validated": summary(oof) | {"objective": round(float(np.mean([objective(m) for m in oof])), 4)},
        "cross_validated_one_weight": summary(oof_single) | {"objective": round(cv_one, 4)},
        "cross_validated_by_language_weights": round(cv_own, 4),
        "cross_validated_by_set": {src: summary([oof[t] for t in range(len(dev)) if dev[t].source == src]) for src in sorted({s.source for s in dev})},
        "folds_chosen": chosen,
        "in_sample_objective": round(float(np.mean([obj[option_for(t, g, own), t] for t in range(len(dev))])), 4),
        "best_by_normalisation": {k: {"fusion": v[0], "objective": round(v[1], 4)} for k, v in by_norm.items()},
        "curve": curve,
        "turns": len(dev),
        "turns_by_language": {lang: int((langs == lang).sum()) for lang in sorted(set(langs.tolist()))},
        "groups": len({s.group for s in dev}),
    }
    return fusion_of(g, own), info


def side_by_side(samples: Sequence[Sample], systems: dict[str, str | Fusion], units: Sequence[str] = ("passage", "document"),
                 aggregate: str = "decay", decay: float = 0.5, reranked: Callable[[Sample], list[int]] | None = None,
                 ) -> dict[str, dict[str, dict[str, dict[str, float | None]]]]:
    """``{question set: {unit: {system: metrics}}}`` (and ``all``), every system on the same lists."""
    sets = ["all", *sorted({s.source for s in samples})]
    out: dict[str, dict[str, dict[str, dict[str, float | None]]]] = {name: {} for name in sets}
    for unit in units:
        rows: dict[str, list[tuple[Sample, dict[str, float | None]]]] = {}
        for name, system in systems.items():
            rows[name] = [(s, measure(s, _system(s, system), unit, aggregate, decay)) for s in samples]
        if reranked is not None and unit == "passage":
            rows["reranked"] = [(s, measure(s, {c: -r for r, c in enumerate(reranked(s))}, unit)) for s in samples]
        for src in sets:
            out[src][unit] = {name: summary([m for s, m in rs if src == "all" or s.source == src]) for name, rs in rows.items()}
    return out


def aggregates(samples: Sequence[Sample], fusion: Fusion) -> dict[str, dict[str, float | None]]:
    """Document ranking by the best passage against decayed sums of the passages (decay 0.3, 0.5, 0.7)."""
    out = {"max": summary([measure(s, fusion(s.lexical, s.dense, s.language), "document", "max") for s in samples])}
    for d in (0.3, 0.5, 0.7):
        out[f"decay {d}"] = summary([measure(s, fusion(s.lexical, s.dense, s.language), "document", "decay", d) for s in samples])
    return out


def run(items: Sequence[Item], retriever: Retriever, folds: int = 5, heldout: bool = False, legacy: Fusion | None = None,
        progress: Callable[[int, int], None] | None = None, samples: list[Sample] | None = None) -> tuple[Fusion, dict[str, Any]]:
    """Collect (unless ``samples`` were collected already), fit, and compare: the fitted fusion
    and the report that says how it was fitted."""
    t0 = time.perf_counter()
    if not heldout:
        items = [it for it in items if not is_heldout(it)]
        samples = [s for s in samples if not s.heldout] if samples is not None else None
    if samples is None:
        samples = collect(items, retriever, retriever.settings.candidates, progress)
    dev = [s for s in samples if not s.heldout]
    held = [s for s in samples if s.heldout]
    t1 = time.perf_counter()
    fusion, info = fit(dev, folds)
    systems: dict[str, str | Fusion] = {"bm25": "bm25", "dense": "dense", "fused": fusion, "rrf": Fusion("rrf", "minmax", 0.5)}
    if legacy is not None:
        systems["fixed 0.6/0.4"] = legacy
    rerank = None
    if retriever.reranker is not None:
        rerank = _reranked(retriever, fusion)
    report: dict[str, Any] = {
        "fusion": fusion.to_json() | {"label": fusion.label},
        "fit": info,
        "index": {"path": str(retriever.index.path), "chunks": len(retriever.index.chunk_ids), "documents": len(retriever.index.doc_order),
                  "model": retriever.embedder.key},
        "sets": sorted({s.source for s in dev}),
        "development": side_by_side(dev, systems, reranked=rerank),
        "aggregates": aggregates(dev, fusion),
        "collect_seconds": round(t1 - t0, 1),
        "fit_seconds": round(time.perf_counter() - t1, 1),
    }
    if heldout and held:
        report["heldout"] = side_by_side(held, systems, reranked=rerank)
    return Fusion(fusion.method, fusion.norm, fusion.weight, fusion.rrf_k, fitted=_how(report), by_language=fusion.by_language), report


def _reranked(retriever: Retriever, fusion: Fusion) -> Callable[[Sample], list[int]]:
    store = retriever.index.store
    reranker = retriever.reranker
    top = retriever.settings.rerank_candidates
    assert reranker is not None

    def order(s: Sample) -> list[int]:
        ranked_ids = [c for c, _ in select(fusion(s.lexical, s.dense, s.language), max(top, 10))]
        chunks = store.chunks(ranked_ids[:top])
        head = [c for c in ranked_ids[:top] if c in chunks]
        sc = reranker.scores(s.question, [chunks[c].index_text for c in head])
        return [head[i] for i in sorted(range(len(head)), key=lambda i: (-sc[i], i))] + ranked_ids[top:]

    return order


def _how(report: dict[str, Any]) -> dict[str, Any]:
    """What the fusion file keeps about how its weight was fitted."""
    fit_info = report["fit"]
    return {
        "how": "assistant fit-fusion: grid search, cross-validated by document",
        "objective": fit_info["objective"],
        "grid": fit_info["grid"],
        "folds": fit_info["folds"],
        "turns": fit_info["turns"],
        "document_groups": fit_info["groups"],
        "sets": report["sets"],
        "index": report["index"],
        "cross_validated": fit_info["cross_validated"],
        "cross_validated_one_weight": fit_info["cross_validated_one_weight"],
        "folds_chosen": [f["fusion"] for f in fit_info["folds_chosen"]],
        "in_sample_objective": fit_info["in_sample_objective"],
        "date": time.strftime("%Y-%m-%d"),
    }


def markdown(report: dict[str, Any]) -> str:
    """The fitting report as Markdown: the fitted fusion, how, and every set side by side."""
    fit_info = report["fit"]
    cv = fit_info["cross_validated"]
    lines = [
        "# Fusion fitted on the question sets",
        "",
        f"Fitted: **{report['fusion']['label']}** (method `{report['fusion']['method']}`, lexical weight {report['fusion']['weight']:.2f}) "
        f"on {fit_info['turns']} development turns over {fit_info['groups']} document groups of {', '.join(report['sets'])}; "
        f"index {report['index']['documents']} documents, {report['index']['chunks']} chunks, model `{report['index']['model']}`.",
        "",
        f"Objective: {fit_info['objective']}. Grid: {fit_info['grid']}.",
        "",
        f"Cross-validated ({fit_info['folds']} folds grouped by document; each fold scored with the fusion chosen on the others): "
        + ", ".join(f"{k} {cv[k]:.3f}" for k in (*METRICS, "objective")) + f"; in-sample objective {fit_info['in_sample_objective']:.3f}.",
        "",
        f"A weight per question language ({', '.join(f'{k} {v} turns' for k, v in fit_info['turns_by_language'].items())}) "
        f"cross-validated to objective {fit_info['cross_validated_by_language_weights']:.3f} against "
        f"{fit_info['cross_validated_one_weight']['objective']:.3f} for one weight: "
        + ("kept." if report["fusion"].get("by_language") else "not kept."),
        "",
        "| fold | turns | documents | chosen on the other folds | objective on this fold |",
        "|---|---|---|---|---|",
        *[f"| {f['fold']} | {f['turns']} | {f['groups']} | {f['fusion']} | {f['objective_out_of_fold']:.3f} |" for f in fit_info["folds_chosen"]],
        "",
        "Best of each family (objective on every development turn):",
        "",
        "| family | best | objective |",
        "|---|---|---|",
        *[f"| {k} | {v['fusion']} | {v['objective']:.3f} |" for k, v in fit_info["best_by_normalisation"].items()],
        "",
        "Metrics: document level (`recall@5`, `ndcg@10` over distinct documents) and passage level (`p_recall@5`, `p_ndcg@10`: "
        "a passage is relevant when it is in a gold document and holds an expected answer; turns without answer strings are not "
        "judged at passage level). Unit `passage`: the 10 best passages; unit `document`: the passages (3 at most) of the 10 best "
        "documents ranked by a decayed sum of their passages' fused scores.",
        "",
    ]
    lines += _tables(report["development"], "Development sets")
    lines += ["## Documents ranked by their passages (fitted fusion, unit `document`, all development turns)", "",
              "| aggregate | " + " | ".join(METRICS) + " |", "|---|" + "---|" * len(METRICS)]
    lines += [f"| {name} | " + " | ".join(_f(m[k]) for k in METRICS) + " |" for name, m in report["aggregates"].items()]
    lines.append("")
    if "heldout" in report:
        lines += _tables(report["heldout"], "Held-out fold (never fitted on; scored once with the written fusion)")
    return "\n".join(lines) + "\n"


def _f(v: float | None) -> str:
    return "—" if v is None else f"{v:.3f}"


def _tables(block: dict[str, dict[str, dict[str, dict[str, float | None]]]], title: str) -> list[str]:
    lines = [f"## {title}", ""]
    for src, units in block.items():
        for unit, systems in units.items():
            names = list(systems)
            turns = int(next(iter(systems.values()))["turns"] or 0)
            lines += [f"### {src} · unit {unit} ({turns} turns)", "", "| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
            for k in METRICS:
                vals = [systems[n][k] for n in names]
                singles = [v for n, v in zip(names, vals, strict=True) if n in ("bm25", "dense") and v is not None]
                cells = []
                for n, v in zip(names, vals, strict=True):
                    cell = _f(v)
                    if n == "fused" and v is not None and singles and v < max(singles) - 1e-9:
                        cell += " ↓"  # below the best single system
                    cells.append(cell)
                lines.append(f"| {k} | " + " | ".join(cells) + " |")
            lines.append("")
    return lines


def write_report(report: dict[str, Any], folder: str | Path) -> Path:
    """``report.json`` and ``report.md`` in ``folder``; returns the Markdown's path."""
    import json

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1, default=float), encoding="utf-8")
    md = out / "report.md"
    md.write_text(markdown(report), encoding="utf-8")
    return md
