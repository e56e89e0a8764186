"""The assistant on the examples of the issue: lists, table lookups, facts, abstention, follow-ups."""

from corpus_paths import DOC

from assistant.records import Filters


def flat(text):
    return text.replace(" ", "")


def test_list_answer_is_complete_with_count(assistant):
    a = assistant.ask("2019년에 우호교류협약을 맺은 지자체는?")
    assert not a.abstained and a.kind == "list"
    assert len(a.items) == 12 and a.items[0] == "고성" and a.items[-1] == "옥천"
    assert a.text.startswith("12개")
    c = a.citations[0]
    assert c.doc_id == DOC["budget"] and "추진실적" in " ".join(c.section_path)
    text = assistant.index.store.document_text(c.doc_id)
    assert "고성" in text[c.start : c.end] and "옥천" in text[c.start : c.end]


def test_seven_fields(assistant):
    a = assistant.ask("서울시와 대전시가 협력하기로 한 분야는?")
    assert len(a.items) == 7 and "트램건설 기술교류 활성화" in a.items
    assert a.citations[0].doc_id == DOC["press"]


def test_table_lookup_with_value_unit_and_rows(assistant):
    a = assistant.ask("서울-지역간 우호교류협약 사업의 2022년 예산액은?")
    assert a.kind == "table" and "98,450천원" in a.text
    t = a.tables[0]
    assert t.unit == "천원, %" and t.rows and "98,450" in t.rows[0]
    assert t.highlight is not None and t.rows[t.highlight[0]][t.highlight[1]] == "98,450"


def test_transposed_table_and_contact(assistant):
    assert "9.15.(화)10:30" in flat(assistant.ask("역량강화 분과회의는 언제?").text)
    assert "구혜림" in assistant.ask("지역균형발전 추진 사업 담당 주무관은?").text


def test_fact_answers_carry_the_clause(assistant):
    a = assistant.ask("지역상생 기본계획은 언제 수립됐어?")
    assert "'15. 6. 29" in a.text and a.citations
    c = a.citations[0]
    assert c.excerpt[c.highlight[0] : c.highlight[1]].endswith("('15. 6. 29)")


def test_abstains_on_missing_year(assistant):
    a = assistant.ask("2023년 지역균형발전 예산은?")
    assert a.abstained and "2023" in a.text and a.citations  # nearest passages are shown
    assert a.citations[0].doc_id == DOC["balance"]


def test_abstains_on_unknown_city(assistant):
    assert assistant.ask("서울시와 부산시가 교류강화 업무협약에서 협력하기로 한 분야는?").abstained


def test_followups_use_the_conversation(assistant):
    first = assistant.ask("2019년에 우호교류협약을 체결한 지자체는?")
    second = assistant.ask("그럼 2020년에는?", history=[first])
    assert "2020" in second.query and {"계룡", "당진"} <= set(second.items)
    a = assistant.ask("서울시와 세종시의 협력 분야는?")
    b = assistant.ask("대전시는?", history=[a])
    assert "대전" in b.query and "트램건설 기술교류 활성화" in b.items
    # history given as plain question strings (the web API)
    c = assistant.ask("대전시는?", history=["서울시와 세종시의 협력 분야는?"])
    assert c.items == b.items


def test_english_question(assistant):
    a = assistant.ask("Which municipalities signed friendship agreements with Seoul in 2019?")
    assert a.language == "en" and "옥천" in a.text and a.text.startswith("12 items")


def test_filters_narrow_the_search(assistant):
    a = assistant.ask("사업비는 얼마야?", filters=Filters(doc_ids=(DOC["meeting"],)))
    assert all(c.doc_id == DOC["meeting"] for c in a.citations)
    none = assistant.ask("예산은?", filters=Filters(years=(1999,)))
    assert none.abstained and "없습니다" in none.text


def test_bad_questions_get_a_polite_message(assistant):
    assert assistant.ask("").kind == "invalid"
    assert assistant.ask("\x00\x07").kind == "invalid"
    long = assistant.ask("예산 " * 5000)
    assert long.abstained and "너무 깁니다" in long.text
    markup = assistant.ask("<script>alert(1)</script> 예산은?")
    assert markup.text and "<script>" not in markup.text


