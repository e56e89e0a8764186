"""Tables laid out with spaces (a PDF's text export, an OCR'd page): header rows, data rows and
units, and amounts normalised to 원.

Three fixtures are report pages rendered to PDF with reportlab and turned into text by
``pdftotext -layout`` (tests/fixtures/layout/make_layout.py; the amounts are invented), one is
typed by hand the way OCR gives a page (letter-spaced labels, a unit at the end of the title)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest import amount_won, find_table
from assistant.ingest.readers import document_from_text

LAYOUT = Path(__file__).resolve().parent / "fixtures" / "layout"


def tables(name: str):
    return document_from_text(name, (LAYOUT / name).read_text(encoding="utf-8")).tables


def test_two_header_rows_under_a_unit_line():
    [t] = tables("budget_report.txt")
    assert t.unit == "억원, %"
    assert t.columns == ("구분", "2024년 / 예산", "2024년 / 집행", "2024년 / 집행률", "2025년 / 예산", "2025년 / 집행", "2025년 / 집행률")
    assert [r[0].text for r in t.rows] == ["청년수당 지급", "성장지원 프로그램", "콜센터·서류검증", "합계"]
    total = t.rows[-1]
    assert [(c.value, c.unit) for c in total[1:4]] == [(1119.0, "억원"), (1080.0, "억원"), (96.5, "%")]
    assert total[1].won == 1119 * 10**8 and total[3].won is None  # a rate is not money


def test_rows_leaving_cells_empty_and_units_by_column():
    [t] = tables("monthly_payments.txt")
    assert t.columns == ("지급월", "지급인원", "지급액", "비고")
    assert [[c.text for c in r] for r in t.rows[:3]] == [
        ["7월", "18,204", "9,102", "1차"], ["8월", "18,011", "9,006", ""], ["9월", "17,870", "8,935", "추가지급 포함"]]
    # "(단위: 명, 백만원)": head counts in 명, amounts in 백만원
    assert (t.rows[0][1].unit, t.rows[0][2].unit) == ("명", "백만원")
    assert t.rows[-1][2].won == 35_894 * 10**6 and t.rows[-1][1].won is None


def test_trillions_and_negative_amounts():
    [t] = tables("national_budget.txt")
    assert t.columns == ("구분", "2024 예산", "2025 예산", "증감", "증감률")
    deficit = t.rows[-1]
    assert deficit[0].text == "관리재정수지" and deficit[1].value == -91.6 and deficit[1].won == pytest.approx(-91.6e12)
    assert deficit[4].text == "-" and deficit[4].value is None
    assert t.rows[0][4].unit == "%"


def test_ocr_page_with_letter_spaced_labels_and_the_unit_after_the_title():
    doc = document_from_text("ocr.txt", (LAYOUT / "ocr_page.txt").read_text(encoding="utf-8"))
    [t] = doc.tables
    assert t.unit == "조원, %" and t.title == "□ 분야별 재원 배분"
    assert t.columns == ("구분", "2024년 / 예산", "2025년 / 예산", "증감", "증감률")
    assert [r[0].text for r in t.rows] == ["보건·복지·고용", "교육", "R&D", "국방"]
    assert t.rows[1][2].value == 96.7 and t.rows[1][2].won == pytest.approx(96.7e12)
    # the table's cells point at their place in the text
    assert doc.text[t.rows[2][0].start : t.rows[2][0].end] == "R&D"
    # the note under it and the next section are not rows
    assert any(b.kind == "list_item" and b.text.startswith("※ 2025년") for b in doc.blocks)


def test_text_that_does_not_line_up_is_not_a_table():
    text = ("□ 추진 경과\n\n"
            "ㅇ 2024. 3.  사업 공고 및 접수   (신청 12,345명)\n"
            "ㅇ 2024. 5.  대상자 선정\n\n"
            "1차 회의는 2024년 6월 12일, 2차 회의는 7월 4일에 열렸다.\n")
    assert document_from_text("p.txt", text).tables == ()
    lines = ["구분      2024년", "합계      1,000"]  # one row of numbers is no table without a unit line
    assert find_table(lines, 0) is None


@pytest.mark.parametrize(
    ("text", "unit", "won"),
    [("3조 2,000억원", None, 3.2e12), ("1억 5천만원", None, 1.5e8), ("98,450천원", None, 98_450_000), ("1,046", "억원", 1.046e11),
     ("금284,149,000원 (금이억팔천사백일십사만구천원)", None, 284_149_000), ("△91.6", "조원", -9.16e13), ("5천만원", None, 5e7),
     ("12", "명", None), ("96.7", "%", None), ("2024", None, None), ("-", "천원", None)],
)
def test_amounts_in_won(text, unit, won):
    got = amount_won(text, unit)
    assert (got is None and won is None) or got == pytest.approx(won)


def test_a_short_heading_with_the_unit_at_its_end():
    text = "□ 예산 현황          (단위: 억원)\n\n구분        2024년      2025년\n사업비       1,200       1,300\n운영비         300         350\n"
    doc = document_from_text("h.txt", text)
    assert [s.heading for s in doc.sections if s.heading] == ["□ 예산 현황"]
    [t] = doc.tables
    assert t.unit == "억원" and t.columns == ("구분", "2024년", "2025년")
    assert t.rows[0][2].won == 1300 * 10**8
