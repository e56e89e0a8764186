"""The HTML renderers: markup from questions and documents is escaped, spans are marked."""

from __future__ import annotations

from assistant.app.ui import render
from assistant.app.ui.app import parse_conversation
from assistant.records import Answer, Approval, Block, Cell, Citation, Document, OffsetMap, Table, TableAnswer

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
    assert '<td class="num hl"><mark><strong>98,450</strong></mark></td>' in html  # the cell, on one line
    assert "<th>2022예산액</th>" in html and "단위: 천원" in html
    assert "<caption>예산 총괄 " in html  # no outline marker
    assert "검색 범위: 문서 &lt;x&gt;" in html
    assert "\n" not in html  # one HTML block: Markdown must not break it apart
    assert "오른쪽" not in html  # the sources are not always on the right (phones)


def test_answer_says_where_it_comes_from_and_quotes_the_evidence() -> None:
    c = Citation(1, "d.hwpx", "2025년 청년수당 운영계획", ("Ⅱ 추진 계획", "□ 지원 내용"), "지원 금액: 월 50만원씩 6개월 지급한다.", (7, 24), 0, 24, 3)
    a = Answer("지원 금액은?", "월 50만원 [1]", False, (c,), kind="amount")
    meta = {"d.hwpx": {"number": "청년사업담당관-566", "date": "2025-01-16", "doc_type": "official", "kind": "plan"}}
    html = render.answer_message(a, docs=meta, turn=2)
    assert "출처 <span class=\"from-title\">2025년 청년수당 운영계획</span> · 청년사업담당관-566 · 2025. 1. 16." in html
    assert "› 지원 내용" in html and "□" not in html
    assert '<blockquote class="evidence">월 50만원씩 6개월 지급한다.' in html  # the sentence, since the answer does not say it
    # the sources folded under the answer (for phones), each opening its document: turn 2, citation 1
    assert '<details class="inline-sources"><summary>출처 1개 보기</summary>' in html
    assert 'class="open-cite c-1 t-2"' in html and "공문서 · 계획" in html


def test_several_answers_are_listed_each_with_its_own_source() -> None:
    c1 = Citation(1, "a.hwpx", "4월분 추가 지급", ("문서 정보",), "문서번호: 청년사업담당관-4366", (0, 24), 0, 24, 1)
    c2 = Citation(2, "b.hwpx", "4월분 추가 지급", ("문서 정보",), "문서번호: 청년사업담당관-4640", (0, 24), 0, 24, 2)
    text = "4월분 추가 지급 (2025. 4. 29.): 청년사업담당관-4366 [1]\n4월분 추가 지급 (2025. 5. 8.): 청년사업담당관-4640 [2]"
    html = render.answer_message(Answer("q", text, False, (c1, c2), kind="multi"))
    assert '<div class="answer-badge multi">여러 곳에 답이 있습니다 · 2건</div>' in html
    assert html.count("<li>") == 2 and 'title="출처 1">[1]</span></li>' in html and 'title="출처 2">[2]</span></li>' in html
    assert "answer-from" not in html  # two documents: each line names its own
    rows = [TableAnswer("t.txt", 0, "예산 총괄", ("구분", "2022"), ((label, v),), "천원", (0, 1), n) for n, (label, v) in enumerate((("계", "98,450"), ("사무관리비", "94,450")), 1)]
    table = render.answer_tables(rows)
    assert table.count("<table") == 1 and table.count('class="num hl"') == 2  # rows of one table, shown as one table


def test_masked_and_abstained_answers_are_marked_as_such() -> None:
    masked = Answer("반납금액은?", "공개된 문서에는 이 값이 가려져 있어(부분공개) 알려 드릴 수 없습니다. [1]", False, (_citation(),), kind="masked")
    html = render.answer_message(masked)
    assert "공개되지 않은 값" in html and "kind-masked" in html
    abstained = Answer("2030년 예산은?", "문서에 2030년 자료가 없습니다.", True, (_citation(),), kind="abstain")
    html = render.answer_message(abstained)
    assert "문서에서 답을 찾지 못했습니다" in html and "가장 가까운 구절 1개 보기" in html and "<mark>" not in html
    assert "answer-from" not in html and "evidence" not in html


def test_table_cells_keep_numbers_and_dates_on_one_line() -> None:
    t = TableAnswer("d", 0, "", ("구분", "금액", "일시", "비고"), (("계", "13,500", "9. 15.(화) 10:30", "구청 회의실"),), None, None, 1)
    html = render.answer_table(t)
    assert '<td class="num">13,500</td>' in html and '<td class="nw">9. 15.(화) 10:30</td>' in html and "<td>구청 회의실</td>" in html


