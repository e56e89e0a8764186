"""Document metadata read from the text: title, type, years, department, contacts, date."""

from __future__ import annotations

import re
from collections import Counter

from ..lexicon import (
    BUDGET_HEADINGS,
    CONTACT_PHONE,
    CONTACT_ROLES,
    DEPARTMENT_LABELS,
    DOC_TYPE_CUES,
    FULL_DATE,
    MEETING_TITLE_WORDS,
    ROLE_ENDINGS,
    WHOLE_CODE,
    years_in,
)
from ..records import Contact, Table
from .layout import unit_tail
from .parse import ParsedText, split_lines


def find_title_line(source: str) -> tuple[int | None, str]:
    """The line holding the document title (``None`` when it is inside a table) and the title."""
    lines = split_lines(source)
    for line in lines:
        m = re.match(r"^#\s+(\S.*)$", line.stripped)
        if m:
            return None, m.group(1).strip()
    nonblank = [(i, ln) for i, ln in enumerate(lines) if not ln.blank]
    if not nonblank:
        return None, ""
    i0, first = nonblank[0]
    if first.stripped.startswith("보도자료"):
        for i, ln in nonblank[1:]:
            s = ln.stripped
            if "\t" in ln.raw.strip() or ":" in s or len(s) < 12 or s.startswith(("-", "○", "※")):
                continue
            return i, s
    if "\t" in first.raw.strip():
        cells = [c.strip() for c in first.raw.split("\t") if c.strip()]
        if len(cells) >= 2 and WHOLE_CODE.match(cells[0]):
            return None, f"{cells[1]} ({cells[0]})"  # the project code identifies the document too
        return None, cells[0] if cells else ""
    tail = unit_tail(first.raw)  # "□ 예산 현황      (단위: 억원)": the unit belongs to the table below
    return i0, " ".join((first.raw[: tail[1]] if tail else first.stripped).split())


def classify(source: str, title: str) -> str:
    """The document type, from cue phrases in the title and the text."""
    head = source[:300]
    if any(c in head for c in DOC_TYPE_CUES["press_release"]):
        return "press_release"
    if "법률안" in title or sum(c in source for c in DOC_TYPE_CUES["bill"]) >= 2:
        return "bill"
    if "회의" in title and any(c in title for c in MEETING_TITLE_WORDS):
        return "meeting_report"
    scores = {t: sum(source.count(c) for c in cues) for t, cues in DOC_TYPE_CUES.items() if t in ("budget", "performance_report")}
    if scores["budget"] >= 2 and any(c in source for c in BUDGET_HEADINGS):
        return "budget"
    best = max(scores, key=lambda t: scores[t])
    return best if scores[best] >= 2 else "other"


def years(text: str) -> tuple[int, ...]:
    """Years the text mentions (``2019``, ``'19``, ``19년``), sorted."""
    return tuple(sorted(years_in(text)))


def first_date(text: str) -> str | None:
    """The first full date (``2023. 4. 10.``) as ISO ``2023-04-10``."""
    for m in FULL_DATE.finditer(text):
        y, mo, d = (int(g) for g in m.groups())
        if 1 <= mo <= 12 and 1 <= d <= 31:
            return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def _split_person(text: str) -> tuple[str, str]:
    phone = ", ".join(CONTACT_PHONE.findall(text))
    name = CONTACT_PHONE.sub("", text).strip(" ,:()")
    return name, phone.strip("()")


def contacts_and_department(parsed: ParsedText, source: str) -> tuple[tuple[Contact, ...], str]:
    """People in charge (from 담당자 tables and header lines) and the responsible department."""
    contacts: list[Contact] = []
    departments: Counter[str] = Counter()
    for table in parsed.tables:
        contacts += _contacts_from_table(table, departments)
    m = re.search(r"담당부서\s*[:：]\s*([^\t\n]+)", source)
    if m:
        departments[m.group(1).strip()] += 3
    dept = departments.most_common(1)[0][0] if departments else ""
    seen: set[tuple[str, str]] = set()
    unique = []
    for c in contacts:
        if (c.role, c.name) not in seen and c.name:
            seen.add((c.role, c.name))
            unique.append(c)
    return tuple(unique), dept


def _contacts_from_table(table: Table, departments: Counter[str]) -> list[Contact]:
    out: list[Contact] = []
    cols = [re.sub(r"\s+", "", c) for c in table.columns]
    if any(c in CONTACT_ROLES for c in cols):
        dept_col = next((j for j, c in enumerate(cols) if c == "부서명"), None)
        for row in table.rows:
            dept = row[dept_col].text if dept_col is not None else ""
            if dept:
                departments[dept] += 2
            for j, c in enumerate(cols):
                if c in CONTACT_ROLES and row[j].text:
                    name, phone = _split_person(row[j].text)
                    out.append(Contact(c, name, phone, dept))
        return out
    for row in [*table.header_rows, *table.rows]:
        texts = [c.text for c in row]
        for j, t in enumerate(texts):
            norm = re.sub(r"\s+", "", t)
            if norm in DEPARTMENT_LABELS and j + 1 < len(texts) and texts[j + 1]:
                departments[texts[j + 1]] += 2
            m = re.match(r"^([가-힣]*(?:과장|팀장|담당|주무관))\s*[:：]\s*([가-힣]{2,4})\s*(\(\d+\))?$", t)
            if m:
                out.append(Contact(m.group(1), m.group(2), (m.group(3) or "").strip("()")))
        # press-release header rows: [담당부서 : X] | role | name | phone
        if len(texts) >= 4 and CONTACT_PHONE.fullmatch(texts[-1] or "-") and re.fullmatch(r"[가-힣]{2,4}", texts[-2] or ""):
            role = re.sub(r"\s+", "", texts[-3])
            if role.endswith(ROLE_ENDINGS) or "담당" in role:
                out.append(Contact(role, texts[-2], texts[-1]))
    return out
