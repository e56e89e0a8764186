"""The web chat in a real browser (headless Debian Chromium through Playwright)."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, UiServer, has_seoul_docs

pytestmark = pytest.mark.browser

Q_2019 = "2019년에 우호교류협약을 맺은 지자체는?"
Q_SPEND = "서울-지역간 우호교류협약 사업의 2020년 집행액은?"
Q_FORUM = "2019년 상생발전좌담회에는 몇 명이 참석했어?"
Q_ROWS = "우호교류협약 사업 2022년 추진일정에서 '우호교류협약 체결 등'의 예산집행금액은?"
Q_BUDGET = "서울-지역간 우호교류협약 사업의 2022년 예산액은?"
DOC_MEETING = "004_84aef13ff2facef5.txt"
Q_PLAN = "청년수당 운영계획 문서번호는?"
Q_TWO_DOCS = "2025년 청년수당 4월분 추가 지급 문서번호는?"
Q_MASKED = "청년수당 선정 기준 관련 민원(2025. 7. 16.)에서 민원인의 2025년 5월 건강보험료는 얼마로 확인됐어?"
Q_NONE = "2023년 지역균형발전 예산은?"
PLAN = "2025년 서울 청년수당 사업 운영계획"
seoul = pytest.mark.skipif(not has_seoul_docs(), reason="../shared/seoul-docs is not there")
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


def open_document(page: Any, title: str) -> Any:
    """Open a document from the 문서 보기 list by its title; returns its view once shown."""
    open_tab(page, "문서 보기")
    page.locator("#doc-table").get_by_text(title).first.click()
    view = page.locator("#doc-structure")
    view.locator(".doc-title").get_by_text(title).wait_for()
    return view


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
    answer = ask(page, Q_FORUM)
    text = answer.inner_text()
    assert "100여명" in text
    assert answer.locator(".cite-marker").first.inner_text() == "[1]"
    card = page.locator("#sources-panel .src-card").first
    card.wait_for()
    assert "서울-지역간 우호교류협약체결 및 운영" in card.inner_text()
    mark = card.locator(".src-excerpt mark")
    assert "100여명" in mark.inner_text() and "고성" not in mark.inner_text()  # the supporting span of the passage
    shot(page, screenshots / "01-chat-cited-answer.png")

    card.get_by_role("button", name="원문에서 보기").click()
    page.locator("#doc-viewer mark#doc-mark").wait_for()
    marked = " ".join(page.locator("#doc-viewer .doc-body mark").all_inner_texts())
    assert "100여명" in marked and "고성" not in marked  # the span, not the whole passage
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
    assert "100여명" in raw.locator("mark").inner_text()
    assert viewer.locator("input").count() == 0
    viewer.get_by_text("파일 원문 그대로 보기").click()
    shot(page, screenshots / "02-document-highlight.png")


def test_follow_up_uses_the_conversation(page: Any, screenshots: Path) -> None:
    page.get_by_role("button", name=Q_SPEND).first.click()  # an example under the empty chat
    page.wait_for_function(f"() => document.querySelectorAll('{ANSWERS}').length >= 1", timeout=30_000)
    assert "97,242" in page.locator(ANSWERS).first.inner_text()
    follow = ask(page, "2019년은?")
    assert "95,996" in follow.inner_text()
    assert "2019년" in follow.locator(".interpretation").inner_text() and "집행액" in follow.locator(".interpretation").inner_text()
    # clicking the first answer shows its sources again
    page.locator(ANSWERS).first.click()
    page.wait_for_function("() => document.querySelector('#sources-panel .panel-head').innerText.includes('답변 1')")
    shot(page, screenshots / "03-follow-up.png")


def test_filter_narrows_the_search(page: Any, screenshots: Path) -> None:
    page.get_by_text("검색 범위 (필터)").click()
    choose(page, "#filter-docs", "영등포구협치회의 분과회의(9월)")
    narrowed = ask(page, Q_2019)
    assert "고성" not in narrowed.inner_text()
    assert "검색 범위: 문서 영등포구협치회의" in narrowed.inner_text()
    titles = page.locator("#sources-panel .src-card .src-title")
    assert titles.count() >= 1 and all("영등포구협치회의 분과회의(9월) 개최 결과 보고" in t for t in titles.all_inner_texts())
    shot(page, screenshots / "04-filter.png")
    page.click("#clear-filters")
    page.wait_for_function("() => !document.querySelector('#filter-docs').innerText.includes('영등포구협치회의')")
    assert "98,450" in ask(page, Q_BUDGET).inner_text()


def test_table_answer_is_a_table(page: Any, screenshots: Path) -> None:
    answer = ask(page, Q_BUDGET)
    table = answer.locator("table.answer-table").first
    table.wait_for()
    assert "2022예산액" in table.locator("thead").inner_text()
    assert table.locator("td.hl mark").first.inner_text() == "98,450"
    assert "천원" in table.locator("caption").inner_text() and "□" not in table.locator("caption").inner_text()
    for cell in table.locator("td.num").all():  # a number is never broken across lines
        assert cell.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap" and cell.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    # a laptop: the sources panel beside the chat, so the answer's own folded copy stays hidden
    assert page.locator("#side-col").bounding_box()["x"] >= page.locator("#chat").bounding_box()["x"] + page.locator("#chat").bounding_box()["width"]
    assert not answer.locator("details.inline-sources").is_visible() and answer.locator(".src-line").is_visible()
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
    assert "98,450" in ask(page, Q_BUDGET).inner_text()  # still serving


def test_feedback_and_exports(page: Any, ui_server: UiServer) -> None:
    ask(page, Q_BUDGET)
    page.fill("#fb-comment textarea", "출처가 정확해요")
    page.click("#fb-good")
    page.get_by_text("의견(도움됨)을 저장했습니다").wait_for()
    rows = ui_server.assistant.feedback.rows()
    assert rows[-1]["question"] == Q_BUDGET and rows[-1]["helpful"] == 1 and rows[-1]["comment"] == "출처가 정확해요" and rows[-1]["session"]

    page.click("#export-md")
    md = _download_text(page, "#export-file", ui_server)
    assert md.startswith("# 대화 기록") and "98,450" in md and "[1]" in md

    page.get_by_text("의견 모아 보기 (관리자)").click()
    page.click("#export-fb")
    csv = _download_text(page, "#fb-file", ui_server)
    assert "question" in csv.splitlines()[0] and "출처가 정확해요" in csv


def _download_text(page: Any, component: str, server: UiServer, ending: str = "") -> str:
    links = page.locator(f"{component} a[href]")
    links.first.wait_for(timeout=15_000)
    href = next((h for h in (links.nth(i).get_attribute("href") or "" for i in range(links.count())) if h.endswith(ending)), "")
    url = href if href.startswith("http") else server.url.rstrip("/") + "/" + href.lstrip("/")
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode("utf-8-sig")


def test_document_browser_shows_sections_and_tables(page: Any, screenshots: Path) -> None:
    open_tab(page, "문서 보기")
    table = page.locator("#doc-table")
    table.get_by_text("영등포구협치회의 분과회의(9월) 개최 결과 보고").first.wait_for()
    head = table.locator("thead").inner_text()
    assert all(c in head for c in ("제목", "문서번호", "시행일", "부서", "유형", "공개구분")) and "청크" not in head
    assert "회의 결과 보고" in table.inner_text() and "예산사업 설명서" in table.inner_text()
    assert "monospace" not in table.locator("td").first.evaluate("e => getComputedStyle(e).fontFamily")
    choose(page, "#doc-select", "서울-지역간 우호교류협약체결 및 운영")
    view = page.locator("#doc-structure")
    view.locator(".doc-title").get_by_text("서울-지역간 우호교류협약체결 및 운영").wait_for()
    assert view.locator("h3.doc-h, h4.doc-h").count() >= 3
    assert view.locator("table.doc-table").count() >= 3
    assert "2022예산액" in view.inner_text()
    shot(page, screenshots / "06-document-browser.png", full_page=True)
    table.get_by_text("영등포구협치회의 분과회의(9월) 개최 결과 보고").first.click()  # a row opens its document
    view.locator(".doc-title").get_by_text("영등포구협치회의 분과회의(9월) 개최 결과 보고").wait_for()
    page.fill("#doc-query input", "협치")  # the list narrows to the documents whose row has the words
    page.wait_for_function("() => !document.querySelector('#doc-table').innerText.includes('지역균형발전 추진')")
    assert "협치" in table.inner_text()


@seoul
def test_official_document_with_its_approvals_attachments_and_related_documents(page: Any, screenshots: Path) -> None:
    view = open_document(page, PLAN)
    meta = view.locator(".doc-meta-grid").inner_text()
    for label, value in (("문서번호", "청년사업담당관-566"), ("시행일", "2025. 1. 16."), ("부서", "청년사업담당관"), ("유형", "공문서 · 계획"),
                         ("공개구분", "부분공개(5)")):
        assert label in meta and value in meta
    signers = view.locator(".approvals").inner_text()
    assert "기안자" in signers and "결재권자" in signers and "최수정" in signers
    assert "붙임" in view.inner_text()
    related = view.locator(".doc-related")
    assert "이 문서를 인용한 문서" in related.inner_text() and related.locator("button.open-doc").count() == 2
    shot(page, screenshots / "10-official-document.png", full_page=True)
    related.locator("button.open-doc").first.click()  # a related document opens with a click
    view.locator(".doc-title").get_by_text("2025년 서울 청년수당 4월분 추가 지급").wait_for()
    assert "이 문서가 인용한 문서" in view.locator(".doc-related").inner_text()


def test_evaluation_runs_and_reports_in_korean(page: Any, ui_server: UiServer, screenshots: Path) -> None:
    open_tab(page, "평가")
    upload(page, "#eval-file", [FIXTURES / "questions.jsonl"])
    page.click("#eval-btn")
    # progress from the first second: the phase, counts and the time so far
    page.locator("#eval-status .eval-progress").wait_for(timeout=3_000)
    page.get_by_text("평가를 마쳤습니다").wait_for(timeout=90_000)
    status = page.locator("#eval-status").inner_text()
    assert "답 정확도" in status and "답 정밀도" in status
    metrics = page.locator("#eval-metrics table.metrics-table").inner_text()
    assert "답 정확도" in metrics and "답 정밀도" in metrics and "도우미 (답변)" in metrics
    for english in ("answer_accuracy", "recall@1", "assistant", "bm25"):
        assert english not in metrics
    results = page.locator("#eval-questions")
    assert "ui-table" in results.inner_text() and "통과" in results.inner_text() and "정답을 담음" in results.inner_text()
    assert " ok" not in results.inner_text()
    files = page.locator("#eval-files").inner_text().replace("\n", "")  # name and extension are separate elements
    assert "평가보고서" in files and ".html" in files and ".md" in files and "results.json" in files and ".zip" in files
    shot(page, screenshots / "07-evaluation.png", full_page=True)
    report = _download_text(page, "#eval-files", ui_server, ".html")
    assert '<html lang="ko">' in report and "평가 보고서" in report and "답 정밀도" in report and "answer_accuracy" not in report
    shown = page.context.new_page()  # the downloadable report as staff open it
    try:
        shown.set_content(report)
        assert "답 정밀도" in shown.locator("body").inner_text()
        shown.screenshot(path=str(screenshots / "09-evaluation-report.png"), full_page=True)
    finally:
        shown.close()
    # sortable: by time, one way then the other (the run's times differ, so one of them reorders)
    times = ("[...document.querySelectorAll('#eval-questions [role=row]')].slice(1)"
             ".map(r => parseFloat(r.innerText.trim().split(/[\\t\\n]/).pop().replace(/,/g, '')))")
    assert len(set(page.evaluate(times))) > 1
    for order in ("오름차순 정렬", "내림차순 정렬"):
        head = page.locator("#eval-questions th").filter(has_text="시간(ms)").first
        head.hover()
        head.get_by_role("button", name="Open cell menu").click()
        page.get_by_text(order, exact=True).first.click()
        got = page.evaluate(times)
        assert got == sorted(got, reverse=order.startswith("내림")), (order, got)
    # 실패만 보기: only the questions that failed
    rows = "[...document.querySelectorAll('#eval-questions [role=row]')].slice(1).map(r => r.innerText)"
    before = page.evaluate(rows)
    failed = [r for r in before if "실패" in r]
    assert len(before) == 4 and len(failed) + sum(1 for r in before if "통과" in r) == 4
    page.locator("#eval-only-failed input").check()
    page.wait_for_function(f"() => {rows}.length === {len(failed)}")
    assert all("실패" in r for r in page.evaluate(rows))
    shot(page, screenshots / "08-evaluation-failures.png", full_page=True)


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
    assert "urban_farming.txt" in ok.inner_text() and f"전체 문서 {n_before + 1}개" in ok.inner_text() and "청크" not in ok.inner_text()
    page.wait_for_function(f"() => document.querySelector('#stats').innerText.includes('문서 {n_before + 1}개')")
    shot(page, screenshots / "13-upload.png")
    open_tab(page, "문서 보기")
    page.locator("#doc-table").get_by_text("서울시 도시농업 박람회 개최 계획").first.wait_for()
    open_tab(page, "질문하기")
    page.get_by_text("검색 범위 (필터)").click()
    page.click("#filter-docs input")
    assert page.get_by_role("option").filter(has_text="서울시 도시농업 박람회 개최 계획").count() == 1
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
        shot(page, screenshots / "14-upload-refused.png")
    assert "98,450" in ask_from_chat(page, Q_BUDGET)  # still serving


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
    assert "98,450" in ask_from_chat(page, Q_BUDGET)  # still serving


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
    choose(page, "#doc-select", "청년 창업 지원 계획")
    view = page.locator("#doc-structure")
    view.get_by_text("지원 금액").first.wait_for()
    assert "<img src=x onerror=" in view.locator(".doc-title").inner_text()  # shown as text
    open_tab(page, "질문하기")
    ask(page, "청년 창업 지원 금액은?")
    card = page.locator("#sources-panel .src-card").filter(has_text="청년 창업 지원 계획").first
    card.get_by_role("button", name="원문에서 보기").click()
    page.locator("#doc-viewer mark#doc-mark").wait_for()
    for where in ("#doc-structure", "#doc-viewer", "#sources-panel", "#chat", "#doc-table"):
        assert page.locator(f"{where} img, {where} script, {where} svg[onload], {where} b").count() == 0, where
    assert page.evaluate("() => window.__xss") is None


# -- answers as staff read them (desktop) ------------------------------------------------
def test_opening_a_citation_keeps_the_page_where_it_is(page: Any, screenshots: Path) -> None:
    answer = ask(page, "대전시장 이름은?")
    assert "이장우" in answer.inner_text()
    assert answer.locator(".answer-from").count() == 1  # where it comes from, under the answer
    before = page.evaluate("window.scrollY")
    page.locator("#sources-panel button.open-cite").first.click()
    page.locator("#doc-viewer mark#doc-mark").wait_for()
    page.wait_for_function(
        """() => { const m = document.querySelector('#doc-mark'); const r = m.getBoundingClientRect();
                   return r.top >= 0 && r.bottom <= window.innerHeight; }""", timeout=5_000)
    assert page.evaluate("window.scrollY") == before  # the viewer scrolled, not the page: the tabs stay in sight
    assert page.locator("#main-tabs [role=tab]").first.is_visible()
    assert page.locator("#doc-viewer .doc-meta-grid").is_visible()


@seoul
def test_an_official_document_answer(page: Any, screenshots: Path) -> None:
    answer = ask(page, Q_PLAN)
    assert "청년사업담당관-566" in answer.locator(".answer-text").inner_text()
    source = answer.locator(".answer-from").inner_text()
    assert PLAN in source and "청년사업담당관-566" in source and "2025. 1. 16." in source
    card = page.locator("#sources-panel .src-card").first
    assert "공문서 · 계획" in card.inner_text() and "시행 2025. 1. 16." in card.inner_text()
    shot(page, screenshots / "11-official-answer.png")
    card.get_by_role("button", name="원문에서 보기").click()
    viewer = page.locator("#doc-viewer")
    viewer.locator("mark#doc-mark").wait_for()
    assert "결재권자" in viewer.locator(".approvals").inner_text() and "부분공개(5)" in viewer.locator(".doc-meta-grid").inner_text()
    assert viewer.locator(".doc-body mark.doc-mark").count() == 1 and "청년사업담당관-566" in viewer.locator("mark#doc-mark").inner_text()
    shot(page, screenshots / "11-official-answer-document.png")
    viewer.locator(".doc-related button.open-doc").first.click()  # a document that cites it, opened in place
    viewer.locator(".doc-title").get_by_text("2025년 서울 청년수당 4월분 추가 지급").wait_for()


def test_several_rows_answer_side_by_side(page: Any, screenshots: Path) -> None:
    answer = ask(page, Q_ROWS)
    assert "여러 곳에 답이 있습니다" in answer.locator(".answer-badge").inner_text()
    lines = answer.locator("ol.answer-lines li")
    assert lines.count() >= 2
    for i in range(lines.count()):
        assert lines.nth(i).locator(".cite-marker").inner_text() == f"[{i + 1}]"  # each with its own source
    text = answer.inner_text()
    assert "□" not in text and " · 계 · " not in text and "98,450천원" in text
    # the rows shown as tables, each answering cell marked
    assert answer.locator("table.answer-table").count() >= 1 and answer.locator("td.hl").count() >= lines.count() - 1
    shot(page, screenshots / "12-multi-answer.png")


@seoul
def test_two_documents_answer_side_by_side(page: Any, screenshots: Path) -> None:
    answer = ask(page, Q_TWO_DOCS)
    lines = answer.locator("ol.answer-lines li")
    assert lines.count() >= 2
    texts = lines.all_inner_texts()
    assert any("(2025. 4. 29.)" in t for t in texts) and any("(2025. 5. 8.)" in t for t in texts)  # told apart by their date
    assert "청년사업담당관-4366" in answer.inner_text()
    cards = page.locator("#sources-panel .src-card")
    assert cards.count() == lines.count() and cards.nth(0).locator(".src-title").inner_text() != ""
    assert len(set(cards.locator(".src-meta").all_inner_texts())) >= 2
    shot(page, screenshots / "12-multi-answer-documents.png")


@seoul
def test_masked_and_unanswered_questions_say_so(page: Any, screenshots: Path) -> None:
    masked = ask(page, Q_MASKED)
    assert "공개되지 않은 값" in masked.locator(".answer-badge").inner_text() and "가려져" in masked.inner_text()
    shot(page, screenshots / "15-masked-answer.png")
    none = ask(page, Q_NONE)
    assert "찾지 못했습니다" in none.locator(".answer-badge").inner_text()
    assert "가장 가까운 구절" in page.locator("#sources-panel .panel-head").inner_text()
    assert page.locator("#sources-panel mark").count() == 0  # nearest passages are not evidence
    shot(page, screenshots / "16-not-found.png")


@seoul
def test_filters_by_kind_department_and_the_documents_dates(page: Any, screenshots: Path) -> None:
    page.get_by_text("검색 범위 (필터)").click()
    page.click("#filter-types input")
    options = page.locator("#filter-types [role=option]").all_inner_texts()
    page.mouse.click(5, 5)  # away: the list closes
    assert "공문서 · 계획" in options and "공문서 · 지급·지출 품의" in options
    page.click("#filter-from input")
    periods = page.locator("#filter-from [role=option]").all_inner_texts()
    page.mouse.click(5, 5)
    assert "2025년 1월" in periods and "2023년 4월" in periods
    assert not any(p.startswith(("2004", "2015", "2093")) for p in periods)  # only the documents' own dates
    for box in ("#filter-from", "#filter-to"):
        page.click(f"{box} input")
        page.locator(f"{box} [role=option]", has_text="2025년 1월").first.click()
    page.wait_for_function("() => document.querySelector('#filter-to input').value === '2025년 1월'")
    answer = ask(page, "청년수당 문서번호는?")
    assert "시행일 2025. 1. ~ 2025. 1." in answer.locator(".filters-note").inner_text()
    titles = page.locator("#sources-panel .src-card .src-title").all_inner_texts()
    assert titles and all(PLAN in t for t in titles)
    shot(page, screenshots / "17-filters.png")


# -- a phone (390 px) ---------------------------------------------------------------------
def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1, "the page scrolls sideways on a phone"


def test_phone_sources_follow_their_answer(phone: Any, screenshots: Path) -> None:
    shot(phone, screenshots / "20-phone-start.png")
    answer = ask(phone, Q_BUDGET)
    assert "오른쪽" not in phone.locator("body").inner_text()
    assert not phone.locator("#side-col").is_visible()  # no panel 2,500 px down: the sources fold under the answer
    assert not answer.locator(".src-line").is_visible()
    folded = answer.locator("details.inline-sources")
    assert folded.is_visible() and not folded.locator(".src-card").first.is_visible()
    # numbers stay whole in a table cell (no "13,50/0"), headers do not break a syllable per line
    for cell in answer.locator("td.num").all():
        assert cell.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"
        assert cell.evaluate("e => e.getClientRects().length") == 1 and cell.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    for th in answer.locator("th").all():
        assert th.evaluate("e => getComputedStyle(e).wordBreak") == "keep-all"
    _no_sideways_scroll(phone)
    answer.scroll_into_view_if_needed()
    shot(phone, screenshots / "21-phone-answer.png")
    folded.locator("summary").click()
    card = folded.locator(".src-card").first
    card.wait_for()
    assert "<mark>" in card.inner_html()
    card.scroll_into_view_if_needed()
    shot(phone, screenshots / "22-phone-sources.png")
    card.get_by_role("button", name="원문에서 보기").click()
    phone.locator("#doc-viewer mark#doc-mark").wait_for()
    phone.wait_for_function("() => { const r = document.querySelector('#doc-mark').getBoundingClientRect(); "
                            "return r.top >= 0 && r.bottom <= window.innerHeight; }", timeout=5_000)
    assert phone.locator("#side-col").is_visible() and not phone.locator("#sources-panel").is_visible()
    _no_sideways_scroll(phone)
    shot(phone, screenshots / "23-phone-document.png")
    phone.get_by_role("button", name="대화로 돌아가기").click()
    phone.wait_for_function("() => { const r = document.querySelector('#chat').getBoundingClientRect(); return r.top >= -5 && r.top < window.innerHeight; }")
    assert not phone.locator("#side-col").is_visible()


@seoul
def test_phone_official_answer_and_several_documents(phone: Any, screenshots: Path) -> None:
    answer = ask(phone, Q_PLAN)
    assert "청년사업담당관-566" in answer.inner_text()
    _no_sideways_scroll(phone)
    answer.scroll_into_view_if_needed()
    shot(phone, screenshots / "24-phone-official-answer.png")
    multi = ask(phone, Q_TWO_DOCS)
    n = multi.locator("ol.answer-lines li").count()
    assert n >= 2
    multi.locator("details.inline-sources summary").click()
    assert multi.locator(".src-card").count() == n
    multi.scroll_into_view_if_needed()
    _no_sideways_scroll(phone)
    shot(phone, screenshots / "25-phone-multi-answer.png")


@seoul
def test_phone_official_document_and_filters(phone: Any, screenshots: Path) -> None:
    view = open_document(phone, PLAN)
    meta = view.locator(".doc-meta-grid")
    assert meta.is_visible()
    for value in ("청년사업담당관-566", "2025. 1. 16.", "공문서 · 계획", "부분공개(5)"):
        assert value in meta.inner_text()
    assert view.locator(".approvals").is_visible() and "결재권자" in view.locator(".approvals").inner_text()
    assert view.locator(".doc-related button.open-doc").count() == 2
    _no_sideways_scroll(phone)
    shot(phone, screenshots / "28-phone-official-document.png", full_page=True)
    open_tab(phone, "질문하기")
    phone.get_by_text("검색 범위 (필터)").click()
    choose(phone, "#filter-depts", "미래청년기획단 청년사업담당관")  # only that department's 공문서: the budget table is out
    narrowed = ask(phone, Q_BUDGET)
    assert "98,450" not in narrowed.inner_text() and "부서 미래청년기획단 청년사업담당관" in narrowed.locator(".filters-note").inner_text()
    choose(phone, "#filter-types", "공문서 · 계획")
    for box in ("#filter-from", "#filter-to"):
        phone.click(f"{box} input")
        phone.locator(f"{box} [role=option]", has_text="2025년 1월").first.click()
    phone.wait_for_function("() => document.querySelector('#filter-to input').value === '2025년 1월'")
    answer = ask(phone, "청년수당 문서번호는?")
    note = answer.locator(".filters-note").inner_text()
    assert "유형 공문서 · 계획" in note and "시행일 2025. 1. ~ 2025. 1." in note
    assert "청년사업담당관-566" in answer.locator(".answer-text, ol.answer-lines").first.inner_text()
    _no_sideways_scroll(phone)
    answer.scroll_into_view_if_needed()
    shot(phone, screenshots / "29-phone-filters.png")


def test_phone_documents_and_evaluation(phone: Any, screenshots: Path) -> None:
    open_tab(phone, "문서 보기")
    phone.locator("#doc-table").get_by_text("영등포구협치회의 분과회의(9월) 개최 결과 보고").first.click()
    view = phone.locator("#doc-structure")
    view.locator("table.doc-table").first.wait_for()
    for cell in view.locator("td.num, td.nw").all()[:20]:
        assert cell.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"
    _no_sideways_scroll(phone)
    shot(phone, screenshots / "26-phone-document.png")
    open_tab(phone, "평가")
    upload(phone, "#eval-file", [FIXTURES / "questions.jsonl"])
    phone.click("#eval-btn")
    phone.locator("#eval-status .eval-progress").wait_for(timeout=3_000)
    phone.get_by_text("평가를 마쳤습니다").wait_for(timeout=90_000)
    metrics = phone.locator("#eval-metrics").inner_text()
    assert "답 정밀도" in metrics and "답 정확도" in metrics and "answer_accuracy" not in metrics
    _no_sideways_scroll(phone)  # wide tables scroll inside their box
    shot(phone, screenshots / "27-phone-evaluation.png", full_page=True)
    rows = "[...document.querySelectorAll('#eval-questions [role=row]')].slice(1).map(r => r.innerText)"
    failed = [r for r in phone.evaluate(rows) if "실패" in r]
    phone.locator("#eval-only-failed input").check()
    phone.wait_for_function(f"() => {rows}.length === {len(failed)}")
    assert all("실패" in r for r in phone.evaluate(rows))
