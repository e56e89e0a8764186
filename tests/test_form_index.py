"""The 공문서 fields in the index: stored and listed, references and the documents citing one,
departments completed across the documents of a 처리과, a question naming a document number,
the date range filter. The four documents are the invented forms of tests/fixtures/forms."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from assistant.answer import Answerer
from assistant.app import Assistant
from assistant.index import Indexer, SearchIndex, Store, StoreVersionError
from assistant.records import Filters
from assistant.search import Retriever

FORMS = Path(__file__).resolve().parent / "fixtures" / "forms"


@pytest.fixture(scope="module")
def form_index(embedder, tmp_path_factory):
    root = tmp_path_factory.mktemp("forms")
    shutil.copytree(FORMS, root / "docs")
    Indexer(root / "index", embedder, root / "cache.sqlite").build([root / "docs"])
    return root


@pytest.fixture(scope="module")
def index(form_index):
    idx = SearchIndex.load(form_index / "index")
    yield idx
    idx.close()


def test_listed_with_their_form(index):
    docs = {d["id"]: d for d in index.store.documents()}
    reply = docs["reply.txt"]
    assert (reply["number"], reply["date"], reply["doc_type"], reply["kind"]) == ("청년정책과-1234", "2025-03-10", "official", "reply")
    assert reply["recipients"] == ["가나구청장(복지정책과장)"] and reply["disclosure"] == "부분공개(6)"
    assert [a["role"] for a in reply["approvals"]] == ["drafter", "reviewer", "approver", "cooperator"]
    # the report names the office above 청년정책과; the other documents of that 처리과 take it too
    assert {d["department"] for d in docs.values()} == {"청년미래국 청년정책과"}


def test_stored_document_round_trip(index):
    d = index.store.document("reply.txt")
    assert d.number == "청년정책과-1234" and d.kind == "reply" and d.sender == "서울특별시장"
    assert d.department == "청년미래국 청년정책과"
    assert [(a.position, a.mark, a.signed) for a in d.approvals][2] == ("청년정책과장", "代", "03/10")
    assert d.attachments == ("중복지원 조회 결과", "대상자 명단(홍○○ 외)")
    assert [d.text[s:e] for s, e in d.masked] == ["***", "○○"]
    assert [r.key for r in d.references] == ["복지정책과-4321"]
    plan = index.store.document("plan_report.txt")
    table = next(t for t in plan.tables if t.columns[0] == "구분")
    assert table.rows[0][1].won == 1_500_000_000 and not table.rows[0][1].masked


def test_references_and_cited_by(index):
    store = index.store
    assert [(r["number"], r["doc"]) for r in store.references("plan_report.txt")] == [("청년정책과-1234", "reply.txt")]
    assert [(r["number"], r["doc"]) for r in store.references("reply.txt")] == [("가나구 복지정책과-4321", None)]  # not indexed
    assert [r["doc"] for r in store.cited_by("reply.txt")] == ["plan_report.txt"]
    assert [r["doc"] for r in store.cited_by("plan_report.txt")] == ["payment_pdf.txt"]
    cite = store.cited_by("plan_report.txt")[0]
    assert store.document_text("payment_pdf.txt")[cite["start"] : cite["end"]] == "청년정책과-2001"
    assert store.document_by_number("청년정책과-2456") == "payment_pdf.txt" and store.document_by_number("청년정책과-9") is None


def test_through_the_assistant(form_index, embedder):
    app = Assistant(Answerer(form_index / "index", embedder))
    assert [r["doc"] for r in app.references("payment_pdf.txt")] == ["plan_report.txt"]
    assert [r["doc"] for r in app.cited_by("reply.txt")] == ["plan_report.txt"]


def test_a_question_naming_a_document_number_searches_that_document(index, embedder):
    retriever = Retriever(index, embedder)
    assert retriever.named_documents("청년정책과-2456 문서의 지급대상은?") == ("payment_pdf.txt",)
    assert retriever.named_documents("청년정책과-99 문서는?") == ()  # not indexed: nothing to narrow to
    hits = retriever.search("청년정책과-2456 문서의 지급대상은?", k=5)
    assert hits and {h.chunk.doc_id for h in hits} == {"payment_pdf.txt"}
    # an explicit document filter wins over the number named
    hits = retriever.search("청년정책과-2456 문서의 지급대상은?", k=5, filters=Filters(doc_ids=("reply.txt",)))
    assert {h.chunk.doc_id for h in hits} == {"reply.txt"}


def test_date_range_and_kind_filters(index, embedder):
    retriever = Retriever(index, embedder)
    assert set(retriever.allowed_docs(Filters(date_from="2025-04")) or ()) == {"payment_pdf.txt", "submission.txt"}
    assert set(retriever.allowed_docs(Filters(date_to="2025-03")) or ()) == {"reply.txt", "plan_report.txt"}
    assert retriever.allowed_docs(Filters(date_from="2025-03-11", date_to="2025-03-31")) == ["plan_report.txt"]
    assert retriever.allowed_docs(Filters(doc_types=("payment",))) == ["payment_pdf.txt"]
    assert len(retriever.allowed_docs(Filters(doc_types=("official",))) or ()) == 4


def test_department_reverts_when_the_naming_document_goes(form_index, embedder, tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(FORMS, docs)
    ix = Indexer(tmp_path / "index", embedder, form_index / "cache.sqlite")
    ix.build([docs])
    (docs / "plan_report.txt").unlink()
    time.sleep(1.1)  # generation folders are named by the second (index/folder.py): two builds in one second collide
    ix.build([docs])
    listed = SearchIndex.load(tmp_path / "index").store.documents()
    assert {d["department"] for d in listed} == {"청년정책과"}


def test_an_index_of_an_older_layout_asks_for_a_rebuild(tmp_path):
    db = tmp_path / "store.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE documents (id TEXT PRIMARY KEY)")
    con.commit()
    con.close()
    with pytest.raises(StoreVersionError, match="rebuild"):
        Store(db, readonly=True)
    with pytest.raises(StoreVersionError, match="rebuild"):
        Store(db)


def test_docs_command_shows_number_date_type_and_department(form_index, capsys):
    import json

    from assistant.app.cli import main

    assert main(["docs", "--index", str(form_index / "index")]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("reply.txt"))
    assert "청년정책과-1234" in line and "2025-03-10" in line and "공문서(회신)" in line and "청년미래국 청년정책과" in line
    assert main(["docs", "--index", str(form_index / "index"), "--json"]) == 0
    listed = {d["id"]: d for d in json.loads(capsys.readouterr().out)}
    assert (listed["payment_pdf.txt"]["number"], listed["payment_pdf.txt"]["kind"]) == ("청년정책과-2456", "payment")
