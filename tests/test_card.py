"""A document's card: its metadata as "label: value" lines under the names staff ask by, each
value anchored where the document writes it (an invented 공문서 in tests/fixtures/forms)."""

import re
from pathlib import Path

from assistant.ingest.card import card_chunk, card_lines
from assistant.ingest.chunking import Chunker
from assistant.ingest.readers import document_from_text
from assistant.lexicon import CARD_HEADING, CARD_LABELS

FORMS = Path(__file__).resolve().parent / "fixtures" / "forms"


def reply():
    return document_from_text("reply.txt", (FORMS / "reply.txt").read_text(encoding="utf-8"))


def test_the_card_lists_the_form_under_the_names_staff_ask_by():
    lines = {label: value for label, value, _ in card_lines(reply())}
    assert lines[CARD_LABELS["number"]] == "청년정책과-1234"
    assert lines[CARD_LABELS["date"]].replace(" ", "") == "2025.3.10."
    assert lines[CARD_LABELS["recipients"]] == "가나구청장(복지정책과장)"
    assert lines[CARD_LABELS["disclosure"]] == "부분공개(6)"
    assert lines[CARD_LABELS["cooperator"]] == "예산팀장 최구름"
    assert "복지정책과-4321" in lines[CARD_LABELS["reference"]]


def test_each_value_cites_where_the_document_writes_it():
    d = reply()
    chunk = card_chunk(d, 0)
    assert chunk is not None and chunk.kind == "card" and chunk.heading_path == (CARD_HEADING,)
    for a, b in chunk.sentences:
        line = chunk.text[a:b]
        label, value = line.split(": ", 1)
        start, end = chunk.offsets.span(a + len(label) + 2, b)
        if label in (CARD_LABELS["kind"],):
            continue  # the kind is read from the form, not written in it
        written = "".join(d.text[start:end].split())
        if label == CARD_LABELS["attachment"]:
            value = re.sub(r"^\d+\.\s*", "", value)  # attachments are numbered on the card
        assert written.startswith("".join(value.split())[:4]), (line, d.text[start:end])


def test_chunking_adds_the_card_last():
    chunks = Chunker().chunk(reply())
    assert chunks[-1].kind == "card" and [c.id for c in chunks] == list(range(len(chunks)))
