"""Query analysis with Kiwi: language, years, the kinds of answer asked for, search terms,
names, focus words, and how many items a question asks for."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..ingest import get_kiwi, terms
from ..lexicon import (
    ASKED_COUNTERS,
    CHANGE_ASK,
    CODE,
    EN_NUMBERS,
    EN_PHONE_CUES,
    EN_TYPE_CUES,
    JOINING_PARTICLES,
    KO_NUMBERS,
    KO_PHONE_CUES,
    KO_TYPE_CUES,
    LIST_CUES,
    LIST_ENDINGS,
    NOT_NAME_END,
    NOT_NAMES,
    PLACE_NAME,
    PLACE_TAILS,
    QUESTION_WORDS,
    ROLE,
    ROLES,
    SURNAMES,
    TYPED_KINDS,
    VAGUE_NOUNS,
    glossary,
    years_in,
)
from .names import NameIndex, match_names

_ASKED_COUNTER = re.compile(r"몇\s*(" + "|".join(ASKED_COUNTERS) + ")")


@dataclass(frozen=True)
class QueryAnalysis:
    text: str
    language: str
    years: tuple[int, ...]
    terms: tuple[str, ...]  # BM25 terms (Korean; English questions are translated)
    content: tuple[str, ...]  # informative terms without years and question words
    entities: tuple[str, ...]
    focus: tuple[str, ...] = ()  # terms of the noun phrase asked about
    alternatives: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)  # English: 지자체 | 자치단체
    topics: tuple[str, ...] = ()  # compound names written as one word ("지역균형발전"): what the question is about


def language(text: str) -> str:
    """"en" for English sentences, even with Korean names in them ("What is the budget of 영등포형 …?")."""
    hangul = sum(1 for ch in text if "가" <= ch <= "힣")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    starts_english = bool(re.match(r"^\s*[A-Za-z]+\s+[A-Za-z]+", text))
    return "en" if latin >= 3 and (latin > 2 * hangul or (starts_english and 2 * latin >= hangul)) else "ko"


def translate(text: str) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    """Korean search terms for an English question: each glossary phrase gives its first Korean
    word as a term and the other words as alternatives (municipalities → 지자체 | 자치단체)."""
    t = " " + re.sub(r"[^a-z0-9\- ]+", " ", text.lower()) + " "
    out: list[str] = []
    alternatives: dict[str, tuple[str, ...]] = {}
    for en, ko in glossary():
        pattern = f" {en} "
        while pattern in t:
            main = terms(ko[0])
            out += main
            others = tuple(a for k in ko[1:] for a in (terms(k) or [k]))
            if main and others:
                alternatives[main[-1]] = tuple(dict.fromkeys(alternatives.get(main[-1], ()) + others))
            t = t.replace(pattern, " ", 1)
    out += [w for w in t.split() if re.fullmatch(r"(19|20)\d{2}", w)]
    return out, alternatives


# zero-width (lookahead) matches, so that "담당 주무관 정인애" is tried at 주무관 too
_PERSON_NEAR_ROLE = re.compile(
    rf"(?=(?:{ROLE})\s*[:：]?\s*([가-힣]{{2,4}})(?![가-힣]))"
    rf"|(?<![가-힣])(?=([가-힣]{{2,4}})\s*(?:{ROLE})(?![가-힣]))"
)


def persons_in(text: str) -> tuple[str, ...]:
    """Names written next to a role (``주무관 정인애``, ``고경인 팀장``)."""
    out = []
    for m in _PERSON_NEAR_ROLE.finditer(text):
        name = m.group(1) or m.group(2)
        if not name or name[0] not in SURNAMES or any(r in name for r in ROLES):
            continue
        if name.startswith(NOT_NAMES):  # "시장 이름은?" asks for a name, it does not give one
            continue
        if NOT_NAME_END.search(name):
            continue
        out.append(name)
    return tuple(dict.fromkeys(out))


def places_in(text: str) -> tuple[str, ...]:
    """Place and organisation names (Kiwi proper nouns and nouns like ``대전시``)."""
    out: list[str] = []
    tokens = get_kiwi().tokenize(text)
    for i, t in enumerate(tokens):
        if t.tag == "NNP":
            form = t.form
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt is not None and nxt.start == t.start + t.len and nxt.form in PLACE_TAILS:
                form += nxt.form
            out.append(form)
        elif t.tag == "NNG" and PLACE_NAME.match(t.form) and len(t.form) >= 3:
            out.append(t.form)
    return tuple(dict.fromkeys(out))




def entities_in(text: str) -> tuple[str, ...]:
    """Places, organisations, people and document codes ("소통행정-3") named in ``text``."""
    persons = persons_in(text)
    codes = [m.group() for m in CODE.finditer(text)]
    places = [p for p in places_in(text) if len(p) >= 2 and not any(n.startswith(p) for n in persons)]
    return tuple(dict.fromkeys(codes + places + list(persons)))


def topics_in(text: str) -> tuple[str, ...]:
    """Compound names the question writes as one word: runs of three or more nouns with no
    space between them, at least five letters long ("지역균형발전", "우호교류협약")."""
    out: list[str] = []
    run: list[Any] = []

    def flush() -> None:
        word = "".join(t.form for t in run)
        if len(run) >= 3 and len(word) >= 5:
            out.append(word)
        run.clear()

    for t in get_kiwi().tokenize(text):
        if t.tag in ("NNG", "NNP") and (not run or run[-1].start + run[-1].len == t.start):
            run.append(t)
            continue
        flush()
        if t.tag in ("NNG", "NNP"):
            run.append(t)
    flush()
    return tuple(dict.fromkeys(out))


_EN_ASKED = re.compile(
    r"\b(?:what|which|who)(?:'s)?\s+(?:(?:is|are|was|were)\s+)?(?:(?:the|a|an)\s+)?"
    r"([a-z0-9][a-z0-9\-]*(?:\s+(?:and\s+)?[a-z][a-z\-]*){0,3}?)"
    r"(?=\s+(?:of|for|in|on|at|to|with|from|under|did|does|do|is|are|was|were|has|have|had|runs?|handles?|manages?|signed)\b|\s*[?,]|\s*$)"
)


def focus_en(question: str) -> tuple[str, ...]:
    """Korean terms of what an English question asks for: "Which department runs …" → 부서;
    "What is the phone number of …" → 전화. Empty where the asked words are not in the glossary."""
    m = _EN_ASKED.search(question.lower())
    if not m:
        return ()
    main, _alternatives = translate(m.group(1))
    return tuple(dict.fromkeys(t for t in main if not t.isdigit()))


def focus_of(question: str) -> tuple[str, ...]:
    """Content terms of the word(s) the question asks about: "…변경 대상사업은?" → 대상, 사업;
    "사업비와 주관부서는?" → 사업비, 주관, 부서; "사업근거를 전부 나열해줘" → 사업, 근거."""
    words: list[list] = []
    prev_end = -1
    for t in get_kiwi().tokenize(question):
        if words and t.start == prev_end:
            words[-1].append(t)
        else:
            words.append([t])
        prev_end = t.start + t.len
    def predicate(w: list) -> bool:
        return any(t.tag in ("XSV", "XSA") or (t.tag.startswith("V") and t.tag != "VCP") for t in w)

    def nouns_of(w: list) -> list[str]:
        if predicate(w):
            return []  # "시작됐나요": a verb made of a noun is what is done, not what is asked
        return [t.form for t in w if t.tag.startswith(("NN", "XR", "SL", "XSN")) and t.tag != "NNB"
                and t.form not in QUESTION_WORDS and t.form not in VAGUE_NOUNS]

    i = len(words) - 1
    while i >= 0 and not nouns_of(words[i]):
        if any(t.form in VAGUE_NOUNS for t in words[i] if t.tag.startswith("NN")):
            if i > 0 and nouns_of(words[i - 1]):
                i -= 1  # "행정 쪽에서는": the noun before the vague one
                break
            return ()  # "서명한 곳이 어디야?": nothing is named, the question word carries the ask
        i -= 1
    if i < 0:
        return ()
    focus: list[str] = nouns_of(words[i])
    # an earlier ask joined by a copula ("어느 부서 소관이고 사업비는 얼마?")
    for w in words[:i]:
        if len(w) >= 2 and w[-2].tag == "VCP" and w[-1].tag == "EC" and nouns_of(w):
            focus[:0] = nouns_of(w)
    while i > 0:
        before = words[i - 1]
        if before[-1].tag == "JC" or before[-1].form in JOINING_PARTICLES:
            if not nouns_of(before):
                break
            focus[:0] = nouns_of(before)
            i -= 1
        elif len(before) == 1 and before[0].form == "및" and i > 1 and nouns_of(words[i - 2]):
            focus[:0] = nouns_of(words[i - 2])
            i -= 2
        else:
            break
    return tuple(f for f in focus if f not in ("및",))


def analyse(question: str, names: NameIndex | None = None) -> QueryAnalysis:
    """Analyse a question. ``names`` (the index's words by their romanisation) lets an English
    question's names ("Incheon", "Gangnam-gu") count as the Korean words the documents write; a
    name with no match stays a name the documents do not hold."""
    q = " ".join(question.split())
    lang = language(q)
    yrs = years_in(q)
    alternatives: dict[str, tuple[str, ...]] = {}
    if lang == "en":
        # English words through the glossary; Korean words written inside the question as they are
        hangul = " ".join(re.findall(r"[가-힣][가-힣0-9·\-]*(?:\s+[가-힣][가-힣0-9·\-]*)*", q))
        main, alternatives = translate(q)
        korean = [t for t in terms(hangul) if t not in QUESTION_WORDS] if hangul else []
        found, unmatched = match_names(q, names) if names is not None else ([], [])
        unmatched = [u for u in unmatched if not translate(u)[0]]  # a glossary word is not a name
        korean += [w for w in found if w not in korean]
        bm25_terms = main + [a for alts in alternatives.values() for a in alts] + korean
        content_source = main + korean
        ents = tuple(dict.fromkeys([*(entities_in(hangul) if hangul else ()), *found, *unmatched]))
    else:
        asked_counters = set(_ASKED_COUNTER.findall(q))  # "몇 곳", "몇 명": the question's form, not its subject
        bm25_terms = [t for t in terms(q) if t not in QUESTION_WORDS and t.rstrip("다") not in QUESTION_WORDS and t not in asked_counters]
        content_source = bm25_terms
        ents = entities_in(q)
    year_terms = {str(y) for y in yrs} | {str(y)[2:] for y in yrs}
    content = tuple(t for t in content_source if t not in year_terms and not t.isdigit() and t not in ("및", "등"))
    focus = focus_of(q) if lang == "ko" else focus_en(q)
    topics = topics_in(q) if lang == "ko" else ()
    return QueryAnalysis(q, lang, yrs, tuple(bm25_terms), content, ents, focus, alternatives, topics)


def question_types(text: str, lang: str) -> list[str]:
    """Every kind of answer the question asks for, in the order it asks ("몇 시에 어디서" → when,
    where). A cue inside a longer cue of another kind does not count ("번호" of "문서번호" asks for
    a document number, not a phone number; "몇 " of "몇 시" asks when, not how many)."""
    t = text.lower() if lang == "en" else text
    if lang == "en":  # "the phone number of 배덕환" asks for a number, not for how many
        t = re.sub(r"\b(?:phone|telephone|contact|extension)\s+numbers?\b", lambda m: "phone".ljust(len(m.group())), t)
    spans: list[tuple[int, int, str]] = []
    for qtype, cues in (_EN_TYPES_ALL if lang == "en" else _KO_TYPES_ALL):
        for c in cues:
            for m in (re.finditer(rf"\b{re.escape(c)}\b", t) if lang == "en" else re.finditer(re.escape(c), t)):
                spans.append((m.start(), m.end(), qtype))
    kept = [sp for sp in spans if not any(o[2] != sp[2] and o[0] <= sp[0] and sp[1] <= o[1] and (o[1] - o[0]) > (sp[1] - sp[0]) for o in spans)]
    found: list[tuple[int, str]] = []
    for start, _end, qtype in sorted(kept):
        if qtype not in (q for _, q in found):
            found.append((start, qtype))
    types = [q for _, q in sorted(found)]
    if lang == "ko" and "phone" in types and "who" in types and types.index("who") < types.index("phone"):
        if not re.search(r"(?:과장|팀장|주무관|담당자?|이름|누구)\s*(?:과|와|이랑|랑|및|하고)\s", t):
            types.remove("who")  # "담당 과장 전화번호는?" asks for the number; "팀장과 연락처는?" for both
    return types or ["what"]




_KO_TYPES_ALL: tuple[tuple[str, tuple[str, ...]], ...] = (("phone", KO_PHONE_CUES), *KO_TYPE_CUES)
_EN_TYPES_ALL: tuple[tuple[str, tuple[str, ...]], ...] = (("phone", EN_PHONE_CUES), *EN_TYPE_CUES)


def question_kinds(own: QueryAnalysis, resolved: QueryAnalysis) -> list[str]:
    """The kinds of answer a turn asks for: its own words first, the resolved follow-up's
    when its own say nothing more than "what"."""
    kinds = question_types(own.text, own.language)
    if not kinds or kinds == ["what"]:
        kinds = question_types(resolved.text, resolved.language) or kinds
    return kinds


def typed_kinds(kinds: Sequence[str]) -> list[str]:
    """The asked kinds that are a typed value (a date, a place, a name, a count, an amount, a phone number)."""
    return [k for k in kinds if k in TYPED_KINDS]


def asks_typed(kinds: Sequence[str]) -> bool:
    """Whether the question asks for a typed value rather than a statement."""
    return any(k in TYPED_KINDS for k in kinds)


def requested_count(q: str) -> int | None:
    """How many items the question asks for ("세 가지", "4개는", "three regions")."""
    m = re.search(r"(\d{1,2})\s*(?:개|가지|곳|명)(?:는|은|를|을|가|이|만)?\s*(?:[?？]|$|뭐|무엇|알려|나열|말해)", q)
    if m:
        return int(m.group(1))
    m = re.search("(" + "|".join(KO_NUMBERS) + r")\s*(?:가지|개|곳|명)", q)
    if m:
        return KO_NUMBERS[m.group(1)]
    m = re.search(r"\b(" + "|".join(EN_NUMBERS) + r")\b", q.lower())
    return EN_NUMBERS[m.group(1)] if m else None


def wants_list(q: str, a: QueryAnalysis) -> bool:
    """Whether the question asks for several things ("…모두", "명단", "which municipalities")."""
    if a.language == "en":
        low = q.lower()
        plural = re.search(r"\b(?:which|what)\s+(?:(?:two|three|four|five|six|seven|\d+)\s+)?(\w+s)\b", low)
        return bool(re.search(r"\b(list|all|what are|which are)\b", low)) or bool(plural and not plural.group(1).endswith("ss"))
    return (requested_count(q) not in (None, 1) or any(c in q for c in LIST_CUES)
            or bool(re.search(r"\d+\s*(개|가지|곳)\s*(는|은|를|을|가|이)?\s*[?？]?$", q)) or bool(LIST_ENDINGS.search(q)))


def asks_change(question: str) -> bool:
    """Whether the question asks for a change from one value to another ("얼마에서 얼마로 줄었어?")."""
    return bool(CHANGE_ASK.search(question))
