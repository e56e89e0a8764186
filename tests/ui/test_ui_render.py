"""The HTML renderers: markup from questions and documents is escaped, spans are marked."""

from __future__ import annotations

from assistant.app.ui import render
from assistant.app.ui.app import parse_conversation
from assistant.records import Answer, Block, Citation, Document, OffsetMap, TableAnswer

XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def _citation(excerpt: str = "앞 문장. 고성, 거제 <b>굵게</b>. 뒤 문장.", highlight: tuple[int, int] = (6, 23)) -> Citation:
    return Citation(1, "doc.txt", "제목 <i>", ("1 개요", "□ 실적"), excerpt, highlight, 10, 27, 5, "p. 3")


def test_user_message_escapes_markup_and_controls() -> None:
    html = render.user_message(XSS + "\u0000\u0007끝")
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\u0000" not in html and "\u0007" not in html and "끝" in html


def test_long_question_is_shortened_in_the_chat() -> None:
    html = render.user_message("가" * 10_000)
    assert "총 10,000자" in html and html.count("가") <= render.MAX_ECHO + 5


def test_answer_message_markers_interpretation_and_table() -> None:
    table = TableAnswer("doc.txt", 0, "□ 예산 총괄", ("구분", "2022예산액"), (("계", "98,450"),), "천원", (0, 1), 1)
    a = Answer("그럼 2022년은?", "98,450천원 <b>x</b> [1]", False, (_citation(),), (table,), query="2022년 예산액은?", kind="table")
    html = render.answer_message(a, "문서 <x>")
    assert '<span class="cite-marker" title="출처 1">[1]</span>' in html
    assert "질문 해석: 2022년 예산액은?" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert '<td class="hl"><mark><strong>98,450</strong></mark></td>' in html
    assert "<th>2022예산액</th>" in html and "단위: 천원" in html
    assert "검색 범위: 문서 &lt;x&gt;" in html
    assert "\n" not in html  # one HTML block: Markdown must not break it apart


def test_sources_panel_marks_the_supporting_span() -> None:
    c = _citation()
    a = Answer("q", "고성 [1]", False, (c,))
    html = render.sources_panel(a, 1, {"doc.txt": {"doc_type": "budget"}})
    assert f"<mark>{render.esc(c.excerpt[6:23])}</mark>" in html
    assert 'data-cite="1"' in html and "p. 3" in html and "1 개요 › □ 실적" in html
    assert "제목 &lt;i&gt;" in html and "예산사업 설명서" in html
    assert "&lt;b&gt;굵게&lt;/b&gt;" in html


def test_abstained_sources_are_the_nearest_passages_unmarked() -> None:
    a = Answer("q", "문서에서 이 질문에 대한 답을 찾지 못했습니다.", True, (_citation(),), kind="abstain")
    html = render.sources_panel(a, 1)
    assert "가장 가까운 구절" in html and "<mark>" not in html


def test_document_viewer_marks_the_cited_span_and_escapes_the_document() -> None:
    text = 'head <input type="checkbox"/> 고성, 거제 tail'
    start = text.index("고성")
    doc = Document("d.txt", "제목", "budget", (2019,), "대외협력담당관", (), None, "d.txt", "", "utf-8", text)
    c = Citation(1, "d.txt", "제목", (), text, (0, 1), start, start + 6, 0)
    html = render.document_with_mark(doc, c)  # no blocks: the exact text, marked
    assert '<mark id="doc-mark" class="doc-mark">고성, 거제</mark>' in html
    assert "&lt;input type=&quot;checkbox&quot;/&gt;" in html and "<input" not in html


def test_document_viewer_marks_the_span_in_the_structured_view() -> None:
    text = "# 제목\n\n○ 첫 항목 <b>\n○ 고성, 거제, 성주\n"
    h0 = text.index("제목")
    p1, p2 = text.index("○ 첫"), text.index("○ 고성")
    blocks = (
        Block("heading", 0, "제목", h0, h0 + 2, OffsetMap(((0, h0),)), 1),
        Block("list_item", 0, "○ 첫 항목 <b>", p1, p1 + 10, OffsetMap(((0, p1),)), 1),
        Block("list_item", 0, "○ 고성, 거제, 성주", p2, p2 + 12, OffsetMap(((0, p2),)), 1),
    )
    doc = Document("d.txt", "제목", "budget", (), "", (), None, "d.txt", "", "utf-8", text, blocks=blocks)
    start = text.index("고성")
    html = render.document_with_mark(doc, Citation(1, "d.txt", "제목", (), "", (0, 0), start, start + 6, 0))
    assert '○ <mark id="doc-mark" class="doc-mark">고성, 거제</mark>, 성주' in html
    assert "○ 첫 항목 &lt;b&gt;" in html
    assert '<details class="doc-raw">' in html and '<mark class="doc-mark">고성, 거제</mark>' in html
    assert html.count('id="doc-mark"') == 1


def test_reasons_in_korean_keep_the_detail() -> None:
    assert render.reason_ko("empty file") == "빈 파일입니다 (empty file)"
    assert render.reason_ko("binary file, not text").startswith("텍스트가 아닌 바이너리 파일")
    html = render.upload_result(None, [("<b>.txt", "empty file")])
    assert "&lt;b&gt;.txt" in html and "빈 파일입니다" in html and "바뀌지 않았습니다" in html


def test_question_rows_flatten_conversations_and_keep_the_assistant() -> None:
    records = [
        {"id": "a", "system": "bm25", "question": "q", "pass": True, "why": "", "answer": "", "latency_ms": 1},
        {"id": "a", "system": "assistant", "question": "q", "pass": False, "why": "missing: 고성", "answer": "x", "latency_ms": 2.5},
        {"id": "c", "system": "assistant", "turns": [{"question": "t1", "pass": True, "why": "ok"}, {"question": "t2", "pass": True}]},
    ]
    rows = render.question_rows(records)
    assert [r[0] for r in rows] == ["a", "c (1)", "c (2)"]
    assert rows[0][2] == "실패" and rows[0][3] == "missing: 고성" and rows[1][2] == "통과"


def test_metrics_table_has_korean_labels() -> None:
    html = render.metrics_table({"assistant": {"answer_accuracy": 1.0, "latency_p50_ms": 12.5}, "bm25": {"recall@1": 0.5}})
    assert "답 정확도" in html and "1.000" in html and "12.5" in html and "<th>bm25</th>" in html


def test_parse_conversation_forms() -> None:
    assert parse_conversation(None) == []
    assert parse_conversation(["a", "", "b"]) == ["a", "b"]
    assert parse_conversation('["a", "b"]') == ["a", "b"]
    assert parse_conversation("이전 질문") == ["이전 질문"]
    assert parse_conversation([{"question": "a"}]) == ["a"]
