"""The ``/ask`` endpoint through ``gradio_client``: the JSON of ``assistant ask --json``, bad input, 8 users at once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from conftest import UiServer

Q_SPEND = "서울-지역간 우호교류협약 사업의 2020년 집행액은?"


def _client(server: UiServer) -> Any:
    from gradio_client import Client

    return Client(server.url, verbose=False, download_files=False)


def _same(api: dict[str, Any], local: dict[str, Any]) -> None:
    """Everything but the timings (they differ between two runs)."""
    assert set(api) == set(local)
    assert {k: v for k, v in api.items() if k != "timings"} == {k: v for k, v in local.items() if k != "timings"}


def test_build_app_without_a_server_exposes_only_ask(ui_server: UiServer) -> None:
    from assistant.app.ui.app import build_app

    app = build_app(ui_server.assistant)
    public = [fn.api_name for fn in app.fns.values() if fn.api_visibility == "public"]
    assert public == ["ask"]


def test_ask_returns_the_answer_record(ui_server: UiServer) -> None:
    client = _client(ui_server)
    api = client.predict(Q_SPEND, api_name="/ask")
    assert "97,242" in api["text"]
    assert api["citations"] and api["citations"][0]["doc"].startswith("000_")
    _same(api, ui_server.assistant.ask(Q_SPEND).to_dict())
    json.dumps(api, ensure_ascii=False)  # plain JSON


@pytest.mark.parametrize("conversation", [[Q_SPEND], json.dumps([Q_SPEND], ensure_ascii=False)])
def test_ask_follows_up_on_the_conversation(ui_server: UiServer, conversation: Any) -> None:
    api = _client(ui_server).predict("2019년은?", conversation, api_name="/ask")
    assert "95,996" in api["text"]
    assert api["query"] != api["question"]


@pytest.mark.parametrize(
    ("question", "expect"),
    [("", "질문을 입력해 주세요"), ("가" * 10_000, "질문이 너무 깁니다"), ("\u0000\u0001\u0007", "읽을 수 있는 글자")],
)
def test_bad_questions_get_polite_answers(ui_server: UiServer, question: str, expect: str) -> None:
    api = _client(ui_server).predict(question, api_name="/ask")
    assert api["kind"] == "invalid" and expect in api["text"]


def test_eight_users_at_once_get_their_own_answers(ui_server: UiServer) -> None:
    """Eight parallel clients, different questions and one follow-up pair: every answer matches its question."""
    cases: list[tuple[str, list[str], Callable[[dict[str, Any]], bool]]] = [
        (Q_SPEND, [], lambda a: "97,242" in a["text"]),
        ("2019년은?", [Q_SPEND], lambda a: "95,996" in a["text"]),
        ("서울-지역간 우호교류협약 사업의 2022년 예산액은?", [], lambda a: "98,450" in a["text"] and a["tables"]),
        ("서울시와 세종시의 협력 분야는?", [], lambda a: "탄소중립" in a["text"] or "고향사랑" in a["text"]),
        ("2019년 상생발전좌담회에는 몇 명이 참석했어?", [], lambda a: "100여명" in a["text"]),
        ("2021년 온라인 서울정책연수 영상은 몇 건 제작했어?", [], lambda a: "16" in a["text"]),
        ("대전시와의 업무협약은 대전시청 어디에서 체결했어?", [], lambda a: "5층" in a["text"]),
        ("", [], lambda a: a["kind"] == "invalid"),
    ]
    expected = [ui_server.assistant.ask(q, history=conv).to_dict() for q, conv, _ in cases]  # one at a time
    results: dict[int, Any] = {}
    barrier = threading.Barrier(len(cases))

    def user(i: int) -> None:
        try:
            client = _client(ui_server)
            question, conversation, _ = cases[i]
            barrier.wait(timeout=60)
            results[i] = client.predict(question, conversation, api_name="/ask")
        except Exception as exc:  # reported below with the question
            results[i] = exc

    threads = [threading.Thread(target=user, args=(i,)) for i in range(len(cases))]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    elapsed = time.perf_counter() - t0
    for i, (question, _, check) in enumerate(cases):
        got = results.get(i)
        assert isinstance(got, dict), f"{question!r}: {got!r}"
        assert got["question"] == question, f"answer of another question: {got['question']!r} for {question!r}"
        assert check(got), f"{question!r}: {got['text']!r}"
        _same(got, expected[i])  # the same answer as when asked alone
    assert elapsed < 60


def test_the_readme_client_snippet_runs_as_written(ui_server: UiServer, capsys: Any) -> None:
    """The README's Python snippet (question, then a follow-up) runs against a server as it is written."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "gradio_client" in b]
    assert len(blocks) == 1
    code = blocks[0].replace("http://127.0.0.1:7860/", ui_server.url)
    assert code != blocks[0]  # the snippet names the default address
    exec(compile(code, "README.md", "exec"), {})  # the repository's own documentation
    out = [x for x in capsys.readouterr().out.strip().splitlines() if not x.startswith("Loaded as API")]  # gradio_client's own line
    assert len(out) == 2 and "000_33470acb73f39a7c.txt" in out[0] and "97,242" in out[0]
    assert "2019년 집행액" in out[1] and "95,996" in out[1]  # the follow-up, read with the question before it
