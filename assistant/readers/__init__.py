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
from pathlib import Path

from ..metadata import classify, contacts_and_department, find_title_line, first_date, years
from ..records import Document
from ..textparse import parse_text
from .raw import RawDocument, UnreadableDocument
from .text import decode_text

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md")
OFFICE_SUFFIXES = (".pdf", ".hwpx", ".hwp", ".docx")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + OFFICE_SUFFIXES
MAX_FILE_BYTES = 200 * 1024 * 1024

__all__ = ["SUPPORTED_SUFFIXES", "UnreadableDocument", "document_from_text", "file_sha256", "load_document"]


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


def render_raw(raw: RawDocument) -> tuple[str, tuple[tuple[int, str], ...]]:
    """Render office blocks as a text export; returns the text and its locator anchors."""
    parts: list[str] = []
    anchors: list[tuple[int, str]] = []
    pos = 0
    for block in raw.blocks:
        if block.kind == "heading":
            text = "#" * max(1, min(block.level, 6)) + " " + " ".join(block.text.split())
        elif block.kind == "table":
            text = "\n".join("\t".join(" ".join(c.split()) for c in row) for row in block.rows)
        else:
            text = block.text.strip()
        if not text.strip():
            continue
        if block.locator and (not anchors or anchors[-1][1] != block.locator):
            anchors.append((pos, block.locator))
        parts.append(text)
        pos += len(text) + 2
    return "\n\n".join(parts), tuple(anchors)


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
) -> Document:
    """Parse decoded text into a :class:`Document`."""
    if not text.strip():
        raise UnreadableDocument("no text in the document")
    title_line, title = find_title_line(text)
    parsed = parse_text(text, title_line)
    contacts, department = contacts_and_department(parsed, text)
    title = title or title_hint or doc_id
    return Document(
        id=doc_id,
        title=title,
        doc_type=classify(text, title),
        years=years(text),
        department=department,
        contacts=contacts,
        date=first_date(text),
        path=path,
        sha256=sha256 or file_sha256(text.encode("utf-8")),
        encoding=encoding,
        text=text,
        sections=tuple(parsed.sections),
        blocks=tuple(parsed.blocks),
        tables=tuple(parsed.tables),
        anchors=anchors,
        format=fmt,
    )


def load_document(path: str | Path, doc_id: str | None = None, data: bytes | None = None) -> Document:
    """Read and parse one file. Raises :class:`UnreadableDocument` with the reason if it cannot."""
    p = Path(path)
    suffix = Path(doc_id).suffix.lower() if doc_id else p.suffix.lower()  # an upload is read by its own name
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableDocument(f"unsupported file type {suffix or '(none)'}; supported: {', '.join(SUPPORTED_SUFFIXES)}")
    if data is None:
        try:
            if p.stat().st_size > MAX_FILE_BYTES:
                raise UnreadableDocument(f"file too large ({p.stat().st_size // (1024 * 1024)} MiB)")
            data = p.read_bytes()
        except OSError as exc:
            raise UnreadableDocument(f"cannot read file: {exc.strerror or exc}") from exc
    if not data:
        raise UnreadableDocument("empty file")
    doc_id = doc_id or p.name
    digest = file_sha256(data)
    if suffix in TEXT_SUFFIXES:
        text, encoding = decode_text(data)
        return document_from_text(doc_id, text, path=str(p), sha256=digest, encoding=encoding)
    raw = _office_reader(suffix)(p)
    text, anchors = render_raw(raw)
    return document_from_text(
        doc_id, text, path=str(p), sha256=digest, encoding="", anchors=anchors, fmt=raw.format or suffix[1:], title_hint=raw.title
    )
