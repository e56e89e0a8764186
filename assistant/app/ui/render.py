"""HTML for the web chat, built from the assistant's records.

Pure functions, no Gradio: every string that comes from a question, a document or an
upload goes through :func:`esc` before it is put into HTML, so markup in questions and
documents is shown as text and never executed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ...records import DOC_TYPE_LABELS, Answer, Citation, Document, OffsetMap, Table, TableAnswer

# C0/C1 controls and invisible format characters (kept: tab and line feed)
_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_MARKER = re.compile(r"\[(\d{1,2})\]")
#: longest question echoed in full into the chat (a 10,000-character paste is shortened)
MAX_ECHO = 600
#: documents longer than this are shown as a window around the cited span
MAX_VIEW_CHARS = 200_000


def esc(text: object) -> str:
    """HTML-escape any text (quotes included) and drop control characters."""
    return html.escape(_CONTROL.sub("", str(text if text is not None else "")), quote=True)


def _lines(text: str) -> str:
    """Escaped text with line breaks as ``<br>`` (no raw newline: keeps a Markdown HTML block intact)."""
    return "<br>".join(esc(line) for line in str(text).replace("\r", "").split("\n"))


def doc_type_label(doc_type: str) -> str:
    return DOC_TYPE_LABELS.get(doc_type, doc_type or DOC_TYPE_LABELS["other"])


def years_label(years: Iterable[int]) -> str:
    ys = sorted(set(int(y) for y in years))
    if not ys:
        return "-"
    if len(ys) <= 3:
        return ", ".join(str(y) for y in ys)
    return f"{ys[0]}–{ys[-1]}"


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


def answer_message(answer: Answer, filters_note: str = "") -> str:
    """The assistant's bubble: answer text with markers, the resolved question, tables, sources."""
    cls = "answer abstained" if answer.abstained else "answer"
    if answer.kind in ("invalid", "none"):
        cls = "answer notice"
    parts = [f'<div class="{cls}">', f'<div class="answer-text">{_with_markers(answer.text)}</div>']
    if answer.query and answer.query != answer.question:
        parts.append(f'<div class="interpretation">질문 해석: {esc(answer.query)}</div>')
    for note in getattr(answer, "notes", ()):
        parts.append(f'<div class="answer-note muted">{esc(note)}</div>')
    for t in answer.tables:
        parts.append(answer_table(t))
    if answer.citations:
        label = "가장 가까운 구절" if answer.abstained else "출처"
        by_doc: dict[str, list[Citation]] = {}
        for c in answer.citations:
            by_doc.setdefault(c.doc_id, []).append(c)
        items = " · ".join(
            f'<span class="src-chip">{"".join(f"[{c.number}]" for c in cs)} {esc(cs[0].title or cs[0].doc_id)}</span>' for cs in by_doc.values()
        )
        parts.append(f'<div class="src-line">{label}: {items} <span class="muted">— 오른쪽 출처 패널에서 원문을 볼 수 있습니다.</span></div>')
    if filters_note:
        parts.append(f'<div class="filters-note">검색 범위: {esc(filters_note)}</div>')
    parts.append("</div>")
    return "".join(parts)


def answer_table(t: TableAnswer) -> str:
    """A table answer as a real table; the answering cell emphasised."""
    caption = esc(t.title or "표") + (f' <span class="muted">(단위: {esc(t.unit)})</span>' if t.unit else "")
    head = ""
    if any(t.columns):
        head = "<thead><tr>" + "".join(f"<th>{esc(c)}</th>" for c in t.columns) + "</tr></thead>"
    body = []
    for r, row in enumerate(t.rows):
        cells = []
        for j, value in enumerate(row):
            if t.highlight is not None and (r, j) == tuple(t.highlight):
                cells.append(f'<td class="hl"><mark><strong>{esc(value)}</strong></mark></td>')
            else:
                cells.append(f"<td>{esc(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="answer-table-wrap"><table class="answer-table" data-doc="{esc(t.doc_id)}"><caption>{caption} '
            f'<span class="cite-marker">[{t.citation}]</span></caption>{head}<tbody>{"".join(body)}</tbody></table></div>')


# -- sources panel --------------------------------------------------------------------
def sources_placeholder() -> str:
    return ('<div class="panel-empty">질문하면 답의 근거가 된 문서 구절이 여기에 표시됩니다.<br>'
            "<b>원문에서 보기</b>를 누르면 문서 전체가 열리고 인용한 부분이 강조됩니다.</div>")


