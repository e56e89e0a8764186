"""Question sets, the harness, reports and the floor kept in the repository."""

import json

import pytest
from corpus_paths import QUESTIONS, ROOT

from assistant.eval.harness import evaluate
from assistant.eval.questions import QuestionSetError, load_questions, parse_csv, parse_jsonl
from assistant.eval.report import summary_table, write_report


def test_committed_question_sets_are_well_formed():
    items = load_questions(sorted(QUESTIONS.glob("*.jsonl")))
    turns = [t for it in items for t in it.turns]
    assert len(turns) >= 80
    assert sum(1 for t in turns if t.unanswerable) >= 10
    assert sum(1 for it in items if it.conversation) >= 5
    docs = {d for t in turns for d in t.docs}
    assert len(docs) == 5
    corpus = {p.name: p.read_text(encoding="utf-8").replace(" ", "").replace("\n", "").replace("\t", "") for p in (ROOT / "corpus").iterdir()}
    for t in turns:
        for a in t.answers:
            assert any(a.replace(" ", "") in corpus[d] for d in t.docs), (t.question, a)


def test_csv_and_errors():
    csv_text = "id,question,answers,docs,turn\nc1,2019년 지자체는?,고성|옥천,000.txt,1\nc1,그럼 2020년에는?,계룡,000.txt,2\nq2,예산은?,,,\n"
    items = parse_csv(csv_text, "x.csv")
    assert [it.id for it in items] == ["c1", "q2"] and items[0].conversation
    assert items[0].turns[0].answers == ("고성", "옥천") and items[1].turns[0].unanswerable
    with pytest.raises(QuestionSetError, match=r"x\.jsonl:2"):
        parse_jsonl('{"id": "a", "question": "q"}\n{not json}\n', "x.jsonl")
    with pytest.raises(QuestionSetError, match="question"):
        parse_jsonl('{"id": "a", "answers": []}\n', "x.jsonl")


def test_harness_runs_every_system(assistant, tmp_path):
    qs = tmp_path / "small.jsonl"
    qs.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "question": "서울-지역간 우호교류협약 사업의 2022년 예산액은?", "answers": ["98,450"], "docs": ["000_33470acb73f39a7c.txt"]}, ensure_ascii=False),
                json.dumps({"id": "b", "question": "2023년 지역균형발전 사업 예산은?", "answers": [], "docs": []}, ensure_ascii=False),
                json.dumps({"id": "c", "turns": [{"question": "2019년에 우호교류협약을 체결한 지자체는?", "answers": ["고성"], "docs": ["000_33470acb73f39a7c.txt"]},
                                                 {"question": "그럼 2020년에는?", "answers": ["계룡"], "docs": ["000_33470acb73f39a7c.txt"]}]}, ensure_ascii=False),
            ]
        ),
        encoding="utf-8",
    )
    result = evaluate(load_questions([qs]), assistant, ["bm25", "dense", "hybrid", "assistant"], [1, 5])
    s = result.summary["assistant"]
    for key in ("answer_accuracy", "abstain_recall", "followup_accuracy", "answer_precision", "citation_accuracy"):
        assert s[key] is not None and 0.0 <= s[key] <= 1.0, key
    assert result.summary["bm25"]["recall@5"] == 1.0 and result.summary["bm25"]["answer_recall@5"] is not None
    data = result.to_json()
    conv = next(q for q in data["questions"] if q["id"] == "c" and q["system"] == "assistant")
    assert len(conv["turns"]) == 2 and conv["turns"][1]["pass"] in (True, False)
    rec = next(q for q in data["questions"] if q["id"] == "a" and q["system"] == "assistant")
    assert {"answer", "abstained", "citations", "retrieved", "pass", "why"} <= set(rec)
    report = write_report(result, tmp_path / "report")
    assert (tmp_path / "report" / "systems.png").stat().st_size > 1000
    assert "| metric" in report.read_text(encoding="utf-8") and "answer_accuracy" in summary_table(result)


def test_kinds_expectations_and_the_heldout_fold(tmp_path):
    from assistant.eval.questions import is_heldout, split_heldout

    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "heldout_docs.txt").write_text("# held out\nb.hwpx\n", encoding="utf-8")
    lines = [
        {"id": "q1", "kind": "table", "question": "a?", "answers": ["1"], "docs": ["a.hwpx"]},
        {"id": "q2", "kind": "fact", "question": "b?", "answers": ["2"], "docs": ["b.hwpx"]},
        {"id": "q3", "kind": "masked", "question": "c?", "answers": [], "docs": ["a.hwpx"], "expect": "masked"},
    ]
    path = folder / "qs.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    items = load_questions([path])
    assert [it.kind for it in items] == ["table", "fact", "masked"]
    masked = items[2].turns[0]
    assert masked.masked and not masked.retrieval_only and not masked.unanswerable
    assert [is_heldout(it) for it in items] == [False, True, False]
    dev, held = split_heldout(items)
    assert [it.id for it in held] == ["q2"] and len(dev) == 2
    assert items[0].group == "a.hwpx"
    with pytest.raises(QuestionSetError, match="expect"):
        parse_jsonl('{"question": "q", "expect": "maybe"}', "x.jsonl")
    # no held-out file beside a set: nothing is held out
    assert not any(is_heldout(it) for it in load_questions(sorted(QUESTIONS.glob("*.jsonl"))))


def test_document_unit_groups_passages_and_passage_metrics(assistant, tmp_path):
    """--unit document: the passages of the best documents, grouped under them; passage-level metrics for both units."""
    qs = tmp_path / "unit.jsonl"
    qs.write_text(json.dumps({"id": "a", "question": "서울-지역간 우호교류협약 사업의 2022년 예산액은?", "answers": ["98,450"],
                              "docs": ["000_33470acb73f39a7c.txt"]}, ensure_ascii=False) + "\n", encoding="utf-8")
    items = load_questions([qs])
    by_unit = {u: evaluate(items, assistant, ["bm25", "hybrid"], [5], unit=u) for u in ("passage", "document")}
    for result in by_unit.values():
        s = result.summary["hybrid"]
        assert s["recall@5"] == 1.0 and s["p_recall@5"] == 1.0 and 0.0 < s["p_ndcg@10"] <= 1.0
    doc_run = by_unit["document"].results["hybrid"][0]
    # grouped: each document's passages together, at most three of them, ten documents at most
    seen: list[str] = []
    for d in doc_run.retrieved:
        if not seen or seen[-1] != d:
            assert d not in seen
            seen.append(d)
    assert len(seen) <= 10 and all(doc_run.retrieved.count(d) <= 3 for d in seen)
    assert doc_run.relevant and set(doc_run.relevant) & set(doc_run.passages)
    with pytest.raises(ValueError, match="unit"):
        evaluate(items, assistant, ["bm25"], [5], unit="page")
