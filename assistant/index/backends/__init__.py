"""Search backends: where an index keeps its chunk vectors and BM25 postings.

``local`` (the default) keeps them in the generation folder (FAISS and BM25 arrays) and
searches them in this process; ``milvus`` keeps them in a Milvus collection, so search can
grow past one machine. Both return the same candidate lists; choose one with
``[search] backend`` (see :class:`BackendSettings`) and create it with :func:`create_backend`.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

from .base import BackendError, BackendSettings, Candidates, Changes, SearchBackend, Written, allowed_documents, best

#: backend name → "module:class" (imported on first use: Milvus is an optional dependency)
BACKENDS = {"local": f"{__name__}.local:LocalBackend", "milvus": f"{__name__}.milvus:MilvusBackend"}

_default = BackendSettings()
_default_lock = threading.Lock()


def create_backend(settings: BackendSettings | str | None = None) -> SearchBackend:
    """The backend named by ``settings`` (or by the name itself)."""
    if settings is None:
        settings = BackendSettings()
    elif isinstance(settings, str):
        settings = BackendSettings(settings)
    target = BACKENDS.get(settings.name)
    if target is None:
        raise ValueError(f"unknown search backend {settings.name!r}: use one of {', '.join(BACKENDS)}")
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)(settings)


def lite_server(data_dir: str, port: int = 0, timeout: float = 60.0) -> Any:
    """A :class:`~assistant.index.backends.milvus.LiteServer` (``with lite_server(dir) as server: server.uri``)."""
    from .milvus import LiteServer

    return LiteServer(data_dir, port, timeout)


def use_backend(settings: BackendSettings) -> None:
    """How this process reaches the backends of the indexes it opens (address override, token).

    An index records which backend it was written with and where; the application calls this
    once with its configuration so that loading an index needs no more than its folder."""
    global _default
    with _default_lock:
        _default = settings


def backend_settings() -> BackendSettings:
    """The settings given to :func:`use_backend` (the defaults if it was never called)."""
    with _default_lock:
        return _default


__all__ = [
    "BACKENDS",
    "BackendError",
    "BackendSettings",
    "Candidates",
    "Changes",
    "SearchBackend",
    "Written",
    "allowed_documents",
    "backend_settings",
    "best",
    "create_backend",
    "lite_server",
    "use_backend",
]
