"""Composing answers: the answer text of a table match or a sentence (with the list it heads,
its sibling items, or the section's items), numbered citations with the supporting span, and
the messages of answers that are not answers (abstention, invalid questions)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from ..ingest import format_value
from ..ingest import terms as content_terms
from ..lexicon import ATTRIBUTE_LABELS, COLUMN_UNIT, COUNT, DISPLAY_MARK, LABEL_BEFORE_MARK, display_label, masked
from ..records import Answer, Cell, Citation, Evidence, Hit, Table, TableAnswer, locate
from ..search import QueryAnalysis, asks_change, asks_typed, requested_count, typed_kinds
from .candidates import Unit, depth, marker
from .sources import Sources
from .tables import TableMatch, value_cell
from .values import clause, enumeration, type_spans

#: the texts of answers that are not found in a document, by language
MSG = {
    "ko": {
        "empty": "질문을 입력해 주세요.",
        "too_long": "질문이 너무 깁니다({n:,}자). {max:,}자 이내로 줄여서 다시 물어봐 주세요.",
        "no_text": "질문에서 읽을 수 있는 글자를 찾지 못했습니다. 다시 입력해 주세요.",
        "abstain": "문서에서 이 질문에 대한 답을 찾지 못했습니다. 가장 가까운 내용을 출처로 보여 드립니다.",
        "abstain_year": "문서에 {years}년 자료가 없습니다. 가장 가까운 내용을 출처로 보여 드립니다.",
        "no_docs": "검색할 문서가 없습니다(필터 조건에 맞는 문서가 없거나 색인이 비어 있습니다).",
        "items": "{n}개: ",
        "error": "질문을 처리하는 중 문제가 생겼습니다. 다시 시도해 주세요. ({detail})",
        "masked": "공개된 문서에는 이 값이 가려져 있어(부분공개) 알려 드릴 수 없습니다. 가려진 부분을 출처로 보여 드립니다.",
    },
    "en": {
        "empty": "Please type a question.",
        "too_long": "The question is too long ({n:,} characters). Please keep it under {max:,} characters.",
        "no_text": "The question has no readable text. Please type it again.",
        "abstain": "The documents do not answer this question. The closest passages are shown as sources.",
        "abstain_year": "The documents hold no figures for {years}. The closest passages are shown as sources.",
        "no_docs": "There is nothing to search (no document matches the filters, or the index is empty).",
        "items": "{n} items: ",
        "error": "Something went wrong while answering. Please try again. ({detail})",
        "masked": "The published document does not disclose this value (it is masked). The passage is shown as the source.",
    },
}


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _date_label(date: str | None) -> str:
    """An ISO date as Korean documents write it: "2025-05-08" → "2025. 5. 8."."""
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", date or "")
    return f"{m.group(1)}. {int(m.group(2))}. {int(m.group(3))}." if m else ""


def _section_label(c: Citation) -> str:
    """The citation's section as a reader names it ("예산 총괄", not "2 예산 설명 > □ 예산 총괄")."""
    section = display_label(c.section_path[-1]) if c.section_path else ""
    return section if section and section != display_label(c.title) else ""


def _col_label(t: Table, j: int) -> str:
    """A column's header path as words, without the parts that only repeat the table's title
    ("2019년 / 확보액" → "2019년 확보액")."""
    if j >= len(t.columns) or not t.columns[j]:
        return ""
    parts = [p for p in t.columns[j].split(" / ") if p.replace(" ", "") != t.title.replace(" ", "")]
    return display_label(" ".join(parts) or t.columns[j])


def _labelled(label: str, value: str) -> str:
    """"label value", without the unit the label repeats ("사업비(천원) 150,000천원" → "사업비 150,000천원")."""
    unit = COLUMN_UNIT.search(label)
    if unit and value.endswith(unit.group(1)):
        label = COLUMN_UNIT.sub("", label).strip()
    return f"{label} {value}".strip()


def _cell_names(row_label: str, col_label: str, title: str) -> str:
    """Who or what a cell is about, then which of its properties: the row's thing and the column's
    measure ("사무관리비 2022예산액"), or, when the row names a property of the things in the columns
    (일시, 장소 of each 분과), the column's thing first ("역량강화 일시")."""
    attribute = any(row_label.replace(" ", "").startswith(w) for w in ATTRIBUTE_LABELS)
    names = [col_label, row_label] if attribute else [row_label, col_label]
    return " ".join(dict.fromkeys(x for x in names if x and x != title and _is_name(x)))


