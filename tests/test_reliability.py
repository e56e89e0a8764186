"""The reliability suite's short profile (what `assistant check` runs without --full), one part
per test: crash trials, live re-index, malformed corpus, fuzzed questions, load with an upload,
security. Each part runs the real `assistant index` / `assistant serve` in a workspace of its own."""

from __future__ import annotations

import json

import pytest

from assistant.eval.reliability import PARTS, CheckOptions, run_check


@pytest.fixture(scope="session")
def warm_cache(corpus_index, cache_path):
    """The session's embedding cache, holding the corpus (the parts copy it)."""
    return cache_path


@pytest.mark.slow
@pytest.mark.parametrize("part", PARTS)
def test_reliability_part(part, warm_cache, tmp_path):
    out = tmp_path / "report"
    result = run_check(CheckOptions(parts=[part], workdir=tmp_path / "work", cache=warm_cache, out=out))
    figures = result["parts"][part]
    assert figures["passed"], json.dumps(figures, ensure_ascii=False, default=str)[:4000]
    report = (out / "report.md").read_text(encoding="utf-8")
    assert f"| {part} |" in report and "| pass |" in report
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["parts"][part]["passed"]
