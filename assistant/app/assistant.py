"""The ``Assistant`` facade: what the web chat and the command line call. It composes the
services (answering, the document library, feedback, exports) and holds no logic of its own."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..answer import Answerer, AnswerSettings, Generator
from ..config import Config
from ..index import BackendSettings, BuildSummary, IndexSettings, create_embedder, use_backend
from ..records import Answer, Document, Filters, SkippedFile
from ..search import RetrievalSettings
from .exports import conversation_markdown
from .feedback import FeedbackStore
from .library import DocumentLibrary, Library, UploadJob

log = logging.getLogger(__name__)


def retrieval_settings(cfg: Config) -> RetrievalSettings:
    """The retrieval settings of the configuration (``[retrieval]``)."""
    r = cfg.retrieval
    return RetrievalSettings(r.top_k, r.candidates, r.fusion, r.bm25_weight, r.dense_weight, r.rrf_k, r.norm, r.unit, r.aggregate, r.decay,
                             r.per_document, r.fusion_file, r.reranker, r.rerank_candidates, cfg.embedder.device)


class Assistant:
    """Answers questions over one index, adds documents to it, keeps feedback, exports conversations."""

    def __init__(self, answerer: Answerer, library: DocumentLibrary | None = None, feedback: FeedbackStore | None = None):
        self.answerer = answerer
        self.library = library
        self.feedback = feedback
        self._reloading = threading.Lock()
        self._retry_at = 0.0  # after a failed reload, when to try again

    @classmethod
    def from_config(cls, cfg: Config, index_dir: str | Path | None = None) -> Assistant:
        """The assistant over ``index_dir`` (default: the main index) as configured."""
        e, a = cfg.embedder, cfg.answer
        use_backend(BackendSettings.from_config(cfg))  # how indexes opened here reach their search backend
        embedder = create_embedder(e.backend, e.model, e.device, e.query_prefix, e.passage_prefix)
        index_dir = index_dir or cfg.paths.index
        answerer = Answerer(
            index_dir,
            embedder,
            retrieval_settings(cfg),
            AnswerSettings(abstain_threshold=a.abstain_threshold, max_citations=a.max_citations, max_question_chars=a.max_question_chars,
                           analysed_chars=a.analysed_chars, history_turns=a.history_turns),
            generator=Generator.from_config(cfg.generation) if cfg.generation.enabled else None,
        )
        corpus = tuple(cfg.paths.corpus) if str(index_dir) == str(cfg.paths.index) else tuple(cfg.paths.eval_corpus)
        library = Library(corpus, cfg.paths.uploads, cfg.paths.cache, IndexSettings.from_config(cfg), cfg.server.max_upload_mb * 1024 * 1024,
                          (e.backend, e.model, e.device, e.query_prefix, e.passage_prefix))
        return cls(answerer, DocumentLibrary(library, index_dir, embedder), FeedbackStore(cfg.paths.feedback))

    # -- answering ------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[Any] | None = None, filters: Filters | None = None) -> Answer:
        """Answer ``question`` (optionally following up on ``history``) with citations."""
        self.follow_index()
        return self.answerer.ask(question, history, filters)

    def explain(self, question: str, history: Sequence[Any] | None = None, filters: Filters | None = None) -> dict[str, Any]:
        """The answer with the evidence it was chosen from."""
        return self.answerer.explain(question, history, filters)

    # -- documents ------------------------------------------------------------------
    def documents(self) -> list[dict[str, Any]]:
        """The indexed documents' records (title, type, years, department, counts), in index order."""
        index = self.answerer.index
        return [index.documents[d] for d in index.doc_order]

    def document(self, doc_id: str) -> Document | None:
        """One indexed document with its text, sections and tables."""
        return self.answerer.index.store.document(doc_id)

    def references(self, doc_id: str) -> list[dict[str, Any]]:
        """The documents ``doc_id`` cites ("…-920(…)호와 관련"): number, title, date, the citation's span,
        and ``doc``, the cited document's id when it is indexed."""
        return self.answerer.index.store.references(doc_id)

    def cited_by(self, doc_id: str) -> list[dict[str, Any]]:
        """The indexed documents that cite ``doc_id`` by its number, with the citation's span."""
        return self.answerer.index.store.cited_by(doc_id)

    def add_documents(self, files: Sequence[str | Path], names: Sequence[str] | None = None) -> tuple[BuildSummary | None, list[SkippedFile]]:
        """Index uploaded files (waits for them); returns the build summary and the files refused (with the reason)."""
        job = self.submit_documents(files, names)
        job.finished.wait()
        if job.summary is not None:
            self.answerer.reload()
        return job.summary, job.refused

    def submit_documents(self, files: Sequence[str | Path], names: Sequence[str] | None = None) -> UploadJob:
        """Queue uploaded files for indexing; read the job's state and progress while it runs.
        The index is reloaded once the job has committed (see :meth:`follow_index`)."""
        if self.library is None:
            raise RuntimeError("this assistant has no document library configured")
        return self.library.submit(files, names)

    def reload(self) -> None:
        """Load the index again (after ``assistant index`` changed it)."""
        self.answerer.reload()

    def follow_index(self) -> bool:
        """Start loading the index in the background when a build (``assistant index``, an
        upload) has committed a newer generation; questions meanwhile answer from the loaded
        one, which stays on disk until it is released. True if a reload was started."""
        try:
            stale = self.answerer.index.stale()
        except OSError:
            return False
        if not stale or time.monotonic() < self._retry_at or not self._reloading.acquire(blocking=False):
            return False

        def run() -> None:
            try:
                self.answerer.reload()
                log.info("loaded the new index generation %s", self.answerer.index.path.name)
            except Exception:  # a broken new generation: keep answering from the loaded one
                log.exception("cannot load the new index generation")
                self._retry_at = time.monotonic() + 30.0
            finally:
                self._reloading.release()

        threading.Thread(target=run, name="index-reload", daemon=True).start()
        return True

    # -- feedback and exports -----------------------------------------------------------
    def record_feedback(self, answer: Answer, helpful: bool, comment: str = "", session: str = "") -> int:
        if self.feedback is None:
            raise RuntimeError("feedback storage is not configured")
        return self.feedback.add(answer, helpful, comment, session)

    @staticmethod
    def export_markdown(answers: Sequence[Answer], title: str = "대화 기록") -> str:
        """A conversation as Markdown with its sources."""
        return conversation_markdown(answers, title)
