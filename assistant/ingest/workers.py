"""Parse files in worker processes, each file within a time and memory limit: a file that hangs
a parser or inflates past memory costs that file (skipped with the reason), not the build or
the server that started it.

Workers are fresh interpreters (the caller may be a server with threads, which must not be
forked); each loads Kiwi once, caps its address space and takes files one at a time over a
socket. A worker that
runs past ``parse_seconds`` is killed and replaced; one that dies is replaced too.
"""

from __future__ import annotations

import logging
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

from ..records import Document
from .limits import MIB, FileLimits

log = logging.getLogger(__name__)

STARTUP_SECONDS = 120.0  # loading Kiwi takes about a second, much longer on a busy machine
#: ``progress(done, total)``
ParseProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class Parsed:
    """One file's outcome: its document (possibly cut), or the reason it was skipped."""

    doc_id: str
    path: str
    document: Document | None
    reason: str = ""
    chars: int = 0  # characters of the whole text (more than the document's when it was cut)
    seconds: float = 0.0

    @property
    def cut(self) -> bool:
        return self.document is not None and self.chars > len(self.document.text)


def parse_file(doc_id: str, path: str, limits: FileLimits) -> Parsed:
    """Read and parse one file in this process (what a worker does)."""
    from .readers import UnreadableDocument, read_document

    t0 = time.perf_counter()
    try:
        result = read_document(path, doc_id, limits=limits)
    except UnreadableDocument as exc:
        return Parsed(doc_id, path, None, exc.reason, seconds=time.perf_counter() - t0)
    except MemoryError:
        return Parsed(doc_id, path, None, f"needs more than {limits.parse_memory_mb} MiB of memory to parse", seconds=time.perf_counter() - t0)
    except RecursionError:
        return Parsed(doc_id, path, None, "nested too deeply to parse", seconds=time.perf_counter() - t0)
    except Exception as exc:  # a parser bug must not lose the rest of the corpus
        log.exception("failed to parse %s", path)
        return Parsed(doc_id, path, None, f"parser error: {type(exc).__name__}: {exc}"[:300], seconds=time.perf_counter() - t0)
    return Parsed(doc_id, path, result.document, chars=result.chars, seconds=time.perf_counter() - t0)


def _address_space() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _worker(conn: Connection, nice: int) -> None:
    """A worker's loop: its limits, then one (doc_id, path) in, one :class:`Parsed` out, until ``None``."""
    if nice:
        os.nice(nice)
    limits: FileLimits = conn.recv()
    from .nlp import get_kiwi

    get_kiwi()  # loaded once, before the cap: every file needs it
    try:
        cap = _address_space() + limits.parse_memory_mb * MIB
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (OSError, ValueError) as exc:  # pragma: no cover - no /proc or no permission
        log.warning("parsing worker runs without a memory cap: %s", exc)
    conn.send("ready")  # a file's time starts now, not while the worker starts
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        doc_id, path = job
        result = parse_file(doc_id, path, limits)
        try:
            conn.send(result)
        except MemoryError:
            conn.send(Parsed(doc_id, path, None, f"needs more than {limits.parse_memory_mb} MiB of memory to parse", seconds=result.seconds))


