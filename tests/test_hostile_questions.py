"""Questions and conversations a server must survive: lone surrogates, control and terminal
codes, very long questions and histories (the cost cap), and the term cache's bound."""

from __future__ import annotations

import logging

import pytest

from assistant.ingest import nlp


@pytest.mark.parametrize(
    "question",
    [
        "2019년에 우호교류협약을 \ud800맺은 지자체는?",
        "\udfff\ud83d",
        "\x1b[31m2022년 예산액은?\x1b[0m",
        "예산\x00액\x07은?\u202e",
    ],
)
def test_unencodable_and_control_characters_are_cleaned_not_errors(corpus_assistant, caplog, question):
    with caplog.at_level(logging.ERROR):
        answer = corpus_assistant.ask(question, history=["서울시 우호교류협약 \udc80예산"])
    assert answer.kind != "invalid" or "문제가 생겼" not in answer.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    answer.question.encode("utf-8")
    (answer.query or "").encode("utf-8")


def test_a_long_question_is_analysed_on_its_beginning_and_says_so(corpus_assistant):
    limit = corpus_assistant.settings.analysed_chars
    question = "2019년에 우호교류협약을 맺은 지자체는? " + "서울시 우호교류 협력 사업 추진 현황 " * 80
    answer = corpus_assistant.ask(question)
    assert answer.question == question  # the user's own words come back
    assert answer.query and len(answer.query) <= limit
    assert answer.notes and f"{limit}자" in answer.notes[0]
    assert answer.to_dict()["notes"] == list(answer.notes)


def test_a_short_question_has_no_note(corpus_assistant):
    answer = corpus_assistant.ask("2019년에 우호교류협약을 맺은 지자체는?")
    assert answer.notes == ()


def test_only_the_last_turns_of_a_long_history_are_analysed(corpus_assistant, monkeypatch):
    from assistant.answer import answerer as module

    seen: list[str] = []
    real = module.is_followup

    def spy(text, previous):
        seen.append(text)
        return real(text, previous)

    monkeypatch.setattr(module, "is_followup", spy)
    history = [f"{2000 + i % 20}년 예산은 얼마인가? " + "추가 설명 " * 100 for i in range(200)]
    corpus_assistant.ask("그럼 2020년에는?", history=history)
    turns = corpus_assistant.settings.history_turns
    assert len(seen) <= turns + 1
    assert all(len(t) <= corpus_assistant.settings.analysed_chars for t in seen)


def test_the_term_cache_is_bounded_in_characters():
    cache = nlp.TermCache(max_entries=10_000, max_chars=20_000, max_text=500)
    for i in range(300):
        cache(f"{i}번째 긴 질문입니다 " + "서울시 예산 " * 20)  # ~130 characters each
    cache("아주 긴 질문 " * 200)  # over max_text: analysed, not kept
    assert cache.chars <= 20_000 and 0 < len(cache) < 300
    assert all(len(k) <= 500 for k in cache._items)


def test_the_shared_term_cache_has_a_character_bound():
    assert isinstance(nlp._cached_terms, nlp.TermCache)
    assert nlp._cached_terms.max_chars <= 16_000_000 and nlp._cached_terms.max_text <= 4_000
