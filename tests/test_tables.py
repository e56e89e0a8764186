import pytest

from assistant.tables import GridCell, build_table, column_unit, format_value, parse_unit_line, parse_value


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
