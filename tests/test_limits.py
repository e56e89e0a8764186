"""What one file may cost: decompression bombs refused before they inflate, one size rule for
every way in, a character and chunk budget reported as a cut, parsing in worker processes
with a time limit, "no text" reported as a skip, terminal colour codes read as text."""

from __future__ import annotations

import pytest
from corpus_paths import CORPUS, DOC

from assistant.eval.reliability import files as F
from assistant.index.folder import SearchIndex
from assistant.index.indexer import Indexer, IndexSettings
from assistant.index.walk import walk_corpus
from assistant.ingest.cleaning import clean_unicode
from assistant.ingest.limits import FileLimits
from assistant.ingest.readers import UnreadableDocument, load_document, read_document

MIB = 1024 * 1024
GOOD = "청년수당 지급 계획\n\n서울시 청년수당 2024년 예산은 1,200억원이다. 담당은 청년사업담당관이다.\n"


@pytest.mark.parametrize("kind", ["docx", "hwpx", "hwp"])
def test_decompression_bombs_are_refused_before_inflating(tmp_path, kind):
    # 8 MiB of XML (or HWP records) from about 30 KB: a ratio no real document has (≤ 25:1)
    write = {"docx": F.write_docx_bomb, "hwpx": F.write_hwpx_bomb, "hwp": F.write_hwp_bomb}[kind]
    path = write(tmp_path / f"bomb.{kind}", 8 * MIB)
    assert path.stat().st_size < MIB
    with pytest.raises(UnreadableDocument, match="decompression bomb"):
        load_document(path)


@pytest.mark.parametrize("kind", ["docx", "hwpx"])
def test_a_part_over_the_size_limit_is_refused_whatever_its_ratio(tmp_path, kind):
    path = (F.write_docx_bomb if kind == "docx" else F.write_hwpx_bomb)(tmp_path / f"big.{kind}", 70 * MIB)
    with pytest.raises(UnreadableDocument, match="inflates to"):
        load_document(path)


def test_small_valid_office_files_still_read(tmp_path):
    paras = ["청년수당 지급 계획", "2024년 예산은 1,200억원이다."]
    for path in (F.write_docx(tmp_path / "a.docx", paras), F.write_hwpx(tmp_path / "a.hwpx", paras), F.write_hwp(tmp_path / "a.hwp", paras)):
        assert "1,200억원" in load_document(path).text


def test_one_file_size_rule_for_the_folder_scan_uploads_and_reading(tmp_path, embedder):
    from assistant.app.library import DocumentLibrary, Library

    limits = FileLimits(max_file_bytes=4096)
    folder = tmp_path / "corpus"
    folder.mkdir()
    big = folder / "big.txt"
    big.write_text("서울시 예산 " * 1000, encoding="utf-8")
    (folder / "small.txt").write_text("서울시 예산", encoding="utf-8")
    skipped: list = []
    found = walk_corpus([folder], limits, skipped)
    assert [f.doc_id for f in found] == ["small.txt"]
    assert [(s.path, s.reason.split(" (")[0]) for s in skipped] == [(str(big), "too large")]
    with pytest.raises(UnreadableDocument, match="too large"):
        read_document(big, limits=limits)
    library = DocumentLibrary(Library((str(folder),), str(tmp_path / "uploads"), str(tmp_path / "cache.sqlite"), IndexSettings(limits=limits)),
                              tmp_path / "idx", embedder)
    summary, refused = library.add([big])
    assert summary is None and [r.reason.split(" (")[0] for r in refused] == ["too large"]
    assert not (tmp_path / "uploads" / "big.txt").exists()


def test_a_text_over_the_character_budget_is_cut_and_reported(tmp_path, embedder, cache_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    text = (CORPUS / DOC["budget"]).read_text(encoding="utf-8")
    (folder / "long.txt").write_text(text * 3, encoding="utf-8")
    limits = FileLimits(max_chars=len(text))
    summary = Indexer(tmp_path / "idx", embedder, cache_path, IndexSettings(limits=limits)).build([folder])
    assert summary.added == ["long.txt"] and len(summary.cut) == 1
    assert summary.cut[0].reason.startswith("cut at ") and f"(of {len(text) * 3:,})" in summary.cut[0].reason
    stored = SearchIndex.load(tmp_path / "idx").store.document_text("long.txt")
    assert 0 < len(stored) <= len(text)


def test_chunks_over_the_budget_are_cut_and_reported(tmp_path, embedder, cache_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "doc.txt").write_text((CORPUS / DOC["budget"]).read_text(encoding="utf-8"), encoding="utf-8")
    summary = Indexer(tmp_path / "idx", embedder, cache_path, IndexSettings(limits=FileLimits(max_chunks=2))).build([folder])
    assert summary.chunks == 2 and len(summary.cut) == 1 and "(2 chunks)" in summary.cut[0].reason


def test_a_file_that_hangs_its_parser_costs_that_file_only(tmp_path, embedder, cache_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    F.slow_pdf(folder / "slow.pdf", 600_000)  # about a minute of pdfminer
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    settings = IndexSettings(limits=FileLimits(parse_seconds=3))
    summary = Indexer(tmp_path / "idx", embedder, cache_path, settings).build([folder])
    assert summary.added == ["good.txt"]
    assert [(s.path, s.reason) for s in summary.skipped] == [(str(folder / "slow.pdf"), "parsing took longer than 3 s: skipped")]
    assert summary.parse_seconds < 30


def test_a_document_without_text_is_a_skip_not_an_empty_document(tmp_path, embedder, cache_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "divs.md").write_text("<div>\n<div>\n<div>\n</div>\n</div>\n</div>\n", encoding="utf-8")
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    summary = Indexer(tmp_path / "idx", embedder, cache_path).build([folder])
    assert summary.added == ["good.txt"] and summary.documents == 1
    assert [(s.path, s.reason) for s in summary.skipped] == [(str(folder / "divs.md"), "no text to index")]


def test_terminal_colour_codes_are_text_not_undecodable(tmp_path):
    path = tmp_path / "log.txt"
    path.write_bytes("\x1b[1;31m경고\x1b[0m: 2024년 청년수당 예산 \x1b[32m1,200억원\x1b[0m 확정\n".encode() * 20)
    doc = load_document(path)
    assert "\x1b" not in doc.text and "[0m" not in doc.text
    assert doc.text.startswith("경고: 2024년 청년수당 예산 1,200억원 확정")


def test_unicode_cleaning():
    dirty = "\x1b[31m빨강\x1b[0m \ud800글자\x00\x07 tab\there\r\n\x1b]0;title\x07끝\u0085"
    clean = clean_unicode(dirty)
    assert clean == "빨강 \ufffd글자 tab\there\r\n끝"
    clean.encode("utf-8")
    assert clean_unicode("보통 글자 2024년") == "보통 글자 2024년"
