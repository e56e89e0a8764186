"""Uploads: queued with visible progress, indexed in their own process (the answering embedder
is never used for them), written into the corpus only once their indexing is accepted."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from corpus_paths import DOC

from assistant.app.library import DocumentLibrary, Library
from assistant.index.folder import IndexFolder, SearchIndex
from assistant.index.indexer import Indexer, IndexSettings

GOOD = "청년수당 지급 계획\n\n서울시 청년수당 2024년 예산은 1,200억원이다. 담당은 청년사업담당관이다.\n"


@pytest.fixture
def setup(tmp_path, embedder, cache_path, small_corpus):
    """A built index of two corpus documents; uploads go into the corpus folder itself (the default)."""
    index = tmp_path / "idx"
    Indexer(index, embedder, cache_path).build([small_corpus])
    lib = Library((str(small_corpus),), str(small_corpus), str(cache_path), IndexSettings())
    upload = tmp_path / "incoming" / "youth.txt"
    upload.parent.mkdir()
    upload.write_text(GOOD, encoding="utf-8")
    return index, lib, upload


def test_an_upload_refused_because_a_build_holds_the_index_changes_nothing(setup, embedder):
    index, lib, upload = setup
    corpus = Path(lib.corpus[0])
    before = sorted(p.name for p in corpus.iterdir())
    library = DocumentLibrary(lib, index, embedder, lock_wait=1.0)
    with IndexFolder(index).lock():  # `assistant index` running meanwhile
        summary, refused = library.add([upload])
    assert summary is None
    assert [r.path for r in refused] == ["youth.txt"] and "another build" in refused[0].reason
    assert sorted(p.name for p in corpus.iterdir()) == before
    assert "youth.txt" not in SearchIndex.load(index).documents


def test_an_upload_is_indexed_in_another_process_with_visible_progress(setup, embedder):
    index, lib, upload = setup
    calls: list[bool] = []
    real = embedder._encode

    def spy(texts, is_query):
        calls.append(is_query)
        return real(texts, is_query)

    embedder._encode = spy
    try:
        library = DocumentLibrary(lib, index, embedder)
        first = library.submit([upload])
        other = upload.with_name("youth-2.txt")
        other.write_text(GOOD.replace("1,200억원", "1,300억원"), encoding="utf-8")
        second = library.submit([other])
        assert second.position == 1 and second.state == "queued"
        states: set[str] = set()
        while not second.finished.wait(0.05):
            states.add(first.state)
        assert first.state == second.state == "done", (first.error, second.error)
    finally:
        del embedder._encode
    assert first.summary.added == ["youth.txt"] and second.summary.added == ["youth-2.txt"]
    assert states & {"checking", "waiting", "indexing", "done"}
    assert False not in calls  # no passage was embedded by the server's (answering) embedder
    docs = SearchIndex.load(index).documents
    assert "youth.txt" in docs and "youth-2.txt" in docs


def test_a_failed_build_puts_the_corpus_folder_back(setup, embedder, tmp_path):
    index, lib, upload = setup
    corpus = Path(lib.corpus[0])
    replaced = corpus / DOC["budget"]
    original = replaced.read_bytes()
    new_version = tmp_path / "incoming" / DOC["budget"]
    new_version.write_text(GOOD, encoding="utf-8")
    bad_cache = tmp_path / "cache-is-a-folder"
    bad_cache.mkdir()  # the embedding cache cannot be opened: the build fails after the files were written
    broken = Library(lib.corpus, lib.uploads, str(bad_cache), lib.settings)
    job = DocumentLibrary(broken, index, embedder).submit([upload, new_version])
    job.finished.wait()
    assert job.state == "failed" and job.error
    assert replaced.read_bytes() == original and not (corpus / "youth.txt").exists()
    assert not [p for p in corpus.iterdir() if p.name.startswith(".")]


def test_uploads_of_bad_files_are_refused_with_the_reason(setup, embedder, tmp_path):
    index, lib, _ = setup
    empty = tmp_path / "incoming" / "empty.txt"
    empty.write_bytes(b"")
    divs = tmp_path / "incoming" / "divs.md"
    divs.write_text("<div>\n<div>\n</div>\n</div>\n", encoding="utf-8")
    exe = tmp_path / "incoming" / "tool.exe"
    exe.write_bytes(b"MZ")
    summary, refused = DocumentLibrary(lib, index, embedder).add([empty, divs, exe])
    assert summary is None
    reasons = {r.path: r.reason for r in refused}
    assert reasons["empty.txt"] == "empty file" and reasons["divs.md"] == "no text to index"
    assert reasons["tool.exe"].startswith("unsupported file type")
    assert not (Path(lib.corpus[0]) / "divs.md").exists()


def test_the_queue_runs_one_job_at_a_time(setup, embedder):
    index, lib, upload = setup
    library = DocumentLibrary(lib, index, embedder)
    jobs = []
    lock = threading.Lock()

    def submit(k: int) -> None:
        f = upload.with_name(f"youth-{k}.txt")
        f.write_text(GOOD.replace("2024년", f"{2020 + k}년"), encoding="utf-8")
        job = library.submit([f])
        with lock:
            jobs.append(job)

    threads = [threading.Thread(target=submit, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(j.position for j in jobs) == [0, 1, 2]
    for j in jobs:
        j.finished.wait()
    assert all(j.state == "done" for j in jobs), [j.error for j in jobs]
    assert {f"youth-{k}.txt" for k in range(3)} <= set(SearchIndex.load(index).documents)
