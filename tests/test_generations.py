"""A running server and `assistant index` on the same folder: the server's generation stays
readable (new threads can open SQLite connections to it) until the server has moved on, and
the server moves to the new generation by itself."""

from __future__ import annotations

import gc
import threading
import time

from corpus_paths import CORPUS, DOC

from assistant.index.folder import IndexFolder, SearchIndex
from assistant.index.indexer import Indexer


def _in_new_thread(fn, *args):
    out: dict = {}

    def run() -> None:
        try:
            out["value"] = fn(*args)
        except Exception as exc:  # reported to the test
            out["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_a_loaded_generation_survives_a_rebuild_until_released(small_corpus, embedder, cache_path, tmp_path):
    root = tmp_path / "idx"
    ix = Indexer(root, embedder, cache_path)
    ix.build([small_corpus])
    reader = SearchIndex.load(root)
    old = reader.path
    ids = [int(i) for i in reader.chunk_ids[:3]]
    (small_corpus / DOC["budget"]).unlink()  # the build drops a document and commits a new generation
    ix.build([small_corpus])
    # a thread that never used the old store opens a new connection to it (a server's new worker)
    chunks = _in_new_thread(reader.store.chunks, ids)
    assert sorted(chunks) == sorted(ids)
    assert _in_new_thread(reader.store.document_text, DOC["budget"])
    assert IndexFolder(root).current() != old and reader.stale()
    # once the reader is gone, the next cleanup removes the old generation
    del reader, chunks
    gc.collect()
    assert IndexFolder(root).cleanup() == []
    assert not old.exists()
    assert [p.name for p in root.glob("*gen-*")] == [IndexFolder(root).current().name]


def test_a_build_keeps_every_generation_a_reader_holds(small_corpus, embedder, cache_path, tmp_path):
    root = tmp_path / "idx"
    ix = Indexer(root, embedder, cache_path)
    ix.build([small_corpus])
    first = SearchIndex.load(root)
    (small_corpus / DOC["budget"]).unlink()
    ix.build([small_corpus])
    second = SearchIndex.load(root)
    (small_corpus / "extra.txt").write_text((CORPUS / DOC["budget"]).read_text(encoding="utf-8"), encoding="utf-8")
    ix.build([small_corpus])
    gens = sorted(p.name for p in root.glob("gen-*"))
    assert first.path.name in gens and second.path.name in gens and len(gens) == 3
    assert first.store.counts()["documents"] == 2 and second.store.counts()["documents"] == 1


def test_the_assistant_moves_to_a_new_generation_by_itself(small_corpus, embedder, cache_path, tmp_path):
    from assistant.answer import Answerer
    from assistant.app import Assistant

    root = tmp_path / "idx"
    ix = Indexer(root, embedder, cache_path)
    ix.build([small_corpus])
    assistant = Assistant(Answerer(root, embedder))
    assert len(assistant.documents()) == 2
    (small_corpus / DOC["budget"]).unlink()
    ix.build([small_corpus])  # what `assistant index` does beside a running server
    first = assistant.ask("2022년 예산액은?")
    assert first.kind != "error"
    deadline = time.monotonic() + 30
    while assistant.answerer.index.stale() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not assistant.answerer.index.stale()
    assert [d["id"] for d in assistant.documents()] == [DOC["balance"]]
    assert assistant.ask("2022년 예산액은?").kind != "error"
