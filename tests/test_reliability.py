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


def _results(parts, started, load=(1.0, 2.0), settings=None):
    return {"profile": "full", "settings": settings or {"crash_trials": 100, "load_users": [8, 32]}, "started": started, "seconds": 60.0,
            "command": "assistant check --full", "passed": all(parts.values()),
            "machine": {"cpus": 2, "python": "3.11", "platform": "linux", "load_average_before": [load[0], 0, 0], "load_average_after": [load[1], 0, 0]},
            "parts": {p: {"passed": ok, "target": p, "seconds": 1.0} for p, ok in parts.items()}}


def test_a_run_of_some_parts_keeps_the_other_parts_figures():
    from assistant.eval.reliability import merge

    old = _results({"crash": True, "live": False, "fuzz": False, "security": True}, "earlier", load=(10.5, 12.3))
    new = _results({"live": True, "fuzz": True}, "later", settings={"crash_trials": 100, "load_users": (8, 32)})
    merged = merge(old, new)
    assert list(merged["parts"]) == ["crash", "live", "fuzz", "security"]  # the suite's order
    assert merged["passed"] and merged["parts"]["live"]["passed"] and merged["parts"]["crash"]["passed"]
    assert merged["parts"]["crash"]["load_average"] == [10.5, 12.3] and merged["parts"]["crash"]["load_average_of"] == "run"
    assert [r["started"] for r in merged["runs"]] == ["earlier", "later"]
    other = _results({"live": True}, "later", settings={"crash_trials": 5})
    assert merge(old, other) == other  # another profile's figures are not mixed in


def test_report_of_a_merged_run_names_each_run_and_part_load(tmp_path):
    from assistant.eval.reliability import merge
    from assistant.eval.reliability.report import markdown

    old = _results({"crash": True, "live": False}, "earlier", load=(10.5, 12.3))
    old["parts"]["crash"].update(trials=1, passed=1, killed_mid_build=1, injected_commit_points=0, previous_generation_after_kill=1,
                                 new_generation_after_kill=0, build_seconds=1.0)
    old["parts"]["crash"]["passed"] = True
    old["parts"]["live"]["error"] = "ReadTimeout: timed out"
    new = _results({"live": True}, "later")
    new["parts"]["live"].update(error="x", load_average=[3.1, 4.2])  # a summary without every figure
    text = markdown(merge(old, new))
    assert "Run earlier" in text and "Run later" in text
    assert "| 10.5 → 12.3 (whole run) |" in text and "| 3.1 → 4.2 |" in text


def test_server_client_waits_longer_than_httpx_default_and_retries(monkeypatch):
    """A Gradio client is made with a long HTTP timeout (httpx's 5 s default made the live part fail
    with ReadTimeout on a loaded machine), and making one is retried."""
    import gradio_client
    import httpx

    from assistant.eval.reliability import common

    made: list[dict] = []

    class FlakyClient:
        def __init__(self, url, **kwargs):
            made.append(kwargs)
            if len(made) == 1:
                raise httpx.ReadTimeout("timed out")

    monkeypatch.setattr(gradio_client, "Client", FlakyClient)
    monkeypatch.setattr(common.time, "sleep", lambda s: None)
    server = common.Server.__new__(common.Server)
    server.url, server.auth = "http://127.0.0.1:1/", None
    assert isinstance(server.client(), FlakyClient)
    assert len(made) == 2 and all(m["httpx_kwargs"]["timeout"] >= 30 for m in made)
