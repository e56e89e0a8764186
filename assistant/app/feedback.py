"""Feedback on answers (helpful or not, with a comment), stored in SQLite, exportable as CSV."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from ..records import Answer

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL, session TEXT NOT NULL,
    question TEXT NOT NULL, query TEXT NOT NULL, answer TEXT NOT NULL, abstained INTEGER NOT NULL,
    confidence REAL NOT NULL, citations TEXT NOT NULL, helpful INTEGER NOT NULL, comment TEXT NOT NULL
)
"""


class FeedbackStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as con:
            con.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def add(self, answer: Answer, helpful: bool, comment: str = "", session: str = "") -> int:
        cites = [{"doc": c.doc_id, "title": c.title, "start": c.start, "end": c.end, "excerpt": c.excerpt[c.highlight[0] : c.highlight[1]]}
                 for c in answer.citations]
        with self._lock, self._connect() as con:
            cur = con.execute(
                "INSERT INTO feedback (created, session, question, query, answer, abstained, confidence, citations, helpful, comment) "
                "VALUES (?,?,?,?,?,?,?,?,?,?)",
                (time.strftime("%Y-%m-%dT%H:%M:%S"), session, answer.question, answer.query, answer.text, int(answer.abstained),
                 float(answer.confidence), json.dumps(cites, ensure_ascii=False), int(helpful), comment.strip()[:2000]),
            )
            return int(cur.lastrowid or 0)

    def rows(self) -> list[dict[str, Any]]:
        with self._lock, self._connect() as con:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute("SELECT * FROM feedback ORDER BY id")]

    def to_csv(self) -> str:
        """All feedback as CSV (UTF-8 with BOM so spreadsheet programs read the Korean text)."""
        rows = self.rows()
        out = io.StringIO()
        out.write("\ufeff")
        fields = ["id", "created", "session", "question", "query", "answer", "abstained", "confidence", "helpful", "comment", "citations"]
        w = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)
        return out.getvalue()
