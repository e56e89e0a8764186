"""Readers for PDF, HWPX, HWP 5 and DOCX against files generated from the sample budget document."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import make_fixtures
import pytest
from sample_content import ITEMS, TITLE, grid, tables

from assistant.ingest.readers.docx import read_docx
from assistant.ingest.readers.hwp import read_hwp
from assistant.ingest.readers.hwpx import read_hwpx
from assistant.ingest.readers.pdf import read_pdf
from assistant.ingest.readers.raw import (
    NO_TEXT_LAYER,
    Cell,
    RawBlock,
    RawDocument,
    UnreadableDocument,
    build_grid,
    title_of,
)

Reader = Callable[[Path], RawDocument]
READERS: dict[str, tuple[Reader, str]] = {
    "pdf": (read_pdf, "sample.pdf"),
    "hwpx": (read_hwpx, "sample.hwpx"),
    "hwp": (read_hwp, "sample.hwp"),
    "docx": (read_docx, "sample.docx"),
}


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_fixtures.make_all(tmp_path_factory.mktemp("formats"))


@pytest.fixture(scope="session")
def docs(files: dict[str, Path]) -> dict[str, RawDocument]:
    return {fmt: reader(files[name]) for fmt, (reader, name) in READERS.items()}


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def norm_grid(rows: tuple[tuple[str, ...], ...] | list[list[str]]) -> list[list[str]]:
    return [[norm(c) for c in r] for r in rows]


def find_table(doc: RawDocument, header_cell: str) -> RawBlock:
    for b in doc.blocks:
        if b.kind == "table" and any(header_cell in norm(c) for c in b.rows[0]):
            return b
    raise AssertionError(f"no table with header {header_cell!r}")


FORMATS = list(READERS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_title_and_headings(docs: dict[str, RawDocument], fmt: str) -> None:
    doc = docs[fmt]
    assert doc.format == fmt
    assert doc.title == TITLE
    first = doc.blocks[0]
    assert (first.kind, first.text, first.level) == ("heading", TITLE, 1)
    got = [(b.text, b.level) for b in doc.blocks if b.kind == "heading"]
    want = [(i.text, i.level) for i in ITEMS if i.kind == "heading"]
    assert got == want


@pytest.mark.parametrize("fmt", FORMATS)
def test_budget_table(docs: dict[str, RawDocument], fmt: str) -> None:
    table = find_table(docs[fmt], "2022예산액")
    header = [norm(c) for c in table.rows[0]]
    col = next(i for i, c in enumerate(header) if c.startswith("2022예산액"))
    total = next(r for r in table.rows if norm(r[0]) == "계")
    assert "98,450" in total[col]
    assert [norm(r[0]) for r in table.rows] == ["구 분", "계", "사무관리비", "시책추진업무추진비"]
    assert "Δ3,600" in total[header.index("증감 (B-A)")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_results_table_2019_row(docs: dict[str, RawDocument], fmt: str) -> None:
    table = find_table(docs[fmt], "추진실적")
    row = next(r for r in table.rows if r[0].startswith("2019"))
    joined = " ".join(row)
    assert "고성" in joined and "옥천" in joined
    assert "고성, 거제, 성주, 구미, 의성, 괴산, 구례, 신안, 부여, 무주, 장수, 옥천" in norm(joined)


@pytest.mark.parametrize("fmt", FORMATS)
def test_all_tables_with_merged_cells(docs: dict[str, RawDocument], fmt: str) -> None:
    got = [norm_grid(b.rows) for b in docs[fmt].blocks if b.kind == "table"]
    want = [norm_grid(grid(t)) for t in tables()]
    assert got == want
    staff = find_table(docs[fmt], "주무관")
    assert staff.rows[1][:3] == ("기획조정실", "대외협력담당관", "최승대 2133-6650")
    assert staff.rows[2][:3] == ("", "", "")  # covered by the vertical merges


@pytest.mark.parametrize("fmt", FORMATS)
def test_paragraph_text(docs: dict[str, RawDocument], fmt: str) -> None:
    got = {norm(b.text) for b in docs[fmt].blocks if b.kind == "paragraph"}
    for item in ITEMS:
        if item.kind == "paragraph":
            assert norm(item.text) in got


def test_pdf_locators_are_pages(docs: dict[str, RawDocument]) -> None:
    doc = docs["pdf"]
    assert not [b for b in doc.blocks if re.fullmatch(r"- \d+ -", b.text)]  # page numbers dropped
    assert all(re.fullmatch(r"p\. \d+", b.locator) for b in doc.blocks)
    assert doc.blocks[0].locator == "p. 1"
    assert find_table(doc, "2022예산액").locator == "p. 2"
    assert find_table(doc, "추진실적").locator == "p. 4"


@pytest.mark.parametrize("fmt", ["hwpx", "hwp", "docx"])
def test_word_processor_locators(docs: dict[str, RawDocument], fmt: str) -> None:
    doc = docs[fmt]
    tables_seen = [b.locator for b in doc.blocks if b.kind == "table"]
    assert tables_seen == [f"표 {i}" for i in range(1, len(tables()) + 1)]
    numbers = [int(b.locator.split()[1]) for b in doc.blocks if b.kind != "table"]
    assert all(b.locator.startswith("문단 ") for b in doc.blocks if b.kind != "table")
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert doc.blocks[0].locator == "문단 1"


def test_docx_inline_content(files: dict[str, Path]) -> None:
    texts = [b.text for b in read_docx(files["extras.docx"]).blocks]
    assert texts == ["첫 문단", "변경 내용 추가됨", "내용 컨트롤 안 글자", "글상자 제목"]


def test_title_helpers() -> None:
    blocks = [RawBlock("paragraph", "본문"), RawBlock("heading", "진짜 제목", 1)]
    assert title_of(blocks, "2022 예산서.hwp") == "진짜 제목"
    assert title_of(blocks, "Microsoft Word - 사업 계획") == "사업 계획"
    assert title_of(blocks, "") == "진짜 제목"
    assert build_grid([Cell(0, 0, "a", 2, 2), Cell(0, 2, "b"), Cell(2, 0, "c")]) == (
        ("a", "", "b"),
        ("", "", ""),
        ("c", "", ""),
    )


def test_hwp_and_hwpx_agree(docs: dict[str, RawDocument]) -> None:
    assert docs["hwp"].blocks == docs["hwpx"].blocks


def test_uncompressed_hwp(files: dict[str, Path], docs: dict[str, RawDocument]) -> None:
    assert read_hwp(files["uncompressed.hwp"]).blocks == docs["hwp"].blocks


@pytest.mark.parametrize(("reader", "name"), [(read_hwpx, "outline.hwpx"), (read_hwp, "outline.hwp")])
def test_outline_styles_are_headings(files: dict[str, Path], reader: Reader, name: str) -> None:
    doc = reader(files[name])
    heads = {b.text: b.level for b in doc.blocks if b.kind == "heading"}
    assert heads["1 기본 현황"] == 1  # style 개요 1
    assert heads["□ 예산 총괄"] == 2  # style 개요 2
    assert heads[TITLE] == 1  # larger type, no style


BAD_FILES = [
    (read_pdf, "encrypted.pdf", "encrypted PDF"),
    (read_pdf, "scanned.pdf", NO_TEXT_LAYER),
    (read_hwpx, "truncated.hwpx", "truncated"),
    (read_hwpx, "damaged.hwpx", "corrupt HWPX"),
    (read_hwpx, "sample.docx", "not an HWPX"),
    (read_docx, "truncated.docx", "truncated"),
    (read_docx, "notzip.docx", "not a zip"),
    (read_docx, "encrypted.docx", "password-protected DOCX"),
    (read_hwp, "password.hwp", "password-protected HWP"),
    (read_hwp, "distribution.hwp", "배포용"),
    (read_hwp, "corrupt.hwp", "corrupt HWP"),
    (read_hwp, "text.hwp", "not an HWP 5 file"),
    (read_hwp, "zip.hwp", "zip archive"),
    (read_hwp, "hwp3.hwp", "HWP 3"),
]


@pytest.mark.parametrize(("reader", "name", "reason"), BAD_FILES, ids=[b[1] for b in BAD_FILES])
def test_unreadable(files: dict[str, Path], reader: Reader, name: str, reason: str) -> None:
    with pytest.raises(UnreadableDocument) as err:
        reader(files[name])
    assert reason in err.value.reason
    if name == "scanned.pdf":
        assert err.value.reason == NO_TEXT_LAYER


def test_committed_pdfs_still_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, docs: dict[str, RawDocument]
) -> None:
    """Without a Korean font the generator falls back to the committed PDFs; they must match
    the sample (refresh them with ``make_fixtures.py OUTDIR --commit`` after editing it)."""
    monkeypatch.setattr(make_fixtures, "korean_font", lambda bold=False: None)
    make_fixtures.make_pdfs(tmp_path)
    doc = read_pdf(tmp_path / "sample.pdf")
    assert doc == docs["pdf"]
    with pytest.raises(UnreadableDocument, match=re.escape(NO_TEXT_LAYER)):
        read_pdf(tmp_path / "scanned.pdf")


def test_empty_file_is_refused(tmp_path: Path) -> None:
    for reader, name in ((read_pdf, "e.pdf"), (read_hwpx, "e.hwpx"), (read_hwp, "e.hwp"), (read_docx, "e.docx")):
        (tmp_path / name).write_bytes(b"")
        with pytest.raises(UnreadableDocument):
            reader(tmp_path / name)


def test_cross_check_with_python_hwpx(files: dict[str, Path], docs: dict[str, RawDocument], tmp_path: Path) -> None:
    """An independent HWP 5 implementation (python-hwpx, Apache-2.0) agrees with ours both ways."""
    hwpx = pytest.importorskip("hwpx", reason="python-hwpx (dev dependency) not installed")
    from hwpx.hwp5.writer import write_hwp5

    # their writer, our reader
    with zipfile.ZipFile(files["sample.hwpx"]) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    (tmp_path / "theirs.hwp").write_bytes(write_hwp5(parts))
    assert read_hwp(tmp_path / "theirs.hwp").blocks == docs["hwpx"].blocks
    # our writer (the generator), their reader
    converted = hwpx.HwpxDocument.open(str(files["sample.hwp"])).to_bytes()
    (tmp_path / "converted.hwpx").write_bytes(converted)
    assert read_hwpx(tmp_path / "converted.hwpx").blocks == docs["hwp"].blocks


def test_text_box_in_hwp_and_hwpx(tmp_path: Path) -> None:
    """A text box (rectangle with hp:drawText / 'gso ' control) keeps its text in both formats."""
    hwpx = pytest.importorskip("hwpx", reason="python-hwpx (dev dependency) not installed")
    doc = hwpx.HwpxDocument.new()
    doc.add_paragraph("본문 첫 문단")
    doc.shapes.add_rectangle(30000, 5000).set_draw_text("상자 안의 제목")
    doc.add_paragraph("본문 둘째 문단")
    doc.save_to_path(str(tmp_path / "box.hwpx"))
    doc.save_to_path(str(tmp_path / "box.hwp"))
    for got in (read_hwpx(tmp_path / "box.hwpx"), read_hwp(tmp_path / "box.hwp")):
        assert [b.text for b in got.blocks] == ["본문 첫 문단", "상자 안의 제목", "본문 둘째 문단"]
