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
import shutil
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from ...records import DOC_TYPE_LABELS, Answer, Filters
from ..assistant import Assistant
from . import render

log = logging.getLogger(__name__)

TITLE = "서울시 문서 도우미"
#: ``evaluate(question_file, progress(done, total, message)) -> dict`` (summary_markdown, summary, questions, report_dir, files)
Evaluator = Callable[[str, Callable[[int, int, str], None]], dict[str, Any]]
EXAMPLES = (
    "2019년에 우호교류협약을 맺은 지자체는?",
    "서울-지역간 우호교류협약 사업의 2022년 예산액은?",
    "서울시와 세종시의 협력 분야는?",
    "영등포구협치회의 분과회의 장소는?",
)
QUESTION_SUFFIXES = (".jsonl", ".csv")
ERROR_TEXT = "요청을 처리하는 중 문제가 생겼습니다. 잠시 후 다시 시도해 주세요."

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
.answer .answer-text { line-height: 1.6; }
.answer.abstained .answer-text, .answer.notice .answer-text { color: var(--body-text-color-subdued); }
.answer.error { color: #b42318; }
.answer.pending { color: var(--body-text-color-subdued); font-style: italic; }
.interpretation { margin-top: 6px; font-size: .88em; color: var(--body-text-color-subdued); background: var(--background-fill-secondary); border-radius: 6px; padding: 2px 8px; display: inline-block; }
.src-line, .filters-note { margin-top: 6px; font-size: .85em; color: var(--body-text-color-subdued); }
.src-chip { white-space: nowrap; }
.answer-table-wrap, .doc-table-wrap { overflow-x: auto; margin: 8px 0; }
table.answer-table, table.doc-table, table.metrics-table { border-collapse: collapse; font-size: .9em; margin: 0; }
table.answer-table th, table.answer-table td, table.doc-table th, table.doc-table td, table.metrics-table th, table.metrics-table td {
  border: 1px solid var(--border-color-primary); padding: 4px 8px; text-align: left; vertical-align: top; }
table.answer-table th, table.doc-table th, table.metrics-table th { background: var(--background-fill-secondary); font-weight: 600; }
table.answer-table caption, table.doc-table caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: 4px; }
table.answer-table td.hl { background: #fff3bf; color: #1f2328; }
mark strong, mark b { color: #1f2328 !important; }
table.doc-table td.inherited { color: #98a2b3; }
table.metrics-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
.panel-head { font-weight: 600; margin: 2px 0 8px; }
.panel-empty { color: var(--body-text-color-subdued); padding: 16px 4px; line-height: 1.6; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px; margin-bottom: 10px; background: var(--background-fill-primary); }
.src-card.nearest { border-style: dashed; }
.src-title { font-weight: 600; }
.src-meta, .src-path { font-size: .85em; color: var(--body-text-color-subdued); margin-top: 2px; }
.src-excerpt { margin-top: 6px; font-size: .92em; line-height: 1.55; max-height: 220px; overflow-y: auto; }
.doc-type { background: #e0eaff; color: #1d4ed8; border-radius: 4px; padding: 0 6px; font-size: .85em; }
.doc-id { font-family: var(--font-mono); font-size: .8em; color: #98a2b3; }
.locator { background: var(--background-fill-secondary); border-radius: 4px; padding: 0 6px; }
button.open-cite { margin-top: 8px; border: 1px solid #1d4ed8; color: #1d4ed8; background: transparent; border-radius: 6px;
  padding: 2px 10px; font-size: .88em; cursor: pointer; }
button.open-cite:hover { background: #1d4ed8; color: #fff; }
.doc-head { margin-bottom: 8px; }
.doc-title { font-size: 1.1rem; font-weight: 700; }
.doc-meta { font-size: .88em; color: var(--body-text-color-subdued); margin-top: 2px; }
.doc-contacts { font-size: .85em; color: var(--body-text-color-subdued); margin-bottom: 6px; }
.viewer-info { font-size: .9em; margin: 6px 0; }
.doc-text { white-space: pre-wrap; word-break: break-word; font-size: .92em; line-height: 1.6; border-top: 1px solid var(--border-color-primary); padding-top: 8px; }
.doc-raw { margin-top: 14px; }
.doc-raw summary { cursor: pointer; color: var(--body-text-color-subdued); font-size: .9em; }
.doc-toc ul { margin: 4px 0 8px; padding-left: 18px; font-size: .88em; }
.doc-toc li.lvl3 { margin-left: 1em; } .doc-toc li.lvl4 { margin-left: 2em; }
.doc-h { margin: 14px 0 6px; }
.doc-p, .doc-li { margin: 4px 0; line-height: 1.6; }
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
"""

SOURCES_JS = """
element.addEventListener('click', (e) => {
  const b = e.target.closest('[data-cite]');
  if (b) { trigger('open_cite', {number: parseInt(b.dataset.cite, 10)}); }
});
"""
VIEWER_JS = """
const reveal = () => setTimeout(() => {
  const m = element.querySelector('#doc-mark');
  if (m) { m.scrollIntoView({block: 'center'}); }
}, 150);
reveal();
watch('value', reveal);
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
    def filters(docs: Sequence[str] | None, types: Sequence[str] | None, years: Sequence[str] | None, depts: Sequence[str] | None) -> Filters:
        ys = tuple(int(y) for y in (years or ()) if str(y).strip().isdigit())
        return Filters(tuple(docs or ()), tuple(types or ()), ys, tuple(depts or ()))

    def filters_note(self, f: Filters) -> str:
        if not f:
            return ""
        titles = {d["id"]: d.get("title") or d["id"] for d in self._docs()}
        parts = []
        if f.doc_ids:
            parts.append("문서 " + ", ".join(titles.get(d, d) for d in f.doc_ids))
        if f.doc_types:
            parts.append("유형 " + ", ".join(DOC_TYPE_LABELS.get(t, t) for t in f.doc_types))
        if f.years:
            parts.append("연도 " + ", ".join(str(y) for y in f.years))
        if f.departments:
            parts.append("부서 " + ", ".join(f.departments))
        return " · ".join(parts)

    def choices(self) -> dict[str, list[tuple[str, str]]]:
        """Filter choices from the documents in the index."""
        docs = self._docs()
        types = sorted({d.get("doc_type") or "other" for d in docs}, key=lambda t: list(DOC_TYPE_LABELS).index(t) if t in DOC_TYPE_LABELS else 99)
        years = sorted({int(y) for d in docs for y in (d.get("years") or ())}, reverse=True)
        depts = sorted({d.get("department") for d in docs if d.get("department")})
        return {
            "docs": [(f"{d.get('title') or d['id']} ({d['id']})", d["id"]) for d in docs],
            "types": [(DOC_TYPE_LABELS.get(t, t), t) for t in types],
            "years": [(str(y), str(y)) for y in years],
            "depts": [(str(x), str(x)) for x in depts],
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
        years: list[str] | None, depts: list[str] | None,
    ) -> Iterator[tuple[Any, ...]]:
        """Show the question at once, then the cited answer; outputs: textbox, chatbot, turns, selected, sources, side tabs."""
        turns = list(turns or [])
        question = question if isinstance(question, str) else ""
        if not question.strip():
            gr.Info("질문을 입력해 주세요.")
            yield gr.update(), gr.update(), turns, gr.update(), gr.update(), gr.update()
            return
        yield "", self.messages(turns, pending=question), turns, gr.update(), gr.update(), gr.update()
        try:
            f = self.filters(docs, types, years, depts)
            history = [t.answer for t in turns if t.answer.kind not in ("invalid", "error")]
            answer = self.assistant.ask(question, history=history, filters=f or None)
            message = render.answer_message(answer, self.filters_note(f))
        except Exception as exc:  # the chat must keep working whatever happened
            log.exception("answering failed")
            answer = Answer(question, ERROR_TEXT, True, kind="error")
            message = render.error_message(type(exc).__name__)
        turns.append(Turn(answer, message))
        idx = len(turns) - 1
        sources = self.sources(turns, idx)
        yield "", self.messages(turns), turns, idx, sources, gr.Tabs(selected="sources")

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
        return idx, self.sources(turns, idx), gr.Tabs(selected="sources")

    def open_citation(self, turns: list[Turn] | None, selected: int | None, evt: gr.EventData) -> tuple[Any, ...]:
        """Open the cited document with the supporting span marked and scrolled into view."""
        turns = list(turns or [])
        try:
            number = int(getattr(evt, "_data", {}).get("number") or 0)
            idx = selected if isinstance(selected, int) and 0 <= selected < len(turns) else len(turns) - 1
            if idx < 0:
                return render.viewer_placeholder(), gr.Tabs(selected="viewer")
            cites = {c.number: c for c in turns[idx].answer.citations}
            c = cites.get(number)
            if c is None:
                return render.viewer_placeholder(), gr.Tabs(selected="viewer")
            doc = self.assistant.document(c.doc_id)
            page = render.document_missing(c.doc_id) if doc is None else render.document_with_mark(doc, c)
            # a fresh comment makes the value change even when the same citation is opened twice
            return f"{page}<!-- {uuid.uuid4().hex[:8]} -->", gr.Tabs(selected="viewer")
        except Exception:
            log.exception("cannot open citation")
            return render.error_message(), gr.Tabs(selected="viewer")

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
            gr.update(choices=[(lbl, v) for lbl, v in ch["docs"]]),
            gr.update(choices=ch["docs"]),
            gr.update(choices=ch["types"]),
            gr.update(choices=ch["years"]),
            gr.update(choices=ch["depts"]),
        )

    def open_document(self, doc_id: str | None) -> str:
        if not doc_id:
            return '<div class="panel-empty">위 목록에서 문서를 고르면 절(섹션)별 본문과 표를 볼 수 있습니다.</div>'
        try:
            doc = self.assistant.document(doc_id)
            return render.document_missing(doc_id) if doc is None else render.document_structure(doc)
        except Exception:
            log.exception("cannot open %s", doc_id)
            return render.error_message()

    @staticmethod
    def select_document_row(evt: gr.SelectData) -> Any:
        row = getattr(evt, "row_value", None) or []
        return row[-1] if row else gr.update()

    def upload_documents(self, files: list[str] | str | None) -> Iterator[tuple[Any, ...]]:
        """Queue uploads (each file is checked and bad ones are refused with the reason) and show
        the job's place in the queue and its progress until it is over; outputs: result, file
        box, then the :meth:`refresh` outputs."""
        paths = [str(f) for f in ([files] if isinstance(files, str) else list(files or []))]
        unchanged = tuple(gr.update() for _ in range(7))
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
    def run_evaluation(self, file: str | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        """Run the injected evaluator; outputs: status, metrics, per-question table, downloads."""
        empty = pd.DataFrame([], columns=render.QUESTION_COLUMNS)
        hidden = gr.update(value=None, visible=False)
        if self.evaluate is None:
            return "이 서버에는 평가 기능이 설정되어 있지 않습니다.", "", empty, hidden
        if not file:
            return "질문 세트 파일(JSONL 또는 CSV)을 먼저 올려 주세요.", "", empty, hidden
        path = Path(str(file))
        if path.suffix.lower() not in QUESTION_SUFFIXES:
            return f"질문 세트는 .jsonl 또는 .csv 파일이어야 합니다 (올린 파일: {render.esc(path.name)}).", "", empty, hidden
        try:
            if path.stat().st_size > self.max_upload_bytes:
                return "질문 세트 파일이 너무 큽니다.", "", empty, hidden
            path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return "질문 세트를 UTF-8 텍스트로 읽을 수 없습니다. 파일을 확인해 주세요.", "", empty, hidden

        def report(done: int, total: int, message: str = "") -> None:
            progress((done, max(total, 1)), desc=f"평가하는 중… {message}".strip())

        t0 = time.perf_counter()
        try:
            result = self.evaluate(str(path), report)
        except ValueError as exc:  # a question set that cannot be used (QuestionSetError)
            return f"질문 세트를 사용할 수 없습니다: {render.esc(exc)}", "", empty, hidden
        except Exception as exc:
            log.exception("evaluation failed")
            return f"평가 중 문제가 생겼습니다 ({type(exc).__name__}).", "", empty, hidden
        seconds = time.perf_counter() - t0
        summary = result.get("summary") or {}
        metrics = render.metrics_table(summary) if summary else f"<pre>{render.esc(result.get('summary_markdown', ''))}</pre>"
        rows = render.question_rows(result.get("questions") or [])
        passed = sum(1 for r in rows if r[2] == "통과")
        status = f"평가를 마쳤습니다: {len(rows)}개 질문 중 {passed}개 통과 ({seconds:.1f}초)."
        files = self._report_files(result)
        return status, metrics, pd.DataFrame(rows, columns=render.QUESTION_COLUMNS), gr.update(value=files or None, visible=bool(files))

    def _report_files(self, result: dict[str, Any]) -> list[str]:
        """The report files, plus one zip of the report folder."""
        folder = Path(str(result.get("report_dir") or "")) if result.get("report_dir") else None
        listed = [Path(str(p)) for p in (result.get("files") or [])]
        if folder is not None and folder.is_dir():
            listed += [p for p in sorted(folder.iterdir()) if p.is_file() and p not in listed]
        listed = [p for p in listed if p.is_file()]
        if not listed:
            return []
        try:
            zpath = self._file("evaluation-report", ".zip")
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
        with gr.Row(elem_id="app-header", equal_height=True):
            gr.HTML(f'<h1>{render.esc(title)}</h1><div class="sub">서울시 예산·보도자료·회의 문서에서 근거와 함께 답을 찾아 드립니다. '
                    '답 끝의 번호 <span class="cite-marker">[1]</span>은 오른쪽 <b>출처</b>와 연결됩니다.</div>', scale=4)
            stats = gr.HTML(render.library_stats(docs), elem_id="stats", scale=1, min_width=220)

        with gr.Tabs(elem_id="main-tabs"):
            # -- 질문하기 --------------------------------------------------------------
            with gr.Tab("질문하기", id="chat", elem_id="tab-chat"):
                with gr.Accordion("검색 범위 (필터) — 비워 두면 모든 문서에서 찾습니다", open=False, elem_id="filters"):
                    with gr.Row():
                        f_docs = gr.Dropdown(ch["docs"], value=[], multiselect=True, label="문서", scale=3, elem_id="filter-docs")
                        f_types = gr.Dropdown(ch["types"], value=[], multiselect=True, label="문서 유형", scale=2, elem_id="filter-types")
                        f_years = gr.Dropdown(ch["years"], value=[], multiselect=True, label="연도", scale=1, elem_id="filter-years")
                        f_depts = gr.Dropdown(ch["depts"], value=[], multiselect=True, label="부서", scale=2, elem_id="filter-depts")
                    with gr.Row():
                        gr.HTML('<div class="muted">필터는 다음 질문부터 적용되고, 답변 아래에 검색 범위가 표시됩니다.</div>', scale=4)
                        clear_filters = gr.Button("필터 지우기", size="sm", elem_id="clear-filters", scale=0, min_width=110)
                with gr.Row(equal_height=False):
                    with gr.Column(scale=6, min_width=420):
                        chatbot = gr.Chatbot(
                            elem_id="chat", show_label=False, height=500, layout="bubble", buttons=[], latex_delimiters=[],
                            allow_tags=False, sanitize_html=True, autoscroll=True,
                            placeholder="**무엇이든 물어보세요.** 예산, 사업 실적, 협약, 회의 결과를 문서에서 찾아 출처와 함께 답합니다.",
                            examples=[{"text": q} for q in examples],
                        )
                        with gr.Row():
                            question = gr.Textbox(show_label=False, placeholder="질문을 입력하세요 (예: 2022년 우호교류협약 예산은?) — Enter로 보내기",
                                                  lines=1, max_lines=5, scale=8, elem_id="question", autofocus=True)
                            send = gr.Button("보내기", variant="primary", scale=1, min_width=90, elem_id="send")
                        with gr.Row(elem_id="chat-tools"):
                            new_chat = gr.Button("새 대화", size="sm", elem_id="new-chat")
                            export_md = gr.Button("대화 내려받기 (Markdown)", size="sm", elem_id="export-md")
                        gr.HTML(f'<div class="muted" id="question-limits">{render.esc(h.limits_note())}</div>')
                        export_file = gr.File(label="대화 기록", visible=False, interactive=False, elem_id="export-file")
                        with gr.Column(elem_id="feedback"):
                            gr.HTML('<div class="fb-title">이 답변이 도움이 되었나요? '
                                    '<span class="muted">대화에서 답변을 누르면 그 답변에 의견을 남길 수 있습니다.</span></div>')
                            with gr.Row(equal_height=True):
                                good = gr.Button("도움됨", size="sm", elem_id="fb-good", scale=0, min_width=90)
                                bad = gr.Button("도움 안 됨", size="sm", elem_id="fb-bad", scale=0, min_width=110)
                                comment = gr.Textbox(show_label=False, placeholder="의견 (선택): 무엇이 좋았거나 부족했나요?", lines=1, scale=1,
                                                     elem_id="fb-comment", container=False)
                        fb_status = gr.Markdown(elem_id="fb-status")
                        with gr.Accordion("의견 모아 보기 (관리자)", open=False, elem_id="fb-admin"):
                            export_fb = gr.Button("모든 의견 CSV로 내려받기", size="sm", elem_id="export-fb")
                            fb_file = gr.File(label="의견 CSV", visible=False, interactive=False, elem_id="fb-file")
                    with gr.Column(scale=5, min_width=360):
                        with gr.Tabs(selected="sources", elem_id="side-tabs") as side_tabs:
                            with gr.Tab("출처", id="sources", elem_id="tab-sources"):
                                sources = gr.HTML(render.sources_placeholder(), elem_id="sources-panel", js_on_load=SOURCES_JS, max_height=760)
                            with gr.Tab("원문", id="viewer", elem_id="tab-viewer"):
                                viewer = gr.HTML(render.viewer_placeholder(), elem_id="doc-viewer", js_on_load=VIEWER_JS, max_height=700)

            # -- 문서 보기 --------------------------------------------------------------
            with gr.Tab("문서 보기", id="docs", elem_id="tab-docs"):
                gr.Markdown("색인된 문서 목록입니다. 행을 누르거나 아래에서 문서를 고르면 절별 본문과 표를 볼 수 있습니다.")
                doc_table = gr.Dataframe(pd.DataFrame(render.document_rows(docs), columns=render.DOC_COLUMNS), interactive=False,
                                         wrap=True, elem_id="doc-table", max_height=320)
                doc_select = gr.Dropdown(ch["docs"], value=None, label="문서 열기", elem_id="doc-select")
                doc_view = gr.HTML(h.open_document(None), elem_id="doc-structure")

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
                            "검색 방식별 지표와 질문별 결과(통과 여부와 이유)를 보여 주고 보고서를 내려받을 수 있습니다.")
                eval_file = gr.File(label="질문 세트 (.jsonl / .csv)", elem_id="eval-file", height=120)
                eval_btn = gr.Button("평가 실행", variant="primary", elem_id="eval-btn", interactive=evaluate is not None)
                eval_status = gr.Markdown("" if evaluate is not None else "이 서버에는 평가 기능이 설정되어 있지 않습니다.", elem_id="eval-status")
                eval_metrics = gr.HTML(elem_id="eval-metrics")
                eval_rows = gr.Dataframe(pd.DataFrame([], columns=render.QUESTION_COLUMNS), interactive=False, wrap=True,
                                         elem_id="eval-questions", max_height=420)
                eval_files = gr.File(label="보고서 내려받기", file_count="multiple", visible=False, interactive=False, elem_id="eval-files")

        # -- events ----------------------------------------------------------------------
        ask_inputs = [question, turns, f_docs, f_types, f_years, f_depts]
        ask_outputs = [question, chatbot, turns, selected, sources, side_tabs]
        send.click(polite(h.respond), ask_inputs, ask_outputs, **private)
        question.submit(polite(h.respond), ask_inputs, ask_outputs, **private)
        chatbot.example_select(polite(h.pick_example), None, question, **private).then(polite(h.respond), ask_inputs, ask_outputs, **private)
        chatbot.select(polite(h.select_answer), [turns], [selected, sources, side_tabs], **private)
        sources.open_cite(polite(h.open_citation), [turns, selected], [viewer, side_tabs], **private)  # type: ignore[attr-defined]
        new_chat.click(polite(h.new_conversation), None, [chatbot, turns, selected, sources, viewer, fb_status, export_file], **private)
        chatbot.clear(polite(h.new_conversation), None, [chatbot, turns, selected, sources, viewer, fb_status, export_file], **private)
        export_md.click(polite(h.export_conversation), [turns], [export_file], **private)
        clear_filters.click(lambda: ([], [], [], []), None, [f_docs, f_types, f_years, f_depts], **private)
        good.click(polite(h.feedback_helpful), [turns, selected, comment], [fb_status, comment], **private)
        bad.click(polite(h.feedback_unhelpful), [turns, selected, comment], [fb_status, comment], **private)
        export_fb.click(polite(h.export_feedback), None, [fb_file], **private)

        refresh_outputs = [stats, doc_table, doc_select, f_docs, f_types, f_years, f_depts]
        app.load(polite(h.refresh), None, refresh_outputs, show_progress="hidden", **private)
        doc_select.change(polite(h.open_document), [doc_select], [doc_view], **private)
        doc_table.select(polite(h.select_document_row), None, [doc_select], **private)
        # uploads wait in the library's own queue (and show their place in it): several may be submitted at once;
        # the reliability suite uploads through the client API too (undocumented; login applies)
        add_btn.click(polite(h.upload_documents), [uploads], [upload_out, uploads, *refresh_outputs], concurrency_limit=8,
                      api_name="upload", api_visibility="undocumented")
        eval_btn.click(polite(h.run_evaluation), [eval_file], [eval_status, eval_metrics, eval_rows, eval_files], concurrency_limit=1, **private)

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
    quiet: bool = False,
) -> gr.Blocks:
    """Queue and launch ``app``; with ``block=False`` returns once the server is up (call ``app.close()``)."""
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


def serve(cfg: Any, evaluate: Evaluator | None = None) -> int:
    """Serve the web chat on ``cfg.server.host:port`` (127.0.0.1 unless configured), with login when configured."""
    s = cfg.server
    assistant = Assistant.from_config(cfg)
    warm_up(assistant)
    auth = (str(s.username), str(s.password)) if s.username and s.password else None
    if s.host not in ("127.0.0.1", "localhost", "::1") and auth is None:
        log.warning("serving on %s without a login: set server.username and server.password", s.host)
    app = build_app(assistant, evaluate)
    log.info("serving on http://%s:%s", s.host, s.port)
    launch(app, host=s.host, port=int(s.port), concurrency=int(s.concurrency), max_upload_mb=int(s.max_upload_mb), auth=auth)
    return 0