def test_answer_record_and_timings(assistant):
    d = assistant.ask("2020년 우호교류협약 체결 지자체는?").to_dict()
    assert {"text", "abstained", "citations", "tables", "confidence", "timings"} <= set(d)
    assert {"doc", "start", "end", "excerpt"} <= set(d["citations"][0])
    assert d["timings"]["total_ms"] > 0 and "retrieve_ms" in d["timings"]


def test_conversation_markdown(assistant):
    from assistant.app import conversation_markdown

    a = assistant.ask("2019년에 우호교류협약을 맺은 지자체는?")
    md = conversation_markdown([a])
    assert md.startswith("# 대화 기록") and "[1]" in md and DOC["budget"] in md


def test_briefs_english_example(assistant):
    a = assistant.ask("which municipalities signed in 2019?")
    assert not a.abstained and "고성" in a.text and "옥천" in a.text


def test_named_place_missing_from_a_document_rules_it_out(assistant):
    # 000 has a 2018 결산 row too; the question names 금천구, which only 003 mentions
    a = assistant.ask("금천구 협치 사업 2018년 집행액은?")
    assert not a.abstained and a.citations[0].doc_id == DOC["performance"] and "131" in a.text
    assert assistant.ask("지역균형발전 사업 2020년 집행액은?").abstained  # 002 has no 2020 결산; 003 is not about it


def test_table_answer_names_only_the_asked_column(assistant):
    a = assistant.ask("2020년 우호교류 사업의 집행액은?")
    assert "97,242" in a.text and "집행잔액" not in a.text


def test_overlong_conversation_turns_are_skipped(assistant):
    a = assistant.ask("그럼 2020년에는?", history=[{"question": "가" * 5000}] * 50)
    assert a.query == "그럼 2020년에는?"  # nothing to follow up on: the turns were too long to be questions
    follow = assistant.ask("그럼 2020년에는?", history=[{"question": "가" * 5000}, "2019년에 우호교류협약을 맺은 지자체는?"])
    assert "2020" in follow.query and "지자체" in follow.query


def test_a_sentence_about_another_city_does_not_answer(assistant):
    history = [assistant.ask("서울시와 세종시의 협력 분야는?")]
    history.append(assistant.ask("대전시는?", history))
    a = assistant.ask("대전이랑은 예전에 언제 협약을 맺었었지?", history)
    assert not a.abstained and "2015" in a.text


def test_a_label_value_row_is_read_pair_by_pair(assistant):
    # "총사업비 | 1,194백만원 | 사업유형 | 계속/자체/운영 | 추진부서 | 마을자치과": 추진부서 names 마을자치과,
    # and the 협업내용 beside 협업부서 does not make 전부서 the department that runs the project
    for q in ("소통행정-3 협치 강화 사업은 어느 부서가 추진해?", "Which department runs the 소통행정-3 governance strengthening project?"):
        a = assistant.ask(q)
        assert not a.abstained and "마을자치과" in a.text, q


def test_phone_questions_in_english_and_korean(assistant):
    for q in ("What is the phone number of 배덕환, head of the 대외협력과?", "배덕환 과장 전화번호는?"):
        a = assistant.ask(q)
        assert not a.abstained and "2133-6650" in a.text, q
    a = assistant.ask("소통행정-3 보고서 작성자 중 담당자 이름과 내선번호는?")
    assert not a.abstained and "박은혜" in a.text and "2205" in a.text


def test_a_group_total_beats_a_breakdown_row_that_shares_a_common_word(assistant):
    # 예산 총괄's 사무관리비 row (94,450) against 산출근거's "○ 우호교류사업 발굴 … = 8,800천원" under the
    # merged label 사무관리비: that row shares only 사업 with the question beyond its label
    a = assistant.ask("우호교류협약 사업의 2022년 사무관리비 예산은?")
    assert not a.abstained and "94,450" in a.text


def test_a_document_code_the_question_names_rules_out_other_documents(corpus_assistant):
    # the press release's contact row (담당자 이정은 2133-6669) is not the 소통행정-3 report's contact
    a = corpus_assistant.ask("소통행정-3 보고서 담당자 이름과 내선번호는?")
    assert "이정은" not in a.text and "2133-6669" not in a.text
    assert a.abstained or "박은혜" in a.text
