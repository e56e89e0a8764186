"""Evidence scoring: how much of a question a piece of text covers (IDF-weighted content
morphemes, related words, compound parts, names written verbatim), its focus words, word
proximity and year agreement. Plain measurements; how they are combined is ``ranking``."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence

from ..ingest import decompound
from ..ingest import terms as content_terms
from ..lexicon import is_code
from ..search import QueryAnalysis


class EvidenceScorer:
    """Scores how well a piece of text answers the analysed question."""

    def __init__(
        self,
        analysis: QueryAnalysis,
        idf: Callable[[str], float],
        expansions: dict[str, tuple[str, ...]],
        extra: Sequence[str] = (),
    ):
        """``expansions`` maps question words to related words; ``extra`` words (from the
        question type: 일시 for "언제") count like expansions."""
        self.q = analysis
        self.weights: dict[str, float] = {}
        for t in analysis.content:
            self.weights[t] = max(self.weights.get(t, 0.0), idf(t))
        expansions = {**expansions, **{t: tuple(expansions.get(t, ())) + alts for t, alts in analysis.alternatives.items()}}
        raw = [e for t in analysis.content for e in expansions.get(t, ())] + list(extra)
        added = [a for e in raw for a in (content_terms(e) or [e])]
        # a focus word is also found through a related word, all of whose parts must be present
        # (as written, or in the parts Kiwi gives it alone: "일시" alone is 일 + 시, in a sentence 일시)
        self._related = {
            t: tuple(dict.fromkeys(f for e in expansions.get(t, ()) for f in ((e,), tuple(content_terms(e) or [e]))))
            for t in analysis.content
        }
        # an English word's Korean alternatives already count as that word (see has()); weighing
        # them again as related words would credit one question word twice
        alternative = {x for alts in analysis.alternatives.values() for x in alts}
        for e in added:
            if e not in self.weights and e not in alternative:
                self.weights[e] = 0.5 * idf(e)
        self._expansion = {e for e in added if e not in analysis.content}
        # a compound ("대전시장") is found where its parts are ("대전", "시장")
        self._parts = {t: parts for t in self.weights if (parts := decompound(t))}
        self._entity_terms = {e: tuple(content_terms(e)) for e in analysis.entities if len(e) >= 2}
        # a document code ("소통행정-3") counts as a word of its own, found only where it is written
        for code in (e for e in analysis.entities if is_code(e)):
            self.weights[code] = max((self.weights.get(p, 1.0) for p in content_terms(code)), default=1.0) * 1.5
            self._entity_terms[code] = (*self._entity_terms.get(code, ()), code)
        self._compounds = [t for t in self.weights if len(t) >= 3 and all("가" <= ch <= "힣" for ch in t)]
        self.total = sum(w for t, w in self.weights.items() if t not in self._expansion) or 1.0

    def with_entities(self, text: str, terms: set[str]) -> set[str]:
        """``terms`` plus the question's names and compound words that ``text`` contains
        verbatim: Kiwi may split "정인애" or "협치론장" in one place and not in another."""
        flat = text.replace(" ", "")
        extra = [t for e, ts in self._entity_terms.items() if e in text for t in ts]
        extra += [t for t in self._compounds if t in flat and t not in terms]
        return terms | set(extra) if extra else terms

    def has(self, term: str, terms: set[str]) -> bool:
        if term in terms:
            return True
        if any(a in terms for a in self.q.alternatives.get(term, ())):
            return True
        parts = self._parts.get(term)
        return bool(parts) and all(p in terms for p in parts)

    def coverage(self, terms: set[str]) -> float:
        got = sum(w for t, w in self.weights.items() if self.has(t, terms))
        return min(1.0, got / self.total)

    def core_coverage(self, terms: set[str]) -> float:
        """Coverage weighted by squared IDF: how much of what is rare in the question (트램, 개통)
        the evidence has; common words barely count."""
        total = sum(w * w for t, w in self.weights.items() if t not in self._expansion)
        got = sum(w * w for t, w in self.weights.items() if t not in self._expansion and self.has(t, terms))
        return got / total if total else 0.0

    def coverage_beyond(self, terms: set[str], context: set[str]) -> float:
        """Coverage by question words that ``terms`` has and ``context`` lacks (what a row or a
        sentence says beyond the document title it shares with its neighbours)."""
        got = sum(w for t, w in self.weights.items() if self.has(t, terms) and not self.has(t, context))
        return min(1.0, got / self.total)

    def focus_coverage(self, focus: set[str], terms: set[str]) -> float:
        """IDF-weighted share of the focus words found in ``terms`` (directly or through a
        related word: 소관 → 부서)."""
        if not focus:
            return 0.0
        total = sum(self.weights.get(t, 1.0) for t in focus)
        got = sum(
            self.weights.get(t, 1.0)
            for t in focus
            if self.has(t, terms) or any(all(self.has(p, terms) for p in parts) for parts in self._related.get(t, ()))
        )
        return got / total

    def proximity(self, unit_terms: Sequence[str]) -> float:
        """Share of the question's adjacent word pairs that stand together (within 3 words, in
        either order: an English question's order is not the Korean text's) in the unit."""
        q = [t for t in self.q.content if t in self.weights]
        pairs = list(itertools.pairwise(q))
        if not pairs:
            return 0.0
        pos: dict[str, list[int]] = {}
        for i, t in enumerate(unit_terms):
            pos.setdefault(t, []).append(i)
            for main, alts in self.q.alternatives.items():
                if t in alts:
                    pos.setdefault(main, []).append(i)
        hit = sum(1 for a, b in pairs if any(0 < abs(j - i) <= 3 for i in pos.get(a, ()) for j in pos.get(b, ())))
        return hit / len(pairs)

    def year_agreement(self, years: Iterable[int]) -> float:
        """+1 when the evidence mentions an asked year, -1 when it only mentions others, 0 otherwise."""
        if not self.q.years:
            return 0.0
        ys = set(years)
        if ys & set(self.q.years):
            return 1.0
        return -1.0 if ys else 0.0
