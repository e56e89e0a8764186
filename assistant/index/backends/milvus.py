"""Milvus as the search backend: the chunk vectors and BM25 postings of an index live in a
Milvus collection (a Milvus cluster, a ``milvus-lite server``, or Milvus Lite inside this
process for a ``uri`` ending in ``.db``); SQLite stays the document store beside it.

**BM25 is ours, exactly.** Each row carries a sparse vector of BM25 document-side weights
``tf·(k1+1) / (tf + k1·(1−b+b·dl/avgdl))`` over the same Kiwi terms the local index uses
(dimension = a 32-bit hash of the term); a query sends ``idf(t)`` per term from the term
statistics kept in the generation folder. The sparse inner product Milvus computes is then
the local BM25 score (float32). Milvus's own BM25 function is not used: its statistics are
kept per segment (scores change with the write history) and its analysers know no Korean.

**Generations.** A full build writes a new collection ``<prefix>_<index>_g<n>`` and, once the
index folder's new generation is live, points the alias ``<prefix>_<index>`` at it. An
incremental build updates the current collection in place without disturbing its readers:
new chunks get ids above the previous generation's ``next_chunk_id`` (readers filter
``id < next_chunk_id``), and removed chunks are not deleted but stamped ``until = version``
(readers of version ``v`` filter ``until > v``). A build killed midway therefore leaves every
committed generation answering as before; the next build clears its leftovers, and rows no
kept generation can see are deleted after the swap. The document-side weights keep the
average length of the build that wrote the collection; when the corpus's average has moved
more than :data:`AVGDL_TOLERANCE`, the build writes a new collection instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...records import Filters
from ..dense import DenseSettings, ivf_lists
from ..lexical import TermStats
from ..store import Store
from .base import BackendError, BackendSettings, Candidates, Changes, SearchBackend, Written, allowed_documents

log = logging.getLogger(__name__)

DEFAULT_URI = "http://127.0.0.1:19530"
LIVE = 2**62  # ``until`` of a row no build has removed
# Sparse dimensions must lie in [0, 2**32 - 2]: terms hash into [0, 2**32 - 3], and the top one
# stands in for chunks without terms (Milvus refuses empty sparse vectors; no query uses it).
EMPTY_DIM = 2**32 - 2
_TERM_SPACE = 2**32 - 2
#: relative change of the average chunk length (in terms) after which a build rewrites the
#: collection; below it, new rows are weighted with the collection's average and BM25 scores
#: stay within about b·tolerance (1.5%) of the exact ones
AVGDL_TOLERANCE = 0.02
_BATCH = 2000  # rows per insert (a gRPC message holds 256 MB; 2,000 rows of 384 floats are ~3.5 MB)
_ID_WINDOW = 16384  # ids per query when listing them (Milvus returns at most 16,384 rows per query)
_LEDGER = "milvus-collections.json"  # in the index folder: the collections its builds created


def _pymilvus() -> Any:
    try:
        import pymilvus
    except ImportError as exc:
        raise ImportError("the Milvus backend needs pymilvus: pip install 'pymilvus[milvus-lite]' (or the project's [milvus] extra)") from exc
    return pymilvus


def term_dim(term: str) -> int:
    """The sparse dimension of a term: the first 4 bytes of its blake2b hash, little endian,
    folded into Milvus's range. Stateless, so indexing machines need no shared vocabulary;
    two terms sharing a dimension are counted in the manifest (``collisions``)."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "little") % _TERM_SPACE


def quote(value: str) -> str:
    """A Milvus filter string literal (``\\uXXXX`` escapes are refused by Milvus Lite, hence no ASCII escaping)."""
    return json.dumps(str(value), ensure_ascii=False)


def resolve_uri(uri: str) -> str:
    """The address to connect to: the default server, a URL, or an absolute ``.db`` path."""
    if not uri:
        return DEFAULT_URI
    if "://" not in uri and uri.endswith(".db"):
        return str(Path(uri).expanduser().resolve())
    return uri


