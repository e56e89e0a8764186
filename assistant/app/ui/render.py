"""HTML for the web chat, built from the assistant's records.

Pure functions, no Gradio: every string that comes from a question, a document or an
upload goes through :func:`esc` before it is put into HTML, so markup in questions and
documents is shown as text and never executed.

Words shown to staff are those of their work: 문서번호, 시행일, 부서, 결재, 붙임, 출처 —
never the index's own ("chunk", "embedding").
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ...lexicon import APPROVAL_ROLE_LABELS, CARD_HEADING, OFFICIAL_KIND_LABELS, display_label
from ...records import DOC_TYPE_LABELS, Answer, Citation, Document, OffsetMap, Table, TableAnswer

# C0/C1 controls and invisible format characters (kept: tab and line feed)
_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_MARKER = re.compile(r"\[(\d{1,2})\]")
#: a cell that is a number, an amount, a rate or a date: kept on one line
_NUMERIC = re.compile(r"^[\s(]*[Δ△▲▽+\-−]?\s*\d[\d,.]*\s*(?:%|원|천원|백만원|억원|만원|조원|명|건|개|회|배|p|%p)?[)\s]*$|^\d{1,4}[.\-/]\s?\d{1,2}[.\-/]?(?:\s?\d{1,2}\.?)?(?:\s?\([월화수목금토일]\))?$")
#: longest question echoed in full into the chat (a 10,000-character paste is shortened)
MAX_ECHO = 600
#: documents longer than this are shown as a window around the cited span
MAX_VIEW_CHARS = 200_000
#: longest title in a label before it is shortened
MAX_TITLE = 48

Meta = Mapping[str, Any]


def esc(text: object) -> str:
    """HTML-escape any text (quotes included) and drop control characters."""
    return html.escape(_CONTROL.sub("", str(text if text is not None else "")), quote=True)


def _lines(text: str) -> str:
    """Escaped text with line breaks as ``<br>`` (no raw newline: keeps a Markdown HTML block intact)."""
    return "<br>".join(esc(line) for line in str(text).replace("\r", "").split("\n"))


def _short(text: str, limit: int = MAX_TITLE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def date_label(date: str | None) -> str:
    """An ISO date as Korean documents write it: "2025-01-16" → "2025. 1. 16.", "2025-01" → "2025. 1."."""
    m = re.match(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", date or "")
    if not m:
        return ""
    return " ".join([f"{m.group(1)}."] + [f"{int(g)}." for g in m.groups()[1:] if g])


def doc_type_label(doc_type: str, kind: str = "") -> str:
    """The document's type as staff name it, with the kind of 공문서 ("공문서 · 지급·지출 품의")."""
    base = DOC_TYPE_LABELS.get(doc_type, doc_type or DOC_TYPE_LABELS["other"])
    if kind and kind != "other" and kind in OFFICIAL_KIND_LABELS:
        return f"{base} · {OFFICIAL_KIND_LABELS[kind]}"
    return base


def years_label(years: Iterable[int]) -> str:
    ys = sorted(set(int(y) for y in years))
    if not ys:
        return "-"
    if len(ys) <= 3:
        return ", ".join(str(y) for y in ys)
    return f"{ys[0]}–{ys[-1]}"


def _field(doc: Document | Meta, key: str, default: Any = None) -> Any:
    if isinstance(doc, Document):
        return getattr(doc, key, default)
    return doc.get(key, default)


def section_label(c: Citation) -> str:
    """The cited section as a reader names it ("예산 총괄", not "2 예산 설명 › □ 예산 총괄")."""
    section = display_label(c.section_path[-1]) if c.section_path else ""
    if not section or section == CARD_HEADING or section == display_label(c.title):
        return ""
    return section


def source_label(c: Citation, meta: Meta | None = None) -> str:
    """Where a citation comes from, in a short line staff read at a glance (escaped HTML):
    the title, 문서번호 and 시행일 when it has them, and the section."""
    meta = meta or {}
    bits = [f'<span class="from-title">{esc(_short(c.title or c.doc_id))}</span>']
    if meta.get("number"):
        bits.append(esc(meta["number"]))
    if meta.get("date"):
        bits.append(esc(date_label(meta["date"])))
    section = section_label(c)
    label = " · ".join(bits)
    return label + (f' <span class="from-section">› {esc(_short(section, 40))}</span>' if section else "")


# -- chat messages --------------------------------------------------------------------
def user_message(question: str) -> str:
    """The user's bubble: the question as text (long pastes shortened)."""
    q = question or ""
    if len(q) > MAX_ECHO:
        return f'<div class="q">{_lines(q[:MAX_ECHO])}… <span class="muted">(총 {len(q):,}자)</span></div>'
    return f'<div class="q">{_lines(q) or "&nbsp;"}</div>'


def pending_message() -> str:
    return '<div class="answer pending">문서에서 답을 찾고 있습니다…</div>'


def error_message(detail: str = "") -> str:
    extra = f' <span class="muted">({esc(detail)})</span>' if detail else ""
    return f'<div class="answer error">요청을 처리하는 중 문제가 생겼습니다. 잠시 후 다시 시도해 주세요.{extra}</div>'


def _with_markers(text: str) -> str:
    """Escaped answer text with the ``[n]`` citation markers styled."""
    return _MARKER.sub(r'<span class="cite-marker" title="출처 \1">[\1]</span>', _lines(text))


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _badge(answer: Answer) -> str:
    if answer.kind == "masked":
        return '<div class="answer-badge masked">공개되지 않은 값</div>'
    if answer.abstained:
        return '<div class="answer-badge abstain">문서에서 답을 찾지 못했습니다</div>'
    if answer.kind == "multi":
        n = len([x for x in answer.text.split("\n") if x.strip()])
        return f'<div class="answer-badge multi">여러 곳에 답이 있습니다 · {n}건</div>'
    return ""


