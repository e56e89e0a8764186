"""The document library behind uploads: check uploaded files, queue them, and index them in a
separate, lower-priority process so that questions never wait behind indexing.

An upload is a job in a first-in, first-out queue; its state (queued, waiting for another
build, checking, indexing, done) and progress can be read while it runs. The job's process
checks each file (parsed within the file limits, in a worker), then takes the index's build
lock, and only then writes the accepted files into the uploads folder and builds: a file
reaches the corpus folder only when its indexing has been accepted, and a build that fails
puts the folder back as it was.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..index import BuildLocked, BuildSummary, Embedder, Indexer, IndexFolder, IndexSettings, create_embedder
from ..ingest import SUPPORTED_SUFFIXES, Chunker, FileLimits, ParsePool
from ..records import SkippedFile

log = logging.getLogger(__name__)

#: How long an upload waits for another build (``assistant index``, another server) to finish.
LOCK_WAIT_SECONDS = 600.0


@dataclass(frozen=True)
class Library:
    """Where documents live and how the index is built (for uploads from the web chat)."""

    corpus: tuple[str, ...]
    uploads: str
    cache: str
    settings: IndexSettings
    max_upload_bytes: int = 20 * 1024 * 1024
    embedder: tuple[Any, ...] = ()  # (backend, model, device, query prefix, passage prefix); () = as the answering one


@dataclass
class UploadJob:
    """One upload as it goes through the queue (read it from any thread)."""

    id: str
    names: tuple[str, ...]
    state: str = "queued"  # queued, waiting, checking, indexing, done, failed
    position: int = 0  # jobs ahead of this one while queued
    stage: str = ""  # parse, embed, bm25 while indexing
    done: int = 0
    total: int = 0
    summary: BuildSummary | None = None
    refused: list[SkippedFile] = field(default_factory=list)
    error: str = ""
    created: float = field(default_factory=time.time)
    finished: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def over(self) -> bool:
        return self.finished.is_set()


@dataclass(frozen=True)
class _Spec:
    """What the indexing process needs (pickled to it)."""

    job: str
    index_dir: str
    folders: tuple[str, ...]
    uploads: str
    cache: str
    settings: IndexSettings
    embedder: tuple[Any, ...]
    files: tuple[tuple[str, str], ...]  # (staged copy, document name)
    lock_wait: float


def embedder_spec(embedder: Embedder) -> tuple[Any, ...]:
    """How to make another instance of ``embedder`` in another process."""
    return (embedder.backend, embedder.name, "cpu", getattr(embedder, "query_prefix", None), getattr(embedder, "passage_prefix", None))


class DocumentLibrary:
    """Adds uploaded documents to the corpus and re-indexes it, one job at a time, in a separate
    process (its own embedder, lower CPU priority): answering never waits for it."""

    def __init__(self, library: Library, index_dir: str | Path, embedder: Embedder, lock_wait: float = LOCK_WAIT_SECONDS):
        self.library = library
        self.index_dir = Path(index_dir)
        self.embedder = embedder  # the answering one: only its description goes to the indexing process
        self.spec = library.embedder or embedder_spec(embedder)
        self.lock_wait = lock_wait
        self._queue: deque[tuple[UploadJob, list[tuple[Path, str]]]] = deque()
        self._jobs: dict[str, UploadJob] = {}
        self._cond = threading.Condition()
        self._worker: threading.Thread | None = None
        self._staging = Path(tempfile.mkdtemp(prefix="assistant-uploads-"))

    @property
    def max_upload_bytes(self) -> int:
        return min(self.library.max_upload_bytes, self.library.settings.limits.max_file_bytes)

    # -- checks that need no parsing ----------------------------------------------------
    def check(self, files: Sequence[str | Path], names: Sequence[str] | None = None) -> tuple[list[tuple[Path, str]], list[SkippedFile]]:
        """Files that may be uploaded (name, type, size: the same size rule as the folder scan)
        and the ones refused with the reason."""
        limits = FileLimits(max_file_bytes=self.max_upload_bytes)
        accepted: list[tuple[Path, str]] = []
        refused: list[SkippedFile] = []
        for i, f in enumerate(files):
            src = Path(f)
            name = Path(names[i]).name if names else src.name
            if not name or name.startswith(".") or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                refused.append(SkippedFile(name or str(src), f"unsupported file type; supported: {', '.join(SUPPORTED_SUFFIXES)}"))
                continue
            if name != name.encode("utf-8", "replace").decode("utf-8"):
                refused.append(SkippedFile(name.encode("utf-8", "backslashreplace").decode(), "the file name is not valid UTF-8"))
                continue
            try:
                size = src.stat().st_size
            except OSError as exc:
                refused.append(SkippedFile(name, f"cannot read file: {exc.strerror or exc}"))
                continue
            reason = limits.too_large(size)
            if reason:
                refused.append(SkippedFile(name, reason))
                continue
            accepted.append((src, name))
        return accepted, refused

    # -- the queue ----------------------------------------------------------------------
    def submit(self, files: Sequence[str | Path], names: Sequence[str] | None = None) -> UploadJob:
        """Queue uploaded files for indexing; returns the job (already over if nothing was acceptable)."""
        accepted, refused = self.check(files, names)
        job = UploadJob(uuid.uuid4().hex[:12], tuple(n for _, n in accepted), refused=refused)
        if not accepted:
            job.state = "done"
            job.finished.set()
            return job
        staged: list[tuple[Path, str]] = []
        folder = self._staging / job.id
        folder.mkdir(parents=True)
        for k, (src, name) in enumerate(accepted):  # the web server may delete its temp files before the job runs
            copy = folder / f"{k}-{uuid.uuid4().hex[:6]}{Path(name).suffix.lower()}"
            shutil.copyfile(src, copy)
            staged.append((copy, name))
        with self._cond:
            self._queue.append((job, staged))
            self._jobs[job.id] = job
            self._renumber()
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="upload-queue", daemon=True)
                self._worker.start()
            self._cond.notify_all()
        return job

    def job(self, job_id: str) -> UploadJob | None:
        return self._jobs.get(job_id)

    def add(self, files: Sequence[str | Path], names: Sequence[str] | None = None) -> tuple[BuildSummary | None, list[SkippedFile]]:
        """Check uploaded files and index the good ones (waits for the job); returns the build
        summary and the files refused (with the reason). A refused file changes nothing."""
        job = self.submit(files, names)
        job.finished.wait()
        return job.summary, job.refused

    def _renumber(self) -> None:
        for k, (queued, _) in enumerate(self._queue):
            queued.position = k

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                job, staged = self._queue[0]
            try:
                self._index(job, staged)
            except Exception as exc:  # the queue must keep working
                log.exception("upload job %s failed", job.id)
                job.error = f"{type(exc).__name__}: {exc}"
                job.state = "failed"
            finally:
                shutil.rmtree(self._staging / job.id, ignore_errors=True)
                with self._cond:
                    self._queue.popleft()
                    self._renumber()
                    for old in [j for j in self._jobs.values() if j.over][:-50]:  # keep the latest jobs' status
                        self._jobs.pop(old.id, None)
                job.finished.set()

    def _index(self, job: UploadJob, staged: list[tuple[Path, str]]) -> None:
        lib = self.library
        folders = tuple(dict.fromkeys([*lib.corpus, str(lib.uploads)]))
        spec = _Spec(job.id, str(self.index_dir), folders, str(lib.uploads), str(lib.cache), lib.settings, tuple(self.spec),
                     tuple((str(p), n) for p, n in staged), self.lock_wait)
        ours, theirs = socket.socketpair()
        fd = theirs.fileno()
        cmd = [sys.executable, "-c", "import sys; from assistant.app import library; library.main(sys.argv[1:])", str(fd)]
        proc = subprocess.Popen(cmd, pass_fds=(fd,), stdin=subprocess.DEVNULL, close_fds=True)
        theirs.close()
        conn = Connection(ours.detach())
        result = False
        try:
            conn.send(spec)
            while True:
                try:
                    msg = conn.recv()
                except (EOFError, OSError):
                    break
                kind = msg[0]
                if kind == "state":
                    job.state = msg[1]
                elif kind == "progress":
                    job.stage, job.done, job.total = msg[1], msg[2], msg[3]
                elif kind == "result":
                    job.summary, refused, job.error = msg[1], msg[2], msg[3]
                    job.refused = [*job.refused, *refused]
                    job.state = "failed" if job.error else "done"
                    result = True
                    break
        finally:
            conn.close()
            code = proc.wait()
        if not result:
            job.state = "failed"
            job.error = f"the indexing process ended unexpectedly (exit code {code})"
            _roll_back(Path(lib.uploads), job.id, staged, self.index_dir)


# -- the indexing process ---------------------------------------------------------------------


def _backup(uploads: Path, name: str, job: str) -> Path:
    return uploads / f".{name}.previous-{job}"


def _roll_back(uploads: Path, job: str, staged: Sequence[tuple[Path, str]], index_dir: Path) -> None:
    """Put the uploads folder back as it was before ``job`` (after its process died)."""
    try:
        with IndexFolder(index_dir).lock(wait=LOCK_WAIT_SECONDS):
            for _src, name in staged:
                backup, dest = _backup(uploads, name, job), uploads / name
                if backup.exists():
                    os.replace(backup, dest)
                elif dest.exists() and not _indexed(index_dir, name):
                    dest.unlink()
                (uploads / f".{name}.part").unlink(missing_ok=True)
    except (OSError, BuildLocked):
        log.exception("cannot put the uploads folder back after job %s", job)


def _indexed(index_dir: Path, name: str) -> bool:
    from ..index import Manifest

    current = IndexFolder(index_dir).current()
    if current is None:
        return False
    try:
        return name in Manifest.load(current).documents
    except Exception:
        return False


def main(argv: Sequence[str]) -> None:
    """The indexing process of one upload job (started by :class:`DocumentLibrary`): ``FD``."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.nice(10)  # questions first: the server's threads keep their priority
    conn = Connection(int(argv[0]))
    spec: _Spec = conn.recv()
    try:
        summary, refused = _run_job(spec, conn)
        conn.send(("result", summary, refused, ""))
    except BuildLocked as exc:
        refused = [SkippedFile(name, f"not indexed: {exc}") for _, name in spec.files]
        conn.send(("result", None, refused, ""))
    except Exception as exc:
        log.exception("upload job %s failed", spec.job)
        conn.send(("result", None, [], f"{type(exc).__name__}: {exc}"))
    conn.close()


