"""Decode text files: UTF-8 (with or without BOM), UTF-16 with BOM, CP949/EUC-KR."""

from __future__ import annotations

import codecs

from .raw import UnreadableDocument

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return control > max(8, len(sample) // 100)


def _plausible(text: str) -> bool:
    """Reject decodings that produce replacement or control characters."""
    if not text:
        return False
    # ESC starts the colour codes of terminal output (cleaned later), not a sign of a wrong decoding
    bad = sum(1 for ch in text if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\n\r\f\x1b"))
    return bad <= len(text) // 1000


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode bytes of a text document; returns ``(text, encoding)``.

    Raises :class:`UnreadableDocument` for empty, binary or undecodable data.
    """
    if not data.strip():
        raise UnreadableDocument("empty file")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as exc:
                raise UnreadableDocument(f"undecodable text ({enc} byte order mark, {exc.reason})") from exc
    if _looks_binary(data):
        raise UnreadableDocument("binary file, not text")
    for enc in ("utf-8", "cp949"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _plausible(text):
            return text, enc
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - charset-normalizer is a dependency
        from_bytes = None
    if from_bytes is not None:
        best = from_bytes(data).best()
        if best is not None and best.encoding and _plausible(str(best)) and best.percent_chaos < 10:
            return str(best), best.encoding
    raise UnreadableDocument("undecodable text: not UTF-8, CP949/EUC-KR or another recognisable encoding")
