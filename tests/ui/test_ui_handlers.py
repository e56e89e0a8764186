"""The event handlers called directly (no browser): filters, failures, uploads and evaluations refused politely."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from assistant.app import Assistant, DocumentLibrary
from assistant.app.ui import render
from assistant.app.ui.app import ERROR_TEXT, Handlers, Turn, polite

from conftest import FIXTURES, UiServer, has_seoul_docs

Q_2019 = "2019년에 우호교류협약을 맺은 지자체는?"
Q_BUDGET = "서울-지역간 우호교류협약 사업의 2022년 예산액은?"
Q_FACT = "대전시장 이름은?"


def _last(gen: Any) -> tuple[Any, ...]:
    """The last value a streaming handler yields."""
    return tuple(list(gen)[-1])


def test_respond_streams_then_answers_with_filters(ui_server: UiServer) -> None:
    h = Handlers(ui_server.assistant)
    steps = list(h.respond(Q_BUDGET, [], [], ["budget"], []))
    assert len(steps) == 2
    first_chat = steps[0][1]
    assert first_chat[-1]["content"] == '<div class="answer pending">문서에서 답을 찾고 있습니다…</div>'
    _, chat, turns, selected, sources = steps[1]
    assert selected == 0 and isinstance(turns[0], Turn)
    assert "98,450" in chat[-1]["content"] and "검색 범위: 유형 예산사업 설명서" in chat[-1]["content"]
    assert "<mark>" in sources


def test_filter_choices_come_from_the_documents_own_dates_and_kinds(ui_server: UiServer) -> None:
    ch = Handlers(ui_server.assistant).choices()
    periods = [v for _, v in ch["periods"]]
    assert "2023" in periods and "2023-04" in periods  # the press release's own date
    assert "2004" not in periods and "2015" not in periods  # years its text mentions are not its date
    assert ("예산사업 설명서", "budget") in ch["types"]
    assert ("서울-지역간 우호교류협약체결 및 운영 · 000_33470acb73f39a7c.txt", "000_33470acb73f39a7c.txt") in ch["docs"]  # titled; the file only when undated
    if has_seoul_docs():
        assert ("공문서 · 계획", "plan") in ch["types"] and ("공문서 · 지급·지출 품의", "payment") in ch["types"]
        assert "2025-01" in periods and "2093" not in periods  # "청년사업담당관-2093" is not a year
        assert any(label == "2025년 서울 청년수당 사업 운영계획 · 청년사업담당관-566" for label, _ in ch["docs"])


def test_date_bounds_are_read_as_staff_type_them() -> None:
    f = Handlers.filters([], ["plan"], ["청년사업담당관"], "2024.7", "2024. 12. 31.")
    assert (f.doc_types, f.departments, f.date_from, f.date_to, f.years) == (("plan",), ("청년사업담당관",), "2024-07", "2024-12-31", ())
    assert Handlers.date_bound("2024년 7월") == "2024-07" and Handlers.date_bound("2024-13") == "" and Handlers.date_bound("내일") == ""


@pytest.mark.skipif(not has_seoul_docs(), reason="../shared/seoul-docs is not there")
def test_a_date_range_keeps_the_documents_of_that_period(ui_server: UiServer) -> None:
    h = Handlers(ui_server.assistant)
    _, chat, turns, _, _ = _last(h.respond("청년수당 문서번호는?", [], [], [], [], "2025-01", "2025-01"))
    answer = turns[-1].answer
    assert answer.citations and {c.doc_id for c in answer.citations} == {"2025-01-16_청년사업담당관-566.hwpx"}
    assert "시행일 2025. 1. ~ 2025. 1." in chat[-1]["content"]


def test_a_failing_assistant_gives_a_polite_message(ui_server: UiServer) -> None:
    class Broken:
        library = None
        feedback = None

        def ask(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("boom")

        def documents(self) -> list[dict[str, Any]]:
            raise RuntimeError("index gone")

    h = Handlers(Broken())  # type: ignore[arg-type]
    _, chat, turns, *_ = _last(h.respond("질문", [], [], [], []))
    assert "요청을 처리하는 중 문제가 생겼습니다" in chat[-1]["content"] and "RuntimeError" in chat[-1]["content"]
    assert turns[-1].answer.kind == "error"
    status, _ = h.feedback(True, turns, 0, "", None)
    assert "의견 저장소가 설정되어 있지 않아" in status
    assert h.refresh()[0].startswith('<div class="stats">문서 0개')  # no crash without an index


def test_polite_turns_errors_into_a_korean_toast() -> None:
    def broken(x: int) -> int:
        raise ValueError("x")

    def broken_stream(x: int) -> Any:
        yield 1
        raise KeyError("y")

    with pytest.raises(gr.Error) as e:
        polite(broken)(1)
    assert e.value.message == ERROR_TEXT
    with pytest.raises(gr.Error):
        list(polite(broken_stream)(1))


def test_open_citation_marks_the_span(ui_server: UiServer) -> None:
    h = Handlers(ui_server.assistant)
    _, _, turns, selected, _ = _last(h.respond(Q_FACT, [], [], [], []))
    page = h.open_citation(turns, selected, gr.EventData(None, {"number": 1}))
    c = turns[0].answer.citations[0]
    doc = ui_server.assistant.document(c.doc_id)
    assert page.count('id="doc-mark"') == 1  # the first mark, scrolled into view
    assert f'<mark class="doc-mark">{render.esc(doc.text[c.start:c.end])}</mark>' in page  # the exact text, folded
    missing = h.open_citation(turns, selected, gr.EventData(None, {"number": 9}))
    assert "원문에서 보기" in missing


def test_a_table_answer_marks_its_cell_in_the_document_and_the_turn_is_the_one_clicked(ui_server: UiServer) -> None:
    h = Handlers(ui_server.assistant)
    _, _, turns, _, _ = _last(h.respond(Q_BUDGET, [], [], [], []))
    _, _, turns, selected, _ = _last(h.respond(Q_FACT, turns, [], [], []))
    assert selected == 1
    # a button under the first answer says which turn it belongs to (t-0), whatever answer is selected
    page = h.open_citation(turns, selected, gr.EventData(None, {"number": 1, "turn": 0}))
    table = turns[0].answer.tables[0]
    assert '<tr class="focus-row">' in page
    row = page[page.index('<tr class="focus-row">'):]
    row = row[: row.index("</tr>")]
    assert row.count("<mark") == 1 and f">{table.rows[0][table.highlight[1]]}</mark>" in row  # the cell, not the row


def test_uploads_refused_before_indexing(ui_server: UiServer, tmp_path: Path) -> None:
    base = ui_server.assistant
    assert base.library is not None
    small_library = DocumentLibrary(dataclasses.replace(base.library.library, max_upload_bytes=1000), base.library.index_dir, base.library.embedder)
    small = Assistant(base.answerer, small_library, base.feedback)
    h = Handlers(small)
    exe = tmp_path / "virus.exe"
    exe.write_bytes(b"MZ\x00\x01")
    big = tmp_path / "big.txt"
    big.write_text("가" * 2000, encoding="utf-8")
    before = ui_server.assistant.documents()
    html, *_ = h.add_documents([str(exe), str(big)])
    assert "virus.exe" in html and "지원하지 않는 파일 형식" in html
    assert "big.txt" in html and "파일이 너무 큽니다" in html
    assert "색인에 반영" not in html and ui_server.assistant.documents() == before
    assert "추가할 파일을 선택해 주세요" in h.add_documents(None)[0]


def _steps(h: Handlers, file: Any) -> list[tuple[Any, ...]]:
    return [tuple(x) for x in h.run_evaluation(file)]


def test_evaluation_input_is_checked(ui_server: UiServer, tmp_path: Path) -> None:
    assert "설정되어 있지 않습니다" in _steps(Handlers(ui_server.assistant), str(FIXTURES / "questions.jsonl"))[-1][0]
    h = Handlers(ui_server.assistant, evaluate=lambda path, progress: {})
    assert "먼저 올려 주세요" in _steps(h, None)[-1][0]
    wrong = tmp_path / "q.txt"
    wrong.write_text("x", encoding="utf-8")
    assert ".jsonl 또는 .csv" in _steps(h, str(wrong))[-1][0]
    binary = tmp_path / "q.jsonl"
    binary.write_bytes(b"\xff\xfe\x00\x81" * 10)
    assert "UTF-8" in _steps(h, str(binary))[-1][0]


def test_evaluation_shows_its_progress_then_korean_results(ui_server: UiServer) -> None:
    def evaluate(path: str, progress: Any) -> dict[str, Any]:
        progress(0, 0, "index")
        progress(3, 10, "index parse")
        time.sleep(0.7)
        progress(2, 4, "assistant ui-table")
        time.sleep(0.7)
        questions = [{"id": "a", "system": "assistant", "question": "q1", "pass": True, "why": "ok", "answer": "x", "latency_ms": 1.0},
                     {"id": "b", "system": "assistant", "question": "q2", "pass": False, "why": "missing: 고성", "answer": "y", "latency_ms": 2.0}]
        return {"summary": {"assistant": {"answer_accuracy": 0.5, "answer_precision": 0.75}}, "questions": questions}

    h = Handlers(ui_server.assistant, evaluate=evaluate)
    steps = _steps(h, str(FIXTURES / "questions.jsonl"))
    shown = [s[0] for s in steps[:-1]]
    assert all("eval-progress" in x for x in shown) and len(shown) >= 3
    assert any("1/2 평가용 색인 준비" in x and "문서 분석" in x and "3/10" in x for x in shown)
    assert any("2/2 질문에 답하는 중" in x and "도우미 (답변) · ui-table" in x for x in shown)
    status, metrics, table, files, rows = steps[-1]
    assert "2개 질문 중 1개 통과" in status and "답 정확도 50.0%" in status and "답 정밀도 75.0%" in status
    assert "답 정밀도" in metrics and "answer_precision" not in metrics
    assert list(table["결과"]) == ["통과", "실패"] and list(table["이유"]) == ["정답을 담음", "빠진 답: 고성"]
    names = [Path(f).name for f in files["value"]]
    assert any(n.endswith(".html") for n in names) and any(n.endswith(".md") for n in names) and any(n.endswith(".zip") for n in names)
    report = next(Path(f) for f in files["value"] if f.endswith(".html")).read_text(encoding="utf-8")
    assert "평가 보고서: questions.jsonl" in report and "빠진 답: 고성" in report
    assert list(Handlers.question_table(rows, True)["ID"]) == ["b"] and len(Handlers.question_table(rows, False)) == 2


def test_cli_evaluator_runs_the_real_harness(ui_server: UiServer) -> None:
    """The evaluate callable ``assistant serve`` injects: summary, per-question records, results, progress from the index build on."""
    from conftest import _capture_cli_evaluator

    seen: list[tuple[int, int, str]] = []
    result = _capture_cli_evaluator(ui_server.cfg)(str(FIXTURES / "questions.jsonl"), lambda d, t, m: seen.append((d, t, m)))
    assert set(result) >= {"summary_markdown", "summary", "questions", "report_dir", "files"}
    assert result["summary"]["assistant"]["answer_precision"] is not None
    assert {Path(f).name for f in result["files"]} == {"results.json"}
    assert seen[0][2] == "index" and seen[-1][0] == seen[-1][1] and seen[-1][2].startswith("assistant ")


def test_launch_prints_no_share_link_hint(ui_server: UiServer, capfd: Any) -> None:
    from assistant.app.ui.app import build_app, launch

    from conftest import _free_port

    app = launch(build_app(ui_server.assistant), port=_free_port(), block=False)
    try:
        out, err = capfd.readouterr()
        assert "share=True" not in out + err and "public link" not in out + err
    finally:
        app.close()
