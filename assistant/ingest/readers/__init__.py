"""Read a file into a :class:`~assistant.records.Document`.

Text exports (``.txt``, ``.md``) are parsed directly. Office formats (``.pdf``, ``.hwpx``,
``.hwp``, ``.docx``) are read into format-neutral blocks, rendered to a text with the same
conventions as the exports (markdown headings, tab-separated tables) and parsed by the
same parser, so tables, chunks and citations work the same; page or paragraph positions
are kept as anchors.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...lexicon import LIST_MARK, masked_spans
from ...records import Contact, Document
from ..cleaning import clean_unicode
from ..form import official_kind, read_form, references
from ..limits import FileLimits
from ..metadata import classify, contacts_and_department, find_title_line, first_date, years
from ..parse import MAX_TITLE_CHARS, parse_text
from ..tables import parse_value
from .raw import RawBlock, RawDocument, UnreadableDocument
from .text import decode_text

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md")
OFFICE_SUFFIXES = (".pdf", ".hwpx", ".hwp", ".docx")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + OFFICE_SUFFIXES

__all__ = ["SUPPORTED_SUFFIXES", "ReadResult", "UnreadableDocument", "document_from_text", "file_sha256", "load_document", "read_document"]


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _office_reader(suffix: str) -> Callable[[Path], RawDocument]:
    try:
        if suffix == ".pdf":
            from .pdf import read_pdf as reader
        elif suffix == ".hwpx":
            from .hwpx import read_hwpx as reader
        elif suffix == ".hwp":
            from .hwp import read_hwp as reader
        else:
            from .docx import read_docx as reader
    except ImportError as exc:
        raise UnreadableDocument(f"no reader for {suffix} files is installed ({exc.name}): pip install 'assistant[formats]'") from exc
    return reader


def render_blocks(raw: RawDocument) -> tuple[str, tuple[tuple[int, str], ...], frozenset[int]]:
    """Render office blocks as a text export: the text, its locator anchors and the offsets
    where the document's paragraphs start (lines between them are wrapped lines).

    Tables become tab-separated lines. Inside a cell, a line that starts a list item
    (``○``, ``-``, ``1.`` …) stays a line of its own (written ``<li>`` as in the exports) and
    other lines are joined by a space. A label merged down over rows (not in the first row
    or column, and not a number) is repeated in the rows it covers, as the parser repeats
    the labels of the first column. A PDF table continued on the next page loses the
    header rows it repeats there; a PDF paragraph continued on the next page is not a new
    paragraph unless the one before it ended a sentence.
    """
    parts: list[str] = []
    anchors: list[tuple[int, str]] = []
    starts: list[int] = []
    pos = 0
    prev: RawBlock | None = None
    prev_rows: list[list[str]] = []
    for block in raw.blocks:
        if block.kind == "heading":
            text = "#" * max(1, min(block.level, 6)) + " " + " ".join(block.text.split())
        elif block.kind == "table":
            rows = _table_rows(block)
            if raw.format == "pdf" and prev is not None and prev.kind == "table" and prev.locator != block.locator:
                repeated = 0
                while repeated < min(len(rows) - 1, len(prev_rows)) and rows[repeated] == prev_rows[repeated]:
                    repeated += 1
                rows = rows[repeated:]
            prev_rows = rows
            text = "\n".join("\t".join(row) for row in rows)
        else:
            text = "\n".join(line.strip() for line in block.text.strip().split("\n"))
        if not text.strip():
            continue
        if not _continued(raw.format, prev, block):
            starts.append(pos)
        if block.locator and (not anchors or anchors[-1][1] != block.locator):
            anchors.append((pos, block.locator))
        parts.append(text)
        pos += len(text) + 2
        prev = block
    return "\n\n".join(parts), tuple(anchors), frozenset(starts)


def _continued(fmt: str, prev: RawBlock | None, block: RawBlock) -> bool:
    """A PDF paragraph that goes on from the previous page (the PDF reader splits at pages)."""
    return (
        fmt == "pdf"
        and prev is not None
        and prev.kind == block.kind == "paragraph"
        and prev.locator != block.locator
        and not prev.text.rstrip().endswith((".", "!", "?", "다", "함", "음", "됨", "임", ")"))
    )


def _cell_text(cell: str) -> str:
    lines = [" ".join(line.split()) for line in cell.split("\n") if line.strip()]
    out: list[str] = []
    for line in lines:
        if out and not LIST_MARK.match(line):
            out[-1] += " " + line
        else:
            out.append(line)
    return "<li>".join(out)


def _table_rows(block: RawBlock) -> list[list[str]]:
    rows = [[_cell_text(c) for c in row] for row in block.rows]
    for r, c, row_span, _ in block.spans:
        label = rows[r][c]
        if r >= 1 and c >= 1 and row_span > 1 and label and parse_value(label)[0] is None:
            for k in range(r + 1, min(r + row_span, len(rows))):
                rows[k][c] = rows[k][c] or label
    return rows


def document_from_text(
    doc_id: str,
    text: str,
    *,
    path: str = "",
    sha256: str = "",
    encoding: str = "utf-8",
    anchors: tuple[tuple[int, str], ...] = (),
    fmt: str = "text",
    title_hint: str = "",
    paragraph_starts: frozenset[int] | None = None,
) -> Document:
    """Parse decoded text into a :class:`Document`.

    A document written on the 공문서 form takes its title, number, date (시행일), department
    (처리과, under the office above it when the document names that office) and the rest of the
    form's fields from the form; other documents from their first heading and first date.
    """
    if not text.strip():
        raise UnreadableDocument("no text in the document")
    form = read_form(text)
    title_line, title = find_title_line(text)
    if form is not None and form.title:
        title_line, title = None, form.title
    parsed = parse_text(text, title_line, paragraph_starts)
    contacts, department = contacts_and_department(parsed, text)
    title = title or title_hint or doc_id
    if len(title) > MAX_TITLE_CHARS:  # the first line of a one-line text
        title = title[:MAX_TITLE_CHARS].rstrip() + "…"
    if form is not None:
        doc_type, kind = "official", official_kind(title, text)
        department = f"{form.parent} {form.office}" if form.parent and form.office else form.office or department
        # the people of a 공문서 are its signers; the 전화 field is the drafter's
        contacts = tuple(
            Contact(a.position, a.name, form.phone if a.role == "drafter" else "", form.office)
            for a in form.approvals if a.role != "cooperator" and a.name
        )
    else:
        doc_type, kind = classify(text, title), ""
    return Document(
        id=doc_id,
        title=title,
        doc_type=doc_type,
        years=years(text),
        department=department,
        contacts=contacts,
        date=(form.date if form is not None else None) or first_date(text),
        path=path,
        sha256=sha256 or file_sha256(text.encode("utf-8")),
        encoding=encoding,
        text=text,
        sections=tuple(parsed.sections),
        blocks=tuple(parsed.blocks),
        tables=tuple(parsed.tables),
        anchors=anchors,
        format=fmt,
        number=form.number if form is not None else "",
        office=form.office if form is not None else "",
        kind=kind,
        recipients=form.recipients if form is not None else (),
        via=form.via if form is not None else (),
        sender=form.sender if form is not None else "",
        approvals=form.approvals if form is not None else (),
        attachments=form.attachments if form is not None else (),
        disclosure=form.disclosure if form is not None else "",
        references=references(text, form.number if form is not None else ""),
        masked=masked_spans(text),
    )


@dataclass(frozen=True)
class ReadResult:
    """A document as read within its :class:`~assistant.ingest.limits.FileLimits`."""

    document: Document
    chars: int  # characters of the whole text; more than the document's when it was cut

    @property
    def cut(self) -> bool:
        return self.chars > len(self.document.text)


def _cut(
    text: str, anchors: tuple[tuple[int, str], ...], starts: frozenset[int] | None, max_chars: int
) -> tuple[str, tuple[tuple[int, str], ...], frozenset[int] | None]:
    """The first ``max_chars`` characters of ``text``, ended at a line break when one is near."""
    if not max_chars or len(text) <= max_chars:
        return text, anchors, starts
    end = text.rfind("\n", max_chars * 9 // 10, max_chars)
    end = end if end > 0 else max_chars
    kept = frozenset(x for x in starts if x < end) if starts is not None else None
    return text[:end], tuple(a for a in anchors if a[0] < end), kept


def read_document(path: str | Path, doc_id: str | None = None, data: bytes | None = None, limits: FileLimits | None = None) -> ReadResult:
    """Read and parse one file within ``limits``: a file over the size limit is refused, a text
    over the character limit is cut. Raises :class:`UnreadableDocument` with the reason."""
    limits = limits or FileLimits()
    p = Path(path)
    suffix = Path(doc_id).suffix.lower() if doc_id else p.suffix.lower()  # an upload is read by its own name
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableDocument(f"unsupported file type {suffix or '(none)'}; supported: {', '.join(SUPPORTED_SUFFIXES)}")
    if data is None:
        try:
            reason = limits.too_large(p.stat().st_size)
            if reason:
                raise UnreadableDocument(reason)
            data = p.read_bytes()
        except OSError as exc:
            raise UnreadableDocument(f"cannot read file: {exc.strerror or exc}") from exc
    reason = limits.too_large(len(data))
    if reason:
        raise UnreadableDocument(reason)
    if not data:
        raise UnreadableDocument("empty file")
    doc_id = doc_id or p.name
    digest = file_sha256(data)
    if suffix in TEXT_SUFFIXES:
        text, encoding = decode_text(data)
        text = clean_unicode(text)
        chars = len(text)
        text, _, _ = _cut(text, (), None, limits.max_chars)
        return ReadResult(document_from_text(doc_id, text, path=str(p), sha256=digest, encoding=encoding), chars)
    raw = _office_reader(suffix)(p)
    text, anchors, starts = render_blocks(raw)
    text = clean_unicode(text)
    chars = len(text)
    text, anchors, starts = _cut(text, anchors, starts, limits.max_chars)
    doc = document_from_text(
        doc_id,
        text,
        path=str(p),
        sha256=digest,
        encoding="",
        anchors=anchors,
        fmt=raw.format or suffix[1:],
        title_hint=raw.title,
        paragraph_starts=starts,
    )
    return ReadResult(doc, chars)


def load_document(path: str | Path, doc_id: str | None = None, data: bytes | None = None, limits: FileLimits | None = None) -> Document:
    """Read and parse one file. Raises :class:`UnreadableDocument` with the reason if it cannot."""
    return read_document(path, doc_id, data, limits).document