def collection_base(prefix: str, root: Path) -> str:
    """The alias of an index folder's collections: ``<prefix>_<folder name>`` in the letters Milvus allows."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", f"{prefix}_{Path(root).name}")
    return name if re.match(r"[A-Za-z_]", name) else f"_{name}"


_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()


def client_for(uri: str, token: str | None = None) -> Any:
    """One ``MilvusClient`` per address and token in this process (gRPC channels are thread-safe)."""
    key = (uri, token or "")
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            pymilvus = _pymilvus()
            try:
                client = pymilvus.MilvusClient(uri=uri, token=token or "")
            except Exception as exc:
                hint = " (a Milvus Lite .db folder can be opened by one process only: run `milvus-lite server` and use its http:// address)" \
                    if uri.endswith(".db") else ""
                raise BackendError(f"cannot connect to Milvus at {uri}: {exc}{hint}") from exc
            _clients[key] = client
        return client


def _index_spec(kind: str, n_chunks: int, s: DenseSettings) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Milvus index type, build parameters and search parameters for the local index kind."""
    if kind == "ivf":
        return "IVF_FLAT", {"nlist": ivf_lists(n_chunks)}, {"nprobe": s.ivf_nprobe}
    if kind == "hnsw":
        return "HNSW", {"M": s.hnsw_m, "efConstruction": s.ef_construction}, {"ef": s.ef_search}
    return "FLAT", {}, {}


