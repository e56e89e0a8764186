"""Ingest: read a file (text export, PDF, HWPX, HWP, DOCX), parse its structure, tables and
metadata into a :class:`~assistant.records.Document`, and cut it into
:class:`~assistant.records.Chunk` records with character offsets into the original.

The first stage: it imports nothing else of the pipeline.
"""

from .chunking import CHUNKER_VERSION, Chunker
from .cleaning import clean_unicode
from .form import OfficialForm, department_of, official_kind, read_form, references
from .layout import find_table
from .limits import FileLimits, cut_note
from .metadata import years
from .nlp import analyser_version, decompound, get_kiwi, sentence_spans, terms
from .parse import PARSER_VERSION, parse_text
from .readers import SUPPORTED_SUFFIXES, ReadResult, UnreadableDocument, file_sha256, load_document, read_document
from .tables import amount_won, format_value, kv_fields, own_label, parse_value
from .workers import Parsed, ParsePool

__all__ = [
    "CHUNKER_VERSION",
    "PARSER_VERSION",
    "SUPPORTED_SUFFIXES",
    "Chunker",
    "FileLimits",
    "OfficialForm",
    "ParsePool",
    "Parsed",
    "ReadResult",
    "UnreadableDocument",
    "amount_won",
    "analyser_version",
    "clean_unicode",
    "cut_note",
    "decompound",
    "department_of",
    "file_sha256",
    "find_table",
    "format_value",
    "get_kiwi",
    "kv_fields",
    "load_document",
    "official_kind",
    "own_label",
    "parse_text",
    "parse_value",
    "read_document",
    "read_form",
    "references",
    "sentence_spans",
    "terms",
    "years",
]
