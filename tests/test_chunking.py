import itertools

from assistant.ingest.chunking import Chunker, approx_tokens


def test_chunks_stay_in_sections_and_respect_the_budget(parsed, embedder):
    chunker = Chunker(embedder.count_tokens, max_tokens=120, overlap_tokens=30)
    for doc in parsed.values():
        chunks = chunker.chunk(doc)
        assert chunks and [c.id for c in chunks] == list(range(len(chunks)))
        for c in chunks:
            assert c.heading_path == doc.sections[c.section].path
            assert embedder.count_tokens(c.index_text) <= 140  # budget plus the context line
            a, b = c.offsets.span(0, len(c.text))
            assert 0 <= a < b <= len(doc.text)


def test_table_rows_repeat_their_header(parsed):
    chunks = Chunker(approx_tokens).chunk(parsed["budget"])
    rows = [c for c in chunks if c.kind == "table_row" and "2022예산액" in c.text]
    assert any("구분: 계" in c.text and "2022예산액 (B): 98,450" in c.text for c in rows)
    assert all(c.table is not None and c.row is not None for c in rows)


def test_long_list_cells_are_split_with_the_row_label(parsed):
    chunks = Chunker(approx_tokens, max_tokens=60).chunk(parsed["budget"])
    parts = [c for c in chunks if c.kind == "table_row" and c.text.startswith("2019년도")]
    assert len(parts) >= 2
    assert any("고성" in c.text and "옥천" in c.text for c in parts)


def test_overlap_carries_the_last_sentence(parsed):
    chunks = [c for c in Chunker(approx_tokens, max_tokens=80, overlap_tokens=40).chunk(parsed["press"]) if c.kind == "text"]
    same = [(a, b) for a, b in itertools.pairwise(chunks) if a.section == b.section]
    assert same, "expected a section split into several chunks"
    a, b = same[0]
    last = a.text[a.sentences[-1][0] : a.sentences[-1][1]]
    assert b.text.startswith(last)