class _Slot:
    """One worker process (:func:`main` in a new interpreter) and the socket to it. A
    fresh interpreter, not a fork: the caller may be a server with threads."""

    def __init__(self, limits: FileLimits, nice: int):
        ours, theirs = socket.socketpair()
        fd = theirs.fileno()
        cmd = [sys.executable, "-c", "import sys; from assistant.ingest import workers; workers.main(sys.argv[1:])", str(fd), str(nice)]
        self.process = subprocess.Popen(cmd, pass_fds=(fd,), stdin=subprocess.DEVNULL, close_fds=True)
        theirs.close()
        self.conn = Connection(ours.detach())
        self.conn.send(limits)
        self.job: tuple[int, str, str] | None = None
        self.started = 0.0
        self.ready = False

    def wait_ready(self, timeout: float = STARTUP_SECONDS) -> None:
        """Block until the worker has loaded what it needs (or raise: no worker, no parsing)."""
        if self.ready:
            return
        if not self.conn.poll(timeout):
            self.kill()
            raise RuntimeError(f"a parsing worker did not start within {timeout:.0f} s")
        try:
            self.conn.recv()
        except (EOFError, OSError) as exc:
            code = self.exitcode
            raise RuntimeError(f"a parsing worker failed to start (exit code {code})") from exc
        self.ready = True

    @property
    def exitcode(self) -> int | None:
        try:
            return self.process.wait(1)
        except subprocess.TimeoutExpired:
            return None

    def send(self, index: int, doc_id: str, path: str) -> None:
        self.job = (index, doc_id, path)
        self.started = time.monotonic()
        self.conn.send((doc_id, path))

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
            self.process.wait(5)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
        self.kill()


class ParsePool:
    """Parses files in up to ``workers`` processes within ``limits``. Use as a context manager."""

    def __init__(self, limits: FileLimits | None = None, workers: int = 0, nice: int = 0):
        self.limits = limits or FileLimits()
        self.workers = workers or max(1, min(2, os.cpu_count() or 1))
        self.nice = nice
        self._slots: list[_Slot] = []

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for slot in self._slots:
            slot.stop()
        self._slots = []

    def parse(self, files: Sequence[tuple[str, str | Path]], progress: ParseProgress | None = None) -> list[Parsed]:
        """``(doc_id, path)`` pairs → their outcomes, in the same order."""
        results: list[Parsed | None] = [None] * len(files)
        for done, (i, parsed) in enumerate(self._run(files), start=1):
            results[i] = parsed
            if progress:
                progress(done, len(files))
        return [r for r in results if r is not None]

    def _run(self, files: Sequence[tuple[str, str | Path]]) -> Iterator[tuple[int, Parsed]]:
        todo = list(enumerate((d, str(p)) for d, p in files))
        todo.reverse()
        while len(self._slots) < min(self.workers, len(todo)):
            self._slots.append(_Slot(self.limits, self.nice))
        for slot in self._slots:  # started together, waited for one by one
            slot.wait_ready()
        timeout = self.limits.parse_seconds
        while todo or any(s.job for s in self._slots):
            for slot in self._slots:
                if slot.job is None and todo:
                    i, (doc_id, path) = todo.pop()
                    try:
                        slot.send(i, doc_id, path)
                    except (OSError, ValueError):  # the worker died while idle: replace it, try again
                        self._replace(slot)
                        todo.append((i, (doc_id, path)))
            busy = [s for s in self._slots if s.job]
            if not busy:
                continue
            now = time.monotonic()
            left = min(s.started + timeout - now for s in busy)
            ready = wait([s.conn for s in busy], timeout=max(0.0, left))
            for slot in busy:
                assert slot.job is not None
                i, doc_id, path = slot.job
                if slot.conn in ready:
                    try:
                        result = slot.conn.recv()
                    except (EOFError, OSError):
                        code = slot.exitcode
                        yield i, Parsed(doc_id, path, None, f"the parser crashed on this file (exit code {code})", seconds=time.monotonic() - slot.started)
                        self._replace(slot)
                        continue
                    slot.job = None
                    yield i, result
                elif time.monotonic() - slot.started >= timeout:
                    log.warning("parsing %s took longer than %.0f s: stopped", path, timeout)
                    yield i, Parsed(doc_id, path, None, f"parsing took longer than {timeout:.0f} s: skipped", seconds=time.monotonic() - slot.started)
                    self._replace(slot)

    def _replace(self, slot: _Slot) -> None:
        slot.kill()
        k = self._slots.index(slot)
        self._slots[k] = _Slot(self.limits, self.nice)
        self._slots[k].wait_ready()


def main(argv: Sequence[str]) -> None:
    """A worker process started by :class:`ParsePool`: ``FD NICE``."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _worker(Connection(int(argv[0])), int(argv[1]))
