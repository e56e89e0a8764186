"""The HWPX reader reads what a person sees on a 공문서: the head table and the text after it in
their order, a frame (a one-column table) around the 발신명의 and the 결재 table, page headers and
footers, footnotes and a table's caption (its unit line). The package is written by hand here;
the names and offices are invented."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import make_fixtures as mf

from assistant.ingest.readers import load_document, render_blocks
from assistant.ingest.readers.hwpx import read_hwpx


def _p(*runs: str) -> str:
    return f'<hp:p paraPrIDRef="0" styleIDRef="0">{"".join(runs)}</hp:p>'


def _t(text: str) -> str:
    return f'<hp:run charPrIDRef="0"><hp:t>{escape(text)}</hp:t></hp:run>'


def _tbl(rows: list[list[str]], caption: str = "") -> str:
    """A table whose cells hold paragraphs (already written XML, or plain text)."""
    cap = f'<hp:caption side="TOP"><hp:subList>{_p(_t(caption))}</hp:subList></hp:caption>' if caption else ""
    out = [f'<hp:tbl rowCnt="{len(rows)}" colCnt="{max(len(r) for r in rows)}">{cap}']
    for r, row in enumerate(rows):
        out.append("<hp:tr>")
        for c, cell in enumerate(row):
            body = cell if cell.startswith("<hp:") else _p(_t(cell))
            out.append(f'<hp:tc><hp:subList>{body}</hp:subList><hp:cellAddr colAddr="{c}" rowAddr="{r}"/>'
                       '<hp:cellSpan colSpan="1" rowSpan="1"/></hp:tc>')
        out.append("</hp:tr>")
    out.append("</hp:tbl>")
    return "".join(out)


def _run(xml: str) -> str:
    return f'<hp:run charPrIDRef="0">{xml}</hp:run>'


def _ctrl(tag: str, text: str) -> str:
    return _run(f'<hp:ctrl><hp:{tag} id="1"><hp:subList>{_p(_t(text))}</hp:subList></hp:{tag}></hp:ctrl>')


def write(path: Path, body: str) -> Path:
    parts = mf.hwpx_parts()
    parts["Contents/section0.xml"] = f"{mf.XML_DECL}<hs:sec {mf.NS}>{body}</hs:sec>".encode()
    mf.zip_parts(parts, path)
    return path


HEAD = _tbl([["수신", "내부결재"], ["(경유)", ""], ["제목", "2025년 활동수당 4월분 지급"]])
APPROVALS = _tbl([
    ["주무관", "김하늘", "청년지원팀장", "박보람", "청년정책과장", "04/25"],
    ["", "", "", "", "", "이바다"],
    ["시행", "청년정책과-2456", "(", "2025. 4. 25.", ")", "접수"],
    ["전화", "02-2133-0000", "/", "sky@seoul.go.kr", "/", "부분공개(6)"],
])
FRAME = _tbl([[_p(_t("서 울 특 별 시 장")) + _p(_run(APPROVALS))]])  # one cell: the sender and the 결재 table
BODY = (
    _p(_ctrl("header", "가나다 청년 활동수당 운영"), _run(HEAD), _t("1. 청년정책과-2001(2025.3.20.)호와 관련하여 아래와 같이 지급하고자 합니다."))
    + _p(_t("2. 지급대상 : ***명"), _ctrl("footNote", "지급대상은 4월 말일 기준 참여자임"))
    + _p(_run(_tbl([["구분", "지급액"], ["활동수당", "15,000"]], caption="(단위 : 천원)")))
    + _p(_t("붙임 지급 명단 1부. 끝."), _ctrl("footer", "가나다 청년 활동수당 운영"))
    + _p(_run(FRAME))
)


def test_hwpx_reads_what_the_page_shows(tmp_path):
    raw = read_hwpx(write(tmp_path / "form.hwpx", BODY))
    kinds = [(b.kind, b.text or b.rows[0][0]) for b in raw.blocks]
    texts = [b.text for b in raw.blocks if b.kind != "table"]
    # the header's text once (the footer repeating it is not read twice)
    assert texts[0] == "가나다 청년 활동수당 운영" and texts.count("가나다 청년 활동수당 운영") == 1
    # the head table comes before the sentence typed after it in the same paragraph
    head = next(i for i, (k, t) in enumerate(kinds) if k == "table" and t == "수신")
    first = next(i for i, t in enumerate(kinds) if t[1].startswith("1. 청년정책과-2001"))
    assert head < first
    # a footnote is read after the paragraph that refers to it
    assert texts[texts.index("2. 지급대상 : ***명") + 1] == "지급대상은 4월 말일 기준 참여자임"
    # the caption, the table's unit line, is read before its table
    unit = texts.index("(단위 : 천원)")
    assert raw.blocks[[b.text for b in raw.blocks].index("(단위 : 천원)") + 1].rows[0] == ("구분", "지급액")
    assert unit > 0
    # the frame's content: the 발신명의 as a paragraph, the 결재 table as a table of its own (not one flattened cell)
    assert "서 울 특 별 시 장" in texts
    approvals = next(b for b in raw.blocks if b.kind == "table" and b.rows[0][0] == "주무관")
    assert approvals.rows[2][:2] == ("시행", "청년정책과-2456")


def test_hwpx_form_metadata(tmp_path):
    d = load_document(write(tmp_path / "form.hwpx", BODY))
    assert (d.title, d.number, d.date, d.kind) == ("2025년 활동수당 4월분 지급", "청년정책과-2456", "2025-04-25", "payment")
    assert [(a.role, a.position, a.name) for a in d.approvals] == [
        ("drafter", "주무관", "김하늘"), ("reviewer", "청년지원팀장", "박보람"), ("approver", "청년정책과장", "이바다")]
    assert d.sender == "서울특별시장" and d.disclosure == "부분공개(6)"
    assert [r.key for r in d.references] == ["청년정책과-2001"]
    table = next(t for t in d.tables if t.columns == ("구분", "지급액"))
    assert table.unit == "천원" and table.rows[0][1].won == 15_000_000


def test_render_keeps_the_order(tmp_path):
    text = render_blocks(read_hwpx(write(tmp_path / "form.hwpx", BODY)))[0]
    assert text.index("제목\t2025년 활동수당 4월분 지급") < text.index("1. 청년정책과-2001")
