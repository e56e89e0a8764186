"""A document's card: its metadata (제목, 문서번호, 시행일, 부서, 수신, 결재, 붙임, 공개구분, 관련 문서
…) as a chunk of "label: value" lines under the names staff ask by, each value anchored where the
document writes it, so that "…의 문서번호는?" is answered like any other labelled value."""

from __future__ import annotations

import re

from ..lexicon import CARD_HEADING, CARD_LABELS, OFFICIAL_KIND_LABELS
from ..records import Chunk, Document, OffsetMap


def _span(text: str, value: str, near: int = 0) -> tuple[int, int] | None:
    """Where ``text`` writes ``value`` (white space may differ: "서 울 특 별 시 장"), from ``near`` first."""
    if not value:
        return None
    pattern = re.compile(r"\s*".join(re.escape(ch) for ch in value.replace(" ", "")))
    m = pattern.search(text, near) or pattern.search(text)
    return m.span() if m else None


def _find(text: str, value: str, near: int = 0) -> int | None:
    span = _span(text, value, near)
    return span[0] if span else None


def _date(iso: str | None) -> str:
    if not iso:
        return ""
    y, m, d = iso.split("-")
    return f"{int(y)}. {int(m)}. {int(d)}."


def card_lines(doc: Document) -> list[tuple[str, str, int | None]]:
    """(label, value, where the document writes the value) of the card, in reading order."""
    lines: list[tuple[str, str, int | None]] = []
    text = doc.text

    def add(key: str, value: str, at: int | None = None) -> None:
        value = " ".join(value.split())
        if value:
            lines.append((CARD_LABELS[key], value, at if at is not None else _find(text, value)))

    add("title", doc.title)
    add("number", doc.number)
    if doc.date:
        at = _find(text, doc.number) if doc.number else None
        written = re.search(r"(?:19|20)\d{2}\s*\.\s*\d{1,2}\s*\.\s*\d{1,2}\s*\.?", text[at:] if at is not None else "")
        add("date", written.group() if written else _date(doc.date), (at + written.start()) if (at is not None and written) else None)
    add("department", doc.department or doc.office)
    if doc.kind:
        lines.append((CARD_LABELS["kind"], OFFICIAL_KIND_LABELS.get(doc.kind, doc.kind), None))
    add("recipients", ", ".join(doc.recipients))
    add("via", ", ".join(doc.via))
    add("sender", doc.sender)
    for role in ("drafter", "reviewer", "approver", "cooperator"):
        signers = [a for a in doc.approvals if a.role == role]
        if signers:
            add(role, ", ".join(f"{a.position} {a.name}".strip() for a in signers), _find(text, signers[0].position))
    for i, att in enumerate(doc.attachments, start=1):
        add("attachment", f"{i}. {att}" if len(doc.attachments) > 1 else att, _find(text, att[:20]))
    add("disclosure", doc.disclosure)
    for ref in doc.references:
        bits = ", ".join(b for b in (ref.title, _date(ref.date)) if b)
        add("reference", f"{ref.number}" + (f" ({bits})" if bits else ""), ref.start)
    return lines


def card_chunk(doc: Document, chunk_id: int) -> Chunk | None:
    """The card of ``doc`` as a chunk (None when it knows nothing beyond the title)."""
    lines = card_lines(doc)
    if len(lines) < 2:
        return None
    parts: list[str] = []
    anchors: list[tuple[int, int]] = []
    sentences: list[tuple[int, int]] = []
    pos = 0
    fallback = doc.sections[0].start if doc.sections else 0
    for label, value, at in lines:
        line = f"{label}: {value}"
        orig = at if at is not None else fallback
        start = pos
        value_start = pos + len(label) + 2
        # the label is synthetic: anchored twice at the value's place, it maps there and no further
        anchors += [(start, orig), (value_start, orig)]
        written = _span(doc.text, value, orig) if at is not None else None
        if written and written[0] == orig and len(value) > 1:  # the value's last letter where the document writes it
            anchors.append((value_start + len(value) - 1, written[1] - 1))
        sentences.append((start, start + len(line)))
        parts.append(line)
        pos += len(line) + 1
    text = "\n".join(parts)
    origins = [a for _, _, a in lines if a is not None] or [fallback]
    return Chunk(chunk_id, doc.id, 0, (CARD_HEADING,), "card", text, min(origins), max(origins) + 1,
                 OffsetMap(tuple(anchors)), tuple(sentences), title=doc.title)
