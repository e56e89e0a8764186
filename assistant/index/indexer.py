"""Build and update an index from document folders, incrementally and crash-safely.

Only added or changed documents are parsed, chunked and embedded; removed ones are
dropped. Embeddings come from a cache keyed by (model, text), so the same text is never
embedded twice. The new generation is written beside the live one and swapped in at
the end (see :mod:`assistant.indexdir`).
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..ingest import (
    CHUNKER_VERSION,
    PARSER_VERSION,
    Chunker,
    FileLimits,
    ParsePool,
    analyser_version,
    cut_note,
)
from ..ingest import terms as content_terms
from ..records import Chunk, Document, SkippedFile
from .backends import BackendSettings, Changes, create_backend
from .dense import DenseSettings
from .embedcache import EmbeddingCache
from .embedders import Embedder, text_hash
from .folder import IndexFolder, IndexFolderError, Manifest, SearchIndex
from .store import Store
from .walk import SourceFile, walk_corpus

log = logging.getLogger(__name__)

#: ``progress(stage, done, total)``
Progress = Callable[[str, int, int], None]


@dataclass
class BuildSummary:
    documents: int = 0
    chunks: int = 0
    tables: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    cut: list[SkippedFile] = field(default_factory=list)  # indexed in part: over the character or chunk budget
    parse_times: dict[str, float] = field(default_factory=dict)  # seconds each parsed file took (path → s)
    embedded: int = 0  # texts sent to the embedder
    cached: int = 0  # texts whose vectors came from the cache
    seconds: float = 0.0
    embed_seconds: float = 0.0
    parse_seconds: float = 0.0
    rebuilt: bool = False  # everything was rebuilt (new index, or model/parser/chunking changed)
    path: str = ""

    @property
    def up_to_date(self) -> bool:
        return not (self.added or self.changed or self.removed)


@dataclass(frozen=True)
class IndexSettings:
    max_tokens: int = 320
    overlap_tokens: int = 64
    dense: DenseSettings = field(default_factory=DenseSettings)
    batch_size: int = 16
    limits: FileLimits = field(default_factory=FileLimits)  # what one file may cost
    parse_workers: int = 0  # parsing processes (0: up to two)
    backend: BackendSettings = field(default_factory=BackendSettings)  # where vectors and postings are kept

    @classmethod
    def from_config(cls, cfg: Any) -> IndexSettings:
        """From a :class:`~assistant.config.Config`."""
        ix = cfg.index
        dense = DenseSettings(ix.approximate, ix.approx_threshold, ix.ivf_nprobe, ix.hnsw_m, ix.ef_construction, ix.ef_search)
        lim = cfg.limits
        limits = FileLimits(int(lim.max_file_mb * 1024 * 1024), lim.max_chars, lim.max_chunks, lim.parse_seconds, lim.parse_memory_mb)
        return cls(cfg.chunking.max_tokens, cfg.chunking.overlap_tokens, dense, cfg.embedder.batch_size, limits, lim.parse_workers,
                   backend=BackendSettings.from_config(cfg))


class Indexer:
    """Builds the index at ``index_dir`` with ``embedder``."""

    def __init__(self, index_dir: str | Path, embedder: Embedder, cache_path: str | Path, settings: IndexSettings | None = None):
        self.folder = IndexFolder(index_dir)
        self.embedder = embedder
        self.cache_path = Path(cache_path)
        self.settings = settings or IndexSettings()
        self.chunker = Chunker(embedder.count_tokens, self.settings.max_tokens, self.settings.overlap_tokens)
        self.backend = create_backend(self.settings.backend)

    def fingerprint(self) -> tuple[dict, dict]:
        """The model and chunking settings recorded in the manifest (a change means a full rebuild)."""
        e = self.embedder
        describe = getattr(e, "describe", None)  # any object with the Embedder methods builds an index
        model = describe() if describe else {"backend": e.backend, "name": e.name, "key": e.key, "dim": e.dim}
        chunking = {"max_tokens": self.settings.max_tokens, "overlap_tokens": self.settings.overlap_tokens, "version": CHUNKER_VERSION,
                    "analyser": analyser_version()}
        return model, chunking

    def _previous(self) -> tuple[Path | None, Manifest | None, str]:
        path = self.folder.current()
        if path is None:
            return None, None, "no previous index"
        try:
            manifest = Manifest.load(path)
        except Exception as exc:  # an unreadable manifest means a full rebuild, not a failure
            return None, None, f"previous index unreadable ({exc})"
        model, chunking = self.fingerprint()
        if manifest.model.get("key") != model["key"] or manifest.model.get("dim") != model["dim"]:
            return None, None, f"model changed ({manifest.model.get('key')} → {model['key']})"
        if manifest.parser_version != PARSER_VERSION:
            return None, None, f"parser changed ({manifest.parser_version} → {PARSER_VERSION})"
        if manifest.chunking != chunking:
            return None, None, "chunking settings changed"
        return path, manifest, ""

    def build(
        self,
        folders: Sequence[str | Path],
        progress: Progress | None = None,
        rebuild: bool = False,
    ) -> BuildSummary:
        """Index the documents in ``folders``; returns what was done."""
        t0 = time.perf_counter()
        summary = BuildSummary()
        with self.folder.lock():
            sources = walk_corpus(folders, self.settings.limits, summary.skipped)
            prev_path, prev, why = (None, None, "rebuild requested") if rebuild else self._previous()
            if prev is None:
                summary.rebuilt = True
                log.info("building a new index: %s", why)
            old_docs = prev.documents if prev else {}
            current = {s.doc_id: s for s in sources}
            summary.removed = sorted(d for d in old_docs if d not in current)
            for s in sources:
                if s.doc_id not in old_docs:
                    summary.added.append(s.doc_id)
                elif old_docs[s.doc_id]["sha256"] != s.sha256:
                    summary.changed.append(s.doc_id)
                else:
                    summary.unchanged += 1
            if prev is not None and summary.up_to_date:
                self._finish_summary(summary, prev, prev_path, t0)
                return summary
            self.folder.cleanup()
            tmp = self.folder.new_generation()
            try:
                manifest = self._write_generation(tmp, prev_path, prev, sources, summary, progress)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            serving = self._serving()
            final = self.folder.commit(tmp)
            self._committed(manifest, serving)
            self._finish_summary(summary, manifest, final, t0)
            return summary

    def _finish_summary(self, summary: BuildSummary, manifest: Manifest, path: Path | None, t0: float) -> None:
        summary.documents = manifest.n_documents
        summary.chunks = manifest.n_chunks
        summary.tables = manifest.n_tables
        summary.seconds = time.perf_counter() - t0
        summary.path = str(path or "")

    def _write_generation(
        self,
        tmp: Path,
        prev_path: Path | None,
        prev: Manifest | None,
        sources: list[SourceFile],
        summary: BuildSummary,
        progress: Progress | None,
    ) -> Manifest:
        model, chunking = self.fingerprint()
        db = tmp / "store.sqlite"
        if prev_path is not None:  # committed generations are never written again: a file copy is safe
            shutil.copyfile(prev_path / "store.sqlite", db)
        store = Store(db)
        dropped = store.delete_documents(summary.removed + summary.changed) if prev is not None else []
        docs_meta = {k: v for k, v in (prev.documents if prev else {}).items() if k not in summary.removed and k not in summary.changed}
        next_id = prev.next_chunk_id if prev else 0

        # parse (in worker processes, each file within its limits) and chunk what is new
        todo = [s for s in sources if s.doc_id in set(summary.added) | set(summary.changed)]
        tp = time.perf_counter()
        parsed: list[tuple[Document, list[Chunk]]] = []
        if progress and todo:
            progress("parse", 0, len(todo))
        outcomes = []
        if todo:
            with ParsePool(self.settings.limits, self.settings.parse_workers) as pool:
                outcomes = pool.parse([(s.doc_id, s.path) for s in todo], lambda d, n: progress("parse", d, n) if progress else None)
        for s, out in zip(todo, outcomes, strict=True):
            summary.parse_times[str(s.path)] = round(out.seconds, 3)
            doc, reason = out.document, out.reason
            chunks: list[Chunk] = []
            if doc is not None:
                chunks = self.chunker.chunk(doc, start_id=next_id)
                if not chunks:
                    reason = "no text to index"
            if doc is None or not chunks:
                summary.skipped.append(SkippedFile(str(s.path), reason))
                for lst in (summary.added, summary.changed):
                    if s.doc_id in lst:
                        lst.remove(s.doc_id)
                continue
            limit = self.settings.limits.max_chunks
            if len(chunks) > limit:
                chunks = chunks[:limit]
                summary.cut.append(SkippedFile(str(s.path), cut_note(chunks[-1].end, out.chars) + f" ({limit:,} chunks)"))
            elif out.cut:
                summary.cut.append(SkippedFile(str(s.path), cut_note(len(doc.text), out.chars)))
            next_id += len(chunks)
            parsed.append((doc, chunks))
        summary.parse_seconds = time.perf_counter() - tp

        # embeddings: cache first, then the model for what is missing
        all_chunks = [c for _, cs in parsed for c in cs]
        texts = [c.index_text for c in all_chunks]
        keys = [text_hash(self.embedder.key, t) for t in texts]
        vectors = self._vectors(keys, texts, summary, progress)

        offset = 0
        new_terms: list[tuple[int, list[str]]] = []
        for doc, chunks in parsed:
            n = len(chunks)
            terms = [content_terms(c.index_text, cache=False) for c in chunks]
            new_terms += [(c.id, t) for c, t in zip(chunks, terms, strict=True)]
            store.add_document(doc, chunks, terms, keys[offset : offset + n])
            offset += n
            docs_meta[doc.id] = {"sha256": doc.sha256, "path": doc.path, "chunks": n, "title": doc.title}

        # vectors and postings: the search backend writes them, updating the previous ones where it can
        if progress:
            progress("bm25", 0, 1)
        written = self.backend.write(Changes(
            tmp, store, prev_path, prev.dense if prev else None, prev.backend if prev else None, dropped, all_chunks,
            [t for _, t in new_terms], vectors, next_id, self.embedder.dim, self.settings.dense, self._stored_vectors))
        counts = store.counts()
        store.close()
        manifest = Manifest(
            parser_version=PARSER_VERSION,
            model=model,
            chunking=chunking,
            dense=written.dense,
            bm25=written.bm25,
            next_chunk_id=next_id,
            n_chunks=counts["chunks"],
            n_documents=counts["documents"],
            n_tables=counts["tables"],
            documents=dict(sorted(docs_meta.items())),
            created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            build={"embedded": summary.embedded, "cached": summary.cached, "embed_seconds": round(summary.embed_seconds, 3),
                   "parse_seconds": round(summary.parse_seconds, 3)},
            backend=written.backend,
        )
        manifest.save(tmp)
        # verify before swapping in
        SearchIndex.open(tmp, settings=self.settings.backend).close()
        return manifest

    def _serving(self) -> dict | None:
        """The backend section of the generation readers use now (before a swap)."""
        path = self.folder.current()
        try:
            return Manifest.load(path).backend if path else None
        except IndexFolderError:
            return None

    def _committed(self, manifest: Manifest, serving: dict | None) -> None:
        """Let the backend follow the swap (switch an alias, drop what no generation reads): the
        generation served until now and every one still in the folder may be read by a running server."""
        keep = [serving] if serving else []
        for path in self.folder.root.glob("gen-*"):
            try:
                keep.append(Manifest.load(path).backend)
            except IndexFolderError:
                continue
        try:
            self.backend.committed(self.folder.root, manifest.backend, keep)
        except Exception as exc:  # the new generation is live; what is left over goes at the next build
            log.warning("clean-up after the swap failed: %s", exc)

    def _vectors(self, keys: list[bytes], texts: list[str], summary: BuildSummary, progress: Progress | None) -> np.ndarray:
        dim = self.embedder.dim
        cache = EmbeddingCache(self.cache_path)
        try:
            found = cache.get_many(keys, dim)
            missing: dict[bytes, str] = {}
            for k, t in zip(keys, texts, strict=True):
                if k not in found and k not in missing:
                    missing[k] = t
            summary.cached = len(keys) - sum(1 for k in keys if k in missing)
            summary.embedded = len(missing)
            if missing:
                te = time.perf_counter()
                # longest first, so each batch holds texts of about one length: a padded backend
                # (sentence-transformers) pads little, and the slowest batches come first in the progress
                mkeys = sorted(missing, key=lambda k: -len(missing[k]))
                bs = self.settings.batch_size
                for i in range(0, len(mkeys), bs * 8):
                    part = mkeys[i : i + bs * 8]

                    def report(done: int, total: int, base: int = i) -> None:
                        if progress:
                            progress("embed", base + done, len(mkeys))

                    vecs = self.embedder.embed_passages([missing[k] for k in part], batch_size=bs, progress=report)
                    cache.put_many(part, vecs)  # saved as we go: an interrupted build keeps its work
                    found.update(zip(part, vecs, strict=True))
                summary.embed_seconds = time.perf_counter() - te
        finally:
            cache.close()
        if not keys:
            return np.zeros((0, dim), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32)

    def _stored_vectors(self, rows: Sequence[tuple[int, bytes, str]]) -> np.ndarray:
        """Vectors of stored chunks given as ``(id, text hash, index text)``: from the cache,
        embedding (and caching) what is not there (the cache was deleted)."""
        dim = self.embedder.dim
        keys = [bytes(r[1]) for r in rows]
        cache = EmbeddingCache(self.cache_path)
        try:
            found = cache.get_many(keys, dim)
            missing = {k: r[2] for k, r in zip(keys, rows, strict=True) if k not in found}
            if missing:
                mkeys = list(missing)
                vecs = self.embedder.embed_passages([missing[k] for k in mkeys], batch_size=self.settings.batch_size)
                cache.put_many(mkeys, vecs)
                found.update(zip(mkeys, vecs, strict=True))
        finally:
            cache.close()
        if not keys:
            return np.zeros((0, dim), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32)
