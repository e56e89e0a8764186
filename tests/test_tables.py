import pytest

from assistant.ingest.tables import GridCell, build_table, column_unit, format_value, kv_fields, parse_unit_line, parse_value


@pytest.mark.parametrize(
    "text,value,unit",
    [
        ("(x-) Δ3,600", -3600.0, None),
        ("(x-) 98,450", 98450.0, None),
        ("22%", 22.0, "%"),
        ("98,450천원", 98450.0, "천원"),
        ("1,194백만원", 1194.0, "백만원"),
        ("(시비)98,450천원", 98450.0, "천원"),
        ("5개 사업", 5.0, "개"),
        ("8.5억", 8.5, "억"),
        ("2133-6650", None, None),
        ("2022.01~2022.12", None, None),
        ("고성, 거제", None, None),
    ],
)
def test_parse_value(text, value, unit):
    assert parse_value(text) == (value, unit)


def test_units():
    assert parse_unit_line("(단위 : 천원, %)") == "천원, %"
    assert column_unit("(B-A)*100/A", "천원, %") == "%"
    assert column_unit("사업비(천원)", None) == "천원"
    assert column_unit("2022예산액 (B)", "천원, %") == "천원"
    assert format_value(98450, "천원") == "98,450천원"


def cells(*rows):
    return [[GridCell(t, i * 100 + j * 10, i * 100 + j * 10 + len(t)) for j, t in enumerate(r)] for i, r in enumerate(rows)]


def test_multi_row_header_is_flattened():
    grid = cells(
        ("구 분", "합 계", "", "연차별", "", "", ""),
        ("", "", "", "2018년", "", "2019년", ""),
        ("", "확보액", "집행액", "확보액", "집행액", "확보액", "집행액"),
        ("계", "1,194", "265", "138", "131", "156", "134"),
    )
    t = build_table(grid, 0, 0, "투자", "백만원")
    assert t.layout == "grid" and len(t.header_rows) == 3
    assert t.columns[4] == "연차별 / 2018년 / 집행액"
    assert t.columns[2] == "합 계 / 집행액"
    assert t.rows[0][6].value == 134.0 and t.rows[0][6].unit == "백만원"


def test_key_value_table_and_merged_label():
    grid = cells(("사무관리비", "○ 자문회의", "1,600천원"), ("", "○ 협약식", "8,800천원"))
    t = build_table(grid, 0, 0, "산출근거", None)
    assert t.layout == "keyvalue"
    assert t.rows[1][0].text == "사무관리비" and t.rows[1][0].inherited


@pytest.mark.parametrize(
    "row,fields",
    [
        # pairs side by side (소통행정-3's 사업개요)
        (("총사업비", "1,194백만원", "사업유형", "계속/자체/운영", "추진부서", "마을자치과"), [(0, 1), (2, 3), (4, 5)]),
        # self-labelled cells stand alone
        (("작성 자", "마을자치과장 : 유인현 (1040)", "팀장 : 이태순 (2201)"), [(None, 0), (None, 1), (None, 2)]),
        # a label over an empty cell, then a pair
        (("중앙정부", "", "서울시", "서울민주주의위원회 민관협치담당관"), [(0, None), (2, 3)]),
        # a value that names its source ("(시비)98,450천원") is not the value of the label before it
        (("사업비 (당해년도)", "98,450천원", "(국비)", "(시비)98,450천원"), [(0, 1), (None, 2), (None, 3)]),
        # a role with its holder, then the holder's number
        (("담당부서 : 행정국 대외협력과", "대외협력과장", "배덕환", "2133-6650"), [(None, 0), (1, 2), (None, 3)]),
        # a numbered value is never a label
        (("2019년도", "○ 타 지자체 우호교류협약 체결 : 12건"), [(0, 1)]),
    ],
)
def test_key_value_fields(row, fields):
    t = build_table(cells(row), 0, 0, "", None, layout="keyvalue")
    assert kv_fields(t.rows[0]) == fields
