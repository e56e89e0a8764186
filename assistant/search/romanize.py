"""Revised Romanization of Korean (국어의 로마자 표기법, 2000), for matching the names an English
question writes ("Incheon", "Gangnam-gu", "Mapo") to the Korean words the documents hold.

:func:`romanize` applies the standard's letter tables and its main sound changes between
syllables (liaison, nasalisation, ㄹ after ㄹ/ㄴ); :func:`keys` gives the plain letter-by-letter
spelling too, since signs and documents often write names without the sound changes.
"""

from __future__ import annotations

import re
from functools import lru_cache

_INITIALS = ["g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"]
_VOWELS = ["a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu", "eu", "ui", "i"]
# final consonants (index 0 = none) before a consonant or at the end of a word
_FINALS = ["", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t"]
# a final consonant carried over to a following vowel (liaison): its initial spelling
_CARRY = {1: "g", 2: "kk", 4: "n", 7: "d", 8: "r", 16: "m", 17: "b", 19: "s", 20: "ss", 22: "j", 23: "ch", 24: "k", 25: "t", 26: "p"}
_NASAL_BEFORE = {1: "ng", 2: "ng", 24: "ng", 7: "n", 19: "n", 20: "n", 22: "n", 23: "n", 25: "n", 17: "m", 26: "m"}
_N, _M, _R, _ZERO = 2, 6, 5, 11  # initial indices of ㄴ, ㅁ, ㄹ, ㅇ


def _parts(ch: str) -> tuple[int, int, int] | None:
    code = ord(ch) - 0xAC00
    if not 0 <= code < 11172:
        return None
    return code // 588, (code % 588) // 28, code % 28


@lru_cache(maxsize=65536)
def romanize(word: str, changes: bool = True) -> str:
    """The Revised Romanization of ``word`` (lower case); other characters pass through.
    ``changes=False`` spells syllable by syllable, without the sound changes between them."""
    syllables = [(_parts(ch), ch) for ch in word]
    out: list[str] = []
    for i, (parts, ch) in enumerate(syllables):
        if parts is None:
            out.append(ch.lower())
            continue
        ini, vow, fin = parts
        prev = syllables[i - 1][0] if i > 0 else None
        nxt = syllables[i + 1][0] if i + 1 < len(syllables) else None
        initial = _INITIALS[ini]
        if changes and prev is not None:
            pfin = prev[2]
            if (ini == _R and pfin in (8, 4)) or (ini == _N and pfin == 8):  # ㄹ after ㄹ/ㄴ, ㄴ after ㄹ: ll (신라 Silla, 별내 Byeollae)
                initial = "l"
            elif ini == _R and pfin:  # ㄹ after another final: n (종로 Jongno, 대학로 Daehangno)
                initial = "n"
            elif ini == _ZERO and pfin in _CARRY:
                initial = _CARRY[pfin]
        final = _FINALS[fin]
        if changes and nxt is not None and fin:
            nini = nxt[0]
            if nini == _ZERO and fin in _CARRY:
                final = ""  # carried over to the next syllable
            elif nini in (_N, _M) and fin in _NASAL_BEFORE:
                final = _NASAL_BEFORE[fin]
            elif nini == _R and fin in (1, 2, 24, 17, 26):  # 백록 Baengnok: ㄱ/ㅂ before ㄹ nasalise
                final = _NASAL_BEFORE[fin]
            elif nini == _N and fin == 8:  # ㄹ before ㄴ: ll
                final = "l"
            elif nini == _R and fin == 4:  # ㄴ before ㄹ: ll (신라)
                final = "l"
        out.append(initial + _VOWELS[vow] + final)
    return "".join(out)


def key(text: str) -> str:
    """A matching key: lower-case Latin letters only ("Gangnam-gu" → "gangnamgu")."""
    return re.sub(r"[^a-z]", "", text.lower())


def keys(word: str) -> set[str]:
    """The matching keys of a Korean word: with and without the sound changes."""
    return {key(romanize(word)), key(romanize(word, changes=False))} - {""}
