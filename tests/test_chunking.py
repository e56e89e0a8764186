import itertools

from assistant.ingest.chunking import Chunker, approx_tokens
from assistant.lexicon import CARD_HEADING


def test_chunks_stay_in_sections_and_respect_the_budget(parsed, embedder):
    chunker = Chunker(embedder.count_tokens, max_tokens=120, overlap_tokens=30)
    for doc in parsed.values():
        chunks = chunker.chunk(doc)
        assert chunks and [c.id for c in chunks] == list(range(len(chunks)))
        for c in chunks:
            # the card (the document's metadata) stands under its own heading, outside the sections
            assert c.heading_path == (doc.sections[c.section].path if c.kind != "card" else (CARD_HEADING,))
            assert embedder.count_tokens(c.index_text) <= 140  # budget plus the context line
            a, b = c.offsets.span(0, len(c.text))
            if c.kind == "card":  # its lines come from several places of the document, in the card's order
                a, b = min(a, b), max(a, b)
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


def test_every_chunk_carries_its_title_and_section_path_in_both_indexes(embedder):
    """Lexical and dense indexes both read ``Chunk.index_text``: the document title and the
    section path come first in every chunk, prose, table row and card alike (real Seoul documents)."""
    import pytest
    from corpus_paths import SEOUL

    from assistant.ingest import Chunker, terms
    from assistant.ingest.readers import load_document

    files = sorted(SEOUL.glob("*.hwpx"))[:12] if SEOUL.is_dir() else []
    if not files:
        pytest.skip("../shared/seoul-docs is not there")
    kinds = set()
    for f in files:
        doc = load_document(f)
        for c in Chunker(embedder.count_tokens, 320, 64).chunk(doc):
            kinds.add(c.kind)
            head = c.index_text.split("\n", 1)[0]
            assert doc.title and head.startswith(doc.title), (f.name, c.kind, head)
            assert all(p in head for p in c.heading_path), (f.name, c.kind, head, c.heading_path)
            title_terms = set(terms(doc.title, cache=False))  # Kiwi may cut a word differently in context
            assert len(title_terms & set(terms(c.index_text, cache=False))) >= 0.8 * len(title_terms)
    assert {"text", "table_row", "card"} <= kinds