def test_sources_panel_marks_the_supporting_span() -> None:
    c = _citation()
    a = Answer("q", "고성 [1]", False, (c,))
    html = render.sources_panel(a, 1, {"doc.txt": {"doc_type": "budget", "department": "대외협력담당관"}})
    assert f"<mark>{render.esc(c.excerpt[6:23])}</mark>" in html
    assert 'class="open-cite c-1 t-0"' in html and "p. 3" in html and "실적" in html and "□" not in html
    assert "제목 &lt;i&gt;" in html and "예산사업 설명서" in html and "대외협력담당관" in html
    assert "&lt;b&gt;굵게&lt;/b&gt;" in html
    row = Citation(1, "t.txt", "표", (), "구분: 계 | 2022예산액: 98,450", (0, 27), 0, 27, 1)
    assert " | " not in render.excerpt_html(row)  # a table row reads as "구분: 계 · 2022예산액: 98,450"


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


def _official() -> Document:
    text = "2025년 서울 청년수당 4월분 추가 지급\n\n청년사업담당관-566(2025.1.16.)호와 관련입니다.\n"
    return Document("4366.hwpx", "2025년 서울 청년수당 4월분 추가 지급", "official", (2025,), "미래청년기획관 청년사업담당관", (), "2025-04-29",
                    "4366.hwpx", "", "utf-8", text, number="청년사업담당관-4366", kind="payment", recipients=("내부결재",),
                    approvals=(Approval("drafter", "주무관", "최수정"), Approval("approver", "청년사업담당관", "이동건", "代", "04/29"),
                               Approval("cooperator", "재무행정팀장", "신선이")),
                    attachments=("2025년 4월 추가 지급명단 1부",), disclosure="부분공개(6)")


def test_document_header_shows_what_staff_know_a_document_by() -> None:
    refs = [{"number": "청년사업담당관-566", "title": "2025년 서울 청년수당 사업 운영계획", "date": "2025-01-16", "doc": "566.hwpx"},
            {"number": "총무과-1", "title": "", "date": None, "doc": None}]
    html = render.doc_header(_official(), refs, [{"doc": "x<y>.hwpx", "number": "청년사업담당관-9", "title": "회신", "date": "2025-05-01"}])
    for label, value in (("문서번호", "청년사업담당관-4366"), ("시행일", "2025. 4. 29."), ("부서", "미래청년기획관 청년사업담당관"),
                         ("공개구분", "부분공개(6)"), ("수신", "내부결재")):
        assert f'<div class="meta-label">{label}</div><div class="meta-value">{value}</div>' in html
    assert "공문서 · 지급·지출 품의" in html
    assert "기안자" in html and "<b>최수정</b>" in html and "대결 04/29" in html and "협조" in html and "재무행정팀장" in html
    assert "<li>2025년 4월 추가 지급명단 1부</li>" in html
    assert 'data-doc="566.hwpx">청년사업담당관-566 · 2025년 서울 청년수당 사업 운영계획 · 2025. 1. 16.</button>' in html
    assert "총무과-1 <span class=\"muted\">(색인에 없음)</span>" in html  # cited but not indexed: not a link
    assert "이 문서를 인용한 문서" in html and 'data-doc="x&lt;y&gt;.hwpx"' in html


def _cell(text: str) -> Cell:
    return Cell(text, 0, 0)


def test_document_tables_merge_spread_cells_and_skip_repeated_captions() -> None:
    t = Table(0, 0, "□ 반납자 명단", None, ("", "", "", ""), ((_cell("결재"), _cell("결재"), _cell("결재"), _cell("결재")),),
              ((_cell("연번"), _cell("성명"), _cell("금액"), _cell("비고")),
               (_cell("소계"), _cell(""), _cell(""), _cell("")),
               (_cell("1"), _cell("홍○○"), _cell("500,000"), _cell(""))), 0, 10)
    html = render.table_html(t)
    assert '<th colspan="4">결재</th>' in html  # a header spread over the row is one cell
    assert '<td colspan="4" class="lone">소계</td>' in html  # a lone label spans its row
    assert '<td class="num">500,000</td>' in html and "<caption>반납자 명단</caption>" in html
    text = "반납자 명단\n표"
    doc = Document("d", "t", "official", (), "", (), None, "d", "", "utf-8", text, tables=(t,),
                   blocks=(Block("heading", 0, "□ 반납자 명단", 0, 6, OffsetMap(((0, 0),)), 1), Block("table", 0, "", 7, 8, OffsetMap(()), 0, 0)))
    assert "<caption>" not in render.document_structure(doc)  # the heading above already says it


