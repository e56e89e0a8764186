"""Clean text that remembers where every character came from.

Text exports of HWP/PDF files carry artefacts: HTML fragments inside table cells,
``<input type="checkbox"/>`` remnants, ``(x-)`` prefixes on numbers, ``?`` standing for a
lost apostrophe (``?19.4.30``) or middle dot (``구성?운영``), and lines broken inside
sentences or even inside words. :func:`clean_span` repairs a span of the original text and
records an :class:`~assistant.records.OffsetMap` from the clean text back to the original.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..records import OffsetMap

_TOKEN = re.compile(
    r"(?P<li><li\b[^>\n]*>)"
    r"|(?P<tag></?[A-Za-z][^<>\n]*>)"
    r"|(?P<xminus>\(x-\)[ \t]*)"
    r"|(?P<ws>\s+)"
    r"|(?P<apos>(?:(?<=^)|(?<=[\s(~\[]))\?(?=\d{2}))"
    r"|(?P<dot>(?<=[가-힣])\?(?=[가-힣]))"
    r"|(?P<text>[^<(\s?]+|.)",
    re.S,
)

LETTER_SPACED = re.compile(r"^[가-힣](?:[ \t\u3000]+[가-힣])+$")


class TextBuilder:
    """Accumulates clean text and the anchors that map it back to the original."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._anchors: list[tuple[int, int]] = []
        self._length = 0
        self._last = ""
        self._pending_space: int | None = None

    def __len__(self) -> int:
        return self._length

    def _emit(self, text: str, orig: int) -> None:
        if not text:
            return
        if self._anchors:
            c0, o0 = self._anchors[-1]
            if o0 + (self._length - c0) != orig:
                self._anchors.append((self._length, orig))
        else:
            self._anchors.append((self._length, orig))
        self._parts.append(text)
        self._length += len(text)
        self._last = text[-1]

    def add(self, text: str, orig: int) -> None:
        """Append ``text`` copied from the original at offset ``orig``."""
        if not text:
            return
        if self._pending_space is not None:
            if self._length and self._last not in " \n":
                self._emit(" ", self._pending_space)
            self._pending_space = None
        self._emit(text, orig)

    def space(self, orig: int) -> None:
        """A word break at ``orig`` (emitted lazily, never twice, never at the start or end)."""
        if self._pending_space is None:
            self._pending_space = orig

    def newline(self, orig: int) -> None:
        """A line break at ``orig`` (drops any pending space)."""
        self._pending_space = None
        if self._length and self._last != "\n":
            self._emit("\n", orig)

    def build(self) -> tuple[str, OffsetMap]:
        text = "".join(self._parts)
        anchors = list(self._anchors)
        if text.endswith("\n"):
            text = text[:-1]
        return text, OffsetMap(tuple(anchors))


def clean_span(
    source: str,
    start: int,
    end: int,
    glue: Iterable[int] = (),
    builder: TextBuilder | None = None,
    keep_newlines: bool = False,
    skip: Iterable[tuple[int, int]] = (),
) -> tuple[str, OffsetMap]:
    """Clean ``source[start:end]``.

    ``glue`` lists original offsets of line breaks that split a word: the white space
    around them is dropped instead of becoming one space. With ``keep_newlines`` line
    breaks stay line breaks (used for table cells holding lists).
    """
    b = builder or TextBuilder()
    glue_set = set(glue)
    skips = list(skip)  # page numbers between wrapped lines
    gap: int | None = None  # start of the current run of white space and skipped text
    for m in _TOKEN.finditer(source, start, end):
        kind = m.lastgroup
        s = m.start()
        if skips and any(a <= s < z for a, z in skips):
            gap = s if gap is None else gap
            continue
        if kind != "ws":
            gap = None
        if kind == "text":
            b.add(m.group(), s)
        elif kind == "ws":
            gap = s if gap is None else gap
            if glue_set and any(gap <= g < m.end() for g in glue_set):
                continue
            if keep_newlines and "\n" in m.group():
                b.newline(s)
            else:
                b.space(s)
        elif kind == "li":
            b.newline(s)
        elif kind == "apos":
            b.add("'", s)
        elif kind == "dot":
            b.add("·", s)
        # tags and (x-) prefixes are dropped
    return b.build() if builder is None else ("", OffsetMap(()))


def collapse_letter_spacing(text: str, offsets: OffsetMap) -> tuple[str, OffsetMap]:
    """``"구 분"`` → ``"구분"`` when the whole text is single syllables spaced apart."""
    if not LETTER_SPACED.match(text):
        return text, offsets
    b = TextBuilder()
    for i, ch in enumerate(text):
        if not ch.isspace():
            b.add(ch, offsets.to_original(i))
    return b.build()


def glue_trailing_syllable(text: str, offsets: OffsetMap) -> tuple[str, OffsetMap]:
    """``"재정균형발전담당 관"`` → ``"재정균형발전담당관"`` (a word wrapped before its last syllable)."""
    m = re.fullmatch(r"([가-힣]{3,}) ([가-힣])", text)
    if not m:
        return text, offsets
    b = TextBuilder()
    b.add(m.group(1), offsets.to_original(0))
    b.add(m.group(2), offsets.to_original(m.start(2)))
    return b.build()


def sub_offsets(offsets: OffsetMap, start: int, end: int) -> OffsetMap:
    """The offset map of the clean substring ``[start, end)``, re-based to 0."""
    anchors: list[tuple[int, int]] = [(0, offsets.to_original(start))]
    for c, o in offsets.anchors:
        if start < c < end:
            anchors.append((c - start, o))
    return OffsetMap(tuple(anchors))


def concat(pieces: Iterable[tuple[str, OffsetMap]], sep: str = "\n") -> tuple[str, OffsetMap]:
    """Join clean texts with ``sep``; the separator maps to the end of the piece before it."""
    texts: list[str] = []
    anchors: list[tuple[int, int]] = []
    length = 0
    prev_end_orig = 0
    for text, offs in pieces:
        if texts:
            anchors.append((length, prev_end_orig))
            texts.append(sep)
            length += len(sep)
        for c, o in offs.anchors or ((0, 0),):
            anchors.append((length + c, o))
        texts.append(text)
        if text:
            prev_end_orig = offs.to_original(len(text) - 1) + 1
        length += len(text)
    return "".join(texts), OffsetMap(tuple(anchors))


# terminal colour and cursor codes (CSI ... final byte, OSC ... BEL/ST, two-byte escapes)
_TERMINAL_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]{0,256}(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")
# C0/C1 controls other than tab, line feed, carriage return and form feed
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_unicode(text: str) -> str:
    """``text`` without terminal escape codes (ANSI colours), control characters and lone
    surrogates (which no encoder accepts): what is analysed, embedded and stored."""
    if text.isprintable():  # the common case costs one scan
        return text
    text = _TERMINAL_ESCAPE.sub("", text)
    text = _CONTROL_CHARS.sub("", text)
    return _SURROGATE.sub("\ufffd", text)


def has_surrogates(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def clean_surrogates(text: str) -> str:
    """Lone surrogates replaced by U+FFFD, one for one (offsets into the text stay valid)."""
    return _SURROGATE.sub("\ufffd", text)