def _is_name(label: str) -> bool:
    """A label that names something, not a value in a header's place ("6.11. ~ 6.13."); a year names a row."""
    return bool(re.search(r"[가-힣]|[A-Za-z]{2}", label) or re.fullmatch(r"(?:19|20)\d{2}\s*(?:년도?)?", label))


class Composer:
    """Writes answers from chosen evidence, citing the passages it comes from."""

    def __init__(self, sources: Sources, max_citations: int = 3):
        self.sources = sources
        self.max_citations = max_citations

    def citation(self, number: int, hit: Hit, span: tuple[int, int] | None = None) -> Citation:
        c = hit.chunk
        a, b = span if span else (0, len(c.text))
        start, end = c.offsets.span(a, b)
        anchors = self.sources.anchors(c.doc_id)
        return Citation(number, c.doc_id, c.title, c.heading_path, c.text, (a, b), start, end, c.id, locate(anchors, start), hit.score)

    def citations(self, primary: list[tuple[Hit, tuple[int, int] | None]], hits: list[Hit]) -> tuple[Citation, ...]:
        out: list[Citation] = []
        used: set[int] = set()
        for hit, span in primary:
            if hit.chunk.id in used:
                continue
            used.add(hit.chunk.id)
            out.append(self.citation(len(out) + 1, hit, span))
        return tuple(out)

    def table_answer(self, question: str, query: str, a: QueryAnalysis, qtypes: list[str], m: TableMatch, hits: list[Hit]) -> Answer:
        t = m.table
        lang = a.language
        hit = m.hit
        # cite the row chunk of the answering row when it was retrieved, else the table's best hit
        row = m.rows[0] if m.rows else (m.cells[0][0] if m.cells else 0)
        row_hits = {h.chunk.row: h for h in hits if h.chunk.doc_id == m.doc_id and h.chunk.table == t.index}
        cite_hit = row_hits.get(row, hit)
        if m.kind in ("list", "header"):
            items = [it for it in m.items if not masked(it)]  # a masked value is never an answer
            text = MSG[lang]["items"].format(n=len(items)) + ", ".join(items)
            values = tuple(items)
        else:
            # "what: value": the row's and the column's names, then the value (the table and the
            # document are the citation's label, not part of the answer)
            parts = []
            unlabelled = not any(_col_label(t, j) for _, j in m.cells)
            for r, j in sorted(m.cells, key=lambda rc: rc[1]) if unlabelled else m.cells:
                cell = cell_at(t, r, j)
                if masked(cell.text):
                    continue
                value = format_value(cell.value, cell.unit) if cell.value is not None and not re.search(r"[가-힣]{2}", cell.text) else cell.text
                if unlabelled:  # a label/value row without a header: its cells in order
                    if value not in parts:
                        parts.append(value)
                    continue
                label = _col_label(t, j) or (display_label(t.rows[r][j - 1].text) if j > 0 else "")
                parts.append(_labelled(label, value) if m.kind == "row" or len(m.cells) > 1 else value)
            title = display_label(t.title)
            row_label = display_label(t.row_label(row)) if t.rows and not unlabelled else ""
            col_labels = [_col_label(t, j) for _, j in m.cells if _col_label(t, j)]
            if m.kind != "row" and len(m.cells) == 1 and not unlabelled:
                r0, j0 = m.cells[0]
                spans = r0 >= 0 and cell_at(t, r0, j0) is not t.rows[r0][j0]  # one value across the columns: no column's own
                names = _cell_names(row_label, "" if spans or not col_labels else col_labels[0], title)
            elif unlabelled:  # a label/value line ("문서번호 | 청년사업담당관-566"): its label names the value
                first = display_label(t.rows[row][0].text) if t.rows and t.rows[row] and all(j > 0 for _, j in m.cells) else ""
                names = first if first and first != title and _is_name(first) else ""
            else:
                names = row_label if row_label != title and _is_name(row_label) else ""
            if parts and len(parts) == 1 and names and parts[0].replace(" ", "") in names.replace(" ", ""):
                names = _cell_names("", col_labels[0] if col_labels else "", title)  # the row's label is the value itself
            joined = ", ".join(parts)
            text = f"{names}: {joined}" if names and joined else joined
            values = tuple(parts)
            if m.kind == "cell" and len(m.cells) == 1 and "phone" in qtypes:
                phone = type_spans(cell_at(t, *m.cells[0]).text, "phone")
                if phone:
                    cell_text = cell_at(t, *m.cells[0]).text
                    number = cell_text[phone[0][0] : phone[0][1]]
                    text = (f"{names}: " if names else "") + number + (f" ({cell_text})" if cell_text.strip() != number else "")
                    values = (number,)
        span = _row_span(cite_hit, t, row)
        citations = self.citations([(cite_hit, span)], hits)
        shown_rows = m.rows if m.kind == "list" else ([row] if m.kind != "header" else [])
        cols = tuple(t.columns) if any(t.columns) else tuple("" for _ in range(len(t.rows[0]) if t.rows else 0))
        rows = tuple(tuple(c.text for c in t.rows[r]) for r in shown_rows)
        highlight = None
        if m.cells and m.kind in ("cell", "row") and m.cells[0][0] >= 0:
            highlight = (0, m.cells[0][1])
        if m.kind == "header":
            cols = tuple(t.columns)
            rows = tuple(tuple(c.text for c in r) for r in t.rows)
        table = TableAnswer(m.doc_id, t.index, t.title, cols, rows, t.unit, highlight, citations[0].number if citations else 1)
        return Answer(question, f"{text} [1]", False, citations, (table,), kind="table" if m.kind != "list" else "list",
                      query=query, language=lang, items=tuple(it for it in m.items if not masked(it)), values=values)

    def text_answer(
        self, question: str, query: str, a: QueryAnalysis, qtypes: list[str], wants_list: bool, unit: Unit, units: list[Unit], hits: list[Hit]
    ) -> Answer:
        """The answer a sentence, item or field gives: the list it heads or belongs to, or the
        value of the asked kind in it with the clause around it."""
        lang = a.language
        want_n = requested_count(question)
        span_units, items = self._compose(unit, units, a, qtypes, wants_list)
        items = [it for it in items if not masked(it)]  # a masked value is never an answer
        if want_n and len(items) > want_n:
            items = _filter_items(items, question, want_n)
        unit = span_units[0] if span_units else unit
        if items:
            lead = MSG[lang]["items"].format(n=len(items)) + ", ".join(items)
            head = span_units[0].text if len(span_units) > 1 and not _is_same_list(span_units, items) else ""
            head = display_label(_strip_marker(head)) if head else ""
            if head and _states_count(head, len(items)):  # "타 지자체 우호교류협약 체결 12건: 고성, …", not "12개: … — … 12건"
                body = re.sub(r"\s*[:：]\s*", " ", head).strip() + ": " + ", ".join(items)
            else:
                body = lead + (f" — {head}" if head and head not in lead else "")
            kind = "list"
            values = tuple(items)
        else:
            parts = []
            lead = ""
            for t in typed_kinds(qtypes):
                sp = type_spans(unit.text, t)
                sp = [x for x in sp if unit.text[x[0] : x[1]].replace(" ", "") not in a.text.replace(" ", "") and not masked(unit.text[x[0] : x[1]])]
                if sp:
                    best = _nearest(sp, unit, a)
                    lead = unit.text[best[0] : best[1]]
                    break
            for u in span_units:
                first_type = type_spans(u.text, qtypes[0]) if qtypes else []
                s0, e0 = clause(u.text, first_type[0] if first_type else None)
                parts.append(_strip_marker(u.text[s0:e0]))
            body = " / ".join(parts)
            if asks_change(question):
                # "얼마에서 얼마로": the first two values of the asked kind, in the order written
                spans = [(x, y) for k in typed_kinds(qtypes) for x, y in type_spans(unit.text, k) if not masked(unit.text[x:y])]
                pair = list(dict.fromkeys(unit.text[x:y] for x, y in sorted(spans)))[:2]
                if len(pair) == 2:
                    lead = f"{pair[0]} → {pair[1]}"
            if lead and len(" ".join(u.text for u in span_units)) > 40 and lead not in body[: len(lead) + 2]:
                body = f"{lead} — {body}"
            kind = qtypes[0] if qtypes else "fact"
            values = tuple(lead.split(" → ")) if lead else (body,)
        same_chunk = [u for u in span_units if u.chunk.id == unit.chunk.id]
        span = (min(u.start for u in same_chunk), max(u.end for u in same_chunk)) if same_chunk else (unit.start, unit.end)
        citations = self.citations([(unit.hit, span)], hits)
        return Answer(question, f"{body} [1]", False, citations, (), kind=kind, query=query, language=lang, items=tuple(items), values=values)

    def _compose(self, unit: Unit, units: list[Unit], a: QueryAnalysis, qtypes: list[str], wants_list: bool) -> tuple[list[Unit], list[str]]:
        """The units an answer quotes, and its items when it is a list."""
        chunk = unit.chunk
        same = sorted((u for u in units if u.chunk.id == chunk.id), key=lambda u: u.start)
        idx = next(i for i, u in enumerate(same) if u.start == unit.start)
        text = self.sources.text(chunk.doc_id)
        depths = [depth(u, text) for u in same]
        children = []
        for k in range(idx + 1, len(same)):
            if depths[k] > depths[idx]:
                children.append(same[k])
            else:
                break
        lo = idx
        while lo > 0 and depths[lo - 1] >= depths[idx]:
            lo -= 1
        hi = idx
        while hi + 1 < len(same) and depths[hi + 1] >= depths[idx]:
            hi += 1
        mark = marker(unit.text)
        siblings = [same[k] for k in range(lo, hi + 1) if depths[k] == depths[idx] and mark and marker(same[k].text) == mark]
        focus = set(a.focus)
        heading_terms = set(content_terms(chunk.heading_path[-1])) if chunk.heading_path else set()
        typed = asks_typed(qtypes)
        asks_section = bool(focus) and focus <= heading_terms and not typed
        # a list inside the unit (or the lines under it); the items under a label; the unit's
        # sibling items; the items of the section the question names
        enum_unit = next((u for u in [unit, *children] if enumeration(u.text)), None)
        if enum_unit is not None and not (asks_section and not mark):
            spans = enumeration(enum_unit.text)
            body = _strip_marker(enum_unit.text)
            rest = enum_unit.text
            for s0, e0 in reversed(spans):
                rest = rest[:s0] + rest[e0:]
            rest = re.sub(r"^[^:：]{1,14}[:：]", "", _strip_marker(rest))
            stated = bool(re.search(r"\d", rest))  # "위원수 : 12명이내(…)": a value the list only details
            # the unit is the list ("- 고성, 거제, …"), or a list is asked for; otherwise the list is a
            # detail of a fact and the whole unit answers
            if wants_list or enum_unit is not unit or (len(body) - sum(e - s for s, e in spans) <= 20 and not stated):
                return [unit] + ([enum_unit] if enum_unit is not unit else []), [enum_unit.text[s:e] for s, e in spans]
        if children and (wants_list or _is_label(unit.text) or mark == "【"):
            items = [_strip_marker(u.text) for u in children if depth(u, text)[0] == min(depth(c, text)[0] for c in children)]
            if mark == "【" and chunk.kind == "text":
                items = [_strip_marker(t) for t in self.sources.section_items(chunk.doc_id, chunk.section)] or items  # all of it, across chunks
            return [unit, *children], items if (wants_list or mark == "【" or len(items) >= 2) else []
        if mark and len(siblings) >= 2 and (wants_list or asks_section):
            return siblings, [_strip_marker(u.text) for u in siblings]
        if asks_section and chunk.kind == "text":
            more = [_strip_marker(t) for t in self.sources.section_items(chunk.doc_id, chunk.section)]
            if len(more) >= 2:
                return [unit], more
        return [unit], []

    def side_by_side(self, answers: Sequence[Answer]) -> Answer:
        """Several answers from different places, each with its source: "several meetings, several
        years answer differently"."""
        lines: list[str] = []
        citations: list[Citation] = []
        tables: list[TableAnswer] = []
        labels = self._place_labels([a.citations[0] if a.citations else None for a in answers])
        for a, where in zip(answers, labels, strict=True):
            number = len(citations) + 1
            first = a.citations[0] if a.citations else None
            body = re.sub(r"\s*\[\d+\]", "", a.text).strip()
            lines.append(f"{where}: {body} [{number}]" if where else f"{body} [{number}]")
            if first:
                citations.append(replace(first, number=number))
            tables += [replace(t, citation=number) for t in a.tables[:1]]
        head = answers[0]
        return replace(head, text="\n".join(lines), citations=tuple(citations), tables=tuple(tables), kind="multi",
                       values=tuple(v for a in answers for v in (a.values or (re.sub(r"\s*\[\d+\]", "", a.text),))))

    def _place_labels(self, firsts: Sequence[Citation | None]) -> list[str]:
        """What tells side-by-side answers apart, as a reader names it: the document (its title and
        date) when they come from several documents, the section when from several sections of one,
        nothing when they are rows of one table (their own labels say it)."""
        cites = [c for c in firsts if c is not None]
        if len({c.doc_id for c in cites}) > 1:
            docs = self.sources.documents
            labels = []
            for c in firsts:
                if c is None:
                    labels.append("")
                    continue
                date = _date_label((docs.get(c.doc_id) or {}).get("date"))
                labels.append(_short(display_label(c.title) or c.doc_id) + (f" ({date})" if date else ""))
            for i, c in enumerate(firsts):  # two places of one document: say which section
                if c is not None and labels.count(labels[i]) > 1 and _section_label(c):
                    labels[i] += f", {_section_label(c)}"
            return labels
        if len({c.section_path for c in cites}) > 1:
            return [_section_label(c) if c is not None else "" for c in firsts]
        return ["" for _ in firsts]

    def masked(self, question: str, query: str, a: QueryAnalysis, hit: Hit, span: tuple[int, int], confidence: float, feats: Evidence) -> Answer:
        """The document holds the asked value but the city masked it where it published the document."""
        citation = self.citation(1, hit, span)
        return Answer(question, MSG[a.language]["masked"] + " [1]", False, (citation,), (), confidence, kind="masked", query=query,
                      language=a.language, evidence=feats)

    def abstain(self, question: str, query: str, a: QueryAnalysis, hits: list[Hit], confidence: float, feats: Evidence | None) -> Answer:
        lang = a.language
        if feats is not None and (feats.doc_year < 0 or feats.year < 0) and a.years:
            msg = MSG[lang]["abstain_year"].format(years=", ".join(str(y) for y in a.years))
        else:
            msg = MSG[lang]["abstain"]
        citations = tuple(self.citation(i + 1, h) for i, h in enumerate(hits[: self.max_citations]))
        return Answer(question, msg, True, citations, (), confidence, kind="abstain", query=query, language=lang)


