"""Names an English question writes, matched to the Korean words the index holds by their
Revised Romanization ("Incheon" → 인천, "Gangnam-gu" → 강남, "Yeongdeungpo" → 영등포)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..lexicon import EN_STOPWORDS
from .romanize import key, keys

#: romanised endings of administrative areas ("-gu", "-si", "-dong"), tried off a name
_AREA_ENDINGS = ("gu", "si", "dong", "gun", "do", "eup", "myeon")
_MIN_KEY = 4  # shorter romanised keys ("in", "do") collide with English words
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")


class NameIndex:
    """Romanised keys of the index's Korean words → the words."""

    def __init__(self, words: Iterable[str]):
        self._words: dict[str, list[str]] = {}
        for w in words:
            if 2 <= len(w) <= 12 and all("가" <= ch <= "힣" for ch in w):
                for k in keys(w):
                    if len(k) >= _MIN_KEY:
                        self._words.setdefault(k, []).append(w)

    def __len__(self) -> int:
        return len(self._words)

    def lookup(self, phrase: str) -> list[str]:
        """The Korean words a romanised name stands for ("Gangnam-gu" → ["강남구"] or ["강남"])."""
        k = key(phrase)
        if len(k) < _MIN_KEY:
            return []
        if k in self._words:
            return list(self._words[k])
        for end in _AREA_ENDINGS:
            if k.endswith(end) and len(k) - len(end) >= _MIN_KEY and k[: -len(end)] in self._words:
                return list(self._words[k[: -len(end)]])
        return []


def name_phrases(question: str) -> list[str]:
    """Capitalised words and runs of them ("Seoul", "Gangnam-gu", "Mapo Youth Center") that may be
    names, longest runs first; the question's first word counts only when hyphenated."""
    words = [(m.group(), m.start()) for m in _WORD.finditer(question)]
    out: list[str] = []
    run: list[str] = []
    for i, (w, _pos) in enumerate(words):
        capital = w[0].isupper() and (i > 0 or "-" in w) and w.lower() not in EN_STOPWORDS
        if capital or ("-" in w and w.split("-")[-1].lower() in _AREA_ENDINGS):
            run.append(w)
            continue
        if run:
            out.append(" ".join(run))
            run = []
    if run:
        out.append(" ".join(run))
    phrases: list[str] = []
    for r in out:
        parts = r.split()
        phrases += [" ".join(parts[i:j]) for n in range(len(parts), 0, -1) for i in range(len(parts) - n + 1) for j in [i + n]]
    return list(dict.fromkeys(phrases))


def match_names(question: str, names: NameIndex) -> tuple[list[str], list[str]]:
    """(Korean words the question's names stand for, names with no match in the index)."""
    found: list[str] = []
    unmatched: list[str] = []
    covered: set[str] = set()
    for phrase in name_phrases(question):
        if any(phrase in c for c in covered):
            continue
        words = names.lookup(phrase)
        if words:
            found += words
            covered.add(phrase)
        elif " " not in phrase:
            unmatched.append(phrase)
    return list(dict.fromkeys(found)), [u for u in dict.fromkeys(unmatched) if not any(u in c for c in covered)]
