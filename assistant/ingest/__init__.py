"""Ingest: read a file (text export, PDF, HWPX, HWP, DOCX), parse its structure, tables and
metadata into a :class:`~assistant.records.Document`, and cut it into
:class:`~assistant.records.Chunk` records with character offsets into the original.

The first stage: it imports nothing else of the pipeline.
"""

from .chunking import CHUNKER_VERSION, Chunker
from .cleaning import clean_unicode
from .limits import FileLimits, cut_note
from .metadata import years
from .nlp import analyser_version, decompound, get_kiwi, sentence_spans, terms
from .parse import PARSER_VERSION, parse_text
from .readers import SUPPORTED_SUFFIXES, ReadResult, UnreadableDocument, file_sha256, load_document, read_document
from .tables import format_value, kv_fields, own_label, parse_value
from .workers import Parsed, ParsePool

__all__ = [
    "CHUNKER_VERSION",
    "PARSER_VERSION",
    "SUPPORTED_SUFFIXES",
    "Chunker",
    "FileLimits",
    "ParsePool",
    "Parsed",
    "ReadResult",
    "UnreadableDocument",
    "analyser_version",
    "clean_unicode",
    "cut_note",
    "decompound",
    "file_sha256",
    "format_value",
    "get_kiwi",
    "kv_fields",
    "load_document",
    "own_label",
    "parse_text",
    "parse_value",
    "read_document",
    "sentence_spans",
    "terms",
    "years",
]
