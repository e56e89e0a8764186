"""SQLite storage for documents, sections, blocks, tables (rows and cells) and chunks.

The chunk ids stored here are the ids used by the FAISS and BM25 indexes. Tables are
stored cell by cell with their column labels and normalised values, so a question like
"2022 예산액" can be answered with a query::

    SELECT c.value, c.unit FROM cells c JOIN table_rows r USING (doc_id, table_idx, row_idx)
    WHERE c.column_label LIKE '%2022%예산액%' AND r.label = '계'
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..ingest import department_of
from ..records import Approval, Block, Cell, Chunk, Contact, Document, OffsetMap, Reference, Section, Table

#: the layout of the tables below; an index written with another one must be rebuilt
SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, doc_type TEXT NOT NULL, years TEXT NOT NULL,
    department TEXT NOT NULL, contacts TEXT NOT NULL, date TEXT, path TEXT NOT NULL,
    sha256 TEXT NOT NULL, encoding TEXT NOT NULL, format TEXT NOT NULL, text TEXT NOT NULL,
    anchors TEXT NOT NULL, n_chunks INTEGER NOT NULL DEFAULT 0, n_tables INTEGER NOT NULL DEFAULT 0,
    number TEXT NOT NULL DEFAULT '', office TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL DEFAULT '',
    form TEXT NOT NULL DEFAULT '{}', masked TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS documents_number ON documents (number);
CREATE INDEX IF NOT EXISTS documents_office ON documents (office);
CREATE TABLE IF NOT EXISTS refs (
    doc_id TEXT NOT NULL, idx INTEGER NOT NULL, number TEXT NOT NULL, key TEXT NOT NULL, title TEXT NOT NULL,
    date TEXT, start INTEGER NOT NULL, end INTEGER NOT NULL, PRIMARY KEY (doc_id, idx)
);
CREATE INDEX IF NOT EXISTS refs_key ON refs (key);
CREATE TABLE IF NOT EXISTS sections (
    doc_id TEXT NOT NULL, idx INTEGER NOT NULL, heading TEXT NOT NULL, path TEXT NOT NULL,
    level INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, PRIMARY KEY (doc_id, idx)
);
CREATE TABLE IF NOT EXISTS blocks (
    doc_id TEXT NOT NULL, idx INTEGER NOT NULL, kind TEXT NOT NULL, section INTEGER NOT NULL,
    text TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, offsets TEXT NOT NULL,
    level INTEGER NOT NULL, table_idx INTEGER, PRIMARY KEY (doc_id, idx)
);
CREATE TABLE IF NOT EXISTS tables (
    doc_id TEXT NOT NULL, table_idx INTEGER NOT NULL, section INTEGER NOT NULL, title TEXT NOT NULL,
    unit TEXT, columns TEXT NOT NULL, layout TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
    n_header INTEGER NOT NULL, n_rows INTEGER NOT NULL, PRIMARY KEY (doc_id, table_idx)
);
CREATE TABLE IF NOT EXISTS table_rows (
    doc_id TEXT NOT NULL, table_idx INTEGER NOT NULL, row_idx INTEGER NOT NULL, is_header INTEGER NOT NULL,
    label TEXT NOT NULL, PRIMARY KEY (doc_id, table_idx, row_idx)
);
CREATE TABLE IF NOT EXISTS cells (
    doc_id TEXT NOT NULL, table_idx INTEGER NOT NULL, row_idx INTEGER NOT NULL, col_idx INTEGER NOT NULL,
    column_label TEXT NOT NULL, text TEXT NOT NULL, value REAL, unit TEXT, start INTEGER NOT NULL,
    end INTEGER NOT NULL, inherited INTEGER NOT NULL, offsets TEXT NOT NULL, masked INTEGER NOT NULL DEFAULT 0, won REAL,
    PRIMARY KEY (doc_id, table_idx, row_idx, col_idx)
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, section INTEGER NOT NULL, heading_path TEXT NOT NULL,
    kind TEXT NOT NULL, text TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
    offsets TEXT NOT NULL, sentences TEXT NOT NULL, table_idx INTEGER, row_idx INTEGER, title TEXT NOT NULL,
    terms TEXT NOT NULL, text_hash BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks (doc_id);
CREATE INDEX IF NOT EXISTS cells_value ON cells (doc_id, table_idx, col_idx);
"""

