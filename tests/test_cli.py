"""The command line: index, docs, ask --json, eval with a floor."""

import json
import shutil

from corpus_paths import CORPUS, DOC

from assistant.app.cli import main


def test_index_docs_ask(tmp_path, capsys, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("budget", "meeting"):
        shutil.copy(CORPUS / DOC[name], corpus / DOC[name])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ASSISTANT_PATHS_CACHE", str(tmp_path / "cache" / "emb.sqlite"))
    assert main(["index", "--corpus", str(corpus), "--index", "idx"]) == 0
    out = capsys.readouterr().out
    assert "문서 2개" in out
    assert main(["index", "--corpus", str(corpus), "--index", "idx"]) == 0
    assert "최신" in capsys.readouterr().out  # nothing re-embedded
    assert main(["docs", "--index", "idx"]) == 0
    out = capsys.readouterr().out
    assert "서울-지역간 우호교류협약체결 및 운영" in out and "회의 결과 보고" in out
    assert main(["ask", "영등포형 돌봄 네트워크 추진 사업비는?", "--index", "idx", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert "150,000" in d["text"] and d["citations"][0]["doc"] == DOC["meeting"]
    assert main(["ask", "없는 색인", "--index", "nowhere"]) == 2
    assert "assistant index" in capsys.readouterr().err


def test_config_file_and_environment(tmp_path, monkeypatch):
    from assistant.config import ConfigError, load_config

    f = tmp_path / "a.toml"
    f.write_text('[server]\nport = 8000\n[retrieval]\nfusion = "rrf"\n', encoding="utf-8")
    cfg = load_config(f, env={"ASSISTANT_SERVER_PORT": "9000", "ASSISTANT_CHUNKING_MAX_TOKENS": "200"})
    assert cfg.server.port == 9000 and cfg.retrieval.fusion == "rrf" and cfg.chunking.max_tokens == 200
    assert load_config(f, env={}, **{"server.port": 1234}).server.port == 1234
    import pytest

    with pytest.raises(ConfigError, match="unknown setting"):
        load_config(None, env={"ASSISTANT_SERVER_PROT": "1"})
    with pytest.raises(ConfigError, match="int"):
        load_config(None, env={"ASSISTANT_SERVER_PORT": "eighty"})


def test_fit_fusion_writes_the_weight_with_how_it_was_fitted(eval_index, tmp_path, capsys, monkeypatch):
    from corpus_paths import QUESTIONS

    from assistant.search import load_fusion

    monkeypatch.setenv("ASSISTANT_PATHS_FEEDBACK", str(tmp_path / "feedback.sqlite"))
    out = tmp_path / "fusion.json"
    files = [str(QUESTIONS / "facts.jsonl"), str(QUESTIONS / "tables.jsonl")]
    assert main(["fit-fusion", *files, "--index", str(eval_index), "--out", str(out), "--report", str(tmp_path / "rep"), "-q", "--folds", "3"]) == 0
    printed = capsys.readouterr().out
    assert "cross-validated (grouped by document)" in printed and "fused" in printed
    fusion = load_fusion(str(out))
    assert 0.0 <= fusion.weight <= 1.0 and fusion.fitted["turns"] == 96 and fusion.fitted["folds"] == 3
    assert fusion.fitted["sets"] == ["facts", "tables"] and "recall@5" in fusion.fitted["cross_validated"]
    report = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    assert "### facts · unit document" in report and "| p_ndcg@10 |" in report