def _evidence(answer: Answer) -> str:
    """The cited sentence under a one-line answer, when the answer does not already say it."""
    if answer.abstained or answer.kind in ("multi", "invalid", "error", "none") or answer.tables or not answer.citations:
        return ""
    c = answer.citations[0]
    a, b = c.highlight
    quote = c.excerpt[max(0, a) : max(a, b)].strip()
    if not quote or _norm(quote) in _norm(answer.text) or len(quote) < 6:
        return ""
    if len(quote) > 220:
        quote = quote[:219] + "…"
    return f'<blockquote class="evidence">{excerpt_text(quote)} <span class="cite-marker">[{c.number}]</span></blockquote>'


def answer_message(answer: Answer, filters_note: str = "", turn: int = 0, docs: Mapping[str, Meta] | None = None) -> str:
    """The assistant's bubble: a badge for what is not a plain answer (masked, not found, several
    answers), the answer (one line per answer, each with its own citation), where it comes from, the
    evidence, tables, then the sources folded (shown on narrow screens, where the sources panel is
    not beside the chat)."""
    docs = docs or {}
    cls = ["answer", f"kind-{re.sub(r'[^a-z]', '', answer.kind) or 'fact'}"]
    if answer.abstained:
        cls.append("abstained")
    if answer.kind in ("invalid", "none"):
        cls.append("notice")
    parts = [f'<div class="{" ".join(cls)}">', _badge(answer)]
    lines = [x for x in answer.text.split("\n") if x.strip()]
    if answer.kind == "multi" and len(lines) > 1:
        parts.append('<ol class="answer-lines">' + "".join(f"<li>{_with_markers(x)}</li>" for x in lines) + "</ol>")
    else:
        parts.append(f'<div class="answer-text">{_with_markers(answer.text)}</div>')
    if answer.citations and not answer.abstained and answer.kind not in ("invalid", "none"):
        if len({c.doc_id for c in answer.citations}) == 1:
            c = answer.citations[0]
            parts.append(f'<div class="answer-from">출처 {source_label(c, docs.get(c.doc_id))}</div>')
    parts.append(_evidence(answer))
    if answer.query and answer.query != answer.question:
        parts.append(f'<div class="interpretation">질문 해석: {esc(answer.query)}</div>')
    for note in getattr(answer, "notes", ()):
        parts.append(f'<div class="answer-note muted">{esc(note)}</div>')
    parts.append(answer_tables(answer.tables))
    if answer.citations:
        label = "가장 가까운 구절" if answer.abstained else "출처"
        cards = "".join(source_card(c, docs.get(c.doc_id), answer.abstained, turn) for c in answer.citations)
        parts.append(f'<details class="inline-sources"><summary>{label} {len(answer.citations)}개 보기</summary>{cards}</details>')
        by_doc: dict[str, list[Citation]] = {}
        for c in answer.citations:
            by_doc.setdefault(c.doc_id, []).append(c)
        items = " · ".join(
            f'<span class="src-chip">{"".join(f"[{c.number}]" for c in cs)} {esc(_short(cs[0].title or cs[0].doc_id))}</span>' for cs in by_doc.values()
        )
        parts.append(f'<div class="src-line">{label}: {items}</div>')
    if filters_note:
        parts.append(f'<div class="filters-note">검색 범위: {esc(filters_note)}</div>')
    parts.append("</div>")
    return "".join(parts)


def _cell_classes(value: str) -> list[str]:
    """"num" for a number (right-aligned, one line), "nw" for a short value with no words (a date
    and time, a code): kept on one line too."""
    text = (value or "").strip()
    if _NUMERIC.match(text):
        return ["num"]
    if text and len(text) <= 24 and not re.search(r"[가-힣A-Za-z]{2}", text):
        return ["nw"]
    return []


def _cell_class(value: str, highlighted: bool = False) -> str:
    classes = _cell_classes(value) + (["hl"] if highlighted else [])
    return f' class="{" ".join(classes)}"' if classes else ""


def _filled(texts: Sequence[str], j: int) -> int:
    """Column ``j``, or the nearest filled cell left of it when it is empty (a merged cell's value
    is written in its first column)."""
    while j > 0 and j < len(texts) and not str(texts[j]).strip():
        j -= 1
    return j


def answer_tables(tables: Sequence[TableAnswer]) -> str:
    """The answer's tables; rows taken from one source table (side-by-side answers from its rows)
    are shown as one table, each answering cell emphasised."""
    groups: dict[tuple[str, int, tuple[str, ...]], list[TableAnswer]] = {}
    for t in tables:
        groups.setdefault((t.doc_id, t.table, t.columns), []).append(t)
    return "".join(answer_table(*group) for group in groups.values())


def answer_table(*parts: TableAnswer) -> str:
    """A table answer as a real table (the rows of ``parts``, all of one source table); the
    answering cells emphasised, numbers on one line."""
    t = parts[0]
    caption = esc(display_label(t.title)) + (f' <span class="muted">(단위: {esc(t.unit)})</span>' if t.unit else "")
    markers = "".join(dict.fromkeys(f'<span class="cite-marker">[{p.citation}]</span>' for p in parts))
    # columns no row fills (the empty cells of a label/value line) are left out
    width = max([len(t.columns)] + [len(r) for p in parts for r in p.rows])
    used = [j for j in range(width) if (j < len(t.columns) and t.columns[j]) or any(j < len(r) and r[j] for p in parts for r in p.rows)]
    head = ""
    if any(t.columns):
        head = "<thead><tr>" + "".join(f"<th>{esc(t.columns[j]) if j < len(t.columns) else ''}</th>" for j in used) + "</tr></thead>"
    body = []
    seen: set[tuple[str, ...]] = set()
    for p in parts:
        for r, row in enumerate(p.rows):
            if tuple(row) in seen and p.highlight is None:
                continue
            seen.add(tuple(row))
            cells = []
            target = _filled(row, p.highlight[1]) if p.highlight is not None and p.highlight[0] == r else -1
            for j in used:
                value = row[j] if j < len(row) else ""
                hl = j == target
                inner = f"<mark><strong>{esc(value)}</strong></mark>" if hl else esc(value)
                cells.append(f"<td{_cell_class(value, hl)}>{inner}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="answer-table-wrap"><table class="answer-table"><caption>{caption} {markers}</caption>'
            f'{head}<tbody>{"".join(body)}</tbody></table></div>')