DOC_TABLES = ("documents", "sections", "blocks", "tables", "table_rows", "cells", "chunks", "refs")
#: the document columns listed by :meth:`Store.documents` (all but the text)
_LISTED = ("id", "title", "doc_type", "kind", "years", "department", "contacts", "date", "number", "office", "path", "sha256",
           "encoding", "format", "n_chunks", "n_tables")


class StoreVersionError(RuntimeError):
    """The index was written by another version of the store: it must be rebuilt."""


def _j(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Store:
    """A SQLite database of the index. Thread-safe: one connection per thread."""

    def __init__(self, path: str | Path, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        self._local = threading.local()
        self.pin: Any = None  # a reader lock that keeps the file's generation on disk while the store lives
        if not readonly:
            with self.connect() as con:
                version = con.execute("PRAGMA user_version").fetchone()[0]
                fresh = not con.execute("SELECT name FROM sqlite_master WHERE name='documents'").fetchone()
                if not fresh and version != SCHEMA_VERSION:
                    raise StoreVersionError(f"{self.path} was written by an older version: rebuild the index (`assistant index --rebuild`)")
                con.executescript(SCHEMA)
                con.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        elif self.connect().execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            raise StoreVersionError(f"{self.path} was written by an older version: run `assistant index` to rebuild it")

    def connect(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            if self.readonly:
                con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            else:
                con = sqlite3.connect(self.path, check_same_thread=False)
                con.execute("PRAGMA journal_mode=DELETE")
            con.row_factory = sqlite3.Row
            self._local.con = con
        return con

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        con = self.connect()
        with con:
            yield con

    # -- writing --------------------------------------------------------------------
    def delete_documents(self, doc_ids: Iterable[str]) -> list[int]:
        """Remove documents and everything derived from them; returns the removed chunk ids."""
        ids = list(doc_ids)
        removed: list[int] = []
        with self.transaction() as con:
            for doc_id in ids:
                removed += [r[0] for r in con.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,))]
                for table in DOC_TABLES:
                    key = "id" if table == "documents" else "doc_id"
                    con.execute(f"DELETE FROM {table} WHERE {key}=?", (doc_id,))
        return removed

    def add_document(self, doc: Document, chunks: Sequence[Chunk], terms: Sequence[list[str]], hashes: Sequence[bytes]) -> None:
        with self.transaction() as con:
            row = {
                "id": doc.id, "title": doc.title, "doc_type": doc.doc_type, "years": _j(list(doc.years)), "department": doc.department,
                "contacts": _j([c.__dict__ for c in doc.contacts]), "date": doc.date, "path": doc.path, "sha256": doc.sha256,
                "encoding": doc.encoding, "format": doc.format, "text": doc.text, "anchors": _j([list(a) for a in doc.anchors]),
                "n_chunks": len(chunks), "n_tables": len(doc.tables), "number": doc.number, "office": doc.office, "kind": doc.kind,
                "form": _j(_form(doc)), "masked": _j([list(m) for m in doc.masked]),
            }
            con.execute(f"INSERT INTO documents ({','.join(row)}) VALUES ({','.join('?' * len(row))})", list(row.values()))
            con.executemany(
                "INSERT INTO refs VALUES (?,?,?,?,?,?,?,?)",
                [(doc.id, i, r.number, r.key, r.title, r.date, r.start, r.end) for i, r in enumerate(doc.references)],
            )
            con.executemany(
                "INSERT INTO sections VALUES (?,?,?,?,?,?,?)",
                [(doc.id, s.index, s.heading, _j(list(s.path)), s.level, s.start, s.end) for s in doc.sections],
            )
            con.executemany(
                "INSERT INTO blocks VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (doc.id, i, b.kind, b.section, b.text, b.start, b.end, _j(b.offsets.to_list()), b.level, b.table)
                    for i, b in enumerate(doc.blocks)
                ],
            )
            for t in doc.tables:
                con.execute(
                    "INSERT INTO tables VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (doc.id, t.index, t.section, t.title, t.unit, _j(list(t.columns)), t.layout, t.start, t.end, len(t.header_rows), len(t.rows)),
                )
                # header rows get negative row numbers, data rows 0.. as in Table.rows and Chunk.row
                n_head = len(t.header_rows)
                numbered = [(i - n_head, True, r) for i, r in enumerate(t.header_rows)] + [(i, False, r) for i, r in enumerate(t.rows)]
                for ri, is_header, row in numbered:
                    label = " ".join(c.text for c in row[:1]) if is_header else t.row_label(ri)
                    con.execute("INSERT INTO table_rows VALUES (?,?,?,?,?)", (doc.id, t.index, ri, int(is_header), label))
                    con.executemany(
                        "INSERT INTO cells VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        [
                            (doc.id, t.index, ri, j, t.columns[j] if j < len(t.columns) else "", c.text, c.value, c.unit, c.start, c.end,
                             int(c.inherited), _j(c.offsets.to_list()), int(c.masked), c.won)
                            for j, c in enumerate(row)
                        ],
                    )
            con.executemany(
                "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        c.id,
                        c.doc_id,
                        c.section,
                        _j(list(c.heading_path)),
                        c.kind,
                        c.text,
                        c.start,
                        c.end,
                        _j(c.offsets.to_list()),
                        _j([list(s) for s in c.sentences]),
                        c.table,
                        c.row,
                        c.title,
                        " ".join(t.replace(" ", "_") for t in term_list),
                        h,
                    )
                    for c, term_list, h in zip(chunks, terms, hashes, strict=True)
                ],
            )

    # -- reading --------------------------------------------------------------------
    def chunk_ids(self) -> list[int]:
        return [r[0] for r in self.connect().execute("SELECT id FROM chunks ORDER BY id")]

    def chunk_doc_ids(self) -> list[tuple[int, str]]:
        return [(r[0], r[1]) for r in self.connect().execute("SELECT id, doc_id FROM chunks ORDER BY id")]

    def iter_terms(self) -> Iterator[tuple[int, list[str]]]:
        for r in self.connect().execute("SELECT id, terms FROM chunks ORDER BY id"):
            yield r[0], r[1].split()

    def chunk_hashes(self) -> list[tuple[int, bytes, str]]:
        """(id, text hash, index text) of every chunk, in id order."""
        rows = self.connect().execute("SELECT * FROM chunks ORDER BY id").fetchall()
        return [(r["id"], r["text_hash"], _chunk(r).index_text) for r in rows]

    def chunks(self, ids: Sequence[int]) -> dict[int, Chunk]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.connect().execute(f"SELECT * FROM chunks WHERE id IN ({marks})", list(ids)).fetchall()
        return {r["id"]: _chunk(r) for r in rows}

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        rows = self.connect().execute("SELECT * FROM chunks WHERE doc_id=? ORDER BY id", (doc_id,)).fetchall()
        return [_chunk(r) for r in rows]

    def documents(self) -> list[dict[str, Any]]:
        """Metadata of every document (no text), sorted by id: title, type and kind, years, department,
        date, number, the 공문서 form's fields and the counts of chunks and tables."""
        rows = self.connect().execute(f"SELECT {', '.join(_LISTED)}, form FROM documents ORDER BY id").fetchall()
        out = []
        written: dict[str, list[tuple[str, str | None]]] = {}
        for r in rows:
            d = dict(r)
            d["years"] = json.loads(d["years"])
            d["contacts"] = json.loads(d["contacts"])
            d.update(json.loads(d.pop("form")))
            if d["office"]:
                written.setdefault(d["office"], []).append((d["department"], d["date"]))
            out.append(d)
        # a 처리과's documents that do not name the office above it take the one its documents name
        fill = {office: department_of(office, office, deps) for office, deps in written.items()}
        for d in out:
            if d["office"] and d["department"] == d["office"]:
                d["department"] = fill[d["office"]]
        return out

    def department(self, doc_id: str) -> str:
        """A document's department: as it names it, or completed from its 처리과's other documents
        (see :func:`assistant.ingest.department_of`)."""
        con = self.connect()
        r = con.execute("SELECT office, department FROM documents WHERE id=?", (doc_id,)).fetchone()
        if r is None:
            return ""
        if not r["office"] or r["department"] != r["office"]:
            return r["department"]
        named = con.execute(
            "SELECT department, date FROM documents WHERE office=? AND department != office", (r["office"],)
        ).fetchall()
        return department_of(r["office"], r["department"], [(x["department"], x["date"]) for x in named])

    def document_by_number(self, number: str) -> str | None:
        """The id of the document whose number (처리과명-일련번호) is ``number``, if indexed."""
        key = number.split()[-1] if number.strip() else ""
        r = self.connect().execute("SELECT id FROM documents WHERE number=? ORDER BY id LIMIT 1", (key,)).fetchone()
        return r[0] if r else None

    def references(self, doc_id: str) -> list[dict[str, Any]]:
        """The documents ``doc_id`` cites, in the order it cites them: number, title, date, the span of
        the citation, and ``doc`` (the cited document's id when it is indexed, else ``None``)."""
        rows = self.connect().execute(
            "SELECT r.*, d.id AS target FROM refs r LEFT JOIN documents d ON d.number = r.key AND d.number != '' "
            "WHERE r.doc_id=? ORDER BY r.idx",
            (doc_id,),
        ).fetchall()
        return [{"number": r["number"], "title": r["title"], "date": r["date"], "start": r["start"], "end": r["end"], "doc": r["target"]}
                for r in rows]

    def cited_by(self, doc_id: str) -> list[dict[str, Any]]:
        """The indexed documents that cite ``doc_id`` (by its number): their id, title, number and date,
        and the span of the citation in the citing document."""
        rows = self.connect().execute(
            "SELECT r.doc_id, r.start, r.end, c.title, c.number, c.date FROM documents d JOIN refs r ON r.key = d.number "
            "JOIN documents c ON c.id = r.doc_id WHERE d.id=? AND d.number != '' ORDER BY c.date, r.doc_id",
            (doc_id,),
        ).fetchall()
        return [{"doc": r["doc_id"], "title": r["title"], "number": r["number"], "date": r["date"], "start": r["start"], "end": r["end"]}
                for r in rows]

    def document(self, doc_id: str) -> Document | None:
        """The stored document with its sections, blocks and tables."""
        con = self.connect()
        r = con.execute("SELECT * FROM documents WHERE id=?", (doc_id,)).fetchone()
        if r is None:
            return None
        sections = tuple(
            Section(s["idx"], s["heading"], tuple(json.loads(s["path"])), s["level"], s["start"], s["end"])
            for s in con.execute("SELECT * FROM sections WHERE doc_id=? ORDER BY idx", (doc_id,))
        )
        blocks = tuple(
            Block(b["kind"], b["section"], b["text"], b["start"], b["end"], OffsetMap.from_list(json.loads(b["offsets"])), b["level"], b["table_idx"])
            for b in con.execute("SELECT * FROM blocks WHERE doc_id=? ORDER BY idx", (doc_id,))
        )
        tables = tuple(self.table(doc_id, t["table_idx"]) for t in con.execute("SELECT table_idx FROM tables WHERE doc_id=? ORDER BY table_idx", (doc_id,)))
        form = json.loads(r["form"])
        refs = tuple(
            Reference(x["number"], x["key"], x["title"], x["date"], x["start"], x["end"])
            for x in con.execute("SELECT * FROM refs WHERE doc_id=? ORDER BY idx", (doc_id,))
        )
        return Document(
            id=r["id"],
            title=r["title"],
            doc_type=r["doc_type"],
            years=tuple(json.loads(r["years"])),
            department=self.department(doc_id),
            contacts=tuple(Contact(**c) for c in json.loads(r["contacts"])),
            date=r["date"],
            path=r["path"],
            sha256=r["sha256"],
            encoding=r["encoding"],
            text=r["text"],
            sections=sections,
            blocks=blocks,
            tables=tuple(t for t in tables if t is not None),
            anchors=tuple((int(a), str(b)) for a, b in json.loads(r["anchors"])),
            format=r["format"],
            number=r["number"],
            office=r["office"],
            kind=r["kind"],
            recipients=tuple(form.get("recipients", ())),
            via=tuple(form.get("via", ())),
            sender=form.get("sender", ""),
            approvals=tuple(Approval(**a) for a in form.get("approvals", ())),
            attachments=tuple(form.get("attachments", ())),
            disclosure=form.get("disclosure", ""),
            references=refs,
            masked=tuple((int(a), int(b)) for a, b in json.loads(r["masked"])),
        )

    def document_text(self, doc_id: str) -> str | None:
        r = self.connect().execute("SELECT text FROM documents WHERE id=?", (doc_id,)).fetchone()
        return r[0] if r else None

    def anchors(self, doc_id: str) -> tuple[tuple[int, str], ...]:
        r = self.connect().execute("SELECT anchors FROM documents WHERE id=?", (doc_id,)).fetchone()
        return tuple((int(a), str(b)) for a, b in json.loads(r[0])) if r else ()

    def table(self, doc_id: str, table_idx: int) -> Table | None:
        con = self.connect()
        t = con.execute("SELECT * FROM tables WHERE doc_id=? AND table_idx=?", (doc_id, table_idx)).fetchone()
        if t is None:
            return None
        grid: dict[int, list[Cell]] = {}
        for c in con.execute("SELECT * FROM cells WHERE doc_id=? AND table_idx=? ORDER BY row_idx, col_idx", (doc_id, table_idx)):
            grid.setdefault(c["row_idx"], []).append(
                Cell(c["text"], c["start"], c["end"], c["value"], c["unit"], bool(c["inherited"]), OffsetMap.from_list(json.loads(c["offsets"])),
                     bool(c["masked"]), c["won"])
            )
        return Table(
            index=t["table_idx"],
            section=t["section"],
            title=t["title"],
            unit=t["unit"],
            columns=tuple(json.loads(t["columns"])),
            header_rows=tuple(tuple(grid[k]) for k in sorted(grid) if k < 0),
            rows=tuple(tuple(grid[k]) for k in sorted(grid) if k >= 0),
            start=t["start"],
            end=t["end"],
            layout=t["layout"],
        )

    def section(self, doc_id: str, idx: int) -> Section | None:
        s = self.connect().execute("SELECT * FROM sections WHERE doc_id=? AND idx=?", (doc_id, idx)).fetchone()
        return Section(s["idx"], s["heading"], tuple(json.loads(s["path"])), s["level"], s["start"], s["end"]) if s else None

    def counts(self) -> dict[str, int]:
        con = self.connect()
        return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in DOC_TABLES}

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Run a read-only query (used by table lookups and tests)."""
        return self.connect().execute(sql, list(params)).fetchall()


def _form(doc: Document) -> dict[str, Any]:
    """The 공문서 form's fields of a document, as stored (JSON)."""
    return {
        "recipients": list(doc.recipients), "via": list(doc.via), "sender": doc.sender,
        "approvals": [a.__dict__ for a in doc.approvals], "attachments": list(doc.attachments), "disclosure": doc.disclosure,
    }


def _chunk(r: sqlite3.Row) -> Chunk:
    return Chunk(
        id=r["id"],
        doc_id=r["doc_id"],
        section=r["section"],
        heading_path=tuple(json.loads(r["heading_path"])),
        kind=r["kind"],
        text=r["text"],
        start=r["start"],
        end=r["end"],
        offsets=OffsetMap.from_list(json.loads(r["offsets"])),
        sentences=tuple((int(a), int(b)) for a, b in json.loads(r["sentences"])),
        table=r["table_idx"],
        row=r["row_idx"],
        title=r["title"],
    )
