"""The lexicon's rules, on sentences written for the test (not taken from the seed documents)."""

from __future__ import annotations

import pytest

from assistant import lexicon as lx
from assistant.ingest.tables import parse_unit_line, parse_value


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("2040년 목표 대비 2030년 실적", (2040, 2030)),  # one range for documents and questions alike
        ("'19년 대비 ’20년", (2019, 2020)),
        ("24년 하반기 계획", (2024,)),
        ("?18.3.2. 개최", (2018,)),  # an export's lost apostrophe
        ("1,2019명 참석", ()),  # a number with a thousands separator is not a year
        ("2019.12.31. 기준", (2019,)),
        ("2101년 계획", ()),  # outside the range
        ("'95년 설립", (1995,)),
    ],
)
def test_years(text, years):
    assert lx.years_in(text) == years


def test_full_date():
    m = lx.FULL_DATE.search("시행 청년정책과-1234 (2025. 3. 7.)")
    assert m and m.groups() == ("2025", "3", "7")


@pytest.mark.parametrize(
    ("cell", "value", "unit"),
    [
        ("1,908,000,000원", 1908000000.0, "원"),
        ("3.5조원", 3.5, "조원"),
        ("△1,200천원", -1200.0, "천원"),
        ("(구비)45,000천원", 45000.0, "천원"),
        ("12명 이내", 12.0, "명"),
        ("청년정책과", None, None),
    ],
)
def test_cell_values(cell, value, unit):
    assert parse_value(cell) == (value, unit)


@pytest.mark.parametrize("line", ["(단위 : 천원, %)", "[단위: 억원]", "<단위: 명>", "(단위:조원)"])
def test_unit_lines(line):
    assert parse_unit_line(line)


def test_money_units_scale():
    assert lx.MONEY_UNITS["억원"] == 1e8 and lx.MONEY_UNITS["천원"] * 1000 == lx.MONEY_UNITS["백만원"]


@pytest.mark.parametrize(
    ("line", "is_item"),
    [("- 청년수당 지급", True), ("○ 추진 배경", True), ("1. 목적", True), ("가. 건명", True), ("(2) 세부내역", True),
     ("① 신청", True), ("2024. 7. 10.", False), ("청년수당 지급", False)],
)
def test_list_marks(line, is_item):
    assert bool(lx.LIST_MARK.match(line)) is is_item


def test_marker_ranks_follow_the_usual_outline():
    r = lx.MARKER_RANK
    assert r["□"] < r["○"] < r["-"] < r["▸"]


def test_display_mark_strips_markers_and_labels():
    assert lx.DISPLAY_MARK.sub("", "○ 청년 지원") == "청년 지원"
    assert lx.LABEL_BEFORE_MARK.sub("", "2025년: ○ 계획") == "○ 계획"


@pytest.mark.parametrize(("entity", "stem"), [("강남구", "강남"), ("대구시", "대구"), ("서울", "서울"), ("중구", "중구")])
def test_entity_stem(entity, stem):
    assert lx.entity_stem(entity) == stem


def test_codes():
    assert lx.is_code("청년사업담당관-381") and not lx.is_code("강남구")
    assert [m.group() for m in lx.CODE.finditer("미래청년기획단-920호와 관련")] == ["미래청년기획단-920"]


def test_persons_next_to_roles():
    from assistant.answer.values import type_spans

    text = "담당 주무관 한서윤, 청년정책팀장 문도현(2133-1111)"
    names = [text[a:b] for a, b in type_spans(text, "who")]
    assert "한서윤" in names


def test_amount_kinds_are_measure_words():
    assert set(lx.AMOUNT_KINDS) <= set(lx.MEASURE_WORDS)
    assert lx.AMOUNT_KIND.search("2030년 집행잔액은?").group() == "2030년 집행잔액".split()[-1]


def test_typed_kinds_match_the_question_cues():
    cues = {k for k, _ in lx.KO_TYPE_CUES} | {"phone"}
    assert lx.TYPED_KINDS <= cues


def test_data_files_load():
    assert lx.kiwi_user_words() and lx.related_words() and lx.glossary()


@pytest.mark.parametrize(
    ("question", "count"),
    [("주요 사업 세 가지는?", 3), ("대상 지역 4곳은?", 4), ("list three programs", 3), ("예산은?", None)],
)
def test_requested_count(question, count):
    from assistant.search import requested_count

    assert requested_count(question) == count


@pytest.mark.parametrize(
    ("question", "kinds"),
    [("정보공개 청구 회신은 몇 호 문서와 관련돼?", ["docnum"]), ("담당자 전화번호는?", ["phone"]),
     ("소득요건은 어느 기관과 협의했어?", ["org"]), ("시행일과 문서번호는?", ["when", "docnum"]),
     ("몇 시에 어디서 모여?", ["when", "where"])],
)
def test_kinds_of_value_a_question_asks_for(question, kinds):
    from assistant.search import question_types

    assert question_types(question, "ko") == kinds  # a cue inside a longer cue of another kind does not count


@pytest.mark.parametrize(
    ("text", "values"),
    [("도시계획과-1234(2025.3.2.)호와 관련", ["도시계획과-1234"]), ("소관: 문화체육관광부 및 서울시설공단", ["문화체육관광부", "서울시설공단"])],
)
def test_document_numbers_and_organisations_are_typed_values(text, values):
    from assistant.answer.values import type_spans

    kind = "docnum" if "-" in values[0] else "org"
    assert [text[a:b] for a, b in type_spans(text, kind)][: len(values)] == values


def test_change_questions_and_particulars():
    from assistant.search import asks_change

    assert asks_change("참여율은 얼마에서 얼마로 늘었어?") and asks_change("접수 기간은 며칠에서 며칠로 바뀌었지?")
    assert not asks_change("부산에서 몇 명 왔어?")
    assert [m.group() for m in lx.PARTICULAR.finditer("3월분 2차 지급, 접수번호 202503170001")] == ["3월분", "2차", "202503170001"]
    md = [m.group() for m in lx.MONTH_DAY.finditer("2025. 3. 17. 또는 3월 18일")]
    assert md == ["2025. 3. 17.", "3월 18일"]


def test_card_labels_cover_the_form_fields():
    assert {"number", "date", "department", "recipients", "attachment", "disclosure", "reference"} <= set(lx.CARD_LABELS)
    assert lx.CARD_LABELS["number"] == "문서번호"
