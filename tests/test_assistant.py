"""The answering pipeline's contracts, whatever the trained ranker chooses: what an answer record
holds, that a cited answer's value is in the text it cites, that a masked value is never an answer,
follow-ups, filters, bad input. How often the ranker is right is measured by cross-validation
(tests/test_answer_quality.py), not asserted question by question here."""

import re

import pytest
from corpus_paths import DOC

from assistant.answer.compose import Composer
from assistant.records import Answer, Citation, Filters

SEED_QUESTIONS = (
    "2019년에 우호교류협약을 맺은 지자체는?",
    "서울-지역간 우호교류협약 사업의 2022년 예산액은?",
    "역량강화 분과회의는 언제?",
    "지역균형발전 추진 사업 담당 주무관은?",
    "지역상생 기본계획은 언제 수립됐어?",
    "소통행정-3 협치 강화 사업은 어느 부서가 추진해?",
    "which municipalities signed in 2019?",
    "배덕환 과장 전화번호는?",
)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("question", SEED_QUESTIONS)
def test_a_cited_answer_holds_what_it_cites(assistant, question):
    a = assistant.ask(question)
    assert a.citations, "an answer or an abstention shows its sources"
    if a.abstained or a.kind in ("list", "multi"):
        return
    text = assistant.index.store.document_text(a.citations[0].doc_id)
    c = a.citations[0]
    cited = flat(text[c.start : c.end]) + flat(c.excerpt)
    assert a.values and any(flat(v)[:6] in cited for v in a.values), (question, a.values, text[c.start : c.end])


def test_answer_record_and_timings(assistant):
    d = assistant.ask("2020년 우호교류협약 체결 지자체는?").to_dict()
    assert {"text", "abstained", "citations", "tables", "confidence", "timings", "values", "evidence"} <= set(d)
    assert {"doc", "start", "end", "excerpt"} <= set(d["citations"][0])
    assert d["timings"]["total_ms"] > 0 and "retrieve_ms" in d["timings"]
    assert 0.0 <= d["confidence"] <= 1.0


def test_followups_are_resolved_against_the_conversation(assistant):
    first = assistant.ask("2019년에 우호교류협약을 체결한 지자체는?")
    second = assistant.ask("그럼 2020년에는?", history=[first])
    assert "2020" in second.query and "지자체" in second.query
    # history given as plain question strings (the web API)
    c = assistant.ask("대전시는?", history=["서울시와 세종시의 협력 분야는?"])
    assert "대전" in c.query and "협력" in c.query


def test_overlong_conversation_turns_are_skipped(assistant):
    a = assistant.ask("그럼 2020년에는?", history=[{"question": "가" * 5000}] * 50)
    assert a.query == "그럼 2020년에는?"  # nothing to follow up on: the turns were too long to be questions
    follow = assistant.ask("그럼 2020년에는?", history=[{"question": "가" * 5000}, "2019년에 우호교류협약을 맺은 지자체는?"])
    assert "2020" in follow.query and "지자체" in follow.query


def test_filters_narrow_the_search(assistant):
    a = assistant.ask("사업비는 얼마야?", filters=Filters(doc_ids=(DOC["meeting"],)))
    assert all(c.doc_id == DOC["meeting"] for c in a.citations)
    none = assistant.ask("예산은?", filters=Filters(years=(1999,)))
    assert none.abstained and "없습니다" in none.text


def test_bad_questions_get_a_polite_message(assistant):
    assert assistant.ask("").kind == "invalid"
    assert assistant.ask("\x00\x07").kind == "invalid"
    long = assistant.ask("예산 " * 5000)
    assert long.abstained and "너무 깁니다" in long.text
    markup = assistant.ask("<script>alert(1)</script> 예산은?")
    assert markup.text and "<script>" not in markup.text


def test_explain_lists_the_candidates_with_their_features(assistant):
    e = assistant.explain("서울-지역간 우호교류협약 사업의 2022년 예산액은?")
    assert e["candidates"] and all({"doc", "text", "p", "features"} <= set(c) for c in e["candidates"])
    ps = [c["p"] for c in e["candidates"]]
    assert ps == sorted(ps, reverse=True)


def test_conversation_markdown(assistant):
    from assistant.app import conversation_markdown

    a = assistant.ask("2019년에 우호교류협약을 맺은 지자체는?")
    md = conversation_markdown([a])
    assert md.startswith("# 대화 기록") and "[1]" in md and a.citations[0].doc_id in md


# -- composition, without the ranker ------------------------------------------------------------
def _citation(n: int, doc: str, title: str, section: tuple[str, ...]) -> Citation:
    return Citation(n, doc, title, section, "…", (0, 1), 0, 1, n)


def test_answers_side_by_side_keep_their_own_sources(assistant):
    composer = Composer(assistant.sources)
    a = Answer("회의는 언제?", "10. 14.(수) [1]", False, (_citation(1, "a.txt", "9월 분과회의 결과 보고", ("개최 개요",)),), values=("10. 14.(수)",))
    b = Answer("회의는 언제?", "11. 2.(월) [1]", False, (_citation(1, "b.txt", "10월 분과회의 결과 보고", ("개최 개요",)),), values=("11. 2.(월)",))
    both = composer.side_by_side([a, b])
    assert both.kind == "multi" and [c.number for c in both.citations] == [1, 2]
    lines = both.text.splitlines()
    assert lines[0].startswith("9월 분과회의 결과 보고") and "10. 14.(수)" in lines[0] and lines[0].endswith("[1]")  # told apart by title
    assert lines[1].endswith("[2]") and both.values == ("10. 14.(수)", "11. 2.(월)")


def test_a_masked_value_is_never_an_answer(tmp_path, embedder):
    """A published document masks the asked value: the answer says so, or abstains; it never
    shows the mask, and a list leaves masked items out."""
    from assistant.answer import Answerer
    from assistant.index import Indexer

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pay.txt").write_text(
        "# 2025년 청년수당 5월분 지급\n\n1. 지급 개요\n- 지급 인원 : 3,120명\n- 지급 금액 : ****원\n- 지급 대상 : 홍○○, 김○○, 서울 청년\n",
        encoding="utf-8",
    )
    Indexer(tmp_path / "index", embedder, tmp_path / "cache.sqlite").build([corpus])
    answerer = Answerer(tmp_path / "index", embedder)
    for q in ("2025년 청년수당 5월분 지급 금액은 얼마야?", "5월분 지급 대상은 누구누구야?", "5월분 지급 인원은?"):
        a = answerer.ask(q)
        shown = " ".join((a.text, *a.values, *a.items))
        assert "****" not in shown and "○○" not in shown, (q, a.text)
