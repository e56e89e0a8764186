"""Query analysis with Kiwi: language, years, question type, terms, follow-up resolution."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from .nlp import get_kiwi, terms

# question-type cues, checked in order (the first that matches wins)
_KO_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("when", ("언제", "일시", "날짜", "며칠", "몇 시", "몇시", "몇 년", "몇년", "몇 월", "시기", "기간", "일정", "개최일", "연도")),
    ("where", ("어디", "장소", "위치")),
    ("who", ("누구", "누가", "이름", "성명", "담당자", "주무관", "과장", "팀장", "담당은", "담당이", "참여자", "참석자", "배석자")),
    ("count", ("몇 개", "몇개", "몇 명", "몇명", "몇 건", "몇건", "몇 회", "몇회", "몇 곳", "몇곳", "개수", "몇 ")),
    ("amount", ("얼마", "금액", "예산", "집행액", "사업비", "비용", "잔액", "이월", "증감", "이행률", "결산")),
    ("what", ("무엇", "뭐", "어떤", "어떻게", "내용", "무슨", "왜", "목적", "근거")),
)
_EN_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("when", ("when", "what date", "what time", "which date", "what day", "schedule", "period")),
    ("where", ("where", "venue", "location", "what place")),
    ("who", ("who", "whom", "person in charge", "officer", "manager", "team leader", "contact")),
    ("count", ("how many", "number of", "count")),
    ("amount", ("how much", "budget", "amount", "cost", "spent", "spending", "expenditure", "executed", "rate")),
    ("what", ("what", "which", "why", "how")),
)
# words that ask rather than inform: not used as search terms
_QUESTION_WORDS = frozenset(
    "언제 누구 어디 무엇 뭐 얼마 몇 어떤 어떻게 무슨 왜 어느 알리다 알려주다 말하다 하다 되다 있다 없다 이다 주다 보이다 궁금 "
    "그럼 그러면 그리고 또 그거 그것 거기 그때 나열 정리 전부 모두 목록 명단 가지 이름 성명 전화번호 전화 연락처 번호 내선 "
    "내선번호 알다 보다 찾다 잡다 돼다".split()
)
_ASKED_COUNTER = re.compile(r"몇\s*(개소|개|명|건|회|곳|번|차례|층|배|군데|차)")
_FOLLOWUP_CUES = ("그럼", "그러면", "그리고", "또", "그건", "그 중", "그중", "and ", "what about", "how about", "and in", "then ")
_YEAR = re.compile(r"(?<![\d,.])((?:19|20)\d{2})(?:\s*년도?)?(?![\d,])|['‘’](\d{2})(?!\d)|(?<![\d.,])(\d{2})\s*년(?!\d)")
_PLACE = re.compile(r"^[가-힣]{1,6}(?:특별자치시|특별자치도|광역시|특별시|시|도|군|구)$")


@dataclass(frozen=True)
class QueryAnalysis:
    text: str
    language: str
    qtype: str
    years: tuple[int, ...]
    terms: tuple[str, ...]  # BM25 terms (Korean; English questions are translated)
    content: tuple[str, ...]  # informative terms without years and question words
    entities: tuple[str, ...]
    focus: tuple[str, ...] = ()  # terms of the noun phrase asked about
    alternatives: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)  # English: 지자체 | 자치단체
    topics: tuple[str, ...] = ()  # compound names written as one word ("지역균형발전"): what the question is about


@lru_cache(maxsize=1)
def glossary() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """English phrases → Korean terms, longest phrase first."""
    text = resources.files("assistant.data").joinpath("glossary_en_ko.tsv").read_text(encoding="utf-8")
    entries: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#") or "\t" not in line:
            continue
        en, ko = line.split("\t", 1)
        entries.setdefault(en.strip().lower(), tuple(ko.split()))
    return tuple(sorted(entries.items(), key=lambda kv: -len(kv[0])))


def language(text: str) -> str:
    """"en" for English sentences, even with Korean names in them ("What is the budget of 영등포형 …?")."""
    hangul = sum(1 for ch in text if "가" <= ch <= "힣")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    starts_english = bool(re.match(r"^\s*[A-Za-z]+\s+[A-Za-z]+", text))
    return "en" if latin >= 3 and (latin > 2 * hangul or (starts_english and 2 * latin >= hangul)) else "ko"


def years_in(text: str) -> tuple[int, ...]:
    out: list[int] = []
    for m in _YEAR.finditer(text):
        y = int(m.group(1)) if m.group(1) else 2000 + int(m.group(2) or m.group(3))
        if 1990 <= y <= 2049 and y not in out:
            out.append(y)
    return tuple(out)


def question_type(text: str, lang: str) -> str:
    t = text.lower() if lang == "en" else text
    for qtype, cues in _EN_TYPES if lang == "en" else _KO_TYPES:
        if any((re.search(rf"\b{re.escape(c)}\b", t) if lang == "en" else c in t) for c in cues):
            return qtype
    return "what"


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


def translate_terms(text: str) -> list[str]:
    """All Korean search terms for an English question (for BM25: alternatives included)."""
    main, alternatives = translate(text)
    return main + [a for alts in alternatives.values() for a in alts]


_NOT_NAMES = ("이름", "성명", "누구", "연락", "전화", "번호", "담당", "소속", "직위", "직급")
# zero-width (lookahead) matches, so that "담당 주무관 정인애" is tried at 주무관 too
_PERSON_NEAR_ROLE = re.compile(
    r"(?=(?:과장|팀장|주무관|담당자?|시장|국장|위원장)\s*[:：]?\s*([가-힣]{2,4})(?![가-힣]))"
    r"|(?<![가-힣])(?=([가-힣]{2,4})\s*(?:과장|팀장|주무관|시장|국장|위원장)(?![가-힣]))"
)


def persons_in(text: str) -> tuple[str, ...]:
    """Names written next to a role (``주무관 정인애``, ``고경인 팀장``)."""
    out = []
    for m in _PERSON_NEAR_ROLE.finditer(text):
        name = m.group(1) or m.group(2)
        if not name or name[0] not in _SURNAME_CHARS or any(r in name for r in _ROLES):
            continue
        if name.startswith(_NOT_NAMES):  # "시장 이름은?" asks for a name, it does not give one
            continue
        if re.search(r"(시|도|군|구|청|국|과|실|부|원|회|관)$", name):
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
            if nxt is not None and nxt.start == t.start + t.len and nxt.form in ("시", "도", "군", "구", "청"):
                form += nxt.form
            out.append(form)
        elif t.tag == "NNG" and _PLACE.match(t.form) and len(t.form) >= 3:
            out.append(t.form)
    return tuple(dict.fromkeys(out))


_CODE = re.compile(r"(?<![가-힣A-Za-z])[가-힣A-Za-z]{2,10}-\d{1,3}(?!\d)")


def entities_in(text: str) -> tuple[str, ...]:
    """Places, organisations, people and document codes ("소통행정-3") named in ``text``."""
    persons = persons_in(text)
    codes = [m.group() for m in _CODE.finditer(text)]
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
                and t.form not in _QUESTION_WORDS and t.form not in _VAGUE]

    i = len(words) - 1
    while i >= 0 and not nouns_of(words[i]):
        if any(t.form in _VAGUE for t in words[i] if t.tag.startswith("NN")):
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
        if before[-1].tag == "JC" or before[-1].form in ("와", "과", "랑", "이랑"):
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


def analyse(question: str) -> QueryAnalysis:
    q = " ".join(question.split())
    lang = language(q)
    yrs = years_in(q)
    alternatives: dict[str, tuple[str, ...]] = {}
    if lang == "en":
        # English words through the glossary; Korean words written inside the question as they are
        hangul = " ".join(re.findall(r"[가-힣][가-힣0-9·\-]*(?:\s+[가-힣][가-힣0-9·\-]*)*", q))
        main, alternatives = translate(q)
        korean = [t for t in terms(hangul) if t not in _QUESTION_WORDS] if hangul else []
        bm25_terms = main + [a for alts in alternatives.values() for a in alts] + korean
        content_source = main + korean
        ents = entities_in(hangul) if hangul else ()
    else:
        asked_counters = set(_ASKED_COUNTER.findall(q))  # "몇 곳", "몇 명": the question's form, not its subject
        bm25_terms = [t for t in terms(q) if t not in _QUESTION_WORDS and t.rstrip("다") not in _QUESTION_WORDS and t not in asked_counters]
        content_source = bm25_terms
        ents = entities_in(q)
    year_terms = {str(y) for y in yrs} | {str(y)[2:] for y in yrs}
    content = tuple(t for t in content_source if t not in year_terms and not t.isdigit() and t not in ("및", "등"))
    focus = focus_of(q) if lang == "ko" else focus_en(q)
    topics = topics_in(q) if lang == "ko" else ()
    return QueryAnalysis(q, lang, question_type(q, lang), yrs, tuple(bm25_terms), content, ents, focus, alternatives, topics)


def question_types(text: str, lang: str) -> list[str]:
    """Every kind of answer the question asks for, in the order it asks ("몇 시에 어디서" → when, where)."""
    t = text.lower() if lang == "en" else text
    if lang == "en":  # "the phone number of 배덕환" asks for a number, not for how many
        t = re.sub(r"\b(?:phone|telephone|contact|extension)\s+numbers?\b", lambda m: "phone".ljust(len(m.group())), t)
    found: list[tuple[int, str]] = []
    for qtype, cues in (_EN_TYPES_ALL if lang == "en" else _KO_TYPES_ALL):
        positions = []
        for c in cues:
            m = re.search(rf"\b{re.escape(c)}\b", t) if lang == "en" else re.search(re.escape(c), t)
            if m:
                positions.append(m.start())
        if positions and qtype not in (q for _, q in found):
            found.append((min(positions), qtype))
    positions = dict((q, pos) for pos, q in found)
    if "count" in positions and positions.get("when") == positions["count"]:
        found = [(pos, q) for pos, q in found if q != "count"]  # "몇 시에" asks when, not how many
    types = [q for _, q in sorted(found)]
    if lang == "ko" and "phone" in types and "who" in types and types.index("who") < types.index("phone"):
        if not re.search(r"(?:과장|팀장|주무관|담당자?|이름|누구)\s*(?:과|와|이랑|랑|및|하고)\s", t):
            types.remove("who")  # "담당 과장 전화번호는?" asks for the number; "팀장과 연락처는?" for both
    return types or ["what"]


_KO_TYPES_ALL: tuple[tuple[str, tuple[str, ...]], ...] = (("phone", ("전화", "연락처", "내선", "번호")), *_KO_TYPES)
_EN_TYPES_ALL: tuple[tuple[str, tuple[str, ...]], ...] = (("phone", ("phone", "telephone", "extension")), *_EN_TYPES)
_VAGUE = frozenset("곳 것 거 분 쪽 때 데 수 점 중 뭐 대비 이상 이하 기준 경우 관련 예정".split())
_ASKING = ("언제", "누구", "누가", "어디", "얼마", "몇", "무엇", "뭐", "어떤", "어떻게", "왜", "무슨", "어느")
_DEMONSTRATIVE = ("그 ", "그때", "거기", "같은", "해당", "그곳")
_MEASURE_SUFFIX = ("예산액", "집행액", "확보액", "잔액", "사업비", "예산", "수요", "금액", "이월", "결산", "최종예산", "예산현액", "집행잔액", "투자수요", "증감")
_ATTRIBUTES = frozenset(
    "전화번호 연락처 번호 이름 성명 부서 주관부서 추진부서 담당부서 소관 장소 일시 시간 날짜 기간 참여자 참석자 민간 행정 "
    "인원 목적 근거 내용 일정 결과 실적 계획 위원 위원수 쪽 분 곳 다른 사업 금액 비용".split()
)
_ROLES = ("과장", "팀장", "주무관", "담당자", "담당", "시장", "위원장", "국장")


def is_followup(question: str, previous: str) -> bool:
    """A question that only makes sense with the previous one ("그럼 2020년에는?", "대전시는?",
    "주무관은?", "역량강화 분과는?"): it starts with a cue word, or it is short, asks nothing
    by itself and brings no new topic (only years, names, amounts, roles or attributes, or a
    noun the previous question already had)."""
    q = " ".join(question.split()).strip()
    low = q.lower()
    if any(low.startswith(c) for c in _FOLLOWUP_CUES) or any(low.startswith(c) for c in _DEMONSTRATIVE):
        return True
    if language(q) == "en":
        return len(q.split()) <= 3
    core = re.sub(r"[\s?？!.,~]", "", q)
    if len(core) > 15 or any(w in q for w in _ASKING):
        return False
    ents = set(entities_in(q))
    prev_words = [w for w, _, _ in _nouns(previous)]
    nouns = _nouns(q)
    if len(nouns) >= 2 and any(p == nouns[-1][0] or p.startswith(nouns[-1][0]) for p in prev_words):
        return True  # "역량강화 분과는?" after "협치기반조성 분과회의는 …": a new value for the same head noun
    for word, _, _ in nouns:
        if years_in(word) or word in ents or _slot(word) or word in _ATTRIBUTES:
            continue
        if any(p == word or p.startswith(word) or word.startswith(p) for p in prev_words):
            continue
        if any(word in e for e in ents):
            continue
        return False  # a topic of its own: a new question
    return True


def _strip_cues(q: str) -> str:
    low = q.lower()
    for cue in _FOLLOWUP_CUES + _DEMONSTRATIVE:
        if low.startswith(cue):
            return q[len(cue) :].strip(" ,")
    return q


def topic_of(previous: str) -> str:
    """The previous question without what it asked: "지역균형발전 사업 담당 과장은 누구야?" → "지역균형발전 사업 담당 과장"."""
    tokens = get_kiwi().tokenize(previous)
    end = 0
    for t in tokens:
        if t.form in _QUESTION_WORDS or t.tag in ("SF", "IC") or (t.tag.startswith("V") and t.form in ("알리", "알려주")):
            break
        if t.tag.startswith(("NN", "SN", "SL", "XR", "SH", "NR", "XSN")) or t.tag in ("SSO", "SSC", "SO", "SP"):
            end = t.start + t.len
    return previous[:end].strip(" ,") if end else previous


def _slot(word: str) -> str | None:
    if re.fullmatch(r"\d+\s*분기", word):
        return "quarter"
    if word.endswith(_MEASURE_SUFFIX):
        return "measure"
    if word in _ROLES or word.endswith(("과장", "팀장", "주무관")):
        return "role"
    return None


def _nouns(text: str) -> list[tuple[str, int, int]]:
    """Compound nouns with their spans: adjacent noun and number morphemes with no space
    between them form one word ("협치기반조성", "4분기", "2018년")."""
    out: list[tuple[str, int, int]] = []
    for t in get_kiwi().tokenize(text):
        if t.tag.startswith(("NN", "SN", "SL", "XR")):
            end = t.start + t.len
            if out and out[-1][2] == t.start:
                _w, s, _ = out[-1]
                out[-1] = (text[s:end], s, end)
            else:
                out.append((text[t.start : end], t.start, end))
    return out


def resolve_followup(question: str, previous: str) -> str:
    """Rewrite a follow-up as a full question using the previous one (years, places, people,
    quarters and measures are substituted; new attributes are asked of the previous topic)."""
    q = _strip_cues(" ".join(question.split()))
    out = previous
    used: set[str] = set()
    new_years = years_in(q)
    if new_years:
        used |= {str(y) for y in new_years} | {str(y)[2:] for y in new_years}
        spans = list(_YEAR.finditer(out))
        if spans:
            first = spans[0]
            suffix = "년" if re.search(r"년도?$", first.group(0).rstrip()) or first.group(3) else ""
            out = out[: first.start()] + f"{new_years[0]}{suffix}" + out[first.end() :]
            for m in reversed(list(_YEAR.finditer(out))[1:]):
                out = out[: m.start()] + out[m.end() :]
        else:
            out = f"{new_years[0]}년 {out}"
    if language(q) == "en":
        rest = re.sub(r"(?i)\b(and|what|about|how|in|the|of|for|then)\b|[?.!,]|(19|20)\d{2}", " ", q).strip()
        return " ".join(f"{out} {rest}".split()) if rest else out
    q_nouns = [n for n in _nouns(q) if n[0] not in used and n[0] not in _ASKING]
    prev_nouns = _nouns(out)
    new_ents = entities_in(q)
    leftover: list[str] = []
    for word, _, _ in q_nouns:
        if any(word in e or e.startswith(word) for e in new_ents):
            continue
        leftover.append(word)
    # people and places replace their own kind
    new_people = set(persons_in(q))
    for ent in new_ents:
        kind = persons_in if ent in new_people else places_in
        old = [e for e in kind(out) if e != ent and e not in new_people]
        if old:
            out = _replace_last(out, old[-1], ent)
        elif ent not in out:
            out = f"{ent} {out}"
    # quarters, measures and roles replace the previous one of the same slot
    remaining: list[str] = []
    for word in leftover:
        slot = _slot(word)
        same = [p for p in _nouns(out) if slot and _slot(p[0]) == slot and p[0] != word]
        if same:
            w, s, e = same[-1]
            out = out[:s] + word + out[e:]
        elif word not in out:
            remaining.append(word)
    # "역량강화 분과" after "협치기반조성 분과회의": a modifier of a shared head noun is replaced
    if remaining and len(q_nouns) >= 2:
        head = q_nouns[-1][0]
        hits = [p for p in prev_nouns if p[0] == head or p[0].startswith(head)]
        pos = [i for i, p in enumerate(_nouns(out)) if p[0] == head or p[0].startswith(head)]
        if hits and pos and pos[0] > 0:
            cur = _nouns(out)
            i = pos[0]
            mod_w, mod_s, mod_e = cur[i - 1]
            new_mods = [w for w in remaining if w != head]
            if new_mods and _slot(mod_w) is None and not years_in(mod_w):
                out = out[:mod_s] + " ".join(new_mods) + out[mod_e:]
                remaining = [w for w in remaining if w not in new_mods and w != head]
    if remaining:
        rest = " ".join(w for w in remaining)
        tail = re.sub(r"^.*?(" + re.escape(remaining[0]) + ")", r"\1", q) if remaining[0] in q else rest
        topic = topic_of(out)
        if not any(_slot(w) == "measure" for w in remaining) and any(_slot(w) in ("role", None) for w in remaining):
            # asking about a person or an attribute: the previous amount and year no longer apply
            for w, s0, e0 in reversed(_nouns(topic)):
                if _slot(w) == "measure" or years_in(w):
                    topic = topic[:s0] + topic[e0:]
            topic = re.sub(r"(의|에서|에)\s+(?=\S)", r"\1 ", topic)
        out = f"{topic} {tail}"
    return " ".join(out.split())


_SURNAME_CHARS = set("김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진지엄채원천방공현함변염여추도소석선설마길연위표명기반라왕금옥육인맹제모")


def _replace_last(text: str, old: str, new: str) -> str:
    i = text.rfind(old)
    if i < 0:
        return text
    end = i + len(old)
    suffixes = ("시", "도", "구", "군")
    if old.endswith(suffixes) and not new.endswith(suffixes):
        new += old[-1]  # "세종시와" → "대전시와"
    elif new.endswith(suffixes) and not old.endswith(suffixes) and text[end : end + 1] in suffixes:
        new = new[:-1]
    return text[:i] + new + text[end:]
