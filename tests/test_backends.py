"""Backend conformance: the local backend (FAISS + BM25 arrays) and the Milvus backend index the
same documents and find the same candidates, top passages and answers.

The Milvus side runs on the `milvus-lite server` the session starts (``milvus_uri``); one test
uses Milvus Lite inside this process (a ``.db`` path). Tolerance: scores agree within
``REL`` (float32 products summed in another order); a ranking may differ only between
candidates whose scores agree within it (ties); answers on the seed question sets agree in
accuracy within 0.01.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from corpus_paths import CORPUS, DOC, QUESTIONS, ROOT

from assistant.answer import Answerer
from assistant.eval.harness import evaluate
from assistant.eval.questions import load_questions
from assistant.index import BackendError, BackendSettings, Indexer, IndexFolderError, IndexSettings, SearchIndex, TermStats
from assistant.index.backends import allowed_documents
from assistant.index.backends import milvus as mv
from assistant.index.lexical import BM25Index
from assistant.records import Filters
from assistant.search import Retriever, analyse

pytestmark = pytest.mark.slow

REL = 1e-4
ITEMS = load_questions(sorted(QUESTIONS.glob("*.jsonl")))
QUESTION_TEXTS = [t.question for it in ITEMS for t in it.turns]


def assert_same_candidates(a: list[tuple[int, float]], b: list[tuple[int, float]], what: str = "", rel: float = REL) -> None:
    """Same length, the same score rank by rank, the same score per chunk found by both, and a
    chunk found by one side only is tied with the last one kept."""
    assert len(a) == len(b), f"{what}: {len(a)} against {len(b)} candidates"
    if not a:
        return
    sa, sb = np.array([s for _, s in a]), np.array([s for _, s in b])
    np.testing.assert_allclose(sb, sa, rtol=rel, atol=1e-6, err_msg=what)
    da, db = dict(a), dict(b)
    for cid in set(da) & set(db):
        assert db[cid] == pytest.approx(da[cid], rel=rel, abs=1e-6), (what, cid)
    last = sa[-1]
    for cid in set(da) ^ set(db):
        s = da.get(cid, db.get(cid))
        assert abs(s - last) <= rel * abs(last) + 1e-6, f"{what}: chunk {cid} ({s}) on one side only, last score {last}"


def assert_same_views(a: list[tuple[list, list]], b: list[tuple[list, list]], what: str = "") -> None:
    """The same candidates for every probe (scores may move in the last float32 bit when the
    engine reorganises its segments)."""
    for (la, da), (lb, db) in zip(a, b, strict=True):
        assert_same_candidates(la, lb, what)
        assert_same_candidates(da, db, what)


def tie_groups(cands: list[tuple[int, float]], rel: float = REL) -> list[set[int]]:
    """The chunk ids grouped by equal score (within ``rel``), best group first."""
    groups: list[tuple[float, set[int]]] = []
    for cid, s in cands:
        if groups and abs(s - groups[-1][0]) <= rel * abs(groups[-1][0]) + 1e-6:
            groups[-1][1].add(cid)
        else:
            groups.append((s, {cid}))
    return [g for _, g in groups]


def _settings(uri: str, collection: str) -> IndexSettings:
    return IndexSettings(backend=BackendSettings("milvus", uri, collection))


@pytest.fixture(scope="module")
def indexes(eval_index, milvus_eval_index):
    local, milvus = SearchIndex.load(eval_index), SearchIndex.load(milvus_eval_index)
    yield local, milvus
    local.close()
    milvus.close()


# -- the same documents -------------------------------------------------------------


def test_same_documents_and_chunks(indexes):
    local, milvus = indexes
    assert milvus.manifest.backend["name"] == "milvus" and local.manifest.backend["name"] == "local"
    assert milvus.doc_order == local.doc_order and len(local.doc_order) == 15
    assert np.array_equal(milvus.chunk_ids, local.chunk_ids)
    assert np.array_equal(milvus.backend.ids(), local.backend.ids())
    assert [c.text for c in milvus.store.chunks(local.chunk_ids.tolist()).values()] == [c.text for c in local.store.chunks(local.chunk_ids.tolist()).values()]
    # the term statistics the answer layer reads (vocabulary, document frequencies, chunk count) are the same
    lt, mt = local.terms, milvus.terms
    assert isinstance(mt, TermStats) and isinstance(lt, BM25Index)
    ldf = dict(zip(sorted(lt.vocab, key=lt.vocab.get), np.diff(lt.weights.indptr).tolist(), strict=True))
    mdf = dict(zip(sorted(mt.vocab, key=mt.vocab.get), np.diff(mt.weights.indptr).tolist(), strict=True))
    assert ldf == mdf and len(lt) == len(mt)
    assert milvus.manifest.backend["collisions"] == 0  # no two terms share a sparse dimension here
    assert mt.avgdl == pytest.approx(milvus.manifest.backend["avgdl"])


# -- the same candidates ------------------------------------------------------------


def test_same_lexical_candidates_on_every_question(indexes):
    """BM25 through Milvus sparse vectors equals the local BM25 arrays (Kiwi terms, k1 1.2, b 0.75)."""
    local, milvus = indexes
    reordered = 0
    for q in QUESTION_TEXTS:
        terms = list(analyse(q).terms)
        a, b = local.backend.lexical(terms, 50), milvus.backend.lexical(terms, 50)
        assert_same_candidates(a, b, q)
        # many chunks tie (the distractor bills repeat their wording): the order inside a group of
        # equal scores is the engine's; every group but the last (cut at 50) holds the same chunks
        ga, gb = tie_groups(a), tie_groups(b)
        assert ga[:-1] == gb[:-1], q
        reordered += [c for c, _ in a] != [c for c, _ in b]
    print(f"lexical: {reordered} of {len(QUESTION_TEXTS)} top-50 lists order tied chunks differently, none differs otherwise")


def test_same_dense_candidates_on_every_question(indexes, embedder):
    local, milvus = indexes
    vectors = embedder.embed_queries(QUESTION_TEXTS)
    for q, v in zip(QUESTION_TEXTS, vectors, strict=True):
        assert_same_candidates(local.backend.dense(v, 50), milvus.backend.dense(v, 50), q)


def _filters(index: SearchIndex) -> list[Filters]:
    docs = [index.documents[d] for d in index.doc_order]
    types = sorted({d["doc_type"] for d in docs})
    years = sorted({y for d in docs for y in d["years"]})
    depts = sorted({d["department"] for d in docs if d["department"]})
    out = [Filters(doc_ids=(docs[0]["id"], docs[3]["id"])), Filters(doc_ids=("없는 문서.txt",)), Filters(departments=("없는부서",))]
    out += [Filters(doc_types=(t,)) for t in types]
    out += [Filters(years=(y,)) for y in years[:: max(1, len(years) // 4)]]
    out += [Filters(departments=(d[:2],)) for d in depts[:3]]  # part of a department's name matches it
    out += [Filters(doc_types=tuple(types[:2]), years=tuple(years[-3:])), Filters(years=(years[0],), departments=tuple(d[:3] for d in depts))]
    return out


def test_same_candidates_under_filters(indexes, embedder):
    local, milvus = indexes
    filters = _filters(local)
    assert len(filters) >= 10
    for q in QUESTION_TEXTS[::6]:
        terms, v = list(analyse(q).terms), embedder.embed_query(q)
        for f in filters:
            a = local.backend.lexical(terms, 30, f)
            assert_same_candidates(a, milvus.backend.lexical(terms, 30, f), f"{q} {f}")
            d = milvus.backend.dense(v, 30, f)
            assert_same_candidates(local.backend.dense(v, 30, f), d, f"{q} {f}")
            allowed = set(allowed_documents([local.documents[x] for x in local.doc_order], f))
            assert {c.doc_id for c in milvus.store.chunks([c for c, _ in d]).values()} <= allowed, f


def test_same_top_passages(indexes, embedder):
    """The fused top 8 of every question: the same passages, in the same order up to ties."""
    local, milvus = indexes
    rl, rm = Retriever(local, embedder), Retriever(milvus, embedder)
    for q in QUESTION_TEXTS:
        a = [(h.chunk.id, h.score) for h in rl.search(q, k=8)]
        b = [(h.chunk.id, h.score) for h in rm.search(q, k=8)]
        assert_same_candidates(a, b, q)


def test_same_answers_on_the_seed_question_sets(eval_index, milvus_eval_index, embedder):
    """Every seed question answered over both backends: accuracy within 0.01, and the same answers."""
    results = {}
    for name, path in (("local", eval_index), ("milvus", milvus_eval_index)):
        results[name] = evaluate(ITEMS, Answerer(path, embedder), ["assistant"], [5])
    acc = {n: r.summary["assistant"]["answer_accuracy"] for n, r in results.items()}
    assert abs(acc["local"] - acc["milvus"]) <= 0.01, acc
    texts = {n: [t.answer.text for t in r.results["assistant"]] for n, r in results.items()}
    same = sum(a == b for a, b in zip(texts["local"], texts["milvus"], strict=True))
    print(f"answers: accuracy local {acc['local']:.4f}, milvus {acc['milvus']:.4f}; {same} of {len(texts['local'])} answers identical")
    assert same >= 0.98 * len(texts["local"]), f"{same} of {len(texts['local'])} answers identical"


# -- updates, crashes and consistency --------------------------------------------------


def _changed(folder: Path) -> None:
    """Change one document, add one, remove one."""
    p = folder / DOC["budget"]
    p.write_text(p.read_text(encoding="utf-8") + "\n\n추가 문단: 2023년 계획은 검토 중입니다.\n", encoding="utf-8")
    shutil.copy(ROOT / "corpus" / DOC["meeting"], folder / DOC["meeting"])
    (folder / DOC["balance"]).unlink()


PROBES = ["2022년 예산액은?", "우호교류협약을 맺은 지자체", "2023년 계획은 검토 중", "회의 참석자", "세입 결산", "청년 정책 예산"]


def _compare(local: SearchIndex, milvus: SearchIndex, embedder, rel: float = REL) -> None:
    for q in PROBES:
        terms, v = list(analyse(q).terms), embedder.embed_query(q)
        assert_same_candidates(local.backend.lexical(terms, 20), milvus.backend.lexical(terms, 20), q, rel)
        assert_same_candidates(local.backend.dense(v, 20), milvus.backend.dense(v, 20), q)


def test_incremental_updates_match_the_local_backend(small_corpus, embedder, tmp_path, milvus_uri, cache_path):
    """Add, change and remove documents through both backends: the same candidates after each
    build; a change that keeps the average chunk length updates the collection in place."""
    cache = cache_path
    local = Indexer(tmp_path / "local", embedder, cache)
    milvus = Indexer(tmp_path / "milvus", embedder, cache, _settings(milvus_uri, "inc"))
    for ix in (local, milvus):
        ix.build([small_corpus])
    first = SearchIndex.load(tmp_path / "milvus").manifest.backend
    _compare(SearchIndex.load(tmp_path / "local"), SearchIndex.load(tmp_path / "milvus"), embedder)
    p = small_corpus / DOC["budget"]  # a small change: in place
    p.write_text(p.read_text(encoding="utf-8").replace("2022", "2021", 1), encoding="utf-8")
    for ix in (local, milvus):
        assert ix.build([small_corpus]).changed == [DOC["budget"]]
    second = SearchIndex.load(tmp_path / "milvus")
    info = second.manifest.backend
    assert (info["collection"], info["version"]) == (first["collection"], 2), info
    drift = abs(second.terms.avgdl / info["avgdl"] - 1)
    assert drift <= mv.AVGDL_TOLERANCE
    _compare(SearchIndex.load(tmp_path / "local"), second, embedder, rel=drift + REL)
    _changed(small_corpus)
    for ix in (local, milvus):
        s = ix.build([small_corpus])
        assert s.added == [DOC["meeting"]] and s.removed == [DOC["balance"]]
    third = SearchIndex.load(tmp_path / "milvus")
    info = third.manifest.backend
    drift = abs(third.terms.avgdl / info["avgdl"] - 1)
    assert drift <= mv.AVGDL_TOLERANCE  # else the build wrote a new collection (drift 0)
    _compare(SearchIndex.load(tmp_path / "local"), third, embedder, rel=drift + REL)
    client = mv.client_for(milvus_uri)
    assert client.describe_alias("inc_milvus")["collection_name"] == third.manifest.backend["collection"]


def test_removed_rows_stay_visible_to_the_previous_generation(small_corpus, embedder, tmp_path, milvus_uri, cache_path):
    """An in-place update hides removed chunks from the new version only; once no kept generation
    can see them, they are deleted."""
    ix = Indexer(tmp_path / "idx", embedder, cache_path, _settings(milvus_uri, "vis"))
    ix.build([small_corpus])
    old = SearchIndex.load(tmp_path / "idx")
    q = "2022년 예산액은?"
    terms, v = list(analyse(q).terms), embedder.embed_query(q)
    before = old.backend.candidates(terms, v, 20)
    p = small_corpus / DOC["budget"]
    p.write_text(p.read_text(encoding="utf-8").replace("2022", "2021", 1), encoding="utf-8")
    ix.build([small_corpus])
    new = SearchIndex.load(tmp_path / "idx")
    assert new.manifest.backend["version"] == 2 and new.manifest.backend["collection"] == old.manifest.backend["collection"]
    assert_same_views([old.backend.candidates(terms, v, 20)], [before], "old")  # the old generation's view is untouched
    stale = set(old.chunk_ids.tolist()) - set(new.chunk_ids.tolist())
    assert stale and not stale & {c for c, _ in new.backend.dense(v, 50)}
    client, name = mv.client_for(milvus_uri), new.manifest.backend["collection"]
    assert len(client.query(name, filter="until == 2", output_fields=["id"])) == len(stale)  # kept: version 1 is the previous one
    p.write_text(p.read_text(encoding="utf-8") + "\n덧붙인 문장입니다.\n", encoding="utf-8")
    old.close()
    new.close()
    del old, new  # no reader holds the older generations any more (a loaded index pins its own)
    gc.collect()
    ix.build([small_corpus])  # now versions 2 and 3 are kept: rows hidden since version 2 are deleted
    assert client.query(name, filter="until == 2", output_fields=["id"]) == []
    SearchIndex.load(tmp_path / "idx").check()


class Boom(RuntimeError):
    pass


@pytest.mark.parametrize("where", ["full", "incremental"])
def test_interrupted_build_leaves_the_collection_answering_as_before(where, small_corpus, embedder, tmp_path, milvus_uri, monkeypatch, cache_path):
    """A build that dies after writing to Milvus but before the swap: the live generation answers
    exactly as before; the next build clears the leftovers and is consistent."""
    ix = Indexer(tmp_path / "idx", embedder, cache_path, _settings(milvus_uri, f"crash_{where}"))
    ix.build([small_corpus])
    live = SearchIndex.load(tmp_path / "idx")
    probes = [(list(analyse(q).terms), embedder.embed_query(q)) for q in PROBES]
    before = [live.backend.candidates(t, v, 20) for t, v in probes]
    if where == "incremental":
        p = small_corpus / DOC["budget"]
        p.write_text(p.read_text(encoding="utf-8").replace("2022", "2021", 1), encoding="utf-8")
    real_open = SearchIndex.open

    def die(path, check=True, settings=None):  # after the backend wrote everything, before the swap
        raise Boom("killed")

    monkeypatch.setattr(SearchIndex, "open", die)
    with pytest.raises(Boom):
        ix.build([small_corpus], rebuild=where == "full")
    monkeypatch.setattr(SearchIndex, "open", real_open)
    again = SearchIndex.load(tmp_path / "idx")
    assert again.path == live.path
    assert_same_views([again.backend.candidates(t, v, 20) for t, v in probes], before, where)
    client = mv.client_for(milvus_uri)
    base = f"crash_{where}_idx"
    if where == "full":  # the unfinished collection exists, the alias still names the live one
        assert f"{base}_g2" in client.list_collections()
        assert client.describe_alias(base)["collection_name"] == f"{base}_g1"
    else:  # rows of the unfinished version are there, invisible to the live one
        assert client.query(f"{base}_g1", filter=f"id >= {live.manifest.next_chunk_id}", output_fields=["id"])
    ix.build([small_corpus], rebuild=where == "full")
    done = SearchIndex.load(tmp_path / "idx")
    done.check()
    kept = sorted(n for n in client.list_collections() if n.startswith(f"{base}_g"))
    if where == "full":  # the new one and the previous one (a running server may read it); the dead one is dropped
        assert kept == [f"{base}_g1", f"{base}_g3"] and done.manifest.backend["collection"] == f"{base}_g3"
    else:  # the retried build reuses the collection, as version 2
        assert kept == [f"{base}_g1"] and done.manifest.backend["version"] == 2


KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {root!r})
    import pymilvus
    from assistant.index import BackendSettings, Indexer, IndexSettings, create_embedder
    def flush(self, *args, **kwargs):  # rows inserted and stamped, nothing committed: die here
        print("written", flush=True)
        time.sleep(60)
    pymilvus.MilvusClient.flush = flush
    settings = IndexSettings(backend=BackendSettings("milvus", {uri!r}, "killed"))
    Indexer({idx!r}, create_embedder(), {cache!r}, settings).build([{corpus!r}])
    """
)


