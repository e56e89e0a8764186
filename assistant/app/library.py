"""The document library behind uploads: check uploaded files, copy the good ones into the
uploads folder and bring the index up to date with the corpus folders."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..index import BuildSummary, Embedder, Indexer, IndexSettings
from ..ingest import SUPPORTED_SUFFIXES, UnreadableDocument, load_document
from ..records import SkippedFile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Library:
    """Where documents live and how the index is built (for uploads from the web chat)."""

    corpus: tuple[str, ...]
    uploads: str
    cache: str
    settings: IndexSettings
    max_upload_bytes: int = 20 * 1024 * 1024


class DocumentLibrary:
    """Adds uploaded documents to the corpus and re-indexes it, one build at a time."""

    def __init__(self, library: Library, index_dir: str | Path, embedder: Embedder):
        self.library = library
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self._build_lock = threading.Lock()

    def add(self, files: Sequence[str | Path], names: Sequence[str] | None = None) -> tuple[BuildSummary | None, list[SkippedFile]]:
        """Check uploaded files, copy the good ones into the uploads folder and index them
        incrementally; returns the build summary and the files refused (with the reason).
        A bad file is refused before anything is copied: it changes nothing else."""
        lib = self.library
        refused: list[SkippedFile] = []
        accepted: list[tuple[Path, str]] = []
        for i, f in enumerate(files):
            src = Path(f)
            name = Path(names[i]).name if names else src.name
            if not name or name.startswith(".") or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                refused.append(SkippedFile(name or str(src), f"unsupported file type; supported: {', '.join(SUPPORTED_SUFFIXES)}"))
                continue
            try:
                size = src.stat().st_size
            except OSError as exc:
                refused.append(SkippedFile(name, f"cannot read file: {exc.strerror or exc}"))
                continue
            if size > lib.max_upload_bytes:
                refused.append(SkippedFile(name, f"file too large ({size / 1048576:.1f} MiB, limit {lib.max_upload_bytes // 1048576} MiB)"))
                continue
            try:
                load_document(src, doc_id=name)  # the reader goes by the upload's own name
            except UnreadableDocument as exc:
                refused.append(SkippedFile(name, exc.reason))
                continue
            except Exception as exc:  # a reader bug must not take the service down
                log.exception("cannot parse upload %s", name)
                refused.append(SkippedFile(name, f"cannot parse: {type(exc).__name__}"))
                continue
            accepted.append((src, name))
        summary = None
        if accepted:
            uploads = Path(lib.uploads)
            uploads.mkdir(parents=True, exist_ok=True)
            with self._build_lock:
                for src, name in accepted:
                    tmp = uploads / f".{name}.part"
                    shutil.copyfile(src, tmp)
                    os.replace(tmp, uploads / name)
                folders = list(dict.fromkeys([*lib.corpus, str(uploads)]))
                summary = Indexer(self.index_dir, self.embedder, lib.cache, lib.settings).build(folders)
        return summary, refused