def kinds_held(answer: Answer, kinds: Sequence[str]) -> frozenset[str]:
    """The asked kinds of value an answer holds (a date for "when", a document number for "docnum" …)."""
    text = " ".join(answer.values) if answer.values else answer.text
    return frozenset(k for k in kinds if type_spans(text, k))


def value_key(answer: Answer) -> str:
    """What an answer says, for telling answers apart (white space and citation markers ignored)."""
    core = " ".join(answer.values) if answer.values else re.sub(r"\s*\[\d+\]", "", answer.text)
    return re.sub(r"\s+", "", core)


def _filter_items(items: list[str], question: str, n: int) -> list[str]:
    """"민관협치 사업 5개가 뭐야?" over 8 items: keep the 5 that mention what is counted."""
    m = re.search(r"([가-힣A-Za-z][가-힣A-Za-z ]{1,30}?)\s*(?:\d+|한|두|세|네|다섯|여섯|일곱)\s*(?:개|가지|곳|명)", question)
    if not m:
        return items
    words = [w for w in re.findall(r"[가-힣A-Za-z]{2,}", m.group(1))]
    for term in [m.group(1).replace(" ", ""), *sorted(words, key=len, reverse=True)]:
        kept = [it for it in items if term in it.replace(" ", "")]
        if len(kept) == n:
            return kept
    return items