# -- sources --------------------------------------------------------------------------
def sources_placeholder() -> str:
    return ('<div class="panel-empty">질문하면 답의 근거가 된 문서 구절이 여기에 표시됩니다.<br>'
            "<b>원문에서 보기</b>를 누르면 문서 전체가 열리고 인용한 부분이 강조됩니다.</div>")


def excerpt_text(text: str) -> str:
    """Escaped excerpt text; the " | " joins of a table row read as " · "."""
    return _lines(text).replace(" | ", ' <span class="sep">·</span> ')


def excerpt_html(c: Citation, mark: bool = True) -> str:
    """The excerpt with the supporting span in ``<mark>``."""
    a, b = c.highlight
    a, b = max(0, min(a, len(c.excerpt))), max(0, min(b, len(c.excerpt)))
    if not mark or b <= a:
        return excerpt_text(c.excerpt)
    return f"{excerpt_text(c.excerpt[:a])}<mark>{excerpt_text(c.excerpt[a:b])}</mark>{excerpt_text(c.excerpt[b:])}"


def _meta_bits(meta: Meta | None) -> list[str]:
    if not meta:
        return []
    bits = [f'<span class="doc-type">{esc(doc_type_label(str(meta.get("doc_type") or ""), str(meta.get("kind") or "")))}</span>']
    if meta.get("number"):
        bits.append(f'<span class="doc-number">{esc(meta["number"])}</span>')
    if meta.get("date"):
        bits.append(f"시행 {esc(date_label(meta['date']))}")
    if meta.get("department"):
        bits.append(esc(meta["department"]))
    return bits


def source_card(c: Citation, meta: Meta | None = None, abstained: bool = False, turn: int | None = None) -> str:
    """One cited passage: the document as staff know it, the section, the excerpt with the span
    marked, and a button that opens the document there (``c-N t-T`` classes say which)."""
    where = _meta_bits(meta)
    section = section_label(c)
    path = esc(section) + (f' <span class="locator">{esc(c.locator)}</span>' if c.locator else "")
    target = f" c-{c.number}" + (f" t-{turn}" if turn is not None else "")
    return (
        f'<div class="src-card{" nearest" if abstained else ""}">'
        f'<div class="src-title"><span class="cite-marker">[{c.number}]</span> {esc(c.title or c.doc_id)}</div>'
        + (f'<div class="src-meta">{" · ".join(where)}</div>' if where else "")
        + (f'<div class="src-path">{path}</div>' if section or c.locator else "")
        + f'<div class="src-excerpt">{excerpt_html(c, mark=not abstained)}</div>'
        f'<button type="button" class="open-cite{target}">원문에서 보기 ›</button>'
        "</div>"
    )


def sources_panel(answer: Answer | None, number: int | None = None, docs: Mapping[str, Meta] | None = None) -> str:
    """The cited passages of one answer, each with a button that opens the document there."""
    if answer is None:
        return sources_placeholder()
    if not answer.citations:
        return (f'<div class="panel-head">{_answer_label(answer, number)}</div>'
                '<div class="panel-empty">이 답변에는 출처가 없습니다.</div>')
    docs = docs or {}
    head = "가장 가까운 구절 (문서에서 답을 찾지 못했습니다)" if answer.abstained else "출처"
    cards = [f'<div class="panel-head">{head} <span class="muted">— {_answer_label(answer, number)}</span></div>']
    turn = number - 1 if number else None
    cards += [source_card(c, docs.get(c.doc_id), answer.abstained, turn) for c in answer.citations]
    return "".join(cards)


def _answer_label(answer: Answer, number: int | None) -> str:
    q = answer.question if len(answer.question) <= 40 else answer.question[:39] + "…"
    prefix = f"답변 {number}: " if number else ""
    return f"{prefix}“{esc(q)}”"


# -- documents ------------------------------------------------------------------------
def viewer_placeholder() -> str:
    return ('<div class="panel-empty">출처의 <b>원문에서 보기</b>를 누르면 문서 전체가 여기에 열리고, '
            "인용한 부분이 노란색으로 강조됩니다.</div>")


def approvals_html(doc: Document) -> str:
    """The 결재 line: who drafted, reviewed and approved (전결/대결 and the signing date), then who cooperated."""
    if not doc.approvals:
        return ""
    line = [a for a in doc.approvals if a.role != "cooperator"]
    coop = [a for a in doc.approvals if a.role == "cooperator"]

    def person(a: Any) -> str:
        mark = {"代": "대결", "대결": "대결", "전결": "전결", "후결": "후결"}.get(a.mark, a.mark)
        extra = " ".join(x for x in (mark, a.signed) if x)
        return (f'<div class="signer"><div class="signer-role">{esc(APPROVAL_ROLE_LABELS.get(a.role, a.role))}</div>'
                f'<div class="signer-who">{esc(a.position)} <b>{esc(a.name)}</b></div>'
                + (f'<div class="signer-mark">{esc(extra)}</div>' if extra else "") + "</div>")

    out = '<div class="approvals"><div class="meta-label">결재</div><div class="signers">' + '<span class="arrow">→</span>'.join(person(a) for a in line) + "</div>"
    if coop:
        out += '<div class="meta-label">협조</div><div class="signers">' + "".join(person(a) for a in coop) + "</div>"
    return out + "</div>"


def related_html(refs: Sequence[Meta], cited_by: Sequence[Meta]) -> str:
    """Documents this one cites and those that cite it; an indexed one opens with a click."""
    def item(r: Meta, number_key: str) -> str:
        label = " · ".join(x for x in (esc(r.get(number_key) or ""), esc(_short(r.get("title") or "")), esc(date_label(r.get("date")))) if x)
        if r.get("doc"):
            return f'<li><button type="button" class="open-doc" data-doc="{esc(r["doc"])}">{label}</button></li>'
        return f'<li>{label} <span class="muted">(색인에 없음)</span></li>'

    parts = []
    if refs:
        parts.append('<div class="meta-label">이 문서가 인용한 문서</div><ul class="related">' + "".join(item(r, "number") for r in refs) + "</ul>")
    if cited_by:
        parts.append('<div class="meta-label">이 문서를 인용한 문서</div><ul class="related">' + "".join(item(r, "number") for r in cited_by) + "</ul>")
    return f'<div class="doc-related">{"".join(parts)}</div>' if parts else ""