def _run_job(spec: _Spec, conn: Connection) -> tuple[BuildSummary | None, list[SkippedFile]]:
    settings = spec.settings
    conn.send(("state", "checking"))
    backend, model, device, qp, pp = spec.embedder
    embedder = create_embedder(backend, model, device, qp, pp)
    chunker = Chunker(embedder.count_tokens, settings.max_tokens, settings.overlap_tokens)
    refused: list[SkippedFile] = []
    good: list[tuple[Path, str]] = []
    with ParsePool(settings.limits, 1) as pool:
        outcomes = pool.parse([(name, src) for src, name in spec.files], lambda d, n: conn.send(("progress", "check", d, n)))
    for (src, name), out in zip(spec.files, outcomes, strict=True):
        if out.document is None:
            refused.append(SkippedFile(name, out.reason))
        elif not chunker.chunk(out.document):
            refused.append(SkippedFile(name, "no text to index"))
        else:
            good.append((Path(src), name))
    if not good:
        return None, refused
    conn.send(("state", "waiting"))
    uploads = Path(spec.uploads)
    uploads.mkdir(parents=True, exist_ok=True)
    with IndexFolder(spec.index_dir).lock(wait=spec.lock_wait, reentrant=True):
        conn.send(("state", "indexing"))
        written: list[tuple[str, Path | None]] = []
        try:
            for src, name in good:  # only now, with the build lock held, does the corpus change
                dest, part = uploads / name, uploads / f".{name}.part"
                backup = None
                if dest.exists():
                    backup = _backup(uploads, name, spec.job)
                    os.replace(dest, backup)
                written.append((name, backup))
                shutil.copyfile(src, part)
                os.replace(part, dest)
            summary = Indexer(spec.index_dir, embedder, spec.cache, settings).build(
                spec.folders, progress=lambda stage, d, n: conn.send(("progress", stage, d, n))
            )
        except BaseException:
            for name, backup in reversed(written):
                if backup is not None:
                    os.replace(backup, uploads / name)
                else:
                    (uploads / name).unlink(missing_ok=True)
            raise
        names = {n for n, _ in written}
        for s in summary.skipped:  # parsed above but skipped by the build: keep the corpus as it was
            name = Path(s.path).name
            if Path(s.path).parent == uploads and name in names:
                refused.append(SkippedFile(name, s.reason))
                backup = dict(written)[name]
                if backup is not None:
                    os.replace(backup, uploads / name)
                else:
                    (uploads / name).unlink(missing_ok=True)
        for _name, backup in written:
            if backup is not None and backup.exists():
                backup.unlink()
    return summary, refused
