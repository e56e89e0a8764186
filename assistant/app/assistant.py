"""The ``Assistant`` facade: what the web chat and the command line call. It composes the
services (answering, the document library, feedback, exports) and holds no logic of its own."""

from __future__ import annotations

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
from .library import DocumentLibrary, Library


class Assistant:
    """Answers questions over one index, adds documents to it, keeps feedback, exports conversations."""

    def __init__(self, answerer: Answerer, library: DocumentLibrary | None = None, feedback: FeedbackStore | None = None):
        self.answerer = answerer
        self.library = library
        self.feedback = feedback

    @classmethod
    def from_config(cls, cfg: Config, index_dir: str | Path | None = None) -> Assistant:
        """The assistant over ``index_dir`` (default: the main index) as configured."""
        e, r, a = cfg.embedder, cfg.retrieval, cfg.answer
        use_backend(BackendSettings.from_config(cfg))  # how indexes opened here reach their search backend
        embedder = create_embedder(e.backend, e.model, e.device, e.query_prefix, e.passage_prefix)
        index_dir = index_dir or cfg.paths.index
        answerer = Answerer(
            index_dir,
            embedder,
            RetrievalSettings(r.top_k, r.candidates, r.fusion, r.bm25_weight, r.dense_weight, r.rrf_k),
            AnswerSettings(abstain_threshold=a.abstain_threshold, max_citations=a.max_citations, max_question_chars=a.max_question_chars),
            generator=Generator.from_config(cfg.generation) if cfg.generation.enabled else None,
        )
        corpus = tuple(cfg.paths.corpus) if str(index_dir) == str(cfg.paths.index) else tuple(cfg.paths.eval_corpus)
        library = Library(corpus, cfg.paths.uploads, cfg.paths.cache, IndexSettings.from_config(cfg), cfg.server.max_upload_mb * 1024 * 1024)
        return cls(answerer, DocumentLibrary(library, index_dir, embedder), FeedbackStore(cfg.paths.feedback))

    # -- answering ------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[Any] | None = None, filters: Filters | None = None) -> Answer:
        """Answer ``question`` (optionally following up on ``history``) with citations."""
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

    def add_documents(self, files: Sequence[str | Path], names: Sequence[str] | None = None) -> tuple[BuildSummary | None, list[SkippedFile]]:
        """Index uploaded files; returns the build summary and the files refused (with the reason)."""
        if self.library is None:
            raise RuntimeError("this assistant has no document library configured")
        summary, refused = self.library.add(files, names)
        if summary is not None:
            self.answerer.reload()
        return summary, refused

    def reload(self) -> None:
        """Load the index again (after ``assistant index`` changed it)."""
        self.answerer.reload()

    # -- feedback and exports -----------------------------------------------------------
    def record_feedback(self, answer: Answer, helpful: bool, comment: str = "", session: str = "") -> int:
        if self.feedback is None:
            raise RuntimeError("feedback storage is not configured")
        return self.feedback.add(answer, helpful, comment, session)

    @staticmethod
    def export_markdown(answers: Sequence[Answer], title: str = "대화 기록") -> str:
        """A conversation as Markdown with its sources."""
        return conversation_markdown(answers, title)