def doc_header(doc: Document | Meta, refs: Sequence[Meta] = (), cited_by: Sequence[Meta] = ()) -> str:
    """The document as staff know it: title, then 문서번호, 시행일, 부서, 유형, 공개구분 (what it has),
    수신, the 결재 line, 붙임, and the related documents."""
    title = _field(doc, "title") or _field(doc, "id")
    rows: list[tuple[str, str]] = []
    if _field(doc, "number"):
        rows.append(("문서번호", esc(_field(doc, "number"))))
    if _field(doc, "date"):
        rows.append(("시행일", esc(date_label(_field(doc, "date")))))
    if _field(doc, "department"):
        rows.append(("부서", esc(_field(doc, "department"))))
    rows.append(("유형", f'<span class="doc-type">{esc(doc_type_label(str(_field(doc, "doc_type") or ""), str(_field(doc, "kind") or "")))}</span>'))
    if _field(doc, "disclosure"):
        rows.append(("공개구분", esc(_field(doc, "disclosure"))))
    if not _field(doc, "date") and _field(doc, "years"):
        rows.append(("다루는 연도", esc(years_label(_field(doc, "years") or ()))))
    recipients = _field(doc, "recipients") or ()
    if recipients:
        rows.append(("수신", esc(", ".join(recipients))))
    grid = "".join(f'<div class="meta-label">{k}</div><div class="meta-value">{v}</div>' for k, v in rows)
    parts = [f'<div class="doc-head"><div class="doc-title">{esc(title)}</div><div class="doc-meta-grid">{grid}</div>']
    if isinstance(doc, Document):
        parts.append(approvals_html(doc))
        if doc.attachments:
            parts.append('<div class="attachments"><div class="meta-label">붙임</div><ol>'
                         + "".join(f"<li>{esc(a)}</li>" for a in doc.attachments) + "</ol></div>")
    parts.append(related_html(refs, cited_by))
    parts.append(f'<div class="doc-file">파일: {esc(_field(doc, "id"))}</div></div>')
    return "".join(parts)


def document_with_mark(doc: Document, citation: Citation, cell: tuple[int, int, int] | None = None,
                       refs: Sequence[Meta] = (), cited_by: Sequence[Meta] = ()) -> str:
    """The whole document with the cited span marked (the first mark is ``<mark id="doc-mark">``).

    The document is shown by section (clean text, tables as tables) with the span mapped through
    each block's offsets; the file's exact text follows (folded) with the same span marked. When
    the answer is one cell of a table (``cell`` = table, row, column), that cell is marked and its
    row tinted, as in the chat. When no block covers the span, the exact text is shown open.
    """
    text = doc.text or ""
    start = max(0, min(citation.start, len(text)))
    end = max(start, min(citation.end, len(text)))
    where = f" · {esc(citation.locator)}" if citation.locator else ""
    section = section_label(citation)
    info = (f'<div class="viewer-info"><button type="button" class="back-to-chat">‹ 대화로 돌아가기</button>'
            f'<span class="cite-marker">[{citation.number}]</span> 인용한 곳: {esc(section) or "문서 본문"}{where}</div>')
    body, marked = _structure_body(doc, (start, end), cell)
    if cell is not None and not marked:
        body, marked = _structure_body(doc, (start, end))
    if marked:
        raw = _raw_text(text, start, end, mark_id=False)
        return (f'{doc_header(doc, refs, cited_by)}{info}<div class="doc-body">{body}</div>'
                f'<details class="doc-raw"><summary>파일 원문 그대로 보기</summary>{raw}</details>')
    return f"{doc_header(doc, refs, cited_by)}{info}{_raw_text(text, start, end, mark_id=True)}"


