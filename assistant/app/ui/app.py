"""The web chat (Gradio Blocks): cited answers, the source documents, uploads, evaluation.

The UI only renders records and calls :class:`~assistant.app.Assistant`; all retrieval
and answer logic lives there. Per-user state (the conversation) is kept in ``gr.State``,
so simultaneous users never see each other's answers. The evaluation tab runs a callable
injected by ``assistant serve`` (the UI does not import :mod:`assistant.eval`).
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import re
import shutil
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from ...lexicon import OFFICIAL_KIND_LABELS
from ...records import DOC_TYPE_LABELS, Answer, Filters
from ..assistant import Assistant
from . import render

log = logging.getLogger(__name__)

TITLE = "서울시 문서 도우미"
#: ``evaluate(question_file, progress(done, total, message)) -> dict`` (summary_markdown, summary, questions, report_dir, files)
Evaluator = Callable[[str, Callable[[int, int, str], None]], dict[str, Any]]
EXAMPLES = (
    "서울-지역간 우호교류협약 사업의 2020년 집행액은?",
    "서울-지역간 우호교류협약 사업의 2022년 예산액은?",
    "서울시와 세종시의 협력 분야는?",
    "영등포구협치회의 분과회의 장소는?",
)
QUESTION_SUFFIXES = (".jsonl", ".csv")
ERROR_TEXT = "요청을 처리하는 중 문제가 생겼습니다. 잠시 후 다시 시도해 주세요."
#: the names of the filter's types: document types and the kinds of 공문서 ("공문서 · 계획")
TYPE_LABELS: dict[str, str] = {**DOC_TYPE_LABELS, **{k: f"{DOC_TYPE_LABELS['official']} · {v}" for k, v in OFFICIAL_KIND_LABELS.items() if k != "other"}}

CSS = """
.gradio-container { width: 100% !important; max-width: 1480px !important; margin: 0 auto !important; }
#app-header h1 { font-size: 1.6rem; margin: 0; }
#app-header .sub { color: var(--body-text-color-subdued); margin-top: 2px; }
#app-header { align-items: flex-end; }
#stats .stats { text-align: right; color: var(--body-text-color-subdued); font-size: .9rem; padding-bottom: 4px; }
.fb-title { font-size: .92em; }
#feedback { margin-top: 6px; border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; gap: 6px; }
.muted { color: var(--body-text-color-subdued); font-size: .88em; }
mark, .doc-mark { background: #ffe066; color: #1f2328; padding: 0 1px; border-radius: 2px; }
.doc-mark { box-shadow: 0 0 0 2px #f0a500; -webkit-box-decoration-break: clone; box-decoration-break: clone; }
.cite-marker { color: var(--color-accent); font-weight: 600; font-size: .85em; vertical-align: super; margin: 0 1px; }
.answer .answer-text { line-height: 1.6; font-size: 1.02em; }
.answer.abstained .answer-text, .answer.notice .answer-text { color: var(--body-text-color-subdued); }
.answer.error { color: #b42318; }
.answer.pending { color: var(--body-text-color-subdued); font-style: italic; }
.answer-badge { display: inline-block; font-size: .8em; font-weight: 600; border-radius: 10px; padding: 1px 9px; margin-bottom: 4px; }
.answer-badge.masked { background: #fff4e5; color: #b54708; }
.answer-badge.abstain { background: #f2f4f7; color: #475467; }
.answer-badge.multi { background: #e0eaff; color: #1d4ed8; }
.answer.kind-masked .answer-text { border-left: 3px solid #f79009; padding-left: 8px; }
ol.answer-lines { margin: 2px 0 2px; padding-left: 1.4em; line-height: 1.6; }
ol.answer-lines li { margin: 3px 0; }
.answer-from { font-size: .85em; color: var(--body-text-color-subdued); margin-top: 4px; }
.answer-from .from-title { font-weight: 600; }
blockquote.evidence { margin: 6px 0 2px; padding: 2px 10px; border-left: 3px solid #f0a500; color: var(--body-text-color-subdued);
  font-size: .9em; line-height: 1.55; }
.interpretation { margin-top: 6px; font-size: .88em; color: var(--body-text-color-subdued); background: var(--background-fill-secondary); border-radius: 6px; padding: 2px 8px; display: inline-block; }
.src-line, .filters-note { margin-top: 6px; font-size: .85em; color: var(--body-text-color-subdued); }
.src-chip { white-space: nowrap; }
details.inline-sources { display: none; margin-top: 8px; }
details.inline-sources > summary { cursor: pointer; font-size: .9em; color: var(--color-accent); font-weight: 600; }
details.inline-sources .src-card { margin: 8px 0 0; }
.answer-table-wrap, .doc-table-wrap { overflow-x: auto; margin: 8px 0; max-width: 100%; }
table.answer-table, table.doc-table, table.metrics-table { border-collapse: collapse; font-size: .9em; margin: 0; }
table.answer-table th, table.answer-table td, table.doc-table th, table.doc-table td, table.metrics-table th, table.metrics-table td {
  border: 1px solid var(--border-color-primary); padding: 4px 8px; text-align: left; vertical-align: top;
  word-break: keep-all !important; overflow-wrap: normal !important; }
table.answer-table th, table.doc-table th, table.metrics-table th { background: var(--background-fill-secondary); font-weight: 600; min-width: 3.5em; }
table.answer-table td.num, table.doc-table td.num, table.metrics-table td.num { white-space: nowrap !important; text-align: right; font-variant-numeric: tabular-nums; }
table.answer-table td.nw, table.doc-table td.nw { white-space: nowrap !important; }
table.answer-table caption, table.doc-table caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: 4px; }
table.answer-table td.hl { background: #fff3bf; color: #1f2328; }
table.doc-table tr.focus-row td { background: #fff9db; color: #1f2328; }
table.doc-table td.lone { background: var(--background-fill-secondary); font-weight: 600; }
mark strong, mark b { color: #1f2328 !important; }
table.doc-table td.inherited { color: #98a2b3; }
.bar { height: 5px; background: var(--background-fill-secondary); border-radius: 3px; margin-top: 3px; min-width: 60px; }
.bar span { display: block; height: 5px; background: #2e90fa; border-radius: 3px; }
.bar.big { height: 10px; margin-top: 6px; } .bar.big span { height: 10px; transition: width .4s; }
.bar.busy span { width: 30%; animation: slide 1.4s infinite ease-in-out; }
@keyframes slide { 0% { margin-left: 0; } 50% { margin-left: 70%; } 100% { margin-left: 0; } }
.eval-progress { border-left: 4px solid #2e90fa; padding: 6px 10px; background: var(--background-fill-secondary); }
.panel-head { font-weight: 600; margin: 2px 0 8px; }
.panel-empty { color: var(--body-text-color-subdued); padding: 16px 4px; line-height: 1.6; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px; margin-bottom: 10px; background: var(--background-fill-primary); }
.src-card.nearest { border-style: dashed; }
.src-title { font-weight: 600; }
.src-meta, .src-path { font-size: .85em; color: var(--body-text-color-subdued); margin-top: 2px; }
.src-excerpt { margin-top: 6px; font-size: .92em; line-height: 1.55; max-height: 220px; overflow-y: auto; }
.src-excerpt .sep { color: #98a2b3; }
.doc-type { background: #e0eaff; color: #1d4ed8; border-radius: 4px; padding: 0 6px; font-size: .85em; white-space: nowrap; }
.doc-number { white-space: nowrap; }
.locator { background: var(--background-fill-secondary); border-radius: 4px; padding: 0 6px; }
button.open-cite, button.open-doc, button.back-to-chat, button.side-switch { border: 1px solid #1d4ed8; color: #1d4ed8; background: transparent;
  border-radius: 6px; padding: 2px 10px; font-size: .88em; cursor: pointer; }
button.open-cite { margin-top: 8px; }
button.open-cite:hover, button.open-doc:hover { background: #1d4ed8; color: #fff; }
button.open-doc { border: none !important; box-shadow: none !important; background: none !important; padding: 0; text-align: left;
  text-decoration: underline; color: var(--color-accent); font-size: inherit; }
button.back-to-chat { display: none; margin-right: 8px; }
.side-switches { display: flex; gap: 6px; margin-bottom: 6px; }
button.side-switch { border-color: var(--border-color-primary); color: var(--body-text-color); }
#side-col.show-sources button.side-switch[data-show="sources"], #side-col.show-viewer button.side-switch[data-show="viewer"] {
  background: #1d4ed8; color: #fff; border-color: #1d4ed8; }
#side-col.show-sources #doc-viewer, #side-col.show-viewer #sources-panel { display: none !important; }
.viewer-box { max-height: 72vh; overflow-y: auto; padding-right: 4px; }
.doc-head { margin-bottom: 8px; }
.doc-title { font-size: 1.1rem; font-weight: 700; }
.doc-meta-grid { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; font-size: .88em; margin: 6px 0; }
.meta-label { color: var(--body-text-color-subdued); font-size: .88em; white-space: nowrap; }
.meta-value { word-break: keep-all; }
.approvals, .attachments, .doc-related { margin: 6px 0; font-size: .88em; }
.signers { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 6px; margin: 2px 0 4px; }
.signer { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 2px 8px; }
.signer-role, .signer-mark { font-size: .8em; color: var(--body-text-color-subdued); }
.arrow { color: #98a2b3; }
.attachments ol, ul.related { margin: 2px 0 4px; padding-left: 1.4em; }
.doc-file { font-size: .8em; color: #98a2b3; }
.doc-contacts { font-size: .85em; color: var(--body-text-color-subdued); margin-bottom: 6px; }
.viewer-info { font-size: .9em; margin: 6px 0; }
.doc-text { white-space: pre-wrap; word-break: break-word; font-size: .92em; line-height: 1.6; border-top: 1px solid var(--border-color-primary); padding-top: 8px; }
.doc-raw { margin-top: 14px; }
.doc-raw summary { cursor: pointer; color: var(--body-text-color-subdued); font-size: .9em; }
.doc-toc ul { margin: 4px 0 8px; padding-left: 18px; font-size: .88em; }
.doc-toc li.lvl3 { margin-left: 1em; } .doc-toc li.lvl4 { margin-left: 2em; }
.doc-h { margin: 14px 0 6px; word-break: keep-all; }
h2.doc-h { font-size: 1.2rem; } h3.doc-h { font-size: 1.08rem; } h4.doc-h, h5.doc-h, h6.doc-h { font-size: 1rem; }
#app-header h1, #app-header .sub, .doc-title, .src-title { word-break: keep-all; }
.doc-p, .doc-li { margin: 4px 0; line-height: 1.6; }
#doc-table, #doc-table *, #eval-questions, #eval-questions * { font-family: var(--font) !important; }
.upload-ok { border-left: 4px solid #12b76a; padding: 6px 10px; margin: 6px 0; background: var(--background-fill-secondary); }
.upload-bad { border-left: 4px solid #f04438; padding: 6px 10px; margin: 6px 0; background: var(--background-fill-secondary); }
.upload-summary { font-weight: 600; margin-top: 4px; }
.upload-cut { border-left: 4px solid #f79009; padding: 6px 10px; margin: 6px 0; background: var(--background-fill-secondary); }
.upload-progress { border-left: 4px solid #2e90fa; padding: 6px 10px; margin: 6px 0; background: var(--background-fill-secondary); }
.answer-note { margin-top: 6px; font-size: .85em; }
#chat .message-wrap .q { white-space: pre-wrap; word-break: break-word; }
#chat .placeholder { text-align: center; }
.dark .doc-type { background: #1e3a8a; color: #dbeafe; }
.dark button.open-cite { color: #93c5fd; border-color: #93c5fd; }
/* narrow screens (phones): the sources of each answer fold under it; the document opens below the chat */
@media (max-width: 900px) {
  .gradio-container { padding: 0 6px !important; }
  #app-header { flex-direction: column !important; align-items: stretch !important; gap: 0 !important; }
  #app-header > * { min-width: 0 !important; width: 100% !important; }
  #app-header h1 { font-size: 1.25rem; }
  #app-header .sub { font-size: .85em; }
  #stats .stats { text-align: left; }
  details.inline-sources { display: block; }
  .src-line { display: none; }
  #side-col:not(.show-viewer) { display: none !important; }
  .side-switches { display: none; }
  button.back-to-chat { display: inline-block; }
  .viewer-box { max-height: none; }
  #chat .message-row .message, #chat .bubble-wrap .message { max-width: 100% !important; }
}
"""

SIDE_JS = """
const side = () => document.querySelector('#side-col');
const show = (what) => { const s = side(); if (s) { s.classList.remove('show-sources', 'show-viewer'); s.classList.add('show-' + what); } };
window.__assistantShow = show;
if (side() && !side().classList.contains('show-viewer')) { show('sources'); }
element.addEventListener('click', (e) => { const b = e.target.closest('[data-show]'); if (b) { show(b.dataset.show); } });
"""
SOURCES_JS = """
const num = (b, p) => { const c = [...b.classList].find((x) => x.startsWith(p) && /^[ct]-\\d+$/.test(x)); return c ? parseInt(c.slice(2), 10) : null; };
document.addEventListener('click', (e) => {
  const b = e.target.closest('button.open-cite');
  if (!b || !(element.contains(b) || b.closest('#chat'))) { return; }
  e.preventDefault(); e.stopPropagation();
  trigger('open_cite', {number: num(b, 'c-'), turn: num(b, 't-')});
}, true);
watch('value', () => { if (window.__assistantShow) { window.__assistantShow('sources'); } });
"""
VIEWER_JS = """
const reveal = () => setTimeout(() => {
  if (!element.querySelector('.doc-head')) { return; }
  if (window.__assistantShow) { window.__assistantShow('viewer'); }
  const narrow = window.matchMedia('(max-width: 900px)').matches;
  if (narrow) { const s = document.querySelector('#side-col'); if (s) { s.scrollIntoView({block: 'start'}); } }
  const m = element.querySelector('#doc-mark');
  const box = element.querySelector('.viewer-box');
  if (!m) { if (box) { box.scrollTop = 0; } return; }
  if (box && !narrow) {
    box.scrollTop += (m.getBoundingClientRect().top - box.getBoundingClientRect().top) - box.clientHeight / 3;
  } else if (narrow) {
    window.scrollBy(0, m.getBoundingClientRect().top - window.innerHeight / 3);
  }
}, 120);
element.addEventListener('click', (e) => {
  const d = e.target.closest('button.open-doc');
  if (d) { trigger('open_doc', {doc: d.dataset.doc}); return; }
  if (e.target.closest('button.back-to-chat')) {
    if (window.__assistantShow) { window.__assistantShow('sources'); }
    const c = document.querySelector('#chat'); if (c) { c.scrollIntoView({block: 'start'}); }
  }
});
watch('value', reveal);
"""
DOCS_JS = """
element.addEventListener('click', (e) => {
  const d = e.target.closest('button.open-doc');
  if (d) { trigger('open_doc', {doc: d.dataset.doc}); element.scrollIntoView({block: 'start'}); }
});
"""


def polite(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A handler whose unexpected errors become a Korean message (a toast) instead of a failure page."""

    def fail(exc: Exception) -> gr.Error:
        log.exception("handler %s failed", getattr(fn, "__name__", fn))
        return gr.Error(ERROR_TEXT, title="문제가 생겼습니다", print_exception=False)

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def stream(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as exc:
                raise fail(exc) from exc

        return stream

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:
            raise fail(exc) from exc

    return call


@dataclass(frozen=True)
class Turn:
    """One exchange of a session: the answer and its rendered bubble."""

    answer: Answer
    message: str


def parse_conversation(conversation: list[str] | str | None) -> list[str]:
    """Earlier questions for ``/ask``: a list of strings, a JSON string of one, or a single question."""
    if conversation is None:
        return []
    if isinstance(conversation, str):
        text = conversation.strip()
        if not text:
            return []
        try:
            value = json.loads(text)
        except ValueError:
            return [text]
        conversation = value if isinstance(value, list) else [str(value)]
    out: list[str] = []
    for turn in conversation:
        if isinstance(turn, dict):
            turn = turn.get("question") or turn.get("query") or ""
        if turn is not None and str(turn).strip():
            out.append(str(turn))
    return out


def warm_up(assistant: Assistant) -> None:
    """Load the analyser and the model before the first user waits for them."""
    t0 = time.perf_counter()
    try:
        assistant.ask("서울시 우호교류협약")
    except Exception:  # a broken warm-up must not stop the server; the first question will report
        log.exception("warm-up failed")
    log.info("warm-up %.1f s", time.perf_counter() - t0)


class Handlers:
    """The event handlers; they call the assistant and return rendered HTML."""

    def __init__(self, assistant: Assistant, evaluate: Evaluator | None = None):
        self.assistant = assistant
        self.evaluate = evaluate
        self._workdir: Path | None = None
        lib = getattr(assistant, "library", None)
        self.max_upload_bytes = int(getattr(lib, "max_upload_bytes", 20 * 1024 * 1024))

    # -- helpers ----------------------------------------------------------------------
    def limits_note(self) -> str:
        """What the chat tells users about the cost cap on questions and conversations."""
        settings = getattr(getattr(self.assistant, "answerer", None), "settings", None)
        chars, turns = getattr(settings, "analysed_chars", 200), getattr(settings, "history_turns", 8)
        return f"질문은 앞 {chars}자까지 분석하고, 이어지는 질문은 최근 질문 {turns}개까지 참고합니다."

    def _docs(self) -> list[dict[str, Any]]:
        try:
            return list(self.assistant.documents())
        except Exception:
            log.exception("cannot list documents")
            return []

    def _doc_meta(self) -> dict[str, dict[str, Any]]:
        return {d["id"]: d for d in self._docs()}

    @property
    def workdir(self) -> Path:
        """Where downloads are written (created on first use)."""
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="assistant-ui-"))
        return self._workdir

    def close(self) -> None:
        """Remove the download files."""
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def _file(self, stem: str, suffix: str) -> Path:
        """A new file for a download (Gradio copies it to its cache; ours are pruned after a few hours)."""
        cutoff = time.time() - 6 * 3600
        for old in self.workdir.iterdir():
            try:
                if old.stat().st_mtime < cutoff:
                    shutil.rmtree(old, ignore_errors=True)
            except OSError:
                pass
        folder = self.workdir / uuid.uuid4().hex[:12]
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}{suffix}"

    @staticmethod
    def date_bound(value: str | None) -> str:
        """A date bound as the filter takes it (an ISO prefix): "2024", "2024-07", "2024-07-10";
        typed forms "2024.7", "2024. 7. 10." and "2024년 7월" too; "" when empty or unreadable."""
        text = str(value or "").strip()
        m = re.fullmatch(r"((?:19|20)\d{2})\s*(?:[.\-/년]\s*(\d{1,2})\s*(?:[.\-/월]\s*(?:(\d{1,2})\s*[.일]?)?)?)?\s*\.?", text)
        if not m:
            return ""
        y, mo, d = m.groups()
        if (mo and not 1 <= int(mo) <= 12) or (d and not 1 <= int(d) <= 31):
            return ""
        return y + (f"-{int(mo):02d}" if mo else "") + (f"-{int(d):02d}" if mo and d else "")

    @classmethod
    def filters(cls, docs: Sequence[str] | None, types: Sequence[str] | None, depts: Sequence[str] | None,
                date_from: str | None = None, date_to: str | None = None) -> Filters:
        """The search scope the filter boxes set: documents, types (a type or a kind of 공문서),
        departments, and a range of the documents' own dates (시행일)."""
        return Filters(tuple(docs or ()), tuple(types or ()), (), tuple(depts or ()), cls.date_bound(date_from), cls.date_bound(date_to))

    def filters_note(self, f: Filters) -> str:
        if not f:
            return ""
        titles = {d["id"]: d.get("title") or d["id"] for d in self._docs()}
        parts = []
        if f.doc_ids:
            parts.append("문서 " + ", ".join(titles.get(d, d) for d in f.doc_ids))
        if f.doc_types:
            parts.append("유형 " + ", ".join(TYPE_LABELS.get(t, t) for t in f.doc_types))
        if f.years:
            parts.append("연도 " + ", ".join(str(y) for y in f.years))
        if f.departments:
            parts.append("부서 " + ", ".join(f.departments))
        if f.date_from or f.date_to:
            parts.append(f"시행일 {render.date_label(f.date_from) or '처음'} ~ {render.date_label(f.date_to) or '지금'}")
        return " · ".join(parts)

    def choices(self) -> dict[str, list[tuple[str, str]]]:
        """Filter choices from the documents in the index: types with the kinds of 공문서 present,
        departments, and the years and months of the documents' own dates."""
        docs = self._docs()
        order = list(DOC_TYPE_LABELS)
        types = sorted({d.get("doc_type") or "other" for d in docs}, key=lambda t: order.index(t) if t in order else 99)
        kinds = sorted({d.get("kind") for d in docs if d.get("doc_type") == "official" and d.get("kind") and d.get("kind") != "other"},
                       key=lambda k: list(OFFICIAL_KIND_LABELS).index(k) if k in OFFICIAL_KIND_LABELS else 99)
        type_choices: list[tuple[str, str]] = []
        for t in types:
            type_choices.append((TYPE_LABELS.get(t, t), t))
            if t == "official":
                type_choices += [(TYPE_LABELS.get(k, k), k) for k in kinds]
        depts = sorted({d.get("department") for d in docs if d.get("department")})
        dates = sorted({str(d["date"])[:7] for d in docs if d.get("date")}, reverse=True)
        periods: list[tuple[str, str]] = []
        for year in sorted({x[:4] for x in dates}, reverse=True):
            periods.append((f"{year}년", year))
            periods += [(f"{year}년 {int(x[5:7])}월", x) for x in dates if x.startswith(year) and len(x) == 7]
        names = [render.document_choice(d) for d in docs]
        twice = {n for n in names if names.count(n) > 1}
        return {
            "docs": [(f"{n} ({d['id']})" if n in twice else n, d["id"]) for n, d in zip(names, docs, strict=True)],
            "types": type_choices,
            "depts": [(str(x), str(x)) for x in depts],
            "periods": periods,
        }

    # -- chat -------------------------------------------------------------------------
    @staticmethod
    def messages(turns: Sequence[Turn], pending: str | None = None) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        for t in turns:
            out += [{"role": "user", "content": render.user_message(t.answer.question)}, {"role": "assistant", "content": t.message}]
        if pending is not None:
            out += [{"role": "user", "content": render.user_message(pending)}, {"role": "assistant", "content": render.pending_message()}]
        return out

    def respond(
        self, question: str | None, turns: list[Turn] | None, docs: list[str] | None, types: list[str] | None,
        depts: list[str] | None, date_from: str | None = None, date_to: str | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Show the question at once, then the cited answer; outputs: textbox, chatbot, turns, selected, sources."""
        turns = list(turns or [])
        question = question if isinstance(question, str) else ""
        if not question.strip():
            gr.Info("질문을 입력해 주세요.")
            yield gr.update(), gr.update(), turns, gr.update(), gr.update()
            return
        for bound in (date_from, date_to):
            if str(bound or "").strip() and not self.date_bound(bound):
                gr.Warning(f"시행일 '{bound}'을(를) 날짜로 읽지 못해 기간 없이 찾습니다 (예: 2024, 2024-07, 2024-07-10).")
        yield "", self.messages(turns, pending=question), turns, gr.update(), gr.update()
        try:
            f = self.filters(docs, types, depts, date_from, date_to)
            history = [t.answer for t in turns if t.answer.kind not in ("invalid", "error")]
            answer = self.assistant.ask(question, history=history, filters=f or None)
            message = render.answer_message(answer, self.filters_note(f), len(turns), self._doc_meta())
        except Exception as exc:  # the chat must keep working whatever happened
            log.exception("answering failed")
            answer = Answer(question, ERROR_TEXT, True, kind="error")
            message = render.error_message(type(exc).__name__)
        turns.append(Turn(answer, message))
        idx = len(turns) - 1
        yield "", self.messages(turns), turns, idx, self.sources(turns, idx)

    def sources(self, turns: Sequence[Turn], idx: int) -> str:
        if not turns or not 0 <= idx < len(turns):
            return render.sources_placeholder()
        try:
            return render.sources_panel(turns[idx].answer, idx + 1, self._doc_meta())
        except Exception:
            log.exception("cannot render sources")
            return render.error_message()

    def select_answer(self, turns: list[Turn] | None, evt: gr.SelectData) -> tuple[Any, ...]:
        """Clicking a message in the chat shows that answer's sources (and aims the feedback at it)."""
        turns = list(turns or [])
        index = evt.index if isinstance(evt.index, int) else (evt.index[0] if evt.index else 0)
        idx = min(max(int(index) // 2, 0), len(turns) - 1) if turns else -1
        return idx, self.sources(turns, idx)

    def _related(self, doc_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The documents ``doc_id`` cites and those citing it (empty when the index cannot say)."""
        try:
            return list(self.assistant.references(doc_id)), list(self.assistant.cited_by(doc_id))
        except Exception:
            log.exception("cannot read the references of %s", doc_id)
            return [], []

    @staticmethod
    def _answer_cell(answer: Answer, c: Any, doc: Any) -> tuple[int, int, int] | None:
        """The document cell an answer's table highlights (table, row, column), for the viewer to mark it alone."""
        for t in answer.tables:
            if t.citation != c.number or t.highlight is None or t.doc_id != c.doc_id:
                continue
            table = next((x for x in doc.tables if x.index == t.table), None)
            if table is None or not 0 <= t.highlight[0] < len(t.rows):
                continue
            want = list(t.rows[t.highlight[0]])
            for r, row in enumerate(table.rows):
                if [x.text for x in row] == want and table.start <= c.end and c.start <= table.end:
                    return table.index, r, t.highlight[1]
        return None

    def open_citation(self, turns: list[Turn] | None, selected: int | None, evt: gr.EventData) -> Any:
        """Open the cited document with the supporting span marked (scrolled to, inside the viewer)."""
        turns = list(turns or [])
        try:
            data = getattr(evt, "_data", None) or {}
            number = int(data.get("number") or 0)
            turn = data.get("turn")
            idx = int(turn) if isinstance(turn, int) and 0 <= turn < len(turns) else selected
            idx = idx if isinstance(idx, int) and 0 <= idx < len(turns) else len(turns) - 1
            if idx < 0:
                return render.viewer_placeholder()
            answer = turns[idx].answer
            c = {x.number: x for x in answer.citations}.get(number)
            if c is None:
                return render.viewer_placeholder()
            doc = self.assistant.document(c.doc_id)
            if doc is None:
                return render.document_missing(c.doc_id)
            refs, cited_by = self._related(c.doc_id)
            page = render.document_with_mark(doc, c, self._answer_cell(answer, c, doc), refs, cited_by)
            # a fresh comment makes the value change even when the same citation is opened twice
            return f'<div class="viewer-box">{page}</div><!-- {uuid.uuid4().hex[:8]} -->'
        except Exception:
            log.exception("cannot open citation")
            return render.error_message()

    def view_related(self, evt: gr.EventData) -> str:
        """A related document opened from the viewer (no span marked)."""
        doc_id = str((getattr(evt, "_data", None) or {}).get("doc") or "")
        page = self.open_document(doc_id)
        return f'<div class="viewer-box">{page}</div><!-- {uuid.uuid4().hex[:8]} -->'

    @staticmethod
    def pick_related(evt: gr.EventData) -> Any:
        """A related document clicked in the document browser: select it (which opens it)."""
        doc_id = str((getattr(evt, "_data", None) or {}).get("doc") or "")
        return doc_id or gr.update()

    @staticmethod
    def pick_example(evt: gr.SelectData) -> str:
        """An example under the empty chat: put its text in the question box."""
        value = evt.value
        return str(value.get("text", "")) if isinstance(value, dict) else str(value or "")

    def new_conversation(self) -> tuple[Any, ...]:
        return [], [], -1, render.sources_placeholder(), render.viewer_placeholder(), "", gr.update(value=None, visible=False)

    def export_conversation(self, turns: list[Turn] | None) -> Any:
        answers = [t.answer for t in (turns or []) if t.answer.kind not in ("invalid", "error")]
        if not answers:
            gr.Info("내려받을 대화가 아직 없습니다.")
            return gr.update(value=None, visible=False)
        try:
            path = self._file("conversation", ".md")
            path.write_text(self.assistant.export_markdown(answers), encoding="utf-8")
            return gr.update(value=str(path), visible=True)
        except Exception:
            log.exception("cannot export the conversation")
            gr.Warning("대화 기록을 만들지 못했습니다.")
            return gr.update(value=None, visible=False)

    # -- feedback ---------------------------------------------------------------------
    def feedback(self, helpful: bool, turns: list[Turn] | None, selected: int | None, comment: str | None, request: gr.Request | None) -> tuple[str, Any]:
        turns = list(turns or [])
        if not turns:
            return "먼저 질문해 주세요. 답변을 받은 뒤 의견을 남길 수 있습니다.", gr.update()
        idx = selected if isinstance(selected, int) and 0 <= selected < len(turns) else len(turns) - 1
        if getattr(self.assistant, "feedback", None) is None:
            return "의견 저장소가 설정되어 있지 않아 의견을 저장하지 못했습니다.", gr.update()
        try:
            session = getattr(request, "session_hash", "") or ""
            self.assistant.record_feedback(turns[idx].answer, helpful, (comment or "").strip(), session)
        except Exception:
            log.exception("cannot record feedback")
            return "의견을 저장하지 못했습니다. 잠시 후 다시 시도해 주세요.", gr.update()
        label = "도움됨" if helpful else "도움 안 됨"
        return f"고맙습니다. 답변 {idx + 1}에 대한 의견(**{label}**)을 저장했습니다.", ""

    def feedback_helpful(self, turns: list[Turn] | None, selected: int | None, comment: str | None, request: gr.Request) -> tuple[str, Any]:
        return self.feedback(True, turns, selected, comment, request)

    def feedback_unhelpful(self, turns: list[Turn] | None, selected: int | None, comment: str | None, request: gr.Request) -> tuple[str, Any]:
        return self.feedback(False, turns, selected, comment, request)

    def export_feedback(self) -> Any:
        store = getattr(self.assistant, "feedback", None)
        if store is None:
            gr.Warning("의견 저장소가 설정되어 있지 않습니다.")
            return gr.update(value=None, visible=False)
        try:
            path = self._file("feedback", ".csv")
            path.write_text(store.to_csv(), encoding="utf-8")
            return gr.update(value=str(path), visible=True)
        except Exception:
            log.exception("cannot export feedback")
            gr.Warning("의견 파일을 만들지 못했습니다.")
            return gr.update(value=None, visible=False)

    # -- documents --------------------------------------------------------------------
    def refresh(self) -> tuple[Any, ...]:
        """Header stats, document list and every filter's choices, from the current index."""
        docs = self._docs()
        ch = self.choices()
        table = pd.DataFrame(render.document_rows(docs), columns=render.DOC_COLUMNS)
        return (
            render.library_stats(docs),
            table,
            gr.update(choices=ch["docs"]),
            gr.update(choices=ch["docs"]),
            gr.update(choices=ch["types"]),
            gr.update(choices=ch["depts"]),
            gr.update(choices=ch["periods"]),
            gr.update(choices=ch["periods"]),
        )

    def open_document(self, doc_id: str | None) -> str:
        if not doc_id:
            return '<div class="panel-empty">위 목록에서 문서를 고르면 문서 정보(문서번호, 시행일, 결재, 붙임, 관련 문서)와 본문, 표를 볼 수 있습니다.</div>'
        try:
            doc = self.assistant.document(doc_id)
            if doc is None:
                return render.document_missing(doc_id)
            return render.document_structure(doc, *self._related(doc_id))
        except Exception:
            log.exception("cannot open %s", doc_id)
            return render.error_message()

    def document_table(self, query: str | None) -> Any:
        """The document list, only the documents whose row holds every word of ``query``."""
        return pd.DataFrame(render.document_rows(self._docs(), str(query or "")), columns=render.DOC_COLUMNS)

    @staticmethod
    def select_document_row(evt: gr.SelectData) -> Any:
        row = getattr(evt, "row_value", None) or []
        return row[-1] if row else gr.update()

    def upload_documents(self, files: list[str] | str | None) -> Iterator[tuple[Any, ...]]:
        """Queue uploads (each file is checked and bad ones are refused with the reason) and show
        the job's place in the queue and its progress until it is over; outputs: result, file
        box, then the :meth:`refresh` outputs."""
        paths = [str(f) for f in ([files] if isinstance(files, str) else list(files or []))]
        unchanged = tuple(gr.update() for _ in range(8))
        if not paths:
            yield (render.upload_result(None, []), gr.update(), *self.refresh())
            return
        names = [Path(p).name for p in paths]  # Gradio keeps the uploaded file's own name
        try:
            job = self.assistant.submit_documents(paths, names)
        except Exception as exc:
            log.exception("upload failed")
            yield (render.upload_result(None, [(n, f"cannot index: {type(exc).__name__}") for n in names]), gr.update(), *self.refresh())
            return
        while not job.finished.wait(0.5):
            yield (render.upload_progress(job), gr.update(), *unchanged)
        if job.summary is not None:
            try:
                self.assistant.reload()
            except Exception:
                log.exception("cannot load the index after an upload")
        refused = [(s.path, s.reason) for s in job.refused]
        if job.error:
            refused += [(n, f"cannot index: {job.error}") for n in job.names if n not in {r[0] for r in refused}]
        yield (render.upload_result(job.summary, refused), gr.update(value=None), *self.refresh())

    def add_documents(self, files: list[str] | str | None) -> tuple[Any, ...]:
        """:meth:`upload_documents` run to its end (its last outputs)."""
        last: tuple[Any, ...] = ()
        for last in self.upload_documents(files):  # noqa: B007 - the last outputs are the result
            pass
        return last

    # -- evaluation -------------------------------------------------------------------
    @staticmethod
    def _phase(message: str) -> tuple[str, str]:
        """The evaluator's progress message as a phase and a detail, in Korean."""
        words = str(message or "").split()
        if words and words[0] == "index":
            stage = words[1] if len(words) > 1 else ""
            return "1/2 평가용 색인 준비", render.STAGES.get(stage, "색인이 최신인지 확인하는 중")
        if words and words[0] in render.SYSTEM_LABELS:
            return "2/2 질문에 답하는 중", f"{render.system_label(words[0])} · {' '.join(words[1:])}"
        return "평가 준비", message or "질문 세트를 읽는 중"

    def run_evaluation(self, file: str | None) -> Iterator[tuple[Any, ...]]:
        """Run the injected evaluator in a thread and show its progress from the first second;
        outputs: status, metrics, per-question table, downloads, all rows (for 실패만 보기)."""
        empty = pd.DataFrame([], columns=render.QUESTION_COLUMNS)
        hidden = gr.update(value=None, visible=False)

        def stop(message: str) -> tuple[Any, ...]:
            return f'<div class="upload-bad">{message}</div>', "", empty, hidden, []

        if self.evaluate is None:
            yield stop("이 서버에는 평가 기능이 설정되어 있지 않습니다.")
            return
        if not file:
            yield stop("질문 세트 파일(JSONL 또는 CSV)을 먼저 올려 주세요.")
            return
        path = Path(str(file))
        if path.suffix.lower() not in QUESTION_SUFFIXES:
            yield stop(f"질문 세트는 .jsonl 또는 .csv 파일이어야 합니다 (올린 파일: {render.esc(path.name)}).")
            return
        try:
            if path.stat().st_size > self.max_upload_bytes:
                yield stop("질문 세트 파일이 너무 큽니다.")
                return
            path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            yield stop("질문 세트를 UTF-8 텍스트로 읽을 수 없습니다. 파일을 확인해 주세요.")
            return

        state: dict[str, Any] = {"phase": "평가 준비", "detail": "질문 세트를 읽는 중", "done": 0, "total": 0}
        box: dict[str, Any] = {}

        def report(done: int, total: int, message: str = "") -> None:
            phase, detail = self._phase(message)
            state.update(phase=phase, detail=detail, done=int(done), total=int(total))

        def work() -> None:
            try:
                box["result"] = self.evaluate(str(path), report)  # type: ignore[misc]
            except Exception as exc:  # reported below, in the handler's thread
                box["error"] = exc

        t0 = time.perf_counter()
        worker = threading.Thread(target=work, name="evaluation", daemon=True)
        worker.start()
        while True:
            yield (render.eval_progress(state["phase"], state["done"], state["total"], state["detail"], time.perf_counter() - t0),
                   gr.update(), gr.update(), gr.update(), gr.update())
            worker.join(0.5)
            if not worker.is_alive():
                break
        seconds = time.perf_counter() - t0
        error = box.get("error")
        if isinstance(error, ValueError):  # a question set that cannot be used (QuestionSetError)
            yield stop(f"질문 세트를 사용할 수 없습니다: {render.esc(error)}")
            return
        if error is not None:
            log.error("evaluation failed", exc_info=error)
            yield stop(f"평가 중 문제가 생겼습니다 ({type(error).__name__}).")
            return
        result = box.get("result") or {}
        summary = result.get("summary") or {}
        metrics = render.metrics_table(summary) if summary else f"<pre>{render.esc(result.get('summary_markdown', ''))}</pre>"
        rows = render.question_rows(result.get("questions") or [])
        status = f'<div class="upload-ok">{render.esc(render.eval_summary_line(rows, summary, seconds))}</div>'
        files = self._report_files(result, path.name, summary, rows)
        yield status, metrics, pd.DataFrame(rows, columns=render.QUESTION_COLUMNS), gr.update(value=files or None, visible=bool(files)), rows

    @staticmethod
    def question_table(rows: list[list[Any]] | None, only_failed: bool) -> Any:
        """The per-question table, all of it or only the questions that failed (실패만 보기)."""
        rows = list(rows or [])
        shown = [r for r in rows if r[2] == render.FAILED] if only_failed else rows
        return pd.DataFrame(shown, columns=render.QUESTION_COLUMNS)

    def _report_files(self, result: dict[str, Any], source: str, summary: dict[str, Any], rows: list[list[Any]]) -> list[str]:
        """The Korean report (HTML and Markdown), the evaluator's files (results.json), and one zip of them all."""
        when = time.strftime("%Y-%m-%d %H:%M")
        title = f"평가 보고서: {source}"
        listed: list[Path] = []
        try:
            html_path = self._file("평가보고서", ".html")
            html_path.write_text(render.eval_report_html(title, source, summary, rows, when), encoding="utf-8")
            md_path = html_path.with_suffix(".md")
            md_path.write_text(render.eval_report_markdown(title, source, summary, rows, when), encoding="utf-8")
            listed += [html_path, md_path]
        except OSError:
            log.exception("cannot write the evaluation report")
        folder = Path(str(result.get("report_dir") or "")) if result.get("report_dir") else None
        extra = [Path(str(p)) for p in (result.get("files") or [])]
        if folder is not None and folder.is_dir():
            extra += [p for p in sorted(folder.iterdir()) if p.is_file() and p not in extra]
        listed += [p for p in extra if p.is_file()]
        if not listed:
            return []
        try:
            zpath = listed[0].with_name(listed[0].stem + "-전체.zip") if listed else self._file("평가보고서", ".zip")
            with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
                for p in listed:
                    z.write(p, p.name)
            return [str(zpath), *(str(p) for p in listed)]
        except OSError:
            log.exception("cannot zip the report")
            return [str(p) for p in listed]


def build_app(assistant: Assistant, evaluate: Evaluator | None = None, *, title: str = TITLE, examples: Sequence[str] = EXAMPLES) -> gr.Blocks:
    """The Blocks of the web chat (launch it with :func:`launch`)."""
    h = Handlers(assistant, evaluate)
    docs = h._docs()
    ch = h.choices()
    private: dict[str, Any] = {"api_visibility": "private"}

    with gr.Blocks(title=title, analytics_enabled=False, fill_width=True, delete_cache=(3600, 86400)) as app:
        turns = gr.State([])
        selected = gr.State(-1)
        eval_all = gr.State([])
        with gr.Row(elem_id="app-header", equal_height=True):
            gr.HTML(f'<h1>{render.esc(title)}</h1><div class="sub">서울시 공문서·예산서·보도자료·회의 문서에서 근거와 함께 답을 찾아 드립니다. '
                    '답 끝의 번호 <span class="cite-marker">[1]</span>은 그 답의 <b>출처</b>입니다.</div>', scale=4, min_width=280)
            stats = gr.HTML(render.library_stats(docs), elem_id="stats", scale=1, min_width=200)

        with gr.Tabs(elem_id="main-tabs"):
            # -- 질문하기 --------------------------------------------------------------
            with gr.Tab("질문하기", id="chat", elem_id="tab-chat"):
                with gr.Accordion("검색 범위 (필터) — 비워 두면 모든 문서에서 찾습니다", open=False, elem_id="filters"):
                    with gr.Row():
                        f_docs = gr.Dropdown(ch["docs"], value=[], multiselect=True, label="문서", scale=3, min_width=240, elem_id="filter-docs")
                        f_types = gr.Dropdown(ch["types"], value=[], multiselect=True, label="문서 유형", scale=2, min_width=200, elem_id="filter-types")
                        f_depts = gr.Dropdown(ch["depts"], value=[], multiselect=True, label="부서", scale=2, min_width=200, elem_id="filter-depts")
                    with gr.Row():
                        f_from = gr.Dropdown(ch["periods"], value=None, label="시행일 부터 (예: 2024-07)", allow_custom_value=True,
                                             scale=1, min_width=160, elem_id="filter-from")
                        f_to = gr.Dropdown(ch["periods"], value=None, label="시행일 까지 (예: 2024-12-31)", allow_custom_value=True,
                                           scale=1, min_width=160, elem_id="filter-to")
                        gr.HTML('<div class="muted">기간은 문서 자체의 날짜(시행일)로 고릅니다. 날짜가 없는 문서는 기간을 정하면 빠집니다. '
                                "필터는 다음 질문부터 적용되고, 답변 아래에 검색 범위가 표시됩니다.</div>", scale=3, min_width=200)
                        clear_filters = gr.Button("필터 지우기", size="sm", elem_id="clear-filters", scale=0, min_width=110)
                with gr.Row(equal_height=False):
                    with gr.Column(scale=6, min_width=320, elem_id="chat-col"):
                        chatbot = gr.Chatbot(
                            elem_id="chat", show_label=False, height=520, layout="bubble", buttons=[], latex_delimiters=[],
                            allow_tags=False, sanitize_html=True, autoscroll=True,
                            placeholder="**무엇이든 물어보세요.** 예산, 사업 실적, 협약, 회의 결과, 공문서의 문서번호와 결재를 문서에서 찾아 출처와 함께 답합니다.",
                            examples=[{"text": q} for q in examples],
                        )
                        with gr.Row():
                            question = gr.Textbox(show_label=False, placeholder="질문을 입력하세요 (예: 2022년 우호교류협약 예산은?) — Enter로 보내기",
                                                  lines=1, max_lines=5, scale=8, min_width=200, elem_id="question", autofocus=True)
                            send = gr.Button("보내기", variant="primary", scale=1, min_width=80, elem_id="send")
                        with gr.Row(elem_id="chat-tools"):
                            new_chat = gr.Button("새 대화", size="sm", elem_id="new-chat")
                            export_md = gr.Button("대화 내려받기 (Markdown)", size="sm", elem_id="export-md")
                        gr.HTML(f'<div class="muted" id="question-limits">{render.esc(h.limits_note())}</div>')
                        export_file = gr.File(label="대화 기록", visible=False, interactive=False, elem_id="export-file")
                    with gr.Column(scale=5, min_width=320, elem_id="side-col", elem_classes=["show-sources"]):
                        gr.HTML('<div class="side-switches"><button type="button" class="side-switch" data-show="sources">출처</button>'
                                '<button type="button" class="side-switch" data-show="viewer">원문</button></div>',
                                elem_id="side-switch", js_on_load=SIDE_JS, padding=False)
                        sources = gr.HTML(render.sources_placeholder(), elem_id="sources-panel", js_on_load=SOURCES_JS, max_height=760)
                        viewer = gr.HTML(render.viewer_placeholder(), elem_id="doc-viewer", js_on_load=VIEWER_JS)
                with gr.Column(elem_id="feedback"):
                    gr.HTML('<div class="fb-title">이 답변이 도움이 되었나요? '
                            '<span class="muted">대화에서 답변을 누르면 그 답변에 의견을 남길 수 있습니다.</span></div>')
                    with gr.Row(equal_height=True):
                        good = gr.Button("도움됨", size="sm", elem_id="fb-good", scale=0, min_width=90)
                        bad = gr.Button("도움 안 됨", size="sm", elem_id="fb-bad", scale=0, min_width=110)
                        comment = gr.Textbox(show_label=False, placeholder="의견 (선택): 무엇이 좋았거나 부족했나요?", lines=1, scale=1,
                                             min_width=180, elem_id="fb-comment", container=False)
                fb_status = gr.Markdown(elem_id="fb-status")
                with gr.Accordion("의견 모아 보기 (관리자)", open=False, elem_id="fb-admin"):
                    export_fb = gr.Button("모든 의견 CSV로 내려받기", size="sm", elem_id="export-fb")
                    fb_file = gr.File(label="의견 CSV", visible=False, interactive=False, elem_id="fb-file")

            # -- 문서 보기 --------------------------------------------------------------
            with gr.Tab("문서 보기", id="docs", elem_id="tab-docs"):
                gr.Markdown("색인된 문서 목록입니다. 열 이름을 누르면 정렬됩니다. "
                            "행을 누르거나 아래에서 문서를 고르면 문서 정보(문서번호, 시행일, 결재, 붙임, 관련 문서)와 본문, 표를 볼 수 있습니다.")
                doc_query = gr.Textbox(label="문서 찾기", placeholder="제목, 문서번호, 부서, 날짜의 낱말 (예: 청년수당 2025-04)", elem_id="doc-query",
                                       max_lines=1)
                doc_table = gr.Dataframe(pd.DataFrame(render.document_rows(docs), columns=render.DOC_COLUMNS), interactive=False,
                                         wrap=True, elem_id="doc-table", max_height=360,
                                         column_widths=["380px", "170px", "100px", "190px", "170px", "100px", "150px"])
                doc_select = gr.Dropdown(ch["docs"], value=None, label="문서 열기", elem_id="doc-select")
                doc_view = gr.HTML(h.open_document(None), elem_id="doc-structure", js_on_load=DOCS_JS)

            # -- 문서 추가 --------------------------------------------------------------
            with gr.Tab("문서 추가", id="add", elem_id="tab-add"):
                mb = h.max_upload_bytes // 1048576
                gr.Markdown(f"새 문서를 올리면 차례대로 색인되어 질문과 문서 목록, 필터에 나타납니다 (색인하는 동안에도 질문할 수 있습니다). "
                            f"지원 형식: **.txt .md .pdf .hwpx .hwp .docx** (파일당 최대 {mb}MB). 같은 이름의 파일은 새 내용으로 바뀝니다. "
                            "아주 긴 문서는 앞부분만 색인되고, 읽을 수 없는 파일은 이유와 함께 제외됩니다.")
                uploads = gr.File(file_count="multiple", label="문서 파일", elem_id="upload-files", height=160)
                add_btn = gr.Button("색인에 추가", variant="primary", elem_id="upload-btn",
                                    interactive=getattr(assistant, "library", None) is not None)
                upload_out = gr.HTML("" if getattr(assistant, "library", None) is not None
                                     else '<div class="panel-empty">이 서버에는 문서 추가가 설정되어 있지 않습니다.</div>', elem_id="upload-result")

            # -- 평가 ------------------------------------------------------------------
            with gr.Tab("평가", id="eval", elem_id="tab-eval"):
                gr.Markdown("질문 세트(JSONL 또는 CSV: `id, question, answers, docs`)를 올리고 **평가 실행**을 누르면 "
                            "평가용 색인을 준비한 뒤 질문마다 답하고, 검색 방식별 지표와 질문별 결과(통과 여부와 이유)를 보여 줍니다. "
                            "한국어 보고서(HTML, Markdown)를 내려받을 수 있습니다.")
                eval_file = gr.File(label="질문 세트 (.jsonl / .csv)", elem_id="eval-file", height=120)
                eval_btn = gr.Button("평가 실행", variant="primary", elem_id="eval-btn", interactive=evaluate is not None)
                eval_status = gr.HTML("" if evaluate is not None else '<div class="panel-empty">이 서버에는 평가 기능이 설정되어 있지 않습니다.</div>',
                                      elem_id="eval-status")
                eval_metrics = gr.HTML(elem_id="eval-metrics")
                only_failed = gr.Checkbox(False, label="실패만 보기", elem_id="eval-only-failed")
                eval_rows = gr.Dataframe(pd.DataFrame([], columns=render.QUESTION_COLUMNS), interactive=False, wrap=True,
                                         elem_id="eval-questions", max_height=480,
                                         column_widths=["110px", "300px", "64px", "220px", "360px", "90px"])
                eval_files = gr.File(label="보고서 내려받기", file_count="multiple", visible=False, interactive=False, elem_id="eval-files")

        # -- events ----------------------------------------------------------------------
        ask_inputs = [question, turns, f_docs, f_types, f_depts, f_from, f_to]
        ask_outputs = [question, chatbot, turns, selected, sources]
        send.click(polite(h.respond), ask_inputs, ask_outputs, **private)
        question.submit(polite(h.respond), ask_inputs, ask_outputs, **private)
        chatbot.example_select(polite(h.pick_example), None, question, **private).then(polite(h.respond), ask_inputs, ask_outputs, **private)
        chatbot.select(polite(h.select_answer), [turns], [selected, sources], **private)
        sources.open_cite(polite(h.open_citation), [turns, selected], [viewer], **private)  # type: ignore[attr-defined]
        viewer.open_doc(polite(h.view_related), None, [viewer], **private)  # type: ignore[attr-defined]
        new_chat.click(polite(h.new_conversation), None, [chatbot, turns, selected, sources, viewer, fb_status, export_file], **private)
        chatbot.clear(polite(h.new_conversation), None, [chatbot, turns, selected, sources, viewer, fb_status, export_file], **private)
        export_md.click(polite(h.export_conversation), [turns], [export_file], **private)
        clear_filters.click(lambda: ([], [], [], None, None), None, [f_docs, f_types, f_depts, f_from, f_to], **private)
        good.click(polite(h.feedback_helpful), [turns, selected, comment], [fb_status, comment], **private)
        bad.click(polite(h.feedback_unhelpful), [turns, selected, comment], [fb_status, comment], **private)
        export_fb.click(polite(h.export_feedback), None, [fb_file], **private)

        refresh_outputs = [stats, doc_table, doc_select, f_docs, f_types, f_depts, f_from, f_to]
        app.load(polite(h.refresh), None, refresh_outputs, show_progress="hidden", **private)
        doc_select.change(polite(h.open_document), [doc_select], [doc_view], **private)
        doc_table.select(polite(h.select_document_row), None, [doc_select], **private)
        doc_query.change(polite(h.document_table), [doc_query], [doc_table], show_progress="hidden", **private)
        doc_view.open_doc(polite(h.pick_related), None, [doc_select], **private)  # type: ignore[attr-defined]
        # uploads wait in the library's own queue (and show their place in it): several may be submitted at once;
        # the reliability suite uploads through the client API too (undocumented; login applies)
        add_btn.click(polite(h.upload_documents), [uploads], [upload_out, uploads, *refresh_outputs], concurrency_limit=8,
                      api_name="upload", api_visibility="undocumented")
        eval_btn.click(polite(h.run_evaluation), [eval_file], [eval_status, eval_metrics, eval_rows, eval_files, eval_all],
                       concurrency_limit=1, show_progress="hidden", **private).then(
            polite(h.question_table), [eval_all, only_failed], [eval_rows], **private)
        only_failed.change(polite(h.question_table), [eval_all, only_failed], [eval_rows], **private)

        def ask(question: str, conversation: list[str] | str | None = None) -> dict[str, Any]:
            """Answer a question like `assistant ask --json`; `conversation` lists the earlier questions (or is a JSON string of them)."""
            return assistant.ask(question if isinstance(question, str) else "", history=parse_conversation(conversation)).to_dict()

        gr.api(ask, api_name="ask")
    app.handlers = h  # type: ignore[attr-defined]  # for tests and diagnostics
    return app


def theme() -> gr.themes.Base:
    """System fonts with Korean coverage (no web fonts: the app makes no outside requests)."""
    return gr.themes.Soft(
        primary_hue="blue",
        font=["Pretendard", "Apple SD Gothic Neo", "Malgun Gothic", "NanumGothic", "Noto Sans KR", "Noto Sans CJK KR", "sans-serif"],
        font_mono=["D2Coding", "NanumGothicCoding", "Consolas", "monospace"],
    )


def launch(
    app: gr.Blocks,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    concurrency: int = 8,
    max_upload_mb: int = 20,
    auth: tuple[str, str] | None = None,
    block: bool = True,
    quiet: bool = True,
) -> gr.Blocks:
    """Queue and launch ``app``; with ``block=False`` returns once the server is up (call ``app.close()``).
    Gradio's own start-up lines (with its hint about public share links, which this server never
    makes) are left out: ``serve`` says where the chat is."""
    app.queue(default_concurrency_limit=concurrency)
    app.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message="서울시 문서 도우미에 로그인해 주세요." if auth else None,
        max_file_size=f"{int(max_upload_mb)}mb",
        show_error=True,
        prevent_thread_lock=not block,
        quiet=quiet,
        share=False,
        inbrowser=False,
        ssr_mode=False,
        run_history=False,
        footer_links=["api"],
        theme=theme(),
        css=CSS,
    )
    return app


def serve(cfg: Any, evaluate: Evaluator | None = None, announce: Callable[[str], None] | None = None) -> int:
    """Serve the web chat on ``cfg.server.host:port`` (127.0.0.1 unless configured), with login when
    configured; ``announce(url)`` is called once it is up (the command line prints it)."""
    s = cfg.server
    assistant = Assistant.from_config(cfg)
    warm_up(assistant)
    auth = (str(s.username), str(s.password)) if s.username and s.password else None
    if s.host not in ("127.0.0.1", "localhost", "::1") and auth is None:
        log.warning("serving on %s without a login: set server.username and server.password", s.host)
    app = build_app(assistant, evaluate)
    launch(app, host=s.host, port=int(s.port), concurrency=int(s.concurrency), max_upload_mb=int(s.max_upload_mb), auth=auth, block=False)
    url = f"http://{'127.0.0.1' if s.host in ('0.0.0.0', '::') else s.host}:{s.port}"
    log.info("serving on %s", url)
    if announce is not None:
        announce(url)
    try:
        app.block_thread()
    finally:
        app.handlers.close()  # type: ignore[attr-defined]
    return 0
