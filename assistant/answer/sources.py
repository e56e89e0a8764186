"""The loaded index as the answer layer reads it: documents, their texts, tables, list items,
term statistics and locators, behind small bounded caches (answering re-reads the same few
documents question after question)."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from ..index import SearchIndex
from ..records import Hit, Table

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """A thread-safe least-recently-used mapping holding at most ``size`` entries."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, make: Callable[[], V]) -> V:
        """The cached value of ``key``, made (outside the lock) and kept when missing."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def peek(self, key: K) -> V | None:
        """The cached value of ``key`` or None, without making it."""
        with self._lock:
            return self._items.get(key)

    def __len__(self) -> int:
        return len(self._items)


class Sources:
    """Read access to one loaded :class:`~assistant.index.SearchIndex` for answering."""

    def __init__(self, index: SearchIndex, texts: int = 64, tables: int = 256, vocabularies: int = 128):
        self.index = index
        self._texts: BoundedCache[str, str] = BoundedCache(texts)
        self._tables: BoundedCache[tuple[str, int], Table | None] = BoundedCache(tables)
        self._vocab: BoundedCache[str, set[str]] = BoundedCache(vocabularies)
        bm25 = index.bm25
        df = bm25.weights.indptr[1:] - bm25.weights.indptr[:-1]
        self.df: dict[str, int] = dict(zip(sorted(bm25.vocab, key=bm25.vocab.__getitem__), df.tolist(), strict=True))
        self.n = max(len(bm25), 1)

    @property
    def documents(self) -> dict[str, dict[str, Any]]:
        return self.index.documents

    def idf(self, term: str) -> float:
        df = self.df.get(term, 0)
        return math.log(1.0 + (self.n - df + 0.5) / (df + 0.5))

    def indexed(self, term: str) -> bool:
        """Whether any indexed text has ``term``."""
        return term in self.df

    def text(self, doc_id: str) -> str:
        """A document's original text."""
        return self._texts.get(doc_id, lambda: self.index.store.document_text(doc_id) or "")

    def table(self, doc_id: str, idx: int) -> Table | None:
        return self._tables.get((doc_id, idx), lambda: self.index.store.table(doc_id, idx))

    def vocabulary(self, doc_id: str) -> set[str]:
        """Every indexed term of a document (for "does this document talk about it at all")."""

        def load() -> set[str]:
            rows = self.index.store.query("SELECT terms FROM chunks WHERE doc_id=?", (doc_id,))
            return {t for r in rows for t in r["terms"].split()}

        return self._vocab.get(doc_id, load)

    def layout(self, hit: Hit) -> str:
        """The layout of the table a hit comes from ("" for text)."""
        t = self.table(hit.chunk.doc_id, hit.chunk.table) if hit.chunk.table is not None else None
        return t.layout if t is not None else ""

    def anchors(self, doc_id: str) -> tuple[tuple[int, str], ...]:
        """Page or paragraph anchors of an office document (none for text exports)."""
        if self.documents.get(doc_id, {}).get("format", "text") == "text":
            return ()
        return tuple(self.index.store.anchors(doc_id))

    def doc_years(self, doc_id: str) -> set[int]:
        return set(self.documents.get(doc_id, {}).get("years", ()))

    def section_items(self, doc_id: str, section: int) -> list[str]:
        """The top-level list items of a section, as written (a section asked about as a whole)."""
        rows = self.index.store.query(
            "SELECT text, level FROM blocks WHERE doc_id=? AND section=? AND kind='list_item' ORDER BY idx", (doc_id, section)
        )
        if not rows:
            return []
        top = min(r["level"] for r in rows)
        return [r["text"] for r in rows if r["level"] == top]
