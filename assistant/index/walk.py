"""Find the documents of the corpus folders without ever leaving them.

Symbolic links are never followed (a link out of the corpus could expose any file of the
machine through the document viewer); FIFOs, sockets and devices are never opened (reading a
FIFO blocks forever); hidden files, files over the size limit, unsupported types, duplicate
names and names that are not UTF-8 are skipped. Every path skipped is reported with the
reason. A document's id is its file name.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..ingest import SUPPORTED_SUFFIXES, FileLimits
from ..records import SkippedFile

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


@dataclass(frozen=True)
class SourceFile:
    """A regular file of a corpus folder to index."""

    doc_id: str
    path: Path
    size: int
    sha256: str


def shown(path: str | Path) -> str:
    """A path as it can be printed and stored (bytes that are not UTF-8 escaped)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _link_reason(path: Path, root: Path) -> str:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    try:
        resolved = path.resolve(strict=True)
    except RuntimeError:
        return f"symbolic link loop (→ {shown(target)}): not followed"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"symbolic link loop (→ {shown(target)}): not followed"
        return f"broken symbolic link (→ {shown(target)})"
    if not resolved.is_relative_to(root):
        return f"symbolic link out of the corpus folder (→ {shown(target)}): not followed"
    return f"symbolic link (→ {shown(target)}): links are not followed; the file itself is indexed under its own name"


def _sha256(path: Path, limits: FileLimits) -> tuple[int, str]:
    """Size and SHA-256 of a regular file, opened without following a link or blocking on a FIFO
    (the entry may have been replaced since it was listed)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "no longer a regular file")
        reason = limits.too_large(st.st_size)
        if reason:
            raise ValueError(reason)
        digest = hashlib.sha256()
        while block := fh.read(1 << 20):
            digest.update(block)
    return st.st_size, digest.hexdigest()


def walk_corpus(folders: Sequence[str | Path], limits: FileLimits, skipped: list[SkippedFile]) -> list[SourceFile]:
    """The files to index under ``folders`` (sorted by path); what is left out goes to ``skipped``."""
    found: dict[str, SourceFile] = {}
    for folder in folders:
        root = Path(folder)
        try:
            st = root.stat()
        except OSError as exc:
            skipped.append(SkippedFile(shown(root), f"not a folder ({exc.strerror or exc})"))
            continue
        if not stat.S_ISDIR(st.st_mode):
            skipped.append(SkippedFile(shown(root), "not a folder"))
            continue
        real_root = root.resolve()
        seen = {(st.st_dev, st.st_ino)}
        files: list[Path] = []
        stack = [root]
        while stack:
            here = stack.pop()
            try:
                entries = sorted(os.scandir(here), key=lambda e: e.name, reverse=True)
            except OSError as exc:
                skipped.append(SkippedFile(shown(here), f"cannot list the folder: {exc.strerror or exc}"))
                continue
            for entry in entries:
                path = Path(entry.path)
                name = entry.name
                if name.startswith("."):
                    skipped.append(SkippedFile(shown(path), "hidden (the name starts with a dot)"))
                    continue
                if name != shown(name):
                    skipped.append(SkippedFile(shown(path), "the file name is not valid UTF-8"))
                    continue
                if entry.is_symlink():
                    skipped.append(SkippedFile(shown(path), _link_reason(path, real_root)))
                    continue
                try:
                    est = entry.stat(follow_symlinks=False)
                except OSError as exc:
                    skipped.append(SkippedFile(shown(path), f"cannot read: {exc.strerror or exc}"))
                    continue
                if stat.S_ISDIR(est.st_mode):
                    key = (est.st_dev, est.st_ino)
                    if key in seen:
                        skipped.append(SkippedFile(shown(path), "a folder already scanned (a loop): not scanned again"))
                        continue
                    seen.add(key)
                    stack.append(path)
                    if path.suffix.lower() in SUPPORTED_SUFFIXES:
                        skipped.append(SkippedFile(shown(path), "a folder, not a document (its files are scanned)"))
                    continue
                if not stat.S_ISREG(est.st_mode):
                    kind = next((label for test, label in _KINDS if test(est.st_mode)), "not a regular file")
                    skipped.append(SkippedFile(shown(path), f"{kind}, not a file: not opened"))
                    continue
                files.append(path)
        for path in sorted(files):
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                skipped.append(SkippedFile(shown(path), f"unsupported file type {path.suffix or '(none)'}"))
                continue
            if path.name in found:
                skipped.append(SkippedFile(shown(path), f"duplicate document id {path.name} (also {shown(found[path.name].path)})"))
                continue
            try:
                size, digest = _sha256(path, limits)
            except ValueError as exc:  # over the size limit
                skipped.append(SkippedFile(shown(path), str(exc)))
                continue
            except OSError as exc:
                skipped.append(SkippedFile(shown(path), f"cannot read file: {exc.strerror or exc}"))
                continue
            found[path.name] = SourceFile(path.name, path, size, digest)
    return list(found.values())
