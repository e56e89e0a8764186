"""Follow-up questions: whether a turn only makes sense with the previous one ("그럼 2020년에는?",
"주무관은?") and the full question it stands for."""

from __future__ import annotations

import re

from ..ingest import get_kiwi
from ..lexicon import (
    ASKING,
    ATTRIBUTES,
    CONTACT_ROLES,
    DEMONSTRATIVES,
    FOLLOWUP_CUES,
    MEASURE_WORDS,
    QUESTION_WORDS,
    ROLES,
    SHORT_PLACE_SUFFIXES,
    YEAR,
    years_in,
)
from .query import entities_in, language, persons_in, places_in


def is_followup(question: str, previous: str) -> bool:
    """A question that only makes sense with the previous one ("그럼 2020년에는?", "대전시는?",
    "주무관은?", "역량강화 분과는?"): it starts with a cue word, or it is short, asks nothing
    by itself and brings no new topic (only years, names, amounts, roles or attributes, or a
    noun the previous question already had)."""
    q = " ".join(question.split()).strip()
    low = q.lower()
    if any(low.startswith(c) for c in FOLLOWUP_CUES) or any(low.startswith(c) for c in DEMONSTRATIVES):
        return True
    if language(q) == "en":
        return len(q.split()) <= 3
    core = re.sub(r"[\s?？!.,~]", "", q)
    if len(core) > 15 or any(w in q for w in ASKING):
        return False
    ents = set(entities_in(q))
    prev_words = [w for w, _, _ in _nouns(previous)]
    nouns = _nouns(q)
    if len(nouns) >= 2 and any(p == nouns[-1][0] or p.startswith(nouns[-1][0]) for p in prev_words):
        return True  # "역량강화 분과는?" after "협치기반조성 분과회의는 …": a new value for the same head noun
    for word, _, _ in nouns:
        if years_in(word) or word in ents or _slot(word) or word in ATTRIBUTES:
            continue
        if any(p == word or p.startswith(word) or word.startswith(p) for p in prev_words):
            continue
        if any(word in e for e in ents):
            continue
        return False  # a topic of its own: a new question
    return True


def _strip_cues(q: str) -> str:
    low = q.lower()
    for cue in FOLLOWUP_CUES + DEMONSTRATIVES:
        if low.startswith(cue):
            return q[len(cue) :].strip(" ,")
    return q


def topic_of(previous: str) -> str:
    """The previous question without what it asked: "지역균형발전 사업 담당 과장은 누구야?" → "지역균형발전 사업 담당 과장"."""
    tokens = get_kiwi().tokenize(previous)
    end = 0
    for t in tokens:
        if t.form in QUESTION_WORDS or t.tag in ("SF", "IC") or (t.tag.startswith("V") and t.form in ("알리", "알려주")):
            break
        if t.tag.startswith(("NN", "SN", "SL", "XR", "SH", "NR", "XSN")) or t.tag in ("SSO", "SSC", "SO", "SP"):
            end = t.start + t.len
    return previous[:end].strip(" ,") if end else previous


def _slot(word: str) -> str | None:
    if re.fullmatch(r"\d+\s*분기", word):
        return "quarter"
    if word.endswith(MEASURE_WORDS):
        return "measure"
    if word in ROLES or word.endswith(CONTACT_ROLES):
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
        spans = list(YEAR.finditer(out))
        if spans:
            first = spans[0]
            suffix = "년" if re.search(r"년도?$", first.group(0).rstrip()) or first.group(3) else ""
            out = out[: first.start()] + f"{new_years[0]}{suffix}" + out[first.end() :]
            for m in reversed(list(YEAR.finditer(out))[1:]):
                out = out[: m.start()] + out[m.end() :]
        else:
            out = f"{new_years[0]}년 {out}"
    if language(q) == "en":
        rest = re.sub(r"(?i)\b(and|what|about|how|in|the|of|for|then)\b|[?.!,]|(19|20)\d{2}", " ", q).strip()
        return " ".join(f"{out} {rest}".split()) if rest else out
    q_nouns = [n for n in _nouns(q) if n[0] not in used and n[0] not in ASKING]
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




def _replace_last(text: str, old: str, new: str) -> str:
    i = text.rfind(old)
    if i < 0:
        return text
    end = i + len(old)
    suffixes = SHORT_PLACE_SUFFIXES
    if old.endswith(suffixes) and not new.endswith(suffixes):
        new += old[-1]  # "세종시와" → "대전시와"
    elif new.endswith(suffixes) and not old.endswith(suffixes) and text[end : end + 1] in suffixes:
        new = new[:-1]
    return text[:i] + new + text[end:]
