"""The corpus rendered as PDF, HWPX, HWP and DOCX (eval/formats/corpus): read, indexed, asked.

The renderings are committed (``python eval/formats/render_corpus.py`` writes them), so
these tests need no Korean font. Indexes reuse the session embedder and cache.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import make_fixtures
import pytest
from corpus_paths import CORPUS, DOC, ROOT
from test_parse_corpus import col, row, table_by_title

from assistant.index.folder import SearchIndex
from assistant.index.indexer import Indexer
from assistant.ingest.parse import parse_text
from assistant.ingest.readers import load_document, render_blocks
from assistant.ingest.readers.raw import NO_TEXT_LAYER, RawBlock, RawDocument
from assistant.ingest.tables import GridCell, build_table

RENDERED = ROOT / "eval" / "formats" / "corpus"
FORMATS = ("pdf", "hwpx", "hwp", "docx")
#: The mixed folder: one document per format.
MIXED = {"budget": "pdf", "press": "hwpx", "balance": "docx", "performance": "hwp", "meeting": "txt"}
LOCATOR = {"pdf": r"^p\. \d+$", "hwpx": r"^(문단|표) \d+$", "hwp": r"^(문단|표) \d+$", "docx": r"^(문단|표) \d+$"}


def rendered(name: str, fmt: str) -> Path:
    stem = Path(DOC[name]).stem
    return CORPUS / DOC[name] if fmt == "txt" else RENDERED / fmt / f"{stem}.{fmt}"


def doc_id(name: str, fmt: str) -> str:
    return rendered(name, fmt).name


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize("fmt", FORMATS)
def test_renderings_read_like_the_text_exports(parsed, fmt):
    for name in DOC:
        want = parsed[name]
        got = load_document(rendered(name, fmt))
        assert got.format == fmt
        assert (got.title, got.doc_type, got.department, got.date) == (want.title, want.doc_type, want.department, want.date)
        assert {c.name for c in got.contacts} == {c.name for c in want.contacts}
        # the renderings add one table: 004's 진행순서, which the export had flattened into lines
        assert len(got.tables) == len(want.tables) + (name == "meeting")
        assert all(re.match(LOCATOR[fmt], label) for _, label in got.anchors)


@pytest.mark.parametrize("fmt", FORMATS)
def test_table_values_from_the_renderings(fmt):
    budget = load_document(rendered("budget", fmt))
    summary = table_by_title(budget, "예산 총괄")
    assert summary.unit == "천원, %"
    total = row(summary, "계")
    assert (total[col(summary, "2022예산액")].value, total[col(summary, "2022예산액")].unit) == (98450, "천원")
    assert total[col(summary, "증감")].value == -3600
    r2019 = row(table_by_title(budget, "최근 3년 추진실적"), "2019년도")
    assert re.search(r"고성.*옥천", r2019[1].text, re.S)
    assert "\n- 고성" in r2019[1].text  # the cell's list lines survive
    balance = load_document(rendered("balance", fmt))
    assert table_by_title(balance, "예산 총괄").columns[-1] == "(B-A)*100/A"  # the second header row
    meeting = load_document(rendered("meeting", fmt))
    projects = table_by_title(meeting, "사업목록")
    assert projects.columns == ("연번", "구분", "사업명", "사업비(천원)", "주관부서")
    cleanup = next(r for r in projects.rows if r[2].text.startswith("주민과 함께하는 쓰레기"))
    assert cleanup[1].text == "전략사업"  # the merged category cell covers this row
    sessions = next(t for t in meeting.tables if t.layout == "transposed")
    assert sessions.columns == ("분과", "협치기반조성", "역량강화", "전략사업")
    invest = table_by_title(load_document(rendered("performance", fmt)), "투자수요")
    j = next(j for j, c in enumerate(invest.columns) if "2019년" in c and c.endswith("집행액"))
    assert invest.rows[0][j].value == 134 and invest.rows[0][j].unit == "백만원"


# --------------------------------------------------------------------------- indexes


@pytest.fixture(scope="module")
def mixed_index(embedder, workdir, cache_path) -> Path:
    """000 as PDF, 001 as HWPX, 002 as DOCX, 003 as HWP and 004 as text, in one folder."""
    folder = workdir / "mixed-formats"
    folder.mkdir()
    for name, fmt in MIXED.items():
        shutil.copy(rendered(name, fmt), folder)
    path = workdir / "index-mixed-formats"
    summary = Indexer(path, embedder, cache_path).build([folder])
    assert not summary.skipped and summary.documents == 5
    return path


@pytest.fixture(scope="module")
def formats_index(embedder, workdir, cache_path) -> Path:
    """000, 001 and 004 in each of the four formats (twelve documents)."""
    folder = workdir / "all-formats"
    folder.mkdir()
    for fmt in FORMATS:
        for name in ("budget", "press", "meeting"):
            shutil.copy(rendered(name, fmt), folder)
    path = workdir / "index-all-formats"
    summary = Indexer(path, embedder, cache_path).build([folder])
    assert not summary.skipped and summary.documents == 12
    return path


def test_mixed_folder_documents(mixed_index, parsed):
    docs = {d["id"]: d for d in SearchIndex.load(mixed_index).store.documents()}
    assert set(docs) == {doc_id(name, fmt) for name, fmt in MIXED.items()}
    for name, fmt in MIXED.items():
        d = docs[doc_id(name, fmt)]
        assert (d["title"], d["doc_type"], d["format"]) == (parsed[name].title, parsed[name].doc_type, "text" if fmt == "txt" else fmt)
        assert d["n_chunks"] > 0
    assert docs[doc_id("balance", "docx")]["department"] == "재정균형발전담당관"
    assert docs[doc_id("performance", "hwp")]["department"] == "마을자치과"


@pytest.mark.parametrize("fmt", FORMATS)
def test_sqlite_table_values_per_format(formats_index, fmt):
    store = SearchIndex.load(formats_index).store
    budget = doc_id("budget", fmt)
    rows = store.query(
        "SELECT c.value, c.unit FROM cells c JOIN table_rows r USING (doc_id, table_idx, row_idx) "
        "WHERE c.doc_id=? AND replace(c.column_label,' ','') LIKE '%2022예산액%' AND r.label='계'",
        (budget,),
    )
    assert [(r["value"], r["unit"]) for r in rows] == [(98450.0, "천원")]
    delta = store.query("SELECT value FROM cells WHERE doc_id=? AND column_label LIKE '증감%' AND row_idx=0", (budget,))
    assert delta[0]["value"] == -3600
    done = store.query("SELECT text FROM cells WHERE doc_id=? AND row_idx=0 AND col_idx=1 AND text LIKE '%고성%옥천%'", (budget,))
    assert done
    care = store.query(
        "SELECT c2.value, c3.text FROM cells c1 JOIN cells c2 USING (doc_id, table_idx, row_idx) JOIN cells c3 USING (doc_id, table_idx, row_idx) "
        "WHERE c1.doc_id=? AND c1.text='영등포형 돌봄 네트워크 추진' AND c2.column_label='사업비(천원)' AND c3.column_label='주관부서'",
        (doc_id("meeting", fmt),),
    )
    assert [(r[0], r[1]) for r in care] == [(150000.0, "복지정책과")]
    press = next(d for d in store.documents() if d["id"] == doc_id("press", fmt))
    assert press["title"] == "서울시, 세종·대전과 협력 강화.. 도시 간 지역교류 활성화"
    assert press["date"] == "2023-04-10" and "대외협력과" in press["department"] and press["doc_type"] == "press_release"


@pytest.mark.parametrize(
    ("question", "name", "answer"),
    [
        ("서울-지역간 우호교류협약 사업의 2022년 예산액은?", "budget", "98,450"),
        ("세종시장 환담 장소는?", "press", "세종시청 5층 접견실"),
        ("지역균형발전 추진 사업의 2021년 예산액은?", "balance", "13,500"),
        ("소통행정-3 사업의 이행률은?", "performance", "22%"),
    ],
)
def test_answer_cites_the_rendered_file_with_its_locator(mixed_index, embedder, question, name, answer):
    from assistant.answer import Answerer

    a = Answerer(mixed_index, embedder).ask(question)
    assert not a.abstained and answer in a.text
    first = a.citations[0]
    fmt = MIXED[name]
    assert first.doc_id == doc_id(name, fmt)
    assert re.match(LOCATOR[fmt], first.locator), first.locator
    # the locator is the one of the cited text's position in the rendered document
    store = SearchIndex.load(mixed_index).store
    assert first.locator == store.document(first.doc_id).locate(first.start)


def test_bad_files_are_skipped_with_a_reason(embedder, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    for name, fmt in (("balance", "docx"), ("press", "hwpx"), ("meeting", "txt")):
        shutil.copy(rendered(name, fmt), folder)
    make_fixtures.write_encrypted_pdf(rendered("budget", "pdf"), folder / "encrypted.pdf")
    make_fixtures.write_scanned_pdf(folder / "scanned.pdf")
    for fmt in ("hwpx", "docx"):
        data = rendered("budget", fmt).read_bytes()
        (folder / f"truncated.{fmt}").write_bytes(data[: len(data) * 2 // 3])
    streams = make_fixtures.hwp_streams(flags=make_fixtures.FLAG_COMPRESSED | make_fixtures.FLAG_PASSWORD)
    (folder / "password.hwp").write_bytes(make_fixtures.build_cfb(streams))
    (folder / "memo.hwp").write_text("이 파일은 한글 문서가 아니라 텍스트 파일입니다.\n", encoding="utf-8")

    summary = Indexer(tmp_path / "idx", embedder, tmp_path / "cache.sqlite").build([folder])
    reasons = {Path(s.path).name: s.reason for s in summary.skipped}
    assert reasons == {
        "encrypted.pdf": "encrypted PDF: a password is required to open it",
        "scanned.pdf": NO_TEXT_LAYER,
        "truncated.hwpx": reasons["truncated.hwpx"],
        "truncated.docx": reasons["truncated.docx"],
        "password.hwp": "password-protected HWP (암호가 설정된 문서)",
        "memo.hwp": "not an HWP 5 file: no OLE compound-file signature (text or other data?)",
    }
    assert reasons["truncated.hwpx"].startswith("corrupt or truncated HWPX (zip)")
    assert reasons["truncated.docx"].startswith("corrupt or truncated DOCX (zip)")
    assert NO_TEXT_LAYER == "no text layer; OCR not available"
    docs = {d["id"] for d in SearchIndex.load(tmp_path / "idx").store.documents()}
    assert docs == {doc_id("balance", "docx"), doc_id("press", "hwpx"), doc_id("meeting", "txt")}
    assert summary.documents == 3


# --------------------------------------------------------------------------- rendering rules


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory) -> dict[str, Path]:
    return make_fixtures.make_all(tmp_path_factory.mktemp("spans"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_readers_report_merged_cells(sample_files, fmt):
    from sample_content import ITEMS

    from assistant.ingest.readers.docx import read_docx
    from assistant.ingest.readers.hwp import read_hwp
    from assistant.ingest.readers.hwpx import read_hwpx
    from assistant.ingest.readers.pdf import read_pdf

    reader = {"pdf": read_pdf, "hwpx": read_hwpx, "hwp": read_hwp, "docx": read_docx}[fmt]
    want = [
        tuple(
            sorted(
                (r, c, t.row_span, t.col_span)
                for r, row in enumerate(it.rows)
                for c, t in enumerate(row)
                if t and (t.row_span > 1 or t.col_span > 1)
            )
        )
        for it in ITEMS
        if it.kind == "table"
    ]
    got = [b.spans for b in reader(sample_files[f"sample.{fmt}"]).blocks if b.kind == "table"]
    assert got == want and any(want)


def _parse(raw: RawDocument):
    text, _, starts = render_blocks(raw)
    return text, parse_text(text, None, starts)


def test_cell_lines_merged_labels_and_repeated_headers():
    header = ("구분", "사업명", "비고")
    first = RawBlock("table", rows=(header, ("전략사업", "돌봄", "○ 가\n- 나\n다")), locator="p. 1", spans=((1, 0, 3, 1),))
    second = RawBlock("table", rows=(header, ("", "쓰레기", "")), locator="p. 2")
    inner = RawBlock(
        "table", rows=(("구분", "분류", "사업명"), ("1", "일반사업", "가"), ("2", "", "나")), locator="p. 3", spans=((1, 1, 2, 1),)
    )
    text, parsed = _parse(RawDocument((first, second, RawBlock("paragraph", "본문", locator="p. 3"), inner), format="pdf"))
    assert text.count("구분\t사업명") == 1  # the header repeated on page 2 is dropped
    merged, other = parsed.tables
    assert [[c.text for c in r] for r in merged.rows] == [["전략사업", "돌봄", "○ 가\n- 나 다"], ["전략사업", "쓰레기", ""]]
    assert [r[1].text for r in other.rows] == ["일반사업", "일반사업"]  # a merged label is repeated below


def test_paragraph_starts_keep_source_paragraphs_apart():
    blocks = (
        RawBlock("paragraph", "주요내용", locator="문단 1"),
        RawBlock("paragraph", "- 기타 민관협치 활성화를 위한 의견 수렴", locator="문단 2"),
        RawBlock("paragraph", "화상회의 프로그램: 구글 미트", locator="문단 3"),
        RawBlock("paragraph", "- 타 자치단체와의 협약 체결이 전국적으로 확대됨에 따라, 소통·협력의 장\n마련", locator="문단 4"),
        RawBlock("paragraph", "- 다음 항목", locator="문단 5"),
    )
    _, parsed = _parse(RawDocument(blocks, format="hwpx"))
    texts = [b.text for b in parsed.blocks if b.kind != "heading"]
    assert texts == [
        "- 기타 민관협치 활성화를 위한 의견 수렴",
        "화상회의 프로그램: 구글 미트",
        "- 타 자치단체와의 협약 체결이 전국적으로 확대됨에 따라, 소통·협력의 장 마련",
        "- 다음 항목",
    ]


def test_pdf_paragraph_continued_on_the_next_page():
    blocks = (
        RawBlock("paragraph", "- 서울시는 자체 디자인정책 및 추진사업을 소개하고 이를 바탕으로", locator="p. 1"),
        RawBlock("paragraph", "세종시가 벤치마킹할 수 있도록 정책 지원에 나선다.", locator="p. 2"),
        RawBlock("paragraph", "새 문단입니다.", locator="p. 2"),
    )
    _, parsed = _parse(RawDocument(blocks, format="pdf"))
    assert [b.text for b in parsed.blocks] == [
        "- 서울시는 자체 디자인정책 및 추진사업을 소개하고 이를 바탕으로 세종시가 벤치마킹할 수 있도록 정책 지원에 나선다.",
        "새 문단입니다.",
    ]


def test_sideways_table_is_transposed():
    def grid(rows):
        return [[GridCell(t, 0, len(t)) for t in r] for r in rows]

    sideways = build_table(
        grid([["분과", "기반조성", "전략사업"], ["일시", "9. 14.(월)", "9. 15.(화)"], ["장소", "회의실", "카페"]]), 0, 0, "", None
    )
    assert sideways.layout == "transposed"
    plain = build_table(grid([["구분", "시간", "장소"], ["도착", "10:55", "시청"], ["환담", "11:00", "접견실"]]), 0, 0, "", None)
    assert plain.layout == "grid"


# --------------------------------------------------------------------------- regeneration


def test_regenerating_reads_like_the_committed_files(tmp_path):
    """The committed renderings are what the generator writes now (compared as read, since
    other library versions may lay out the bytes differently). PDF only with the fonts."""
    sys.path.insert(0, str(ROOT / "eval" / "formats"))
    import render_corpus

    fonts = make_fixtures.korean_font() and make_fixtures.korean_font(bold=True) and render_corpus._dejavu()
    formats = [f for f in FORMATS if f != "pdf" or fonts]
    for path in render_corpus.render(tmp_path, formats):
        committed = RENDERED / path.parent.name / path.name
        assert load_document(path).text == load_document(committed).text, f"{path.name}: run python eval/formats/render_corpus.py"
