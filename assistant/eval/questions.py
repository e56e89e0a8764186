"""Question sets: JSONL (one question or conversation a line) or CSV (answers separated by ``|``).

JSONL lines::

    {"id": "tbl-001", "question": "...", "answers": ["98,450"], "docs": ["000_....txt"]}
    {"id": "una-001", "question": "...", "answers": [], "docs": []}            # must abstain
    {"id": "ext-001", "question": "...", "answers": [], "docs": ["..."]}       # retrieval only
    {"id": "conv-001", "turns": [{"question": ..., "answers": [...], "docs": [...]}, ...]}
    {"id": "msk-001", "question": "...", "answers": [], "docs": ["..."], "expect": "masked"}  # a value the document masks

An optional ``"kind"`` (table, fact, list, english, conversation, masked, unanswerable …) groups the
figures of a report.

CSV columns: ``id, question, answers, docs`` and optionally ``turn`` (rows sharing an id and
numbered by ``turn`` form a conversation).
"""

from __future__ import annotations

import csv
import io
import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


class QuestionSetError(ValueError):
    """A question file that cannot be used, with the file and line."""


EXPECTATIONS = ("", "masked")


@dataclass(frozen=True)
class Turn:
    question: str
    answers: tuple[str, ...]
    docs: tuple[str, ...]
    expect: str = ""  # "masked": the document holds the value but masks it; the answer must say so

    @property
    def unanswerable(self) -> bool:
        return not self.answers and not self.docs

    @property
    def masked(self) -> bool:
        return self.expect == "masked"

    @property
    def retrieval_only(self) -> bool:
        return not self.answers and bool(self.docs) and not self.masked


@dataclass(frozen=True)
class Item:
    id: str
    turns: tuple[Turn, ...]
    source: str = ""
    kind: str = ""

    @property
    def conversation(self) -> bool:
        return len(self.turns) > 1

    @property
    def docs(self) -> tuple[str, ...]:
        """The gold documents of all turns."""
        return tuple(dict.fromkeys(d for t in self.turns for d in t.docs))

    @property
    def group(self) -> str:
        """What cross-validation keeps together: the item's first gold document (its own id when it has none)."""
        return self.docs[0] if self.docs else f"item:{self.id}"


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
    expect = str(obj.get("expect") or "").strip()
    if expect not in EXPECTATIONS:
        raise QuestionSetError(f"{where}: 'expect' must be one of {', '.join(e for e in EXPECTATIONS if e)}")
    return Turn(q.strip(), _strs(obj.get("answers"), where, "answers"), _strs(obj.get("docs"), where, "docs"), expect)


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
            items.append(Item(qid, tuple(_turn(t, f"{where} turn {i + 1}") for i, t in enumerate(turns)), source, str(obj.get("kind") or "")))
        else:
            items.append(Item(qid, (_turn(obj, where),), source, str(obj.get("kind") or "")))
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


HELDOUT_FILE = "heldout_docs.txt"


@lru_cache(maxsize=16)
def read_heldout(folder: str) -> frozenset[str] | None:
    """The held-out documents of the question sets in ``folder`` (its ``heldout_docs.txt``: one
    document id per line, ``#`` comments), or None when the folder has no held-out fold."""
    path = Path(folder) / HELDOUT_FILE
    if not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(ln.strip() for ln in lines if ln.strip() and not ln.startswith("#"))


def is_heldout(item: Item) -> bool:
    """Whether an item is in the fixed held-out fold: its set's folder has one, and one of its
    documents is held out (an item with no document, i.e. unanswerable: every third by a stable
    hash of its id)."""
    heldout = read_heldout(str(Path(item.source).parent)) if item.source else None
    if heldout is None:
        return False
    if item.docs:
        return any(d in heldout for d in item.docs)
    return zlib.crc32(item.id.encode()) % 3 == 2


def split_heldout(items: Sequence[Item]) -> tuple[list[Item], list[Item]]:
    """(development items, held-out items)."""
    return [it for it in items if not is_heldout(it)], [it for it in items if is_heldout(it)]