def test_document_list_and_header_stats_speak_staff_words() -> None:
    docs = [{"id": "a.hwpx", "title": "계획", "number": "과-1", "date": "2025-01-16", "department": "청년사업담당관", "doc_type": "official",
             "kind": "plan", "disclosure": "공개", "n_chunks": 10, "n_tables": 2},
            {"id": "b.txt", "title": "예산", "doc_type": "budget", "years": [2019, 2020], "n_chunks": 5, "n_tables": 1}]
    assert render.DOC_COLUMNS == ["제목", "문서번호", "시행일", "부서", "유형", "공개구분", "파일"]
    assert render.document_rows(docs)[0] == ["계획", "과-1", "2025-01-16", "청년사업담당관", "공문서 · 계획", "공개", "a.hwpx"]
    assert [r[0] for r in render.document_rows(docs, "과-1 2025")] == ["계획"]
    stats = render.library_stats(docs)
    assert "문서 2개" in stats and "표 3개" in stats and "청크" not in stats
    assert render.document_choice(docs[0]) == "계획 · 과-1"


def test_question_rows_flatten_conversations_and_keep_the_assistant() -> None:
    records = [
        {"id": "a", "system": "bm25", "question": "q", "pass": True, "why": "", "answer": "", "latency_ms": 1},
        {"id": "a", "system": "assistant", "question": "q", "pass": False, "why": "missing: 고성", "answer": "x", "latency_ms": 2.5},
        {"id": "c", "system": "assistant", "turns": [{"question": "t1", "pass": True, "why": "ok"}, {"question": "t2", "pass": True}]},
    ]
    rows = render.question_rows(records)
    assert [r[0] for r in rows] == ["a", "c (1)", "c (2)"]
    assert rows[0][2] == "실패" and rows[0][3] == "빠진 답: 고성" and rows[1][2] == "통과" and rows[1][3] == "정답을 담음"


def test_reasons_and_metrics_are_in_korean() -> None:
    assert render.why_ko("abstained (confidence 0.53)") == "답을 보류함 (확신도 0.53)"
    assert render.why_ko("answered although the documents do not say: x") == "문서에 없는데 답함: x"
    assert render.why_ko("no gold document in the top 5") == "정답 문서가 5위 안에 없음"
    html = render.metrics_table({"assistant": {"answer_accuracy": 1.0, "answer_precision": 0.5, "latency_p50_ms": 12.5}, "bm25": {"recall@1": 0.5}})
    assert "답 정확도" in html and "답 정밀도" in html and "100.0%" in html and "50.0%" in html and "키워드 검색 (BM25)" in html
    assert "answer_accuracy" not in html and "recall@1" not in html and "bm25<" not in html


def test_the_downloadable_report_is_in_korean() -> None:
    summary = {"assistant": {"answer_accuracy": 0.5, "answer_precision": 0.8, "abstain_recall": 1.0}}
    rows = [["a", "질문 | 하나", "통과", "정답을 담음", "답", 10.0], ["b", "질문 둘", "실패", "빠진 답: 고성", "다른 답", 12.0]]
    md = render.eval_report_markdown("평가 보고서: q.jsonl", "q.jsonl", summary, rows, "2025-01-01 10:00")
    assert md.startswith("# 평가 보고서: q.jsonl") and "| 답 정밀도 (답 가운데 필요한 부분의 비율) | 80.0% |" in md
    assert "## 통과하지 못한 질문 (1개)" in md and "- **b** 질문 둘 — 빠진 답: 고성" in md and "질문 \\| 하나" in md
    page = render.eval_report_html("평가 보고서: q.jsonl", "q.jsonl", summary, rows, "2025-01-01 10:00")
    assert page.startswith("<!doctype html>") and '<html lang="ko">' in page and "답 정확도" in page and '<tr class="fail">' in page
    for english in ("answer_accuracy", "Evaluation report", "questions that did not pass"):
        assert english not in md and english not in page


def test_dates_read_the_korean_way() -> None:
    assert render.date_label("2025-01-16") == "2025. 1. 16." and render.date_label("2024-07") == "2024. 7." and render.date_label(None) == ""


def test_parse_conversation_forms() -> None:
    assert parse_conversation(None) == []
    assert parse_conversation(["a", "", "b"]) == ["a", "b"]
    assert parse_conversation('["a", "b"]') == ["a", "b"]
    assert parse_conversation("이전 질문") == ["이전 질문"]
    assert parse_conversation([{"question": "a"}]) == ["a"]
