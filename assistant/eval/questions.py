"""Question sets: JSONL (one question or conversation a line) or CSV (answers separated by ``|``).

JSONL lines::

    {"id": "tbl-001", "question": "...", "answers": ["98,450"], "docs": ["000_....txt"]}
    {"id": "una-001", "question": "...", "answers": [], "docs": []}            # must abstain
    {"id": "ext-001", "question": "...", "answers": [], "docs": ["..."]}       # retrieval only
    {"id": "conv-001", "turns": [{"question": ..., "answers": [...], "docs": [...]}, ...]}

CSV columns: ``id, question, answers, docs`` and optionally ``turn`` (rows sharing an id and
numbered by ``turn`` form a conversation).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


class QuestionSetError(ValueError):
    """A question file that cannot be used, with the file and line."""


@dataclass(frozen=True)
class Turn:
    question: str
    answers: tuple[str, ...]
    docs: tuple[str, ...]

    @property
    def unanswerable(self) -> bool:
        return not self.answers and not self.docs

    @property
    def retrieval_only(self) -> bool:
        return not self.answers and bool(self.docs)


@dataclass(frozen=True)
class Item:
    id: str
    turns: tuple[Turn, ...]
    source: str = ""

    @property
    def conversation(self) -> bool:
        return len(self.turns) > 1


def _strs(value: object, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split("|") if v.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v for v in value if v.strip())
    raise QuestionSetError(f"{where}: '{key}' must be a list of strings")


def _turn(obj: dict, where: str) -> Turn:
    q = obj.get("question")
    if not isinstance(q, str) or not q.strip():
        raise QuestionSetError(f"{where}: missing 'question'")
    return Turn(q.strip(), _strs(obj.get("answers"), where, "answers"), _strs(obj.get("docs"), where, "docs"))


def parse_jsonl(text: str, source: str = "") -> list[Item]:
    items: list[Item] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source}:{n}"
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise QuestionSetError(f"{where}: not valid JSON ({exc.msg})") from exc
        if not isinstance(obj, dict):
            raise QuestionSetError(f"{where}: each line must be a JSON object")
        qid = str(obj.get("id") or f"{Path(source).stem}-{n}")
        if "turns" in obj:
            turns = obj["turns"]
            if not isinstance(turns, list) or not turns:
                raise QuestionSetError(f"{where}: 'turns' must be a non-empty list")
            items.append(Item(qid, tuple(_turn(t, f"{where} turn {i + 1}") for i, t in enumerate(turns)), source))
        else:
            items.append(Item(qid, (_turn(obj, where),), source))
    return items


def parse_csv(text: str, source: str = "") -> list[Item]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "question" not in [f.strip() for f in reader.fieldnames]:
        raise QuestionSetError(f"{source}: a CSV question set needs a 'question' column (and id, answers, docs)")
    grouped: dict[str, list[tuple[int, Turn]]] = {}
    order: list[str] = []
    for n, row in enumerate(reader, start=2):
        row = {k.strip(): (v or "") for k, v in row.items() if k}
        where = f"{source}:{n}"
        qid = row.get("id") or f"{Path(source).stem}-{n}"
        turn = _turn(row, where)
        try:
            k = int(row.get("turn") or 1)
        except ValueError as exc:
            raise QuestionSetError(f"{where}: 'turn' must be a number") from exc
        if qid not in grouped:
            order.append(qid)
        grouped.setdefault(qid, []).append((k, turn))
    return [Item(qid, tuple(t for _, t in sorted(grouped[qid], key=lambda x: x[0])), source) for qid in order]


def parse_questions(text: str, source: str) -> list[Item]:
    return parse_csv(text, source) if source.lower().endswith(".csv") else parse_jsonl(text, source)


def load_questions(paths: Iterable[str | Path]) -> list[Item]:
    """Load and check question files; ids must be unique across them."""
    items: list[Item] = []
    for path in paths:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise QuestionSetError(f"{p}: cannot read ({exc})") from exc
        items += parse_questions(text, str(p))
    seen: set[str] = set()
    for it in items:
        if it.id in seen:
            raise QuestionSetError(f"{it.source}: duplicate id {it.id!r}")
        seen.add(it.id)
    if not items:
        raise QuestionSetError("no questions found")
    return items
