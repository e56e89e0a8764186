"""Values in a text: the spans holding the kind of value a question asks for (a date, an
amount, a count, a place, a person, a phone number), the items of an enumeration, and the
clause around a value."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..lexicon import (
    AMOUNT,
    CLAUSE_BREAK,
    COUNT,
    DATE,
    DOC_NUMBER,
    ENUM_SEP,
    LABELLED_PLACE,
    NOT_NAME_END,
    ORG,
    PERSON,
    PHONE,
    PHRASE_END,
    PLACE,
    ROLE,
    SURNAMES,
    TIME,
)

TYPE_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "when": (DATE, TIME),
    "count": (COUNT,),
    "amount": (AMOUNT,),
    "phone": (PHONE,),
    "where": (LABELLED_PLACE, PLACE),
    "docnum": (DOC_NUMBER,),
    "org": (ORG,),
}


def type_spans(text: str, qtype: str) -> list[tuple[int, int]]:
    """Spans of ``text`` holding the kind of value a ``qtype`` question asks for."""
    if qtype == "who":
        out = []
        for m in PERSON.finditer(text):
            g = 1 if m.group(1) else 2
            name = m.group(g)
            if name and name[0] in SURNAMES and not NOT_NAME_END.search(name) and not re.search(ROLE, name):
                out.append((m.start(g), m.end(g)))
        return out
    pats = TYPE_PATTERNS.get(qtype, ())
    spans: list[tuple[int, int]] = []
    for p in pats:
        for m in p.finditer(text):
            a, b = m.span(1) if p is LABELLED_PLACE else m.span()
            while a < b and text[a].isspace():
                a += 1
            if b > a and not any(a < e and s < b for s, e in spans):
                spans.append((a, b))
    return sorted(spans)


def enumeration(text: str) -> list[tuple[int, int]]:
    """Items of an enumeration in ``text`` (``a, b, c`` or ``▲a ▲b``), if there is one (3+ items)."""
    best: list[tuple[int, int]] = []
    # the list may sit after a dash or colon, or inside parentheses
    for region in _regions(text):
        a, b = region
        parts: list[tuple[int, int]] = []
        pos = a
        for m in ENUM_SEP.finditer(text, a, b):
            if m.start() > pos:
                parts.append((pos, m.start()))
            pos = m.end()
        if pos < b:
            parts.append((pos, b))
        parts = [(s, e) for s, e in (_trim(text, s, e) for s, e in parts) if e > s]
        if len(parts) >= 3:
            parts[0] = _tail_phrase(text, *parts[0])
            parts[-1] = _head_phrase(text, *parts[-1])
        if len(parts) < 3 or max(e - s for s, e in parts) > 40:
            continue
        if any(":" in text[s:e] or "\n" in text[s:e] or " | " in text[s:e] for s, e in parts):
            continue
        if len(parts) >= len(best):  # later regions are tighter (after the colon, inside brackets)
            best = parts
    return best


def _regions(text: str) -> Iterable[tuple[int, int]]:
    yield 0, len(text)
    for m in re.finditer(r"[:：\-–]\s*", text):
        yield m.end(), len(text)
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch == "(":
            if depth == 0:
                start = i + 1
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
            if depth == 0:
                yield start, i




def _tail_phrase(text: str, s: int, e: int) -> tuple[int, int]:
    """A long first item keeps its last phrase: "…달성을 위해 생활폐기물 감량 및 재활용" → "생활폐기물 감량 및 재활용"."""
    if e - s <= 40:
        return s, e
    cut = None
    for m in CLAUSE_BREAK.finditer(text, s, e):
        cut = m.end()
    return (cut, e) if cut is not None and e - cut >= 2 else (s, e)


def _head_phrase(text: str, s: int, e: int) -> tuple[int, int]:
    """A long last item stops before its predicate: "신재생에너지 분야에서도 상호 협력을…" → "신재생에너지"."""
    if e - s <= 16:
        return s, e
    m = PHRASE_END.search(text, s, e)
    if m and m.start() - s >= 2:
        end = m.start()
        while end > s and text[end - 1] == " ":
            end -= 1
        return s, end
    return s, e


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and (text[s].isspace() or text[s] in "-○●❍▸‣·•▲("):
        s += 1
    while e > s and (text[e - 1].isspace() or text[e - 1] in ".)"):
        e -= 1
    if e > s and text[s:e].count("(") > text[s:e].count(")"):
        e = min(len(text), text.find(")", s) + 1) if ")" in text[s:] else e
    return s, e


def clause(text: str, focus: tuple[int, int] | None, limit: int = 140) -> tuple[int, int]:
    """Trim a long sentence to the clause around ``focus`` (a span), keeping short ones whole."""
    if len(text) <= limit or focus is None:
        return 0, len(text)
    bounds = [0] + [m.end() for m in re.finditer(r"(?:,|며|고|하여|으며)\s", text)] + [len(text)]
    a = max(b for b in bounds if b <= focus[0])
    z = min(b for b in bounds if b >= focus[1])
    while z - a < 40 and (a > 0 or z < len(text)):
        i = bounds.index(a)
        j = bounds.index(z)
        a = bounds[i - 1] if i > 0 else a
        z = bounds[j + 1] if j + 1 < len(bounds) else z
    return a, z


# -- evidence scoring ------------------------------------------------------------------
