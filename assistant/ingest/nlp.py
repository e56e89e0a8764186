"""Kiwi morphological analysis: sentences, content terms, bound-morpheme checks.

One :class:`~kiwipiepy.Kiwi` per process (it takes about a second to load and is
thread-safe for analysis), created lazily.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import TYPE_CHECKING

from ..lexicon import CONTENT_TAGS, EN_STOPWORDS, STOP_BOUND_NOUNS, TERM_COUNTERS, kiwi_user_words
from .cleaning import clean_surrogates, has_surrogates

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

log = logging.getLogger(__name__)

_lock = threading.Lock()
_kiwi: Kiwi | None = None



def get_kiwi() -> Kiwi:
    """The process-wide Kiwi instance."""
    global _kiwi
    if _kiwi is None:
        with _lock:
            if _kiwi is None:
                try:
                    from kiwipiepy import Kiwi
                except ImportError as exc:  # pragma: no cover - a hard dependency
                    raise ImportError("kiwipiepy is required: pip install kiwipiepy") from exc
                log.debug("loading Kiwi")
                # the typo and multi-word dictionaries change nothing measurable on our documents
                # (0 of 6,220 distinct tokens) but cost ~1.5 s at start and ~20% of throughput
                kiwi = Kiwi(load_typo_dict=False, load_multi_dict=False)
                for word, tag in kiwi_user_words():
                    kiwi.add_user_word(word, tag)
                _kiwi = kiwi
    return _kiwi


def analyser_version() -> str:
    """Changes when the terms of a text may change (Kiwi's version, the user dictionary): an
    index built under another one is rebuilt."""
    from importlib.metadata import version

    words = ",".join(f"{w}/{t}" for w, t in kiwi_user_words())
    return f"kiwipiepy {version('kiwipiepy')}; " + hashlib.sha1(words.encode()).hexdigest()[:10]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``[start, end)`` in ``text`` (white space trimmed)."""
    if not text.strip():
        return []
    spans = []
    if has_surrogates(text):  # Kiwi cannot encode them; one for one, so the spans still fit ``text``
        text = clean_surrogates(text)
    for s in get_kiwi().split_into_sents(text):
        a, b = s.start, s.end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            spans.append((a, b))
    return spans


_NUM = re.compile(r"^\d[\d,]*(?:\.\d+)?$")


def _norm_number(form: str) -> str:
    return form.replace(",", "") if _NUM.match(form) else form


def terms(text: str, cache: bool = True) -> list[str]:
    """Content terms for BM25: content morphemes, lower-cased foreign words, plain numbers.

    Two-digit years written ``'19`` or ``19년`` also yield ``2019``. Bulk indexing passes
    ``cache=False``: each chunk is analysed once there, and caching would only hold memory.
    """
    return list(_cached_terms(text) if cache else _terms(text))


def _terms(text: str) -> tuple[str, ...]:
    out: list[str] = []
    if has_surrogates(text):  # Kiwi cannot encode them (same length: offsets below stay right)
        text = clean_surrogates(text)
    tokens = get_kiwi().tokenize(text)
    for i, t in enumerate(tokens):
        tag = t.tag
        if tag not in CONTENT_TAGS:
            continue
        form = t.form
        if tag == "NNB" and form in STOP_BOUND_NOUNS:
            continue
        if tag == "SL":
            form = form.lower()
            if form in EN_STOPWORDS or len(form) < 2:
                continue
        elif tag == "SN":
            form = _norm_number(form)
            nxt_tok = tokens[i + 1] if i + 1 < len(tokens) else None
            nxt = nxt_tok.form if nxt_tok is not None else ""
            prev = text[t.start - 1] if t.start > 0 else ""
            if re.fullmatch(r"\d{2}", form) and (nxt.startswith("년") or prev in "'’‘"):
                out.append(f"20{form}" if int(form) < 50 else f"19{form}")
            if nxt_tok is not None and nxt in TERM_COUNTERS and nxt_tok.start == t.start + t.len:
                out.append(form + nxt)
                continue
        elif tag.startswith("V"):
            form = form + "다"
        elif tag in ("NNG", "NNP") and len(form) >= 4:
            out.extend(decompound(form))
        out.append(form)
    return tuple(out)


class TermCache:
    """Terms of recently analysed texts, bounded by entries and by characters (keys and terms):
    answering re-reads the same sentences and cells across questions, but every question (and a
    long one especially) would otherwise add to it without limit. Texts longer than
    ``max_text`` characters are analysed but not kept."""

    def __init__(self, max_entries: int = 50_000, max_chars: int = 8_000_000, max_text: int = 2_000):
        self.max_entries = max_entries
        self.max_chars = max_chars
        self.max_text = max_text
        self.chars = 0
        self._items: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _size(text: str, terms: tuple[str, ...]) -> int:
        return len(text) + sum(len(t) for t in terms)

    def __call__(self, text: str) -> tuple[str, ...]:
        with self._lock:
            hit = self._items.get(text)
            if hit is not None:
                self._items.move_to_end(text)
                return hit
        value = _terms(text)
        if len(text) > self.max_text:
            return value
        with self._lock:
            if text not in self._items:
                self._items[text] = value
                self.chars += self._size(text, value)
                while self._items and (len(self._items) > self.max_entries or self.chars > self.max_chars):
                    old, old_terms = self._items.popitem(last=False)
                    self.chars -= self._size(old, old_terms)
        return value

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.chars = 0


# answering re-reads the same sentences and cells across questions: analyse each text once
_cached_terms = TermCache()


MAX_COMPOUND_CHARS = 12


def decompound(word: str) -> tuple[str, ...]:
    """Parts of a compound noun Kiwi kept whole ("자치행정" → 자치, 행정), so that it matches the
    same compound analysed in parts elsewhere; empty when no split into two known nouns exists."""
    # longer "words" are not compounds but junk input (and not worth a cache entry); each cut costs two analyses
    if len(word) > MAX_COMPOUND_CHARS or not all("가" <= ch <= "힣" for ch in word):
        return ()
    return _decompound(word)


@lru_cache(maxsize=65536)
def _decompound(word: str) -> tuple[str, ...]:
    kiwi = get_kiwi()
    for cut in range(2, len(word) - 1):
        left, right = word[:cut], word[cut:]
        lt, rt = kiwi.tokenize(left), kiwi.tokenize(right)
        if len(lt) == 1 and len(rt) == 1 and lt[0].tag in ("NNG", "NNP") and rt[0].tag in ("NNG", "NNP") and len(right) >= 2:
            return (left, right)
    return ()
