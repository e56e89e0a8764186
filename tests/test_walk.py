"""Corpus walking never leaves the corpus folder, never opens what is not a regular file, and
reports every path it leaves out."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

from assistant.index.walk import walk_corpus
from assistant.ingest.limits import FileLimits

GOOD = "청년수당 지급 계획\n\n서울시 청년수당 2024년 예산은 1,200억원이다.\n"


def _walk(folder: Path) -> tuple[list[str], dict[str, str]]:
    out: dict = {}

    def run() -> None:
        skipped: list = []
        out["found"] = walk_corpus([folder], FileLimits(), skipped)
        out["skipped"] = skipped

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(60)
    assert not t.is_alive(), "the corpus walk blocked (a FIFO was opened?)"
    rel = lambda p: os.path.relpath(p, folder)  # noqa: E731
    return sorted(rel(f.path) for f in out["found"]), {rel(s.path): s.reason for s in out["skipped"]}


def test_every_path_is_indexed_or_reported(tmp_path):
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "good.txt").write_text(GOOD, encoding="utf-8")
    (root / "sub" / "nested.md").write_text(GOOD, encoding="utf-8")
    outside = tmp_path / "secret.txt"
    outside.write_text("비밀번호 1234\n\n관리자 계정 정보\n", encoding="utf-8")
    os.symlink(outside, root / "passwd.txt")  # a link out of the corpus
    os.symlink("/etc", root / "etc")  # a folder link out of the corpus
    os.symlink(root / "good.txt", root / "alias.txt")  # a link inside it
    os.symlink(root / "loop-b.txt", root / "loop-a.txt")
    os.symlink(root / "loop-a.txt", root / "loop-b.txt")
    os.symlink(root / "missing.txt", root / "dangling.txt")
    os.symlink(root, root / "sub" / "back")  # a folder loop
    os.mkfifo(root / "pipe.txt")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock.txt"))
    (root / "report.pdf").mkdir()  # a folder named like a document
    (root / "report.pdf" / "inside.txt").write_text(GOOD, encoding="utf-8")
    (root / ".hidden.txt").write_text(GOOD, encoding="utf-8")
    (root / ".git").mkdir()
    (root / ".git" / "config.txt").write_text(GOOD, encoding="utf-8")
    (root / "notes.exe").write_bytes(b"MZ")
    (root / "sub" / "good.txt").write_text(GOOD, encoding="utf-8")  # same id as ./good.txt
    bad_name = os.fsencode(root) + b"/bad-\xff\xfe.txt"
    with open(bad_name, "wb") as fh:
        fh.write(GOOD.encode())
    try:
        found, skipped = _walk(root)
    finally:
        sock.close()
    assert found == ["good.txt", "report.pdf/inside.txt", "sub/nested.md"]
    expect = {
        "passwd.txt": "symbolic link out of the corpus folder",
        "etc": "symbolic link out of the corpus folder",
        "alias.txt": "symbolic link (→",
        "loop-a.txt": "symbolic link loop",
        "loop-b.txt": "symbolic link loop",
        "dangling.txt": "broken symbolic link",
        "sub/back": "symbolic link",
        "pipe.txt": "a FIFO (named pipe), not a file",
        "sock.txt": "a socket, not a file",
        "report.pdf": "a folder, not a document",
        ".hidden.txt": "hidden",
        ".git": "hidden",
        "notes.exe": "unsupported file type .exe",
        "sub/good.txt": "duplicate document id good.txt",
        "bad-\\xff\\xfe.txt": "the file name is not valid UTF-8",
    }
    assert set(skipped) == set(expect), (sorted(skipped), sorted(expect))
    for path, reason in expect.items():
        assert skipped[path].startswith(reason), (path, skipped[path])


def test_a_built_index_never_holds_a_file_from_outside_the_corpus(tmp_path, embedder, cache_path):
    from assistant.index.indexer import Indexer

    root = tmp_path / "corpus"
    root.mkdir()
    (root / "good.txt").write_text(GOOD, encoding="utf-8")
    outside = tmp_path / "secret.txt"
    outside.write_text("관리자 비밀번호 목록\n\n비밀번호는 hunter2 이다.\n", encoding="utf-8")
    os.symlink(outside, root / "secret.txt")
    summary = Indexer(tmp_path / "idx", embedder, cache_path).build([root])
    assert summary.added == ["good.txt"]
    assert any(s.path.endswith("secret.txt") and "out of the corpus" in s.reason for s in summary.skipped)