def test_killed_incremental_build_leaves_the_collection_answering_as_before(small_corpus, embedder, tmp_path, milvus_uri, cache_path):
    ix = Indexer(tmp_path / "idx", embedder, cache_path, _settings(milvus_uri, "killed"))
    ix.build([small_corpus])
    live = SearchIndex.load(tmp_path / "idx")
    probes = [(list(analyse(q).terms), embedder.embed_query(q)) for q in PROBES]
    before = [live.backend.candidates(t, v, 20) for t, v in probes]
    p = small_corpus / DOC["budget"]
    p.write_text(p.read_text(encoding="utf-8").replace("2022", "2021", 1), encoding="utf-8")
    code = KILL_SCRIPT.format(root=str(ROOT), uri=milvus_uri, idx=str(tmp_path / "idx"), cache=str(cache_path), corpus=str(small_corpus))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "written"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    name = live.manifest.backend["collection"]
    assert mv.client_for(milvus_uri).query(name, filter="until == 2", output_fields=["id"])  # the dead build stamped rows
    again = SearchIndex.load(tmp_path / "idx")
    assert again.path == live.path
    assert_same_views([again.backend.candidates(t, v, 20) for t, v in probes], before, "killed")
    s = ix.build([small_corpus])
    assert s.changed == [DOC["budget"]]
    SearchIndex.load(tmp_path / "idx").check()


