"""Index: embed chunks (``embedders``, cached by model and text in ``embedcache``), keep them
in FAISS (``dense``), BM25 arrays (``lexical``) and SQLite (``store``), inside an index
folder whose generations swap atomically (``folder``); ``indexer`` brings a folder up to
date with the corpus folders. Uses ingest; nothing here searches or answers.
"""

from .dense import DenseIndex, DenseSettings
from .embedders import BACKENDS, Embedder, EmbedderError, create_embedder, family_prefixes, text_hash
from .folder import BuildLocked, IndexFolder, IndexFolderError, Manifest, ModelMismatch, SearchIndex
from .indexer import BuildSummary, Indexer, IndexSettings
from .lexical import BM25Index
from .store import Store, StoreVersionError

__all__ = [
    "BACKENDS",
    "BM25Index",
    "BuildLocked",
    "BuildSummary",
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
    "SearchIndex",
    "Store",
    "StoreVersionError",
    "create_embedder",
    "family_prefixes",
    "text_hash",
]
