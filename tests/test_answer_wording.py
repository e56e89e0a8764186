"""How composed answers read: labels without outline markers, "what: value" for a table cell,
a list led by the line that counts it, side-by-side answers told apart by their document.

The documents here are made up in the 공문서 and 예산서 forms (none of the five seed documents):
the rules are rules of how Korean administrative answers read, not of one question."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.answer.compose import Composer, _states_count
from assistant.answer.tables import TableMatch
from assistant.lexicon import display_label
from assistant.records import Answer, Cell, Chunk, Citation, Hit, OffsetMap, Table
from assistant.search import analyse


@dataclass
class FakeSources:
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)

    def anchors(self, doc_id: str) -> tuple[tuple[int, str], ...]:
        return ()


def test_display_label_drops_outline_numbers_and_markers_but_keeps_dates_and_tags() -> None:
    assert display_label("2 예산 설명") == "예산 설명"
    assert display_label("Ⅲ. 향후 추진계획") == "향후 추진계획"
    assert display_label("□ 사업 개요") == "사업 개요"
    assert display_label("가. 지원 대상") == "지원 대상"
    assert display_label("【2분기】 - 사업 3개 완료") == "2분기 - 사업 3개 완료"
    assert display_label("[ 유사 정책과의 차별점 ]") == "유사 정책과의 차별점"
    assert display_label("운영비 ○ 위원회 수당") == "운영비, 위원회 수당"
    assert display_label("\U000f02b1 청년수당 존치의 적정성") == "청년수당 존치의 적정성"
    # what is not a marker stays: dates, years, the bracketed tag of a 공문서 title, "10대 과제"
    assert display_label("9. 15.(화)") == "9. 15.(화)"
    assert display_label("2024년 추진 실적") == "2024년 추진 실적"
    assert display_label("[회신] 중복지원 조회 요청") == "[회신] 중복지원 조회 요청"
    assert display_label("10대 과제") == "10대 과제"


def _table_hit(doc_id: str, table: Table, row: int) -> Hit:
    text = " | ".join(f"{c}: {v.text}" for c, v in zip(table.columns, table.rows[row], strict=False))
    chunk = Chunk(7, doc_id, 0, ("2 예산 설명", "□ 예산 총괄"), "table_row", text, 0, len(text), OffsetMap(((0, 0),)), table=table.index, row=row,
                  title="2025년 청년 일자리 사업")
    return Hit(chunk, 1.0, 1)


def _cell(text: str, value: float | None = None, unit: str | None = None) -> Cell:
    return Cell(text, 0, len(text), value, unit)


def _compose_cell(table: Table, cell: tuple[int, int], question: str) -> Answer:
    hit = _table_hit("budget.hwpx", table, cell[0])
    m = TableMatch("budget.hwpx", table, hit, [cell], [cell[0]], "cell", 1.0)
    a = analyse(question)
    return Composer(FakeSources()).table_answer(question, question, a, ["amount"], m, [hit])


def test_a_cell_reads_as_the_rows_thing_then_the_columns_measure() -> None:
    budget = Table(0, 0, "□ 예산 총괄", "천원", ("구분", "2024예산액", "2025예산액"), (),
                   ((_cell("계"), _cell("1,200", 1200, "천원"), _cell("1,500", 1500, "천원")),
                    (_cell("사무관리비"), _cell("700", 700, "천원"), _cell("900", 900, "천원"))), 0, 100)
    answer = _compose_cell(budget, (1, 2), "청년 일자리 사업 2025년 사무관리비는?")
    assert answer.text == "사무관리비 2025예산액: 900천원 [1]"  # no "(□ 예산 총괄 · 사무관리비 · 2025예산액)"
    assert answer.values == ("900천원",)


def test_a_cell_of_a_property_row_reads_as_the_columns_thing_first() -> None:
    # the row names a property (일시, 장소) of the things in the columns (each 분과)
    meetings = Table(1, 0, "분과별 회의 개최", None, ("구분", "청년정책분과", "복지분과"), (),
                     ((_cell("일시"), _cell("3. 12.(수) 14:00"), _cell("3. 13.(목) 10:00")),
                      (_cell("장소"), _cell("본관 3층 회의실"), _cell("서소문 2층"))), 0, 100, layout="transposed")
    answer = _compose_cell(meetings, (0, 2), "복지분과 회의는 언제 열렸어?")
    assert answer.text == "복지분과 일시: 3. 13.(목) 10:00 [1]"


def test_a_list_is_led_by_the_line_that_counts_it() -> None:
    assert _states_count("타 지자체 협약 체결 : 3건", 3)
    assert _states_count("참석 기관 4개", 4) and not _states_count("참석 기관 4개", 3)
    assert not _states_count("협치론장 운영", 2)


def _cited(doc_id: str, title: str, section: tuple[str, ...], text: str, number: int = 1) -> Answer:
    c = Citation(number, doc_id, title, section, text, (0, len(text)), 0, len(text), 1)
    return Answer("q", f"{text} [1]", False, (c,), kind="docnum", values=(text.split(": ")[-1],))


def test_side_by_side_answers_are_told_apart_by_their_document_and_date() -> None:
    sources = FakeSources({"a.hwpx": {"date": "2025-04-29"}, "b.hwpx": {"date": "2025-05-08"}})
    title = "2025년 서울 청년수당 4월분 추가 지급"
    first = _cited("a.hwpx", title, ("문서 정보",), "문서번호: 청년사업담당관-4366")
    second = _cited("b.hwpx", title, ("문서 정보",), "문서번호: 청년사업담당관-4640")
    multi = Composer(sources).side_by_side([first, second])  # type: ignore[arg-type]
    assert multi.kind == "multi"
    assert multi.text.split("\n") == [
        f"{title} (2025. 4. 29.): 문서번호: 청년사업담당관-4366 [1]",
        f"{title} (2025. 5. 8.): 문서번호: 청년사업담당관-4640 [2]",
    ]
    assert [c.number for c in multi.citations] == [1, 2]


def test_side_by_side_rows_of_one_table_need_no_document_label() -> None:
    rows = [_cited("a.hwpx", "2025년 청년 일자리 사업", ("2 예산 설명", "□ 예산 총괄"), f"{x}: {v}") for x, v in (("계", "1,500천원"), ("사무관리비", "900천원"))]
    multi = Composer(FakeSources()).side_by_side(rows)  # type: ignore[arg-type]
    assert multi.text == "계: 1,500천원 [1]\n사무관리비: 900천원 [2]"
    sections = [_cited("a.hwpx", "2025년 청년 일자리 사업", ("1 개요", "□ 추진 배경"), "2월"),
                _cited("a.hwpx", "2025년 청년 일자리 사업", ("3 추진 일정", "□ 선정 절차"), "3월")]
    assert Composer(FakeSources()).side_by_side(sections).text == "추진 배경: 2월 [1]\n선정 절차: 3월 [2]"  # type: ignore[arg-type]


def test_a_label_value_line_reads_as_label_then_value() -> None:
    card = Table(2, 0, "", None, ("", "", ""), (), ((_cell("시행일자"), _cell("2025. 3. 4."), _cell("")),), 0, 30)
    answer = _compose_cell(card, (0, 1), "청년수당 모집 공고 시행일자는?")
    assert answer.text == "시행일자: 2025. 3. 4. [1]"
