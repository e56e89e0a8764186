"""Concrete content of each of the five documents, read through the parser."""

import re

from corpus_paths import DOC


def table_by_title(doc, fragment):
    return next(t for t in doc.tables if fragment in t.title)


def col(table, fragment):
    return next(j for j, c in enumerate(table.columns) if fragment in c.replace(" ", ""))


def row(table, label):
    return next(r for r in table.rows if r[0].text.replace(" ", "") == label or (len(r) > 1 and r[1].text == label))


def test_budget_document(parsed):
    d = parsed["budget"]
    assert d.id == DOC["budget"]
    assert d.title == "서울-지역간 우호교류협약체결 및 운영"
    assert d.doc_type == "budget"
    assert d.department == "대외협력담당관"
    assert {2018, 2019, 2020, 2021, 2022} <= set(d.years)
    assert any(c.name == "정인애" and c.role == "주무관" and c.phone == "2133-6669" for c in d.contacts)
    summary = table_by_title(d, "예산 총괄")
    assert summary.unit == "천원, %"
    total = row(summary, "계")
    assert total[col(summary, "2022예산액")].value == 98450
    assert total[col(summary, "2022예산액")].unit == "천원"
    assert total[col(summary, "증감")].value == -3600
    assert total[col(summary, "*100")].unit == "%"
    results = table_by_title(d, "최근 3년 추진실적")
    r2019 = row(results, "2019년도")
    assert re.search(r"고성.*옥천", r2019[1].text, re.S)
    settlement = table_by_title(d, "결산")
    assert row(settlement, "2020")[col(settlement, "집행액")].value == 97242


def test_press_release(parsed):
    d = parsed["press"]
    assert d.doc_type == "press_release"
    assert d.title == "서울시, 세종·대전과 협력 강화.. 도시 간 지역교류 활성화"
    assert d.date == "2023-04-10"
    assert "대외협력과" in d.department
    assert {c.name for c in d.contacts} >= {"배덕환", "김희영", "이정은"}
    schedule = table_by_title(d, "주요 행사 일정")
    assert schedule.rows[1][0].text == "세종시 MOU (오전)" and schedule.rows[1][0].inherited


def test_balanced_development(parsed):
    d = parsed["balance"]
    assert d.title == "지역균형발전 추진" and d.doc_type == "budget"
    assert d.department == "재정균형발전담당관"  # "재정균형발전담당 관" wrapped in the export
    summary = table_by_title(d, "예산 총괄")
    assert summary.columns[-1] == "(B-A)*100/A"  # the second header row
    assert row(summary, "계")[col(summary, "2021예산액")].value == 13500


def test_performance_report(parsed):
    d = parsed["performance"]
    assert d.doc_type == "performance_report"
    assert d.title.startswith("장애인, 체육, 직능, 사회단체 등과 협치 강화")
    assert d.department == "마을자치과"
    invest = table_by_title(d, "투자수요")
    j = next(j for j, c in enumerate(invest.columns) if "2019년" in c and c.endswith("집행액"))
    assert invest.rows[0][j].value == 134 and invest.rows[0][j].unit == "백만원"
    headings = [s.heading for s in d.sections]
    assert any(h.startswith("【19년 3분기】") for h in headings)
    # a sentence broken across two lines is one block
    assert any("산기슭도로) 추진 관련 독산3·4동" in b.text for b in d.blocks)


def test_meeting_report_space_laid_tables(parsed):
    d = parsed["meeting"]
    assert d.doc_type == "meeting_report"
    assert d.title == "영등포구협치회의 분과회의(9월) 개최 결과 보고"
    projects = table_by_title(d, "사업목록")
    assert projects.columns == ("연번", "구분", "사업명", "사업비(천원)", "주관부서")
    care = next(r for r in projects.rows if r[2].text == "영등포형 돌봄 네트워크 추진")
    assert care[3].value == 150000 and care[3].unit == "천원" and care[4].text == "복지정책과"
    cleanup = next(r for r in projects.rows if r[2].text.startswith("주민과 함께하는 쓰레기"))
    assert cleanup[1].text == "전략사업" and cleanup[1].inherited  # merged category cell
    grid = next(t for t in d.tables if t.layout == "transposed")
    assert grid.columns == ("분과", "협치기반조성", "역량강화", "전략사업")
    when = next(r for r in grid.rows if r[0].text == "일시")
    assert when[2].text == "9. 15.(화) 10:30"
    # a word broken across lines ("변\n\n경된") is repaired
    assert any("변경된 예산과 관련하여" in b.text for b in d.blocks)


def test_offsets_point_at_the_source(parsed):
    """Every block's characters map back to the same characters of the file."""
    for d in parsed.values():
        for b in d.blocks:
            if b.kind == "table":
                continue
            for i, ch in enumerate(b.text):
                if ch.isspace() or ch in "'·":
                    continue
                assert d.text[b.offsets.to_original(i)] == ch, (d.id, b.text[:30], i)
        for t in d.tables:
            for r in (*t.header_rows, *t.rows):
                for c in r:
                    if c.text and not c.inherited:
                        first = next(ch for ch in c.text if not ch.isspace())
                        assert d.text[c.start] == first, (d.id, c.text)
