"""The index folder: generations, the manifest, atomic swaps and consistency checks.

Layout of an index folder::

    index/main/
      CURRENT                 the name of the live generation (replaced atomically)
      gen-<time>-<pid>/       manifest.json, store.sqlite, .readers and the search backend's files: dense.faiss,
                              bm25.npz, bm25_vocab.json (local); bm25_stats.npz, bm25_vocab.json (milvus)
      .build.lock             held while a build runs
      milvus-collections.json the Milvus collections this folder's builds created (milvus backend)

A build writes a new generation beside the live one and swaps ``CURRENT`` at the very
end, so killing it midway leaves the previous index usable. A loaded index holds a shared
lock on its generation's ``.readers`` file for as long as it is referenced; a build removes
an old generation only when it can take that lock exclusively, so a running server keeps
reading the generation it loaded (and opening SQLite connections to it from new threads)
until it has moved to the new one (:meth:`SearchIndex.stale`).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import threading
import time
import uuid
import weakref
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
READERS = ".readers"  # the file a generation's readers hold a shared lock on


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

    def cleanup(self, keep: Path | None = None) -> list[Path]:
        """Remove unfinished and superseded generations that no reader holds; returns the ones
        kept because a reader (a running server) still uses them."""
        keep = keep or self.current()
        in_use = []
        for child in sorted(self.root.glob("*gen-*")):
            if not child.is_dir() or child == keep:
                continue
            if not _remove_unless_read(child):
                in_use.append(child)
        if in_use:
            log.info("kept %d generation(s) still read by a running server: %s", len(in_use), ", ".join(p.name for p in in_use))
        return in_use

    @contextmanager
    def lock(self, wait: float = 0.0, reentrant: bool = False) -> Iterator[None]:
        """Hold the build lock (waiting up to ``wait`` seconds for another build to finish).
        Held with ``reentrant=True``, a build started in the same thread runs under it (an
        upload takes the lock, writes its files into the corpus, then builds)."""
        self.root.mkdir(parents=True, exist_ok=True)
        key = (self.root.resolve(), threading.get_ident())
        if key in _HELD:
            yield
            return
        fh = open(self.root / ".build.lock", "w")
        deadline = time.monotonic() + wait
        try:
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError as exc:
                    if time.monotonic() >= deadline:
                        raise BuildLocked(f"another build of {self.root} is running; try again when it has finished") from exc
                    time.sleep(0.2)
            if reentrant:
                _HELD.add(key)
            try:
                yield
            finally:
                _HELD.discard(key)
                fcntl.flock(fh, fcntl.LOCK_UN)
        finally:
            fh.close()


_HELD: set[tuple[Path, int]] = set()  # (index root, thread) pairs whose build lock this process holds


def _remove_unless_read(generation: Path) -> bool:
    """Delete ``generation`` unless a reader holds its ``.readers`` lock; True if it is gone."""
    try:
        fd = os.open(generation / READERS, os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError:
        fd = -1  # no lock file can be made: nobody can be reading through one either
    try:
        if fd >= 0:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
        shutil.rmtree(generation, ignore_errors=True)
        return not generation.exists()
    finally:
        if fd >= 0:
            os.close(fd)


class GenerationGone(IndexFolderError):
    """The generation was removed (superseded) between reading CURRENT and opening it."""


class _ReaderPin:
    """A shared lock on a generation's ``.readers`` file, released when the last object
    holding it (the :class:`SearchIndex`, its :class:`Store`) is garbage-collected."""

    def __init__(self, generation: Path):
        self.fd = -1
        try:
            fd = os.open(generation / READERS, os.O_RDONLY | os.O_CREAT, 0o644)
        except FileNotFoundError as exc:
            raise GenerationGone(f"generation {generation} was removed") from exc
        except OSError as exc:  # a read-only index folder without the file: readable, but not protected
            log.debug("cannot pin %s: %s", generation, exc)
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise GenerationGone(f"generation {generation} is being removed") from exc
        if not (generation / "manifest.json").exists():  # removed after we opened the lock file
            os.close(fd)
            raise GenerationGone(f"generation {generation} was removed")
        self.fd = fd
        weakref.finalize(self, os.close, fd)


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
        self.pin: Any = None  # the generation's reader lock (see open())
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
        folder = IndexFolder(root)
        for attempt in range(5):
            path = folder.current()
            if path is None:
                raise IndexFolderError(f"no index in {root}: run `assistant index` first")
            try:
                return cls.open(path, check, settings)
            except GenerationGone:  # a build swapped CURRENT and removed it meanwhile: read CURRENT again
                time.sleep(0.05 * (attempt + 1))
        raise IndexFolderError(f"the index in {root} keeps changing; try again")

    @classmethod
    def open(cls, path: Path, check: bool = True, settings: BackendSettings | None = None) -> SearchIndex:
        """One generation folder (held against removal while this object or its store lives), searched
        through the backend its manifest names, reached as ``settings`` (default:
        :func:`~assistant.index.use_backend`'s) say when they name the same backend."""
        pin = _ReaderPin(path)
        manifest = Manifest.load(path)
        store = Store(path / "store.sqlite", readonly=True)
        store.pin = pin  # new threads open connections to this file as long as the store is used
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
        index.pin = pin
        if check:
            index.check()
        return index

    def stale(self) -> bool:
        """Whether the index folder has a newer live generation than this one (a build committed)."""
        current = IndexFolder(self.path.parent).current()
        return current is not None and current != self.path

    def close(self) -> None:
        """Close this thread's SQLite connection and the backend's handles. The generation stays on
        disk until this index and its store are no longer referenced (threads still answering from
        it keep working)."""
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
