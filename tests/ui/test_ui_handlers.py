"""The event handlers called directly (no browser): filters, failures, uploads and evaluations refused politely."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from assistant.app import Assistant, DocumentLibrary
from assistant.app.ui import render
from assistant.app.ui.app import ERROR_TEXT, Handlers, Turn, polite

from conftest import FIXTURES, UiServer

Q_2019 = "2019년에 우호교류협약을 맺은 지자체는?"


def _last(gen: Any) -> tuple[Any, ...]:
    """The last value a streaming handler yields."""
    return tuple(list(gen)[-1])


def test_respond_streams_then_answers_with_filters(ui_server: UiServer) -> None:
    h = Handlers(ui_server.assistant)
    steps = list(h.respond(Q_2019, [], [], ["budget"], ["2019"], []))
    assert len(steps) == 2
    first_chat = steps[0][1]
    assert first_chat[-1]["content"] == '<div class="answer pending">문서에서 답을 찾고 있습니다…</div>'
    _, chat, turns, selected, sources, _ = steps[1]
    assert selected == 0 and isinstance(turns[0], Turn)
    assert "고성" in chat[-1]["content"] and "검색 범위: 유형 예산사업 설명서 · 연도 2019" in chat[-1]["content"]
    assert "<mark>" in sources


def test_a_failing_assistant_gives_a_polite_message(ui_server: UiServer) -> None:
    class Broken:
        library = None
        feedback = None

        def ask(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("boom")

        def documents(self) -> list[dict[str, Any]]:
            raise RuntimeError("index gone")

    h = Handlers(Broken())  # type: ignore[arg-type]
    _, chat, turns, *_ = _last(h.respond("질문", [], [], [], [], []))
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
    _, _, turns, selected, _, _ = _last(h.respond(Q_2019, [], [], [], [], []))
    page, _ = h.open_citation(turns, selected, gr.EventData(None, {"number": 1}))
    c = turns[0].answer.citations[0]
    doc = ui_server.assistant.document(c.doc_id)
    assert page.count('id="doc-mark"') == 1  # the first mark, scrolled into view
    assert f'<mark class="doc-mark">{render.esc(doc.text[c.start:c.end])}</mark>' in page  # the exact text, folded
    missing, _ = h.open_citation(turns, selected, gr.EventData(None, {"number": 9}))
    assert "원문에서 보기" in missing


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


def test_evaluation_input_is_checked(ui_server: UiServer, tmp_path: Path) -> None:
    assert "설정되어 있지 않습니다" in Handlers(ui_server.assistant).run_evaluation(str(FIXTURES / "questions.jsonl"))[0]
    h = Handlers(ui_server.assistant, evaluate=lambda path, progress: {})
    assert "먼저 올려 주세요" in h.run_evaluation(None)[0]
    wrong = tmp_path / "q.txt"
    wrong.write_text("x", encoding="utf-8")
    assert ".jsonl 또는 .csv" in h.run_evaluation(str(wrong))[0]
    binary = tmp_path / "q.jsonl"
    binary.write_bytes(b"\xff\xfe\x00\x81" * 10)
    assert "UTF-8" in h.run_evaluation(str(binary))[0]


def test_cli_evaluator_runs_the_real_harness(ui_server: UiServer) -> None:
    """The evaluate callable ``assistant serve`` injects: summary, per-question records, report files."""
    from conftest import _capture_cli_evaluator

    seen: list[tuple[int, int, str]] = []
    result = _capture_cli_evaluator(ui_server.cfg)(str(FIXTURES / "questions.jsonl"), lambda d, t, m: seen.append((d, t, m)))
    assert set(result) >= {"summary_markdown", "summary", "questions", "report_dir", "files"}
    assert result["summary"]["assistant"]["answer_accuracy"] == 1.0
    assert "answer_accuracy" in result["summary_markdown"]
    assert {Path(f).name for f in result["files"]} >= {"report.md", "results.json"}
    assert seen and seen[-1][0] == seen[-1][1]