class MilvusBackend(SearchBackend):
    """Chunk vectors and BM25 postings in a Milvus collection; term statistics in the generation folder."""

    name = "milvus"

    def __init__(self, settings: BackendSettings | None = None):
        super().__init__(settings)
        self._uri = resolve_uri(self.settings.uri)
        self.documents: list[Mapping[str, Any]] = []

    @property
    def client(self) -> Any:
        return client_for(self._uri, self.settings.token)

    # -- writing ---------------------------------------------------------------------
    def write(self, changes: Changes) -> Written:
        ch = changes
        root = ch.folder.parent
        base = collection_base(self.settings.collection, root)
        stats = self._stats(ch)
        stats.save(ch.folder)
        kind = ch.dense.kind_for(stats.n_docs)
        prev = ch.previous_backend if ch.previous is not None else None
        why = self._rewrite_reason(prev, base, kind, stats)
        t0 = time.perf_counter()
        if why:
            log.info("writing a new Milvus collection: %s", why)
            info = self._write_all(ch, stats, root, base, kind)
        else:
            info = self._write_changes(ch, stats, dict(prev or {}))
        info["seconds"] = round(time.perf_counter() - t0, 2)
        info["collisions"] = self._collisions(stats)
        dense = {"kind": kind, "engine": "milvus", "index_type": info["index_type"], **info["params"], "deleted": []}
        return Written(dense, {"k1": stats.k1, "b": stats.b, "terms": len(stats.vocab)}, info)

    @staticmethod
    def _stats(ch: Changes) -> TermStats:
        """The previous term statistics updated with the changed chunks, or counted from the store."""
        if ch.previous is not None and (ch.previous / "bm25_stats.npz").exists():
            try:
                old = TermStats.load(ch.previous)
                return old.updated(_stored_terms(ch.previous / "store.sqlite", ch.removed), ch.added_terms)
            except (OSError, ValueError) as exc:
                log.warning("counting the term statistics from the store: %s", exc)
        return TermStats.build(t for _, t in ch.store.iter_terms())

    def _rewrite_reason(self, prev: Mapping[str, Any] | None, base: str, kind: str, stats: TermStats) -> str:
        """Why this build cannot update the previous collection in place ('' when it can)."""
        if not prev or prev.get("name") != self.name:
            return "no previous Milvus collection"
        if prev.get("uri") != self._uri or prev.get("alias") != base:
            return f"the collection moved ({prev.get('uri')} {prev.get('alias')} → {self._uri} {base})"
        if not self.client.has_collection(prev["collection"]):
            return f"collection {prev['collection']} is missing"
        if prev.get("kind") != kind:
            return f"dense index kind changed ({prev.get('kind')} → {kind})"
        if kind == "ivf" and ivf_lists(stats.n_docs) > 2 * int(prev.get("params", {}).get("nlist", 1)):
            return "the IVF index has outgrown its lists"
        drift = abs(stats.avgdl / float(prev["avgdl"]) - 1.0) if prev.get("avgdl") else 1.0
        if drift > AVGDL_TOLERANCE:
            return f"average chunk length moved {100 * drift:.1f}% since the collection was written"
        return ""

    def _schema(self, dim: int) -> Any:
        DataType = _pymilvus().DataType
        s = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
        s.add_field("id", DataType.INT64, is_primary=True)  # the chunk id of SQLite
        s.add_field("doc_id", DataType.VARCHAR, max_length=4096)
        s.add_field("doc_type", DataType.VARCHAR, max_length=256)
        # "|2023|2024|": `years_tag like "%|2024|%"` is evaluated by Arrow in Milvus Lite, where
        # ARRAY_CONTAINS over an array field runs row by row in Python (30-40x slower)
        s.add_field("years_tag", DataType.VARCHAR, max_length=4096)
        s.add_field("department", DataType.VARCHAR, max_length=4096)
        s.add_field("until", DataType.INT64)  # the first version that no longer sees this row
        s.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        return s

    def _index_params(self, index_type: str, params: dict[str, Any]) -> Any:
        ip = self.client.prepare_index_params()
        # nested under "params": pymilvus 3.0 flattens a plain dict into top-level keys, which
        # Milvus Lite 3.2 silently ignores (it reads the JSON "params" key, as Milvus also accepts)
        ip.add_index(field_name="vector", index_type=index_type, metric_type="IP", params={"params": params} if params else {})
        ip.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        ip.add_index(field_name="doc_id", index_type="INVERTED")
        ip.add_index(field_name="doc_type", index_type="INVERTED")
        return ip

    def _write_all(self, ch: Changes, stats: TermStats, root: Path, base: str, kind: str) -> dict[str, Any]:
        """A new collection with every chunk of the store."""
        c = self.client
        name = f"{base}_g{self._next_generation(root, base)}"
        _ledger_update(root, add=[(self._uri, name)])  # before creating it: a crash leaves nothing unknown behind
        index_type, params, search = _index_spec(kind, stats.n_docs, ch.dense)
        c.create_collection(name, schema=self._schema(ch.dim), consistency_level="Strong")
        try:
            # sync=False: pymilvus would poll every index's state with a 0.5 s sleep; the collection is empty
            c.create_index(name, self._index_params(index_type, params), sync=False)
            rows = ch.store.chunk_hashes()
            terms = dict(ch.store.iter_terms())
            doc_of = dict(ch.store.chunk_doc_ids())
            meta = _doc_meta(ch.store)
            avgdl = stats.avgdl
            for i in range(0, len(rows), _BATCH):
                part = rows[i : i + _BATCH]
                vecs = ch.vectors(part)
                c.insert(name, [_row(cid, doc_of[cid], meta, terms[cid], v, stats, avgdl) for (cid, _, _), v in zip(part, vecs, strict=True)])
            c.flush(name)  # sealed segments: Milvus Lite rebuilds the postings of unflushed rows on every search
            c.load_collection(name)
            self._warm(name)
        except BaseException:
            try:
                c.drop_collection(name)
                _ledger_update(root, remove=[(self._uri, name)])
            except Exception:  # the next build's clean-up drops it
                log.warning("could not drop the unfinished collection %s", name)
            raise
        return {"name": self.name, "uri": self._uri, "alias": base, "collection": name, "version": 1, "kind": kind,
                "index_type": index_type, "params": params, "search": search, "avgdl": avgdl, "next_chunk_id": ch.next_chunk_id,
                "written": len(rows)}

    def _write_changes(self, ch: Changes, stats: TermStats, prev: dict[str, Any]) -> dict[str, Any]:
        """Update the previous collection in place, invisibly to the generations already committed."""
        c = self.client
        name, old = prev["collection"], int(prev["version"])
        version, watermark, avgdl = old + 1, int(prev["next_chunk_id"]), float(prev["avgdl"])
        # leftovers of a build that died before its swap: rows above the live watermark, stamps of an uncommitted version
        c.delete(name, filter=f"id >= {watermark}")
        self._stamp(name, f"until > {old} and until < {LIVE}", LIVE)
        # removed chunks stay visible to the committed versions (until > old) and vanish for this one
        removed = list(ch.removed)
        for i in range(0, len(removed), 1000):
            self._stamp(name, f"until == {LIVE} and id in [{', '.join(str(int(x)) for x in removed[i : i + 1000])}]", version)
        meta = _doc_meta(ch.store)
        for i in range(0, len(ch.added), _BATCH):
            part = ch.added[i : i + _BATCH]
            c.insert(name, [_row(chunk.id, chunk.doc_id, meta, terms, v, stats, avgdl)
                            for chunk, terms, v in zip(part, ch.added_terms[i : i + _BATCH], ch.added_vectors[i : i + _BATCH], strict=True)])
        c.flush(name)
        self._warm(name)
        return {**prev, "version": version, "next_chunk_id": ch.next_chunk_id, "written": len(ch.added), "stamped": len(removed)}

    def _stamp(self, name: str, expr: str, until: int) -> int:
        """Set ``until`` on every row matching ``expr`` (a partial upsert: vectors are not sent again); returns how many."""
        c, n = self.client, 0
        expr = f"({expr}) and until != {until}"  # a stamped row no longer matches: the loop ends
        while True:
            ids = [r["id"] for r in c.query(name, filter=expr, output_fields=["id"], limit=_ID_WINDOW)]
            if not ids:
                return n
            c.upsert(name, [{"id": i, "until": until} for i in ids], partial_update=True)
            n += len(ids)

    def _next_generation(self, root: Path, base: str) -> int:
        pat = re.compile(re.escape(base) + r"_g(\d+)")
        names = [*self.client.list_collections(), *(n for u, n in _ledger(root) if u == self._uri)]
        return max((int(m.group(1)) for n in names if (m := pat.fullmatch(n))), default=0) + 1

    def _warm(self, name: str, expr: str = "") -> None:
        """Milvus Lite builds a segment's sparse postings (in Python) and loads its vector index on
        the first search: ~10 s at 100k rows. Paid here, not by a user's first question."""
        c = self.client
        c.search(name, data=[{EMPTY_DIM: 1.0}], anns_field="sparse", limit=1, filter=expr, search_params={"metric_type": "IP"})
        dim = next(f["params"]["dim"] for f in c.describe_collection(name)["fields"] if f["name"] == "vector")
        c.search(name, data=[[1.0] + [0.0] * (int(dim) - 1)], anns_field="vector", limit=1, filter=expr, search_params={"metric_type": "IP"})

    @staticmethod
    def _collisions(stats: TermStats) -> int:
        dims = {term_dim(t) for t, i in stats.vocab.items() if stats.df[i] > 0}
        n = int((stats.df > 0).sum()) - len(dims)
        if n:
            log.warning("%d pairs of terms share a sparse dimension: their BM25 scores mix", n)
        return n

    def committed(self, root: Path, current: Mapping[str, Any], keep: Sequence[Mapping[str, Any]]) -> None:
        """Point the alias at the live collection, drop the collections no kept generation reads,
        delete the rows none of them can see."""
        if current.get("name") != self.name:
            return
        c = client_for(current["uri"], self.settings.token)
        alias, name = current["alias"], current["collection"]
        target = c.describe_alias(alias).get("collection_name") if alias in c.list_aliases().get("aliases", []) else None
        if target is None:
            c.create_alias(name, alias)
        elif target != name:
            c.alter_alias(name, alias)  # one metadata write: readers of the alias see the old or the new collection
        versions: dict[str, int] = {}
        for info in [current, *keep]:
            if info and info.get("name") == self.name and info.get("uri") == current["uri"]:
                versions[info["collection"]] = min(int(info["version"]), versions.get(info["collection"], LIVE))
        drop = [(u, n) for u, n in _ledger(root) if u == current["uri"] and n not in versions]
        for _, n in drop:
            if c.has_collection(n):
                c.drop_collection(n)
                log.info("dropped the Milvus collection %s (no generation reads it)", n)
        _ledger_update(root, remove=drop)
        for n, oldest in versions.items():
            if c.has_collection(n):
                c.delete(n, filter=f"until <= {oldest}")

    # -- reading ---------------------------------------------------------------------
    def open(self, folder: Path, manifest: Any, store: Store, documents: Sequence[Mapping[str, Any]]) -> None:
        info = manifest.backend
        if self.settings.uri:  # the configured address wins: the index may have been built from another machine
            self._uri = resolve_uri(self.settings.uri)
        else:
            self._uri = info["uri"]
        self.collection = info["collection"]
        self.version = int(info["version"])
        self.watermark = int(manifest.next_chunk_id)
        self.visible = f"id < {self.watermark} and until > {self.version}"
        self.stats = TermStats.load(folder)
        self.departments = sorted({d["department"] for d in documents})
        self.documents = list(documents)
        self.search_params = dict(info.get("search", {}))
        c = self.client
        if not c.has_collection(self.collection):
            raise BackendError(f"the Milvus collection {self.collection} is missing at {self._uri}: rebuild the index with `assistant index --rebuild`")
        c.load_collection(self.collection)
        self._warm(self.collection, self.visible)

    @property
    def terms(self) -> TermStats:
        return self.stats

    def expression(self, filters: Filters | None) -> str | None:
        """The Milvus filter of this version and ``filters`` (``None``: no document can match)."""
        parts = [self.visible]
        if filters:
            if filters.doc_ids:
                parts.append(f"doc_id in [{', '.join(map(quote, filters.doc_ids))}]")
            if filters.doc_types:
                types = f"doc_type in [{', '.join(map(quote, filters.doc_types))}]"
                # a kind of 공문서 ("payment") is a property of the documents, not a field of the rows
                kinds = [d["id"] for d in self.documents if d.get("kind") and d["kind"] in filters.doc_types]
                parts.append(f"({types} or doc_id in [{', '.join(map(quote, kinds))}])" if kinds else types)
            if filters.date_from or filters.date_to:  # the documents' own dates, resolved against the documents
                docs = allowed_documents(self.documents, Filters(date_from=filters.date_from, date_to=filters.date_to))
                if not docs:
                    return None
                parts.append(f"doc_id in [{', '.join(map(quote, docs))}]")
            if filters.years:
                parts.append("(" + " or ".join(f'years_tag like "%|{int(y)}|%"' for y in filters.years) + ")")
            if filters.departments:
                # the departments holding a requested one, resolved against the documents (exact
                # `in` instead of LIKE patterns, whose wildcards a department name could contain)
                deps = [d for d in self.departments if any(x and x in d for x in filters.departments)]
                if not deps:
                    return None
                parts.append(f"department in [{', '.join(map(quote, deps))}]")
        return " and ".join(parts)

    def _search(self, data: Any, field: str, k: int, filters: Filters | None, params: dict[str, Any]) -> Candidates:
        expr = self.expression(filters)
        if expr is None or k <= 0:
            return []
        try:
            res = self.client.search(self.collection, data=[data], anns_field=field, limit=k, filter=expr,
                                     search_params={"metric_type": "IP", "params": params})
        except Exception as exc:
            raise BackendError(f"Milvus search in {self.collection} at {self._uri} failed: {exc}") from exc
        return [(int(h["id"]), float(h["distance"])) for h in res[0]]

    def lexical(self, terms: Sequence[str], k: int, filters: Filters | None = None) -> Candidates:
        q: dict[int, float] = {}
        for t, w in self.stats.query_weights(terms).items():
            d = term_dim(t)
            q[d] = q.get(d, 0.0) + w
        if not q:
            return []
        return self._search(q, "sparse", k, filters, {})

    def dense(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> Candidates:
        params = dict(self.search_params)
        if "ef" in params:
            params["ef"] = max(int(params["ef"]), k)
        return self._search(np.asarray(vector, dtype=np.float32).reshape(-1).tolist(), "vector", k, filters, params)

    def ids(self) -> np.ndarray:
        out: list[int] = []
        for a in range(0, self.watermark, _ID_WINDOW):
            rows = self.client.query(self.collection, filter=f"{self.visible} and id >= {a} and id < {a + _ID_WINDOW}",
                                     output_fields=["id"], limit=_ID_WINDOW)
            out += [int(r["id"]) for r in rows]
        return np.sort(np.asarray(out, dtype=np.int64))

    def check(self, sql_ids: np.ndarray, dim: int) -> list[str]:
        problems = []
        ids = self.ids()
        if not np.array_equal(sql_ids, ids):
            extra, missing = np.setdiff1d(ids, sql_ids).size, np.setdiff1d(sql_ids, ids).size
            problems.append(f"SQLite has {sql_ids.size} chunks, Milvus collection {self.collection} {ids.size} "
                            f"({missing} missing, {extra} unknown to SQLite)")
        fields = self.client.describe_collection(self.collection)["fields"]
        got = next((int(f["params"]["dim"]) for f in fields if f["name"] == "vector"), None)
        if got != dim:
            problems.append(f"Milvus vector dimension {got} != model dimension {dim}")
        if len(self.stats) != sql_ids.size:
            problems.append(f"term statistics count {len(self.stats)} chunks, SQLite {sql_ids.size}")
        return problems


# -- helpers -------------------------------------------------------------------------


def _row(cid: int, doc_id: str, meta: Mapping[str, tuple[str, str, str]], terms: Sequence[str], vector: np.ndarray,
         stats: TermStats, avgdl: float) -> dict[str, Any]:
    sparse: dict[int, float] = {}
    for t, w in stats.doc_weights(terms, avgdl).items():
        d = term_dim(t)
        sparse[d] = sparse.get(d, 0.0) + w
    doc_type, years_tag, department = meta[doc_id]
    return {"id": int(cid), "doc_id": doc_id, "doc_type": doc_type, "years_tag": years_tag, "department": department, "until": LIVE,
            "vector": np.asarray(vector, dtype=np.float32), "sparse": sparse or {EMPTY_DIM: 1.0}}


def _doc_meta(store: Store) -> dict[str, tuple[str, str, str]]:
    """doc id → (type, "|year|year|", department), the fields filters match."""
    return {d["id"]: (d["doc_type"], "|" + "|".join(str(int(y)) for y in d["years"]) + "|" if d["years"] else "", d["department"])
            for d in store.documents()}


def _stored_terms(db: Path, ids: Sequence[int]) -> Iterable[list[str]]:
    """The terms of chunks ``ids`` as the store at ``db`` holds them."""
    if not ids:
        return []
    store = Store(db, readonly=True)
    try:
        out = []
        for i in range(0, len(ids), 500):
            part = [int(x) for x in ids[i : i + 500]]
            out += [r[0].split() for r in store.query(f"SELECT terms FROM chunks WHERE id IN ({','.join('?' * len(part))})", part)]
        if len(out) != len(ids):
            raise ValueError(f"the previous store holds {len(out)} of the {len(ids)} removed chunks")
        return out
    finally:
        store.close()


def _ledger(root: Path) -> list[tuple[str, str]]:
    try:
        data = json.loads((Path(root) / _LEDGER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [(str(u), str(n)) for u, n in data.get("collections", [])]


def _ledger_update(root: Path, add: Sequence[tuple[str, str]] = (), remove: Sequence[tuple[str, str]] = ()) -> None:
    entries = [e for e in _ledger(root) if e not in set(remove)]
    entries += [e for e in add if e not in entries]
    path = Path(root) / _LEDGER
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"collections": [list(e) for e in entries]}, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


class LiteServer:
    """A ``milvus-lite server`` process on 127.0.0.1 with its data in ``data_dir`` (for tests,
    benchmarks and one-machine setups). Ready when its port accepts connections (~1 s); stopped
    by its process id with SIGTERM (every write is in its write-ahead log already)."""

    def __init__(self, data_dir: str | Path, port: int = 0, timeout: float = 60.0):
        self.data_dir = Path(data_dir)
        self.port = port or _free_port()
        self.timeout = timeout
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiteServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # --host: the default binds every interface, and the server has neither authentication nor TLS
        cmd = [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(self.data_dir), "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BackendError(f"milvus-lite server exited with {self.proc.returncode} (is pymilvus[milvus-lite] installed?)")
            with socket.socket() as s:
                s.settimeout(0.2)
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        self.stop()
        raise BackendError(f"milvus-lite server did not open port {self.port} within {self.timeout:.0f} s")

    def stop(self) -> int | None:
        """Stop the server (SIGTERM, SIGKILL after 10 s); returns its exit status."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        with _clients_lock:  # connections to it are dead now
            for key in [k for k in _clients if k[0] == self.uri]:
                _clients.pop(key)
        return proc.returncode

    def __enter__(self) -> LiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
