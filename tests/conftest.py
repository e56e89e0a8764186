"""Session fixtures: Kiwi, the embedder and the indexes are built once per test run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from corpus_paths import CORPUS, DISTRACTORS, DOC, SEOUL

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def embedder():
    from assistant.index.embedders import create_embedder

    return create_embedder()


@pytest.fixture(scope="session")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("work")


@pytest.fixture(scope="session")
def cache_path(workdir) -> Path:
    return workdir / "cache" / "embeddings.sqlite"


@pytest.fixture(scope="session")
def corpus_index(embedder, workdir, cache_path) -> Path:
    """The index of the five corpus documents."""
    from assistant.index.indexer import Indexer

    path = workdir / "index-main"
    Indexer(path, embedder, cache_path).build([CORPUS])
    return path


@pytest.fixture(scope="session")
def eval_index(embedder, workdir, cache_path, corpus_index) -> Path:
    """The corpus plus the ten distractor bills (the evaluation setting)."""
    from assistant.index.indexer import Indexer

    path = workdir / "index-eval"
    Indexer(path, embedder, cache_path).build([CORPUS, DISTRACTORS])
    return path


@pytest.fixture(scope="session")
def seoul_index(embedder, workdir, cache_path, eval_index) -> Path:
    """The evaluation setting of the real documents: the corpus, the distractors and the 294 Seoul documents."""
    from assistant.index.indexer import Indexer

    if not (SEOUL / "MANIFEST.tsv").is_file():
        pytest.skip("../shared/seoul-docs is not there")
    path = workdir / "index-seoul"
    Indexer(path, embedder, cache_path).build([CORPUS, DISTRACTORS, SEOUL])
    return path


@pytest.fixture(scope="session")
def milvus_uri(tmp_path_factory):
    """A `milvus-lite server` for the whole run: on 127.0.0.1, data in a temporary folder, ready
    when its port answers, stopped by its process id at the end."""
    from assistant.index import lite_server

    server = lite_server(str(tmp_path_factory.mktemp("milvus-data"))).start()
    yield server.uri
    server.stop()


@pytest.fixture(scope="session")
def milvus_eval_index(embedder, workdir, cache_path, eval_index, milvus_uri) -> Path:
    """The evaluation index again, its vectors and postings in Milvus (embeddings from the cache)."""
    from assistant.index import BackendSettings, Indexer, IndexSettings

    path = workdir / "index-eval-milvus"
    Indexer(path, embedder, cache_path, IndexSettings(backend=BackendSettings("milvus", milvus_uri, "conf"))).build([CORPUS, DISTRACTORS])
    return path


@pytest.fixture(scope="session")
def seoul_answerer(seoul_index, embedder):
    from assistant.answer import Answerer

    return Answerer(seoul_index, embedder)


@pytest.fixture(scope="session")
def assistant(eval_index, embedder):
    from assistant.answer import Answerer

    return Answerer(eval_index, embedder)


@pytest.fixture(scope="session")
def corpus_assistant(corpus_index, embedder):
    from assistant.answer import Answerer

    return Answerer(corpus_index, embedder)


@pytest.fixture(scope="session")
def parsed():
    """The five corpus documents parsed, by short name."""
    from assistant.ingest.readers import load_document

    return {name: load_document(CORPUS / fname) for name, fname in DOC.items()}


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    """A copy of two corpus documents to change, add and remove in tests."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in ("budget", "balance"):
        shutil.copy(CORPUS / DOC[name], folder / DOC[name])
    return folder