def test_ids_are_checked_against_sqlite_on_load(small_corpus, embedder, tmp_path, milvus_uri, cache_path):
    ix = Indexer(tmp_path / "idx", embedder, cache_path, _settings(milvus_uri, "chk"))
    ix.build([small_corpus])
    index = SearchIndex.load(tmp_path / "idx")
    name, victim = index.manifest.backend["collection"], int(index.chunk_ids[3])
    mv.client_for(milvus_uri).delete(name, filter=f"id == {victim}")
    with pytest.raises(IndexFolderError, match=r"inconsistent.*Milvus.*1 missing"):
        SearchIndex.load(tmp_path / "idx")
    mv.client_for(milvus_uri).drop_collection(name)
    with pytest.raises(IndexFolderError, match="missing"):
        SearchIndex.load(tmp_path / "idx")
    s = ix.build([small_corpus], rebuild=True)  # the way out the message names
    assert s.rebuilt
    SearchIndex.load(tmp_path / "idx").check()


def test_embedded_file_mode(embedder, tmp_path, cache_path):
    """Milvus Lite inside this process (a .db path), with document ids that need quoting."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    odd = {DOC["budget"]: '예산 "따옴표"와 \\역슬래시.txt', DOC["press"]: "홑'따옴표 100%_완료.txt"}
    for src, name in odd.items():
        shutil.copy(CORPUS / src, corpus / name)
    cache = cache_path
    Indexer(tmp_path / "local", embedder, cache).build([corpus])
    uri = str(tmp_path / "milvus.db")
    Indexer(tmp_path / "milvus", embedder, cache, _settings(uri, "embedded")).build([corpus])
    local, milvus = SearchIndex.load(tmp_path / "local"), SearchIndex.load(tmp_path / "milvus")
    assert milvus.manifest.backend["uri"] == uri and Path(uri).is_dir()
    for q in ("2022년 예산액은?", "보도자료 문의처 전화번호"):
        terms, v = list(analyse(q).terms), embedder.embed_query(q)
        for name in odd.values():
            f = Filters(doc_ids=(name,))
            assert_same_candidates(local.backend.lexical(terms, 10, f), milvus.backend.lexical(terms, 10, f), q)
            assert_same_candidates(local.backend.dense(v, 10, f), milvus.backend.dense(v, 10, f), q)
            assert {milvus.store.chunks([c])[c].doc_id for c, _ in milvus.backend.dense(v, 10, f)} == {name}
    answer = Answerer(tmp_path / "milvus", embedder).ask("서울-지역간 우호교류협약 사업의 2022년 예산액은?")
    assert "98,450" in answer.text


def test_unknown_backend_and_missing_server_are_clear_errors(small_corpus, embedder, tmp_path, cache_path):
    from assistant.index import create_backend

    with pytest.raises(ValueError, match="unknown search backend 'qdrant'"):
        create_backend("qdrant")
    ix = Indexer(tmp_path / "idx", embedder, cache_path, _settings("http://127.0.0.1:9", "nothing"))
    with pytest.raises(BackendError, match=r"cannot connect to Milvus at http://127\.0\.0\.1:9"):
        ix.build([small_corpus])
    assert not (tmp_path / "idx" / "CURRENT").exists()


def test_cli_index_ask_and_serve_on_milvus(tmp_path, milvus_uri, cache_path, capsys, monkeypatch):
    """`assistant index`, `ask` and `serve` with `[search] backend = "milvus"` against a running server."""
    import assistant.index.backends as backends
    from assistant.app.cli import main

    monkeypatch.setattr(backends, "_default", backends.backend_settings())  # main() sets the process's backend: restored after
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("budget", "meeting"):
        shutil.copy(CORPUS / DOC[name], corpus / DOC[name])
    env = {"ASSISTANT_SEARCH_BACKEND": "milvus", "ASSISTANT_SEARCH_URI": milvus_uri, "ASSISTANT_SEARCH_COLLECTION": "cli",
           "ASSISTANT_PATHS_CACHE": str(cache_path)}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(tmp_path)
    assert main(["index", "--corpus", str(corpus), "--index", "idx"]) == 0
    assert "문서 2개" in capsys.readouterr().out
    assert "cli_idx" in mv.client_for(milvus_uri).list_aliases()["aliases"]
    assert main(["ask", "영등포형 돌봄 네트워크 추진 사업비는?", "--index", "idx", "--json"]) == 0
    assert "150,000" in json.loads(capsys.readouterr().out)["text"]
    port = mv._free_port()
    proc = subprocess.Popen([sys.executable, "-m", "assistant.app.cli", "serve", "--index", "idx", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env={**os.environ, **env})
    try:
        from gradio_client import Client

        deadline = time.monotonic() + 120
        answer = None
        while answer is None and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read()
            try:
                answer = Client(f"http://127.0.0.1:{port}/", verbose=False).predict("영등포형 돌봄 네트워크 추진 사업비는?", api_name="/ask")
            except Exception:  # still starting
                time.sleep(0.5)
        assert answer is not None and "150,000" in answer["text"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