def _states_count(head: str, n: int) -> bool:
    """Whether ``head`` states the number of items that follow it ("… 체결 : 12건" over 12 items)."""
    return any(int(re.sub(r"\D", "", m.group().split()[0]) or -1) == n for m in COUNT.finditer(head))


def _strip_marker(text: str) -> str:
    text = LABEL_BEFORE_MARK.sub("", text.lstrip())
    return DISPLAY_MARK.sub("", text).strip()


def _is_label(text: str) -> bool:
    t = _strip_marker(text)
    return len(t) <= 16 and not re.search(r"[.다음함임]$", t)


def _is_same_list(units: list[Unit], items: list[str]) -> bool:
    return all(_strip_marker(u.text) in items for u in units)


def _nearest(spans: list[tuple[int, int]], unit: Unit, a: QueryAnalysis) -> tuple[int, int]:
    """The typed span closest to where the question's words occur in the unit."""
    positions = [m.start() for t in a.content if len(t) >= 2 for m in re.finditer(re.escape(t.rstrip("다")), unit.text)]
    if not positions:
        return spans[0]
    return min(spans, key=lambda s: min(abs(s[0] - p) for p in positions))


def table_items(m: TableMatch) -> int:
    if m.items:
        return len(m.items)
    text = " ".join(cell_at(m.table, r, j).text for r, j in m.cells)
    return max(1, len(re.findall(r"(?:^|\s)[○●❍\-▸]\s", " " + text)))


def cell_at(t: Table, r: int, j: int) -> Cell:
    """A cell of the table, or the header of column ``j`` when ``r`` is -1."""
    if r < 0:
        return Cell(t.columns[j] if j < len(t.columns) else "", t.start, t.end)
    return value_cell(t, r, j)


def _row_span(hit: Hit, t: Table, row: int) -> tuple[int, int] | None:
    if hit.chunk.table == t.index and hit.chunk.row == row:
        return (0, len(hit.chunk.text))
    return None
