"""The index folder: generations, the manifest, atomic swaps and consistency checks.

Layout of an index folder::

    index/main/
      CURRENT                 the name of the live generation (replaced atomically)
      gen-<time>-<pid>/       manifest.json, store.sqlite, and the search backend's files: dense.faiss,
                              bm25.npz, bm25_vocab.json (local); bm25_stats.npz, bm25_vocab.json (milvus)
      .build.lock             held while a build runs
      milvus-collections.json the Milvus collections this folder's builds created (milvus backend)

A build writes a new generation beside the live one and swaps ``CURRENT`` at the very
end, so killing it midway leaves the previous index usable.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .backends import BackendError, BackendSettings, SearchBackend, backend_settings, create_backend
from .dense import DenseIndex
from .store import Store

log = logging.getLogger(__name__)

MANIFEST_FORMAT = 1


class IndexFolderError(RuntimeError):
    """The index is missing, inconsistent, or was built for another model."""


class ModelMismatch(IndexFolderError):
    """The index was built with a different embedding model."""


class BuildLocked(IndexFolderError):
    """Another build of the same index is running."""


@dataclass
class Manifest:
    parser_version: str
    model: dict[str, Any]
    chunking: dict[str, Any]
    dense: dict[str, Any]
    bm25: dict[str, Any]
    next_chunk_id: int = 0
    n_chunks: int = 0
    n_documents: int = 0
    n_tables: int = 0
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    created: str = ""
    build: dict[str, Any] = field(default_factory=dict)
    format: int = MANIFEST_FORMAT
    backend: dict[str, Any] = field(default_factory=lambda: {"name": "local"})  # the search backend and where its data is

    def save(self, folder: Path) -> None:
        tmp = folder / "manifest.json.tmp"
        tmp.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, folder / "manifest.json")

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        try:
            data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexFolderError(f"cannot read the index manifest in {folder}: {exc}") from exc
        if data.get("format") != MANIFEST_FORMAT:
            raise IndexFolderError(f"index in {folder} has format {data.get('format')}, expected {MANIFEST_FORMAT}: rebuild it")
        return cls(**data)


class IndexFolder:
    """Generations of one index under ``root``."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def current(self) -> Path | None:
        try:
            name = (self.root / "CURRENT").read_text(encoding="utf-8").strip()
        except OSError:
            return None
        path = self.root / name
        return path if name and (path / "manifest.json").exists() else None

    def exists(self) -> bool:
        return self.current() is not None

    def new_generation(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        # unique even for two builds in the same second: a name is never reused
        path = self.root / f".tmp-gen-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        if path.exists():
            shutil.rmtree(path)
        path.mkdir()
        return path

    def commit(self, tmp: Path) -> Path:
        """Make the finished generation ``tmp`` the live one, then drop older ones."""
        final = self.root / tmp.name.replace(".tmp-", "", 1)
        os.replace(tmp, final)
        _fsync_dir(final)
        marker = self.root / "CURRENT.tmp"
        with open(marker, "w", encoding="utf-8") as fh:
            fh.write(final.name)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(marker, self.root / "CURRENT")
        _fsync_dir(self.root)
        self.cleanup(keep=final)
        return final

    def cleanup(self, keep: Path | None = None) -> None:
        """Remove unfinished and superseded generations."""
        keep = keep or self.current()
        for child in self.root.glob("*gen-*"):
            if child.is_dir() and child != keep:
                shutil.rmtree(child, ignore_errors=True)

    @contextmanager
    def lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        fh = open(self.root / ".build.lock", "w")
        try:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise BuildLocked(f"another build of {self.root} is running; try again when it has finished") from exc
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SearchIndex:
    """A loaded, consistency-checked index: manifest, SQLite store and search backend."""

    def __init__(self, path: Path, manifest: Manifest, store: Store, backend: SearchBackend, documents: list[dict[str, Any]]):
        self.path = path
        self.manifest = manifest
        self.store = store
        self.backend = backend
        self.documents = {d["id"]: d for d in documents}
        self.doc_order = [d["id"] for d in documents]
        self.chunk_ids = np.asarray(store.chunk_ids(), dtype=np.int64)

    @property
    def terms(self) -> Any:
        """Term statistics of the indexed chunks (``vocab``, ``len()``, ``weights.indptr``)."""
        return self.backend.terms

    @property
    def bm25(self) -> Any:
        """The term statistics under their first name (with the local backend, the BM25 index itself)."""
        return self.backend.terms

    @property
    def dense(self) -> DenseIndex | None:
        """The FAISS index of the local backend (``None`` with another backend)."""
        return getattr(self.backend, "dense_index", None)

    @classmethod
    def load(cls, root: str | Path, check: bool = True, settings: BackendSettings | None = None) -> SearchIndex:
        """The live generation of the index folder ``root``."""
        path = IndexFolder(root).current()
        if path is None:
            raise IndexFolderError(f"no index in {root}: run `assistant index` first")
        return cls.open(path, check, settings)

    @classmethod
    def open(cls, path: Path, check: bool = True, settings: BackendSettings | None = None) -> SearchIndex:
        """One generation folder, searched through the backend its manifest names, reached as
        ``settings`` (default: :func:`~assistant.index.use_backend`'s) say when they name the same backend."""
        manifest = Manifest.load(path)
        store = Store(path / "store.sqlite", readonly=True)
        try:
            docs = store.documents()
            name = manifest.backend.get("name", "local")
            configured = settings or backend_settings()
            backend = create_backend(configured if configured.name == name else BackendSettings(name))
            backend.open(path, manifest, store, docs)
        except BackendError as exc:
            store.close()
            raise IndexFolderError(f"index {path}: {exc}") from exc
        except BaseException:
            store.close()
            raise
        index = cls(path, manifest, store, backend, docs)
        if check:
            index.check()
        return index

    def close(self) -> None:
        self.backend.close()
        self.store.close()

    def check(self) -> None:
        """The chunk ids of SQLite and of the search backend (BM25 and FAISS, or Milvus) must be the same set."""
        sql_ids = self.chunk_ids
        try:
            problems = self.backend.check(sql_ids, int(self.manifest.model["dim"]))
        except BackendError as exc:
            problems = [str(exc)]
        if self.manifest.n_chunks != sql_ids.size:
            problems.append(f"manifest says {self.manifest.n_chunks} chunks, SQLite has {sql_ids.size}")
        if problems:
            raise IndexFolderError(f"index {self.path} is inconsistent ({'; '.join(problems)}): rebuild it with `assistant index --rebuild`")

    def check_model(self, key: str) -> None:
        built = self.manifest.model["key"]
        if key != built:
            name = self.manifest.model["name"]
            backend = self.manifest.model["backend"]
            raise ModelMismatch(
                f"this index was built with {built!r} but the configured embedder is {key!r}. "
                f"Either search it with --backend {backend} --model {name}, or rebuild it for the new model "
                f"with `assistant index --backend ... --model ...`"
            )