def excerpt_html(c: Citation, mark: bool = True) -> str:
    """The excerpt with the supporting span in ``<mark>``."""
    a, b = c.highlight
    a, b = max(0, min(a, len(c.excerpt))), max(0, min(b, len(c.excerpt)))
    if not mark or b <= a:
        return _lines(c.excerpt)
    return f"{_lines(c.excerpt[:a])}<mark>{_lines(c.excerpt[a:b])}</mark>{_lines(c.excerpt[b:])}"


def sources_panel(answer: Answer | None, number: int | None = None, docs: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """The cited passages of one answer, each with a button that opens the document there."""
    if answer is None:
        return sources_placeholder()
    if not answer.citations:
        return (f'<div class="panel-head">{_answer_label(answer, number)}</div>'
                '<div class="panel-empty">이 답변에는 출처가 없습니다.</div>')
    docs = docs or {}
    head = "가장 가까운 구절 (문서에서 답을 찾지 못했습니다)" if answer.abstained else "출처"
    cards = [f'<div class="panel-head">{head} <span class="muted">— {_answer_label(answer, number)}</span></div>']
    for c in answer.citations:
        meta = docs.get(c.doc_id, {})
        path = " › ".join(esc(p) for p in c.section_path if p)
        where = [f'<span class="doc-type">{esc(doc_type_label(str(meta.get("doc_type", ""))))}</span>'] if meta else []
        if c.locator:
            where.append(f'<span class="locator">{esc(c.locator)}</span>')
        cards.append(
            f'<div class="src-card{" nearest" if answer.abstained else ""}" data-number="{c.number}">'
            f'<div class="src-title"><span class="cite-marker">[{c.number}]</span> {esc(c.title or c.doc_id)}</div>'
            f'<div class="src-meta">{" ".join(where)} <span class="doc-id">{esc(c.doc_id)}</span></div>'
            + (f'<div class="src-path">{path}</div>' if path else "")
            + f'<div class="src-excerpt">{excerpt_html(c, mark=not answer.abstained)}</div>'
            f'<button type="button" class="open-cite" data-cite="{c.number}">원문에서 보기 ›</button>'
            "</div>"
        )
    return "".join(cards)


def _answer_label(answer: Answer, number: int | None) -> str:
    q = answer.question if len(answer.question) <= 40 else answer.question[:39] + "…"
    prefix = f"답변 {number}: " if number else ""
    return f"{prefix}“{esc(q)}”"


# -- document viewer ------------------------------------------------------------------
def viewer_placeholder() -> str:
    return ('<div class="panel-empty">출처의 <b>원문에서 보기</b>를 누르면 문서 전체가 여기에 열리고, '
            "인용한 부분이 노란색으로 강조됩니다.</div>")


def doc_header(doc: Document | Mapping[str, Any]) -> str:
    """Title line and metadata of a document."""
    get = (lambda k: getattr(doc, k)) if isinstance(doc, Document) else (lambda k: doc.get(k))
    bits = [
        f'<span class="doc-type">{esc(doc_type_label(str(get("doc_type") or "")))}</span>',
        f"연도 {esc(years_label(get('years') or ()))}",
        f"부서 {esc(get('department') or '-')}",
    ]
    if get("date"):
        bits.append(f"날짜 {esc(get('date'))}")
    bits.append(f'<span class="doc-id">{esc(get("id"))}</span>')
    return f'<div class="doc-head"><div class="doc-title">{esc(get("title") or get("id"))}</div><div class="doc-meta">{" · ".join(bits)}</div></div>'


def document_with_mark(doc: Document, citation: Citation) -> str:
    """The whole document with the cited span marked (the first mark is ``<mark id="doc-mark">``).

    The document is shown by section (clean text, tables as tables) with the span mapped through
    each block's offsets; the file's exact text follows (folded) with the same span marked. When
    no block covers the span, the exact text is shown open with the mark.
    """
    text = doc.text or ""
    start = max(0, min(citation.start, len(text)))
    end = max(start, min(citation.end, len(text)))
    where = f" · {esc(citation.locator)}" if citation.locator else ""
    path = " › ".join(esc(p) for p in citation.section_path if p)
    info = (f'<div class="viewer-info"><span class="cite-marker">[{citation.number}]</span> 인용 위치: '
            f"{path or '문서 본문'}{where} <span class=\"muted\">({start:,}–{end:,}자)</span></div>")
    body, marked = _structure_body(doc, (start, end))
    if marked:
        raw = _raw_text(text, start, end, mark_id=False)
        return (f'{doc_header(doc)}{info}<div class="doc-body">{body}</div>'
                f'<details class="doc-raw"><summary>파일 원문 그대로 보기</summary>{raw}</details>')
    return f"{doc_header(doc)}{info}{_raw_text(text, start, end, mark_id=True)}"


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


# -- document browser -----------------------------------------------------------------
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


def table_html(t: Table, span: tuple[int, int] | None = None, mark: _Marker | None = None) -> str:
    """A document table: header rows (or column labels) and data rows; cells inside ``span`` marked."""
    caption = esc(t.title or f"표 {t.index + 1}") + (f' <span class="muted">(단위: {esc(t.unit)})</span>' if t.unit else "")
    head = ""
    if t.header_rows:
        head = "<thead>" + "".join("<tr>" + "".join(f"<th>{esc(c.text)}</th>" for c in row) + "</tr>" for row in t.header_rows) + "</thead>"
    elif any(t.columns):
        head = "<thead><tr>" + "".join(f"<th>{esc(c)}</th>" for c in t.columns) + "</tr></thead>"
    rows = []
    for row in t.rows:
        cells = []
        for c in row:
            inner = _lines(c.text)
            if span is not None and mark is not None and c.text and not c.inherited and c.start < span[1] and c.end > span[0]:
                # the marked part of the cell when its offsets are known, else the whole cell
                inner = _marked(c.text, c.offsets, span, mark) if c.offsets.anchors else mark(inner)
            cls = ' class="inherited"' if c.inherited else ""
            cells.append(f"<td{cls}>{inner}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f'<div class="doc-table-wrap"><table class="doc-table" id="table-{t.index}"><caption>{caption}</caption>{head}<tbody>{"".join(rows)}</tbody></table></div>'


def _structure_body(doc: Document, span: tuple[int, int] | None = None) -> tuple[str, int]:
    """Headings, paragraphs, list items and tables in order; returns the HTML and how many marks it holds."""
    mark = _Marker()
    tables = {t.index: t for t in doc.tables}
    shown: set[int] = set()
    parts: list[str] = []

    def near(b_start: int, b_end: int) -> tuple[int, int] | None:
        return span if span is not None and b_start < span[1] and b_end > span[0] else None

    for b in doc.blocks:
        if b.kind == "heading":
            level = min(max(b.level, 1) + 1, 6)
            parts.append(f'<h{level} class="doc-h">{_marked(b.text, b.offsets, near(b.start, b.end), mark)}</h{level}>')
        elif b.kind == "table":
            t = tables.get(b.table) if b.table is not None else None
            if t is not None:
                parts.append(table_html(t, near(t.start, t.end), mark))
                shown.add(t.index)
        elif b.kind == "list_item":
            parts.append(f'<p class="doc-li" style="margin-left:{min(b.level, 6) * 1.1:.1f}em">{_marked(b.text, b.offsets, near(b.start, b.end), mark)}</p>')
        else:
            parts.append(f'<p class="doc-p">{_marked(b.text, b.offsets, near(b.start, b.end), mark)}</p>')
    rest = [t for t in doc.tables if t.index not in shown]
    if rest:
        parts.append('<h3 class="doc-h">그 밖의 표</h3>' + "".join(table_html(t, near(t.start, t.end), mark) for t in rest))
    if not doc.blocks:
        return "", 0
    return "".join(parts), mark.count


def document_structure(doc: Document) -> str:
    """A document by section for the document browser: metadata, contents, headings, blocks, tables."""
    parts = [doc_header(doc)]
    if doc.contacts:
        people = ", ".join(esc(" ".join(x for x in (c.department, c.role, c.name, c.phone) if x)) for c in doc.contacts[:8])
        parts.append(f'<div class="doc-contacts">담당: {people}</div>')
    headings = [s for s in doc.sections if s.heading]
    if headings:
        toc = "".join(f'<li class="lvl{min(s.level, 4)}">{esc(s.heading)}</li>' for s in headings[:80])
        parts.append(f'<details class="doc-toc"><summary>목차 ({len(headings)}개 절, 표 {len(doc.tables)}개)</summary><ul>{toc}</ul></details>')
    body, _ = _structure_body(doc)
    parts.append(f'<div class="doc-body">{body}</div>' if body else f'<div class="doc-text">{esc(doc.text)}</div>')
    return "".join(parts)


def document_rows(docs: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """Rows of the document list: title, type, years, department, chunks, tables, file."""
    return [
        [d.get("title") or d.get("id"), doc_type_label(str(d.get("doc_type", ""))), years_label(d.get("years") or ()),
         d.get("department") or "-", int(d.get("n_chunks") or 0), int(d.get("n_tables") or 0), d.get("id")]
        for d in docs
    ]


DOC_COLUMNS = ["제목", "유형", "연도", "부서", "청크", "표", "파일"]


def library_stats(docs: Sequence[Mapping[str, Any]]) -> str:
    chunks = sum(int(d.get("n_chunks") or 0) for d in docs)
    tables = sum(int(d.get("n_tables") or 0) for d in docs)
    return f'<div class="stats">문서 {len(docs)}개 · 청크 {chunks:,}개 · 표 {tables:,}개</div>'


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
_STAGES = {"check": "파일 확인", "parse": "문서 분석", "embed": "임베딩", "bm25": "BM25 색인"}


def upload_progress(job: Any) -> str:
    """Where an upload job is: its place in the queue, or its stage and progress."""
    state = str(getattr(job, "state", "queued"))
    text = _UPLOAD_STATES.get(state, state)
    if state == "queued" and getattr(job, "position", 0):
        text += f" (앞에 {job.position}개)"
    detail = ""
    if state in ("checking", "indexing") and getattr(job, "total", 0):
        detail = f"{_STAGES.get(job.stage, job.stage)} {job.done:,}/{job.total:,}"
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
            + f'<div class="upload-summary">문서 {getattr(summary, "documents", 0)}개 · 청크 {getattr(summary, "chunks", 0):,}개 · '
            f'표 {getattr(summary, "tables", 0):,}개 · {took:.1f}초</div>'
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
    "recall@1": "정답 문서가 1위에 있는 비율",
    "recall@3": "정답 문서가 상위 3개에 있는 비율",
    "recall@5": "정답 문서가 상위 5개에 있는 비율",
    "recall@10": "정답 문서가 상위 10개에 있는 비율",
    "answer_recall@5": "상위 5개 구절에 정답이 있는 비율",
    "mrr": "정답 문서 순위의 역수 평균",
    "ndcg@10": "순위 품질 (nDCG@10)",
    "answer_accuracy": "답 정확도",
    "citation_accuracy": "출처 정확도",
    "abstain_precision": "답 보류의 정밀도",
    "abstain_recall": "답 보류의 재현율",
    "followup_accuracy": "이어지는 질문 정확도",
    "latency_p50_ms": "응답 시간 중앙값 (ms)",
    "latency_p95_ms": "응답 시간 95% (ms)",
}
HEADLINE = ("answer_accuracy", "citation_accuracy", "followup_accuracy", "abstain_precision", "abstain_recall",
            "recall@1", "recall@5", "mrr", "ndcg@10", "latency_p50_ms", "latency_p95_ms")


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) <= 1.0 else f"{v:,.1f}"
    return esc(v)


def metrics_table(summary: Mapping[str, Mapping[str, Any]]) -> str:
    """Systems as columns, the headline metrics as rows, with Korean labels."""
    systems = list(summary)
    if not systems:
        return '<div class="panel-empty">지표가 없습니다.</div>'
    keys = [k for k in HEADLINE if any(summary[s].get(k) is not None for s in systems)]
    head = "<tr><th>지표</th>" + "".join(f"<th>{esc(s)}</th>" for s in systems) + "</tr>"
    rows = []
    for k in keys:
        label = f'{esc(METRIC_LABELS.get(k, k))} <span class="muted">{esc(k)}</span>'
        rows.append(f"<tr><td>{label}</td>" + "".join(f"<td class=\"num\">{_fmt(summary[s].get(k))}</td>" for s in systems) + "</tr>")
    return f'<table class="metrics-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


QUESTION_COLUMNS = ["ID", "질문", "통과", "이유", "답변", "시간(ms)"]


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
            mark = "통과" if passed is True else "실패" if passed is False else "—"
            rows.append([rid, str(t.get("question", "")), mark, str(t.get("why", "")), str(t.get("answer", ""))[:300],
                         round(float(t.get("latency_ms") or 0.0), 1)])
    return rows