def _raw_text(text: str, start: int, end: int, mark_id: bool) -> str:
    """The exact text of the file with ``[start, end)`` marked (a window around it when very long)."""
    lo, hi, cut = 0, len(text), ""
    if len(text) > MAX_VIEW_CHARS:
        lo = max(0, start - MAX_VIEW_CHARS // 2)
        hi = min(len(text), lo + MAX_VIEW_CHARS)
        cut = f'<div class="muted">문서가 길어 인용 위치 주변 {hi - lo:,}자만 보여 드립니다 (전체 {len(text):,}자).</div>'
    attrs = ' id="doc-mark" class="doc-mark"' if mark_id else ' class="doc-mark"'
    return f'{cut}<div class="doc-text">{esc(text[lo:start])}<mark{attrs}>{esc(text[start:end])}</mark>{esc(text[end:hi])}</div>'


def document_missing(doc_id: str) -> str:
    return f'<div class="panel-empty">문서 {esc(doc_id)}를 찾을 수 없습니다. 색인이 바뀌었을 수 있습니다.</div>'


class _Marker:
    """Hands out ``<mark>`` tags; the first one carries ``id="doc-mark"`` (scrolled into view)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, inner: str) -> str:
        self.count += 1
        attrs = ' id="doc-mark" class="doc-mark"' if self.count == 1 else ' class="doc-mark"'
        return f"<mark{attrs}>{inner}</mark>"


def _clean_span(text: str, offsets: OffsetMap, span: tuple[int, int]) -> tuple[int, int] | None:
    """The part of a clean text whose original positions fall inside ``span``."""
    inside = [i for i in range(len(text)) if span[0] <= offsets.to_original(i) < span[1]]
    return (inside[0], inside[-1] + 1) if inside else None


def _marked(text: str, offsets: OffsetMap, span: tuple[int, int] | None, mark: _Marker) -> str:
    cs = _clean_span(text, offsets, span) if span else None
    if cs is None:
        return _lines(text)
    a, b = cs
    return f"{_lines(text[:a])}{mark(_lines(text[a:b]))}{_lines(text[b:])}"


def _span(n: int) -> str:
    return f' colspan="{n}"' if n > 1 else ""


def _runs(texts: Sequence[str], merge: bool) -> list[tuple[str, int]]:
    """Adjacent equal cells as one cell with its span (merged cells the reader expanded)."""
    out: list[tuple[str, int]] = []
    for t in texts:
        if merge and out and out[-1][0] == t and t:
            out[-1] = (t, out[-1][1] + 1)
        else:
            out.append((t, 1))
    return out


def table_html(t: Table, span: tuple[int, int] | None = None, mark: _Marker | None = None, cell: tuple[int, int] | None = None,
               caption: bool = True) -> str:
    """A document table: header rows (or column labels) and data rows; cells inside ``span`` marked
    (only ``cell`` = row, column, when the answer is that cell: its row is tinted). Merged cells are
    shown merged, a lone cell spans the row, numbers stay on one line."""
    width = max([len(r) for r in t.rows] + [len(r) for r in t.header_rows] + [len(t.columns)] + [1])
    title = display_label(t.title)
    cap = ""
    if caption and (title or t.unit):
        cap = f"<caption>{esc(title)}" + (f' <span class="muted">(단위: {esc(t.unit)})</span>' if t.unit else "") + "</caption>"

    def head_row(texts: Sequence[str]) -> str:
        runs = _runs(texts, merge=True)
        if len(runs) == 1 and width > 1:
            runs = [(runs[0][0], width)]
        return "<tr>" + "".join(f"<th{_span(n)}>{esc(x)}</th>" for x, n in runs) + "</tr>"

    head = ""
    if t.header_rows:
        head = "<thead>" + "".join(head_row([c.text for c in row]) for row in t.header_rows) + "</thead>"
    elif any(t.columns):
        head = "<thead>" + head_row(list(t.columns)) + "</thead>"
    rows = []
    for r, row in enumerate(t.rows):
        focus_row = cell is not None and cell[0] == r
        texts = [c.text for c in row]
        nonempty = [x for x in texts if x]
        lone = len(nonempty) == 1 and width > 2 and texts[0] == nonempty[0] and not any(c.inherited for c in row[1:])
        if lone:
            rows.append(f'<tr><td colspan="{width}" class="lone">{_lines(texts[0])}</td></tr>')
            continue
        cells = []
        j = 0
        merged = _runs(texts, merge=len(set(texts)) < len(texts) and len(texts) > 4)
        for x, n in merged:
            c = row[j]
            inner = _lines(c.text)
            if cell is not None:
                if focus_row and _filled(texts, cell[1]) in range(j, j + n) and mark is not None and c.text:
                    inner = mark(inner)
            elif span is not None and mark is not None and c.text and not c.inherited and c.start < span[1] and c.end > span[0]:
                # the marked part of the cell when its offsets are known, else the whole cell
                inner = _marked(c.text, c.offsets, span, mark) if c.offsets.anchors else mark(inner)
            classes = (["inherited"] if c.inherited else []) + _cell_classes(x)
            attrs = _span(n) + (f' class="{" ".join(classes)}"' if classes else "")
            cells.append(f"<td{attrs}>{inner}</td>")
            j += n
        rows.append(("<tr class=\"focus-row\">" if focus_row else "<tr>") + "".join(cells) + "</tr>")
    return (f'<div class="doc-table-wrap"><table class="doc-table" id="table-{t.index}">{cap}{head}'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _structure_body(doc: Document, span: tuple[int, int] | None = None, cell: tuple[int, int, int] | None = None) -> tuple[str, int]:
    """Headings, paragraphs, list items and tables in order; returns the HTML and how many marks it holds."""
    mark = _Marker()
    tables = {t.index: t for t in doc.tables}
    shown: set[int] = set()
    parts: list[str] = []
    last_heading = ""

    def near(b_start: int, b_end: int) -> tuple[int, int] | None:
        return span if span is not None and b_start < span[1] and b_end > span[0] else None

    def cell_in(t: Table) -> tuple[int, int] | None:
        return (cell[1], cell[2]) if cell is not None and cell[0] == t.index else None

    for b in doc.blocks:
        if b.kind == "heading":
            level = min(max(b.level, 1) + 1, 6)
            parts.append(f'<h{level} class="doc-h">{_marked(b.text, b.offsets, near(b.start, b.end), mark)}</h{level}>')
            last_heading = display_label(b.text)
            continue
        if b.kind == "paragraph" and len(b.text) <= 80:
            parts.append(f'<p class="doc-p">{_marked(b.text, b.offsets, near(b.start, b.end), mark)}</p>')
            last_heading = display_label(b.text)  # a line that titles the table under it
            continue
        if b.kind == "table":
            t = tables.get(b.table) if b.table is not None else None
            if t is not None:
                # a caption that only repeats the heading just above is left out
                parts.append(table_html(t, near(t.start, t.end), mark, cell_in(t), caption=display_label(t.title) != last_heading))
                shown.add(t.index)
        elif b.kind == "list_item":
            parts.append(f'<p class="doc-li" style="margin-left:{min(b.level, 6) * 1.1:.1f}em">{_marked(b.text, b.offsets, near(b.start, b.end), mark)}</p>')
        else:
            parts.append(f'<p class="doc-p">{_marked(b.text, b.offsets, near(b.start, b.end), mark)}</p>')
        last_heading = ""
    rest = [t for t in doc.tables if t.index not in shown]
    if rest:
        parts.append('<h3 class="doc-h">그 밖의 표</h3>' + "".join(table_html(t, near(t.start, t.end), mark, cell_in(t)) for t in rest))
    if not doc.blocks:
        return "", 0
    return "".join(parts), mark.count


def document_structure(doc: Document, refs: Sequence[Meta] = (), cited_by: Sequence[Meta] = ()) -> str:
    """A document by section for the document browser: what staff know it by, contents, headings, blocks, tables."""
    parts = [doc_header(doc, refs, cited_by)]
    people = [c for c in doc.contacts if c.phone or not doc.approvals]
    if people:
        who = ", ".join(esc(" ".join(x for x in (c.department, c.role, c.name, c.phone) if x)) for c in people[:8])
        parts.append(f'<div class="doc-contacts">담당: {who}</div>')
    headings = [s for s in doc.sections if s.heading]
    if headings:
        toc = "".join(f'<li class="lvl{min(s.level, 4)}">{esc(display_label(s.heading))}</li>' for s in headings[:80])
        parts.append(f'<details class="doc-toc"><summary>목차 ({len(headings)}개 절, 표 {len(doc.tables)}개)</summary><ul>{toc}</ul></details>')
    body, _ = _structure_body(doc)
    parts.append(f'<div class="doc-body">{body}</div>' if body else f'<div class="doc-text">{esc(doc.text)}</div>')
    return "".join(parts)


DOC_COLUMNS = ["제목", "문서번호", "시행일", "부서", "유형", "공개구분", "파일"]


def document_rows(docs: Sequence[Meta], query: str = "") -> list[list[Any]]:
    """Rows of the document list as staff know documents (those whose row holds every word of
    ``query``); the file (the document's id) comes last."""
    words = [w for w in re.split(r"\s+", query.strip().lower()) if w]
    rows = [
        [d.get("title") or d.get("id"), d.get("number") or "", d.get("date") or "", d.get("department") or "",
         doc_type_label(str(d.get("doc_type") or ""), str(d.get("kind") or "")), d.get("disclosure") or "", d.get("id")]
        for d in docs
    ]
    return [r for r in rows if all(w in " ".join(str(x) for x in r).lower() for w in words)]


def document_choice(d: Meta) -> str:
    """How a document is named in a dropdown: its title, with its 문서번호 or date when it has one."""
    extra = d.get("number") or date_label(d.get("date")) or d.get("id")
    return f"{_short(str(d.get('title') or d.get('id')), 60)} · {extra}"


def library_stats(docs: Sequence[Meta]) -> str:
    tables = sum(int(d.get("n_tables") or 0) for d in docs)
    official = sum(1 for d in docs if d.get("doc_type") == "official")
    extra = f" (공문서 {official:,}개)" if official else ""
    return f'<div class="stats">문서 {len(docs):,}개{extra} · 표 {tables:,}개</div>'


# -- uploads --------------------------------------------------------------------------
_REASONS: tuple[tuple[str, str], ...] = (
    ("empty file", "빈 파일입니다"),
    ("binary file", "텍스트가 아닌 바이너리 파일입니다"),
    ("unsupported file type", "지원하지 않는 파일 형식입니다"),
    ("too large", "파일이 너무 큽니다"),
    ("decompression bomb", "압축을 풀면 지나치게 커지는 파일입니다 (압축 폭탄)"),
    ("took longer than", "분석 시간이 제한을 넘었습니다"),
    ("of memory", "분석에 필요한 메모리가 제한을 넘었습니다"),
    ("another build", "다른 색인 작업이 오래 진행 중이라 색인하지 못했습니다"),
    ("no text to index", "색인할 본문이 없습니다"),
    ("crashed", "문서를 분석하다가 분석기가 멈췄습니다"),
    ("not valid utf-8", "파일 이름을 읽을 수 없습니다"),
    ("undecodable text", "글자 인코딩을 알아볼 수 없습니다"),
    ("encrypted pdf", "암호가 걸린 PDF입니다"),
    ("password-protected", "암호가 설정된 문서입니다"),
    ("no text", "문서에서 글자를 찾지 못했습니다 (스캔 이미지일 수 있습니다)"),
    ("corrupt", "파일이 손상되었거나 형식이 올바르지 않습니다"),
    ("not a docx", "DOCX 형식이 아닙니다"),
    ("not an hwpx", "HWPX 형식이 아닙니다"),
    ("cannot read", "파일을 읽을 수 없습니다"),
    ("cannot parse", "문서를 분석하지 못했습니다"),
    ("no reader", "이 형식을 읽는 모듈이 설치되어 있지 않습니다"),
)


def reason_ko(reason: str) -> str:
    """A Korean explanation of a refusal reason, keeping the original detail."""
    low = (reason or "").lower()
    for key, ko in _REASONS:
        if key in low:
            return f"{ko} ({reason})"
    return reason or "알 수 없는 이유"


_UPLOAD_STATES = {
    "queued": "차례를 기다리는 중",
    "checking": "파일을 확인하는 중",
    "waiting": "다른 색인 작업이 끝나기를 기다리는 중",
    "indexing": "색인하는 중",
}
#: the stages of a build, as staff are told them
STAGES = {"check": "파일 확인", "parse": "문서 분석", "embed": "의미 색인", "bm25": "검색어 색인"}


def upload_progress(job: Any) -> str:
    """Where an upload job is: its place in the queue, or its stage and progress."""
    state = str(getattr(job, "state", "queued"))
    text = _UPLOAD_STATES.get(state, state)
    if state == "queued" and getattr(job, "position", 0):
        text += f" (앞에 {job.position}개)"
    detail = ""
    if state in ("checking", "indexing") and getattr(job, "total", 0):
        detail = f"{STAGES.get(job.stage, job.stage)} {job.done:,}/{job.total:,}"
    names = ", ".join(esc(n) for n in getattr(job, "names", ()))
    return (f'<div class="upload-progress"><b>{esc(text)}…</b> {esc(detail)}<div class="muted">{names}'
            " — 색인하는 동안에도 질문할 수 있습니다.</div></div>")


def upload_result(summary: Any, refused: Sequence[tuple[str, str]], seconds: float | None = None) -> str:
    """What happened to an upload: the build summary and every refused file with its reason."""
    parts: list[str] = []
    if summary is not None:
        added = list(getattr(summary, "added", []) or [])
        changed = list(getattr(summary, "changed", []) or [])
        took = getattr(summary, "seconds", seconds or 0.0)
        names = ", ".join(esc(n) for n in added + changed)
        parts.append(
            '<div class="upload-ok">색인에 반영했습니다'
            + (f": {names}" if names else "")
            + f'<div class="upload-summary">전체 문서 {getattr(summary, "documents", 0):,}개 · 표 {getattr(summary, "tables", 0):,}개 · {took:.1f}초</div>'
            + (f'<div class="muted">새 문서 {len(added)}개, 바뀐 문서 {len(changed)}개</div>' if added or changed else "")
            + "</div>"
        )
    for cut in getattr(summary, "cut", None) or ():
        parts.append(f'<div class="upload-cut">일부만 색인함: <b>{esc(Path(cut.path).name)}</b> — {esc(cut.reason)}</div>')
    for name, reason in refused:
        parts.append(f'<div class="upload-bad">추가하지 못함: <b>{esc(name)}</b> — {esc(reason_ko(reason))}. '
                     "다른 문서와 색인은 바뀌지 않았습니다.</div>")
    if not parts:
        parts.append('<div class="panel-empty">추가할 파일을 선택해 주세요.</div>')
    return "".join(parts)


# -- evaluation -----------------------------------------------------------------------
METRIC_LABELS: dict[str, str] = {
    "answer_accuracy": "답 정확도 (정답을 담은 답의 비율)",
    "answer_precision": "답 정밀도 (답 가운데 필요한 부분의 비율)",
    "citation_accuracy": "출처 정확도 (첫 출처가 정답 문서인 비율)",
    "followup_accuracy": "이어지는 질문 정확도",
    "masked_accuracy": "가려진 값 안내 정확도",
    "abstain_precision": "답 보류의 정확도 (보류한 질문 중 답이 없던 비율)",
    "abstain_recall": "답 보류의 재현율 (답이 없는 질문 중 보류한 비율)",
    "over_length": "너무 긴 답의 비율 (300자 초과)",
    "answer_chars_p95": "답 길이 95번째 백분위 (자)",
    "recall@1": "정답 문서가 1위인 비율",
    "recall@3": "정답 문서가 3위 안인 비율",
    "recall@5": "정답 문서가 5위 안인 비율",
    "recall@10": "정답 문서가 10위 안인 비율",
    "answer_recall@5": "상위 5개 구절에 정답이 있는 비율",
    "mrr": "정답 문서 순위의 역수 평균 (MRR)",
    "ndcg@10": "순위 품질 (nDCG@10)",
    "latency_p50_ms": "응답 시간 중앙값 (밀리초)",
    "latency_p95_ms": "응답 시간 95번째 백분위 (밀리초)",
}
HEADLINE = ("answer_accuracy", "answer_precision", "citation_accuracy", "followup_accuracy", "masked_accuracy", "abstain_precision",
            "abstain_recall", "over_length", "recall@1", "recall@5", "mrr", "ndcg@10", "latency_p50_ms", "latency_p95_ms")
#: metrics where lower is better (shown without a bar)
LOWER_BETTER = {"over_length", "answer_chars_p95", "latency_p50_ms", "latency_p95_ms"}
SYSTEM_LABELS: dict[str, str] = {
    "assistant": "도우미 (답변)",
    "hybrid": "혼합 검색",
    "bm25": "키워드 검색 (BM25)",
    "dense": "의미 검색",
}

#: the harness's reasons, as staff read them (the detail after the reason is kept)
_WHY: tuple[tuple[str, str], ...] = (
    ("said the value is not disclosed, citing the document", "가려진 값임을 알리고 문서를 인용함"),
    ("did not say the value is masked", "가려진 값임을 알리지 못함"),
    ("did not cite the document", "정답 문서를 인용하지 못함"),
    ("abstained (confidence", "답을 보류함 (확신도"),
    ("abstained", "답을 보류함"),
    ("answered although the documents do not say:", "문서에 없는데 답함:"),
    ("cited a gold document", "정답 문서를 인용함"),
    ("no gold document cited", "정답 문서를 인용하지 못함"),
    ("gold document in the top 5", "정답 문서가 5위 안에 있음"),
    ("no gold document in the top 5", "정답 문서가 5위 안에 없음"),
    ("unanswerable: not scored for retrieval", "답이 없는 질문 (검색 평가 제외)"),
    ("missing:", "빠진 답:"),
)


def why_ko(why: str) -> str:
    """The reason a question passed or failed, in Korean."""
    text = str(why or "")
    if text == "ok":
        return "정답을 담음"
    for en, ko in sorted(_WHY, key=lambda p: -len(p[0])):
        if text.startswith(en):
            return ko + text[len(en):]
    return text


def system_label(system: str) -> str:
    return SYSTEM_LABELS.get(system, system)


def _fmt(v: Any, key: str = "") -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        if key.endswith("_ms") or key == "answer_chars_p95":
            return f"{v:,.0f}"
        return f"{v * 100:.1f}%" if 0.0 <= v <= 1.0 else f"{v:,.1f}"
    return esc(v)


def metrics_table(summary: Mapping[str, Mapping[str, Any]]) -> str:
    """Systems as columns, the headline metrics as rows, in Korean; a bar under each rate."""
    systems = list(summary)
    if not systems:
        return '<div class="panel-empty">지표가 없습니다.</div>'
    keys = [k for k in HEADLINE if any(summary[s].get(k) is not None for s in systems)]
    head = "<tr><th>지표</th>" + "".join(f"<th>{esc(system_label(s))}</th>" for s in systems) + "</tr>"
    rows = []
    for k in keys:
        cells = []
        for s in systems:
            v = summary[s].get(k)
            bar = ""
            if isinstance(v, float) and 0.0 <= v <= 1.0 and k not in LOWER_BETTER:
                bar = f'<div class="bar"><span style="width:{v * 100:.0f}%"></span></div>'
            cells.append(f'<td class="num">{_fmt(v, k)}{bar}</td>')
        rows.append(f'<tr><td>{esc(METRIC_LABELS.get(k, k))}</td>{"".join(cells)}</tr>')
    return f'<div class="answer-table-wrap"><table class="metrics-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></div>'


QUESTION_COLUMNS = ["ID", "질문", "결과", "이유", "답변", "시간(ms)"]
PASSED, FAILED, UNSCORED = "통과", "실패", "—"


def question_rows(records: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """Per-question results (the assistant's when several systems ran; conversations by turn)."""
    recs = list(records)
    if any("system" in r for r in recs) and any(r.get("system") == "assistant" for r in recs):
        recs = [r for r in recs if r.get("system") == "assistant"]
    rows: list[list[Any]] = []
    for r in recs:
        turns = r.get("turns")
        items = [(f"{r.get('id', '')} ({i + 1})", t) for i, t in enumerate(turns)] if isinstance(turns, list) else [(str(r.get("id", "")), r)]
        for rid, t in items:
            passed = t.get("pass")
            mark = PASSED if passed is True else FAILED if passed is False else UNSCORED
            rows.append([rid, str(t.get("question", "")), mark, why_ko(str(t.get("why", ""))), str(t.get("answer", ""))[:300],
                         round(float(t.get("latency_ms") or 0.0), 1)])
    return rows


def eval_progress(phase: str, done: int, total: int, detail: str, seconds: float) -> str:
    """The evaluation's progress: which phase (1 the evaluation index, 2 the questions), how far, how long."""
    pct = 100.0 * done / total if total else 0.0
    bar = f'<div class="bar big"><span style="width:{pct:.0f}%"></span></div>' if total else '<div class="bar big busy"><span></span></div>'
    count = f" {done:,}/{total:,}" if total else ""
    return (f'<div class="eval-progress"><b>{esc(phase)}</b>{esc(count)} <span class="muted">— {esc(detail)} · {seconds:.0f}초 지남</span>'
            f"{bar}</div>")


def eval_summary_line(rows: Sequence[Sequence[Any]], summary: Mapping[str, Mapping[str, Any]], seconds: float) -> str:
    """"평가를 마쳤습니다: 40개 중 31개 통과 …" with the assistant's accuracy and precision."""
    scored = [r for r in rows if r[2] != UNSCORED]
    passed = sum(1 for r in rows if r[2] == PASSED)
    a = summary.get("assistant") or {}
    figures = [f"{METRIC_LABELS[k].split(' (')[0]} {_fmt(a.get(k), k)}" for k in ("answer_accuracy", "answer_precision") if a.get(k) is not None]
    return (f"평가를 마쳤습니다: {len(scored)}개 질문 중 {passed}개 통과"
            + (f" · {' · '.join(figures)}" if figures else "") + f" ({seconds:.0f}초).")


def eval_report_markdown(title: str, source: str, summary: Mapping[str, Mapping[str, Any]], rows: Sequence[Sequence[Any]], when: str) -> str:
    """The downloadable evaluation report in Korean (Markdown)."""
    systems = list(summary)
    keys = [k for k in HEADLINE if any(summary[s].get(k) is not None for s in systems)]

    def plain(v: Any, k: str) -> str:
        return html.unescape(_fmt(v, k))

    lines = [f"# {title}", "", f"- 질문 세트: {source}", f"- 평가 시각: {when}",
             f"- 질문 {len(rows)}개 (대화는 차례마다 한 줄), 통과 {sum(1 for r in rows if r[2] == PASSED)}개, "
             f"실패 {sum(1 for r in rows if r[2] == FAILED)}개", "", "## 지표", "",
             "| 지표 | " + " | ".join(system_label(s) for s in systems) + " |", "|---|" + "---:|" * len(systems)]
    lines += [f"| {METRIC_LABELS.get(k, k)} | " + " | ".join(plain(summary[s].get(k), k) for s in systems) + " |" for k in keys]
    fails = [r for r in rows if r[2] == FAILED]
    lines += ["", f"## 통과하지 못한 질문 ({len(fails)}개)", ""]
    if not fails:
        lines.append("없습니다.")
    for r in fails:
        answer = str(r[4]).replace("\n", " ").replace("|", "\\|")
        lines.append(f"- **{r[0]}** {r[1]} — {r[3]} — 답: {answer[:160]}")
    lines += ["", "## 질문별 결과", "", "| " + " | ".join(QUESTION_COLUMNS) + " |", "|" + "---|" * len(QUESTION_COLUMNS)]
    for r in rows:
        cells = [str(x).replace("\n", " ").replace("|", "\\|") for x in r]
        cells[4] = cells[4][:120]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def eval_report_html(title: str, source: str, summary: Mapping[str, Mapping[str, Any]], rows: Sequence[Sequence[Any]], when: str) -> str:
    """The downloadable evaluation report in Korean: one HTML file that opens in any browser (no outside requests)."""
    fails = sum(1 for r in rows if r[2] == FAILED)
    body = "".join(
        f'<tr class="{"fail" if r[2] == FAILED else "pass" if r[2] == PASSED else ""}">'
        + "".join(f'<td{" class=num" if isinstance(x, float) else ""}>{esc(x)}</td>' for x in r) + "</tr>"
        for r in rows
    )
    style = ("body{font-family:'Malgun Gothic','Apple SD Gothic Neo','NanumGothic','Noto Sans KR',sans-serif;margin:24px;color:#1f2328;line-height:1.5}"
             "table{border-collapse:collapse;margin:8px 0 20px;font-size:14px}th,td{border:1px solid #d0d7de;padding:4px 8px;vertical-align:top;"
             "word-break:keep-all}th{background:#f6f8fa}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}"
             "tr.fail td{background:#fff1f0}.bar{height:6px;background:#eaeef2;border-radius:3px;margin-top:3px}.bar span{display:block;height:6px;"
             "background:#2e90fa;border-radius:3px}.muted{color:#57606a}")
    return (f'<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>{esc(title)}</title><style>{style}</style></head><body>'
            f"<h1>{esc(title)}</h1><p class=\"muted\">질문 세트 {esc(source)} · {esc(when)} · 질문 {len(rows)}개, 실패 {fails}개</p>"
            f"<h2>지표</h2>{metrics_table(summary)}<h2>질문별 결과</h2>"
            f'<table><thead><tr>{"".join(f"<th>{c}</th>" for c in QUESTION_COLUMNS)}</tr></thead><tbody>{body}</tbody></table></body></html>')
