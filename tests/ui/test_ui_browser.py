"""The web chat in a real browser (headless Debian Chromium through Playwright)."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, UiServer

pytestmark = pytest.mark.browser

Q_2019 = "2019년에 우호교류협약을 맺은 지자체는?"
Q_BUDGET = "서울-지역간 우호교류협약 사업의 2022년 예산액은?"
DOC_MEETING = "004_84aef13ff2facef5.txt"
ANSWERS = "#chat .answer:not(.pending)"


def ask(page: Any, question: str) -> Any:
    """Type a question, send it, wait for its answer; returns the answer bubble."""
    before = page.locator(ANSWERS).count()
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function(f"() => document.querySelectorAll('{ANSWERS}').length > {before}", timeout=30_000)
    return page.locator(ANSWERS).nth(before)


def settle(page: Any) -> None:
    """Wait until Gradio has no pending output (for clean screenshots)."""
    page.wait_for_function("() => !document.querySelector('[data-testid=status-tracker]:not(.hide)')", timeout=15_000)
    page.wait_for_timeout(300)


def shot(page: Any, path: Path, full_page: bool = False) -> None:
    settle(page)
    page.screenshot(path=str(path), full_page=full_page)


def open_tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).first.click()


def choose(page: Any, dropdown: str, option: str) -> None:
    """Pick an option of a Gradio dropdown by (part of) its label."""
    page.click(f"{dropdown} input")
    page.get_by_role("option").filter(has_text=option).first.click()
    page.keyboard.press("Escape")


def upload(page: Any, component: str, files: list[Path]) -> None:
    """Put files into a gr.File and wait until Gradio has uploaded them."""
    page.set_input_files(f"{component} input[type=file]", [str(f) for f in files])
    for f in files:
        page.locator(component).get_by_text(f.name, exact=False).first.wait_for(timeout=15_000)


def test_cited_answer_then_the_document_opened_at_the_citation(page: Any, ui_server: UiServer, screenshots: Path) -> None:
    shot(page, screenshots / "00-start.png")
    answer = ask(page, Q_2019)
    text = answer.inner_text()
    assert "고성" in text and "옥천" in text
    assert answer.locator(".cite-marker").first.inner_text() == "[1]"
    card = page.locator("#sources-panel .src-card").first
    card.wait_for()
    assert "서울-지역간 우호교류협약체결 및 운영" in card.inner_text()
    mark = card.locator(".src-excerpt mark")
    assert "고성" in mark.inner_text() and "옥천" in mark.inner_text()
    shot(page, screenshots / "01-chat-cited-answer.png")

    card.get_by_role("button", name="원문에서 보기").click()
    page.locator("#doc-viewer mark#doc-mark").wait_for()
    marked = " ".join(page.locator("#doc-viewer .doc-body mark").all_inner_texts())
    assert "고성" in marked and "옥천" in marked and "서울선언문" not in marked  # the span, not the whole passage
    # scrolled into view inside the viewer
    page.wait_for_function(
        """() => { const m = document.querySelector('#doc-mark'); const r = m.getBoundingClientRect();
                   return r.top >= 0 && r.bottom <= window.innerHeight; }""",
        timeout=5_000,
    )
    viewer = page.locator("#doc-viewer")
    assert "서울-지역간 우호교류협약체결 및 운영" in viewer.locator(".doc-title").inner_text()
    # the file's exact text (folded) marks the same span; its own markup is text, never elements
    viewer.get_by_text("파일 원문 그대로 보기").click()
    raw = viewer.locator(".doc-raw .doc-text")
    assert '<input checked="" type="checkbox"/>' in raw.inner_text()
    assert "고성" in raw.locator("mark").inner_text()
    assert viewer.locator("input").count() == 0
    viewer.get_by_text("파일 원문 그대로 보기").click()
    shot(page, screenshots / "02-document-highlight.png")


def test_follow_up_uses_the_conversation(page: Any, screenshots: Path) -> None:
    page.get_by_role("button", name=Q_2019).first.click()  # an example under the empty chat
    page.wait_for_function(f"() => document.querySelectorAll('{ANSWERS}').length >= 1", timeout=30_000)
    assert "고성" in page.locator(ANSWERS).first.inner_text()
    follow = ask(page, "그럼 2020년에는?")
    assert "계룡" in follow.inner_text()
    assert "질문 해석: 2020년" in follow.locator(".interpretation").inner_text()
    # clicking the first answer shows its sources again
    page.locator(ANSWERS).first.click()
    page.wait_for_function("() => document.querySelector('#sources-panel .panel-head').innerText.includes('답변 1')")
    shot(page, screenshots / "03-follow-up.png")


def test_filter_narrows_the_search(page: Any, screenshots: Path) -> None:
    page.get_by_text("검색 범위 (필터)").click()
    choose(page, "#filter-docs", DOC_MEETING)
    narrowed = ask(page, Q_2019)
    assert "고성" not in narrowed.inner_text()
    assert "검색 범위: 문서 영등포구협치회의" in narrowed.inner_text()
    sources = page.locator("#sources-panel .src-card .doc-id")
    assert sources.count() >= 1 and all(t == DOC_MEETING for t in sources.all_inner_texts())
    shot(page, screenshots / "04-filter.png")
    page.click("#clear-filters")
    page.wait_for_function("() => !document.querySelector('#filter-docs').innerText.includes('004_')")
    assert "고성" in ask(page, Q_2019).inner_text()


def test_table_answer_is_a_table(page: Any, screenshots: Path) -> None:
    answer = ask(page, Q_BUDGET)
    table = answer.locator("table.answer-table")
    table.wait_for()
    assert "2022예산액" in table.locator("thead").inner_text()
    assert table.locator("td.hl mark").inner_text() == "98,450"
    assert "천원" in table.locator("caption").inner_text()
    shot(page, screenshots / "05-table-answer.png")


def test_bad_input_is_shown_as_text_and_answered_politely(page: Any) -> None:
    xss = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> 예산은?'
    ask(page, xss)
    bubble = page.locator("#chat .q").last
    assert bubble.inner_text().strip() == xss
    assert page.locator("#chat img[src=x]").count() == 0
    assert page.evaluate("() => window.__xss") is None
    long = ask(page, "가" * 10_000)
    assert "질문이 너무 깁니다" in long.inner_text()
    assert "총 10,000자" in page.locator("#chat .q").last.inner_text()
    odd = ask(page, "\u0001\u0002\u0007")
    assert "읽을 수 있는 글자" in odd.inner_text()
    before = page.locator(ANSWERS).count()
    page.fill("#question textarea", "   ")
    page.click("#send")
    page.get_by_text("질문을 입력해 주세요.").first.wait_for()
    assert page.locator(ANSWERS).count() == before
    assert "고성" in ask(page, Q_2019).inner_text()  # still serving


def test_feedback_and_exports(page: Any, ui_server: UiServer) -> None:
    ask(page, Q_2019)
    page.fill("#fb-comment textarea", "출처가 정확해요")
    page.click("#fb-good")
    page.get_by_text("의견(도움됨)을 저장했습니다").wait_for()
    rows = ui_server.assistant.feedback.rows()
    assert rows[-1]["question"] == Q_2019 and rows[-1]["helpful"] == 1 and rows[-1]["comment"] == "출처가 정확해요" and rows[-1]["session"]

    page.click("#export-md")
    md = _download_text(page, "#export-file", ui_server)
    assert md.startswith("# 대화 기록") and "고성" in md and "[1]" in md

    page.get_by_text("의견 모아 보기 (관리자)").click()
    page.click("#export-fb")
    csv = _download_text(page, "#fb-file", ui_server)
    assert "question" in csv.splitlines()[0] and "출처가 정확해요" in csv


def _download_text(page: Any, component: str, server: UiServer) -> str:
    link = page.locator(f"{component} a[href]").first
    link.wait_for(timeout=15_000)
    href = link.get_attribute("href") or ""
    url = href if href.startswith("http") else server.url.rstrip("/") + "/" + href.lstrip("/")
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode("utf-8-sig")


def test_document_browser_shows_sections_and_tables(page: Any, screenshots: Path) -> None:
    open_tab(page, "문서 보기")
    table = page.locator("#doc-table")
    table.get_by_text("영등포구협치회의 분과회의(9월) 개최 결과 보고").first.wait_for()
    assert "회의 결과 보고" in table.inner_text() and "예산사업 설명서" in table.inner_text()
    choose(page, "#doc-select", "000_33470acb73f39a7c.txt")
    view = page.locator("#doc-structure")
    view.locator(".doc-title").get_by_text("서울-지역간 우호교류협약체결 및 운영").wait_for()
    assert view.locator("h3.doc-h, h4.doc-h").count() >= 3
    assert view.locator("table.doc-table").count() >= 3
    assert "2022예산액" in view.inner_text()
    shot(page, screenshots / "06-document-browser.png", full_page=True)
    table.get_by_text("영등포구협치회의 분과회의(9월) 개최 결과 보고").first.click()  # a row opens its document
    view.locator(".doc-title").get_by_text("영등포구협치회의 분과회의(9월) 개최 결과 보고").wait_for()


def test_evaluation_runs_and_reports(page: Any, screenshots: Path) -> None:
    open_tab(page, "평가")
    upload(page, "#eval-file", [FIXTURES / "questions.jsonl"])
    page.click("#eval-btn")
    page.get_by_text("평가를 마쳤습니다").wait_for(timeout=90_000)
    metrics = page.locator("#eval-metrics table.metrics-table")
    assert "답 정확도" in metrics.inner_text() and "assistant" in metrics.inner_text()
    results = page.locator("#eval-questions")
    assert "ui-table" in results.inner_text() and "통과" in results.inner_text()
    files = page.locator("#eval-files").inner_text().replace("\n", "")  # name and extension are separate elements
    assert "report.md" in files and "results.json" in files and ".zip" in files
    shot(page, screenshots / "07-evaluation.png", full_page=True)


def test_bad_question_set_gets_a_message(page: Any, tmp_path: Path) -> None:
    bad = tmp_path / "broken.jsonl"
    bad.write_text('{"id": "x", "question": \n', encoding="utf-8")
    open_tab(page, "평가")
    upload(page, "#eval-file", [bad])
    page.click("#eval-btn")
    page.get_by_text("질문 세트를 사용할 수 없습니다").wait_for()


def test_upload_a_document_then_ask_about_it(page: Any, ui_server: UiServer, screenshots: Path) -> None:
    n_before = len(ui_server.assistant.documents())
    open_tab(page, "문서 추가")
    upload(page, "#upload-files", [FIXTURES / "urban_farming.txt"])
    page.click("#upload-btn")
    ok = page.locator("#upload-result .upload-ok")
    ok.wait_for(timeout=60_000)
    assert "urban_farming.txt" in ok.inner_text() and f"문서 {n_before + 1}개" in ok.inner_text()
    page.wait_for_function(f"() => document.querySelector('#stats').innerText.includes('문서 {n_before + 1}개')")
    shot(page, screenshots / "08-upload.png")
    open_tab(page, "문서 보기")
    page.locator("#doc-table").get_by_text("서울시 도시농업 박람회 개최 계획").first.wait_for()
    open_tab(page, "질문하기")
    page.get_by_text("검색 범위 (필터)").click()
    page.click("#filter-docs input")
    assert page.get_by_role("option").filter(has_text="urban_farming.txt").count() == 1
    page.keyboard.press("Escape")
    answer = ask(page, "도시농업 박람회 장소는?")
    assert "노들섬" in answer.inner_text()


@pytest.mark.parametrize(("name", "content", "reason"), [("empty.txt", b"", "빈 파일"), ("binary.txt", bytes(range(256)) * 8, "바이너리")])
def test_broken_upload_is_refused_and_changes_nothing(
    page: Any, ui_server: UiServer, tmp_path: Path, screenshots: Path, name: str, content: bytes, reason: str
) -> None:
    docs_before = [d["id"] for d in ui_server.assistant.documents()]
    path = tmp_path / name
    path.write_bytes(content)
    open_tab(page, "문서 추가")
    upload(page, "#upload-files", [path])
    page.click("#upload-btn")
    bad = page.locator("#upload-result .upload-bad")
    bad.wait_for(timeout=30_000)
    assert name in bad.inner_text() and reason in bad.inner_text() and "바뀌지 않았습니다" in bad.inner_text()
    assert [d["id"] for d in ui_server.assistant.documents()] == docs_before
    if name == "binary.txt":
        shot(page, screenshots / "09-upload-refused.png")
    assert "고성" in ask_from_chat(page, Q_2019)


def ask_from_chat(page: Any, question: str) -> str:
    open_tab(page, "질문하기")
    return str(ask(page, question).inner_text())


def test_oversized_upload_is_rejected_and_the_app_keeps_serving(page: Any, ui_server: UiServer, tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.truncate(ui_server.cfg.server.max_upload_mb * 1024 * 1024 + 1024)
    docs_before = len(ui_server.assistant.documents())
    open_tab(page, "문서 추가")
    page.set_input_files("#upload-files input[type=file]", str(big))
    page.get_by_text("exceed the maximum allowed size").first.wait_for()  # Gradio's own check (max_file_size)
    assert len(ui_server.assistant.documents()) == docs_before
    assert "고성" in ask_from_chat(page, Q_2019)


def test_markup_in_a_document_is_never_executed(page: Any, tmp_path: Path) -> None:
    doc = tmp_path / "markup_plan.txt"
    doc.write_text(
        '<img src=x onerror="window.__xss = 3"> 청년 창업 지원 계획 <script>window.__xss = 4</script>\n\n1. 개요\n\n'
        "○ 지원 대상: <b>만 39세 이하</b> 창업자\n○ 지원 금액: 최대 3천만원 <svg onload=\"window.__xss = 5\"></svg>\n",
        encoding="utf-8",
    )
    open_tab(page, "문서 추가")
    upload(page, "#upload-files", [doc])
    page.click("#upload-btn")
    page.locator("#upload-result .upload-ok").wait_for(timeout=60_000)
    open_tab(page, "문서 보기")
    choose(page, "#doc-select", "markup_plan.txt")
    view = page.locator("#doc-structure")
    view.get_by_text("지원 금액").first.wait_for()
    assert "<img src=x onerror=" in view.locator(".doc-title").inner_text()  # shown as text
    open_tab(page, "질문하기")
    ask(page, "청년 창업 지원 금액은?")
    card = page.locator("#sources-panel .src-card").filter(has_text="markup_plan.txt").first
    card.get_by_role("button", name="원문에서 보기").click()
    page.locator("#doc-viewer mark#doc-mark").wait_for()
    for where in ("#doc-structure", "#doc-viewer", "#sources-panel", "#chat", "#doc-table"):
        assert page.locator(f"{where} img, {where} script, {where} svg[onload], {where} b").count() == 0, where
    assert page.evaluate("() => window.__xss") is None
