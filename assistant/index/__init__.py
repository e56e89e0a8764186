"""Index: embed chunks (``embedders``, cached by model and text in ``embedcache``), keep them
in SQLite (``store``) and in a search backend (``backends``: FAISS (``dense``) and BM25 arrays
(``lexical``) in the folder, or a Milvus collection), inside an index folder whose generations
swap atomically (``folder``); ``indexer`` brings a folder up to date with the corpus folders.
Uses ingest; the backends find candidates, nothing here fuses them or answers.
"""

from .backends import (
    BackendError,
    BackendSettings,
    Candidates,
    Changes,
    SearchBackend,
    allowed_documents,
    backend_settings,
    create_backend,
    lite_server,
    use_backend,
)
from .dense import DenseIndex, DenseSettings
from .embedders import BACKENDS, SPINCOUNT, Embedder, EmbedderError, create_embedder, family_prefixes, text_hash
from .folder import BuildLocked, IndexFolder, IndexFolderError, Manifest, ModelMismatch, SearchIndex
from .indexer import BuildSummary, Indexer, IndexSettings
from .lexical import BM25Index, TermStats
from .store import Store, StoreVersionError

__all__ = [
    "BACKENDS",
    "SPINCOUNT",
    "BM25Index",
    "BackendError",
    "BackendSettings",
    "BuildLocked",
    "BuildSummary",
    "Candidates",
    "Changes",
    "DenseIndex",
    "DenseSettings",
    "Embedder",
    "EmbedderError",
    "IndexFolder",
    "IndexFolderError",
    "IndexSettings",
    "Indexer",
    "Manifest",
    "ModelMismatch",
    "SearchBackend",
    "SearchIndex",
    "Store",
    "StoreVersionError",
    "TermStats",
    "allowed_documents",
    "backend_settings",
    "create_backend",
    "create_embedder",
    "family_prefixes",
    "lite_server",
    "text_hash",
    "use_backend",
]
