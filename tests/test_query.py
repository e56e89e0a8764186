import pytest

from assistant.lexicon import years_in
from assistant.search import analyse, focus_en, focus_of, is_followup, question_types, resolve_followup


@pytest.mark.parametrize(
    "text,years",
    [("2019년에", (2019,)), ("2019년도 추진실적", (2019,)), ("'19년 3분기", (2019,)), ("19년 예산", (2019,)),
     ("2021년 대비 2022년", (2021, 2022)), ("in 2019?", (2019,)), ("98,450천원", ()), ("2133-6650", ())],
)
def test_years(text, years):
    assert years_in(text) == years


@pytest.mark.parametrize(
    "q,types",
    [("지역균형발전 사업 2021년 예산은?", ["amount"]), ("역량강화 분과회의는 언제?", ["when"]), ("회의 장소는 어디야?", ["where"]),
     ("담당 주무관은 누구?", ["who"]), ("민관협치 사업은 몇 개야?", ["count"]), ("대전시장과의 환담은 몇 시에 어디서 해?", ["when", "where"]),
     ("담당 과장 전화번호는?", ["phone"]), ("지역교류팀장과 연락처는?", ["who", "phone"]), ("사업 목적은?", ["what"])],
)
def test_question_types(q, types):
    assert question_types(q, "ko") == types


@pytest.mark.parametrize(
    "q,types",
    [("What is the phone number of 배덕환?", ["what", "phone"]), ("What is the contact number of the officer?", ["what", "phone", "who"]),
     ("Who is the team leader, and what is the phone number?", ["who", "what", "phone"]), ("What is the number of members?", ["what", "count"]),
     ("How many municipalities signed?", ["count"])],
)
def test_english_question_types(q, types):
    assert question_types(q, "en") == types


def test_english_focus_is_the_asked_noun_in_korean():
    assert focus_en("Which department runs the 소통행정-3 governance strengthening project?") == ("부서",)
    assert focus_en("What is the 2022 budget of the friendship exchange project?") == ("예산",)
    assert focus_en("Who is the mayor of Sejong?") == ("시장",)
    assert focus_en("How much did the project spend in 2020?") == ()
    assert analyse("Which department runs the 소통행정-3 project?").focus == ("부서",)


def test_administrative_words_kiwi_splits_wrongly_are_kept_whole():
    from assistant.ingest.nlp import terms

    assert terms("담당자 이름과 내선번호는?") == ["담당자", "이름", "내선", "번호"]
    assert "불용액" in terms("불용액 발생") and "전출금" in terms("전출금 편성")


def test_english_question_is_translated_for_bm25_and_keeps_korean_words():
    a = analyse("Which municipalities signed friendship agreements with Seoul in 2019?")
    assert a.language == "en" and a.years == (2019,)
    assert {"지자체", "협약", "우호", "체결"} <= set(a.terms)
    assert "which" not in a.terms and "in" not in a.terms
    b = analyse("What is the budget of 영등포형 돌봄 네트워크 추진?")
    assert {"돌봄", "네트워크", "예산"} <= set(b.terms)


def test_focus():
    assert focus_of("2020 지역사회혁신계획 사업예산 변경 대상사업은?") == ("대상", "사업")
    assert focus_of("문래창작촌 활성화 사업 예산과 주관부서 알려줘") == ("예산", "주관", "부서")
    assert focus_of("세종시와 업무협약서에 서명한 곳이 어디야?") == ()


@pytest.mark.parametrize(
    "previous,question,resolved",
    [
        ("2019년에 우호교류협약을 체결한 지자체는?", "그럼 2020년에는?", "2020년에 우호교류협약을 체결한 지자체는?"),
        ("서울시와 세종시의 협력 분야는?", "대전시는?", "서울시와 대전시의 협력 분야는?"),
        ("서울-지역간 우호교류협약 사업의 2020년 집행액은?", "2019년은?", "서울-지역간 우호교류협약 사업의 2019년 집행액은?"),
        ("지역균형발전 추진 사업 담당 과장은 누구야?", "전화번호는?", "지역균형발전 추진 사업 담당 과장 전화번호는?"),
        ("영등포구협치회의 협치기반조성 분과회의는 언제 열렸어?", "역량강화 분과는?", "영등포구협치회의 역량강화 분과회의는 언제 열렸어?"),
        ("'19년 3분기에 완료된 금천 민관협치 사업은 몇 개야?", "4분기는?", "'19년 4분기에 완료된 금천 민관협치 사업은 몇 개야?"),
        ("장애인·체육·직능·사회단체 협치 강화 사업의 2018년 확보액은?", "집행액은?", "장애인·체육·직능·사회단체 협치 강화 사업의 2018년 집행액은?"),
    ],
)
def test_followups(previous, question, resolved):
    assert is_followup(question, previous)
    assert resolve_followup(question, previous) == resolved


def test_new_topics_are_not_followups():
    assert not is_followup("2023년 지역균형발전 예산은?", "역량강화 분과회의는 언제?")
    assert not is_followup("대전이랑은 예전에 언제 협약을 맺었었지?", "서울시와 대전시의 협력 분야는?")


def test_topics_are_compound_names_written_as_one_word():
    assert analyse("지역균형발전 사업 2020년 집행액은?").topics == ("지역균형발전",)
    assert analyse("2019년 예산은?").topics == ()


def test_asked_counters_and_name_words_are_not_content():
    assert "곳" not in analyse("2020년에 우호교류협약을 맺은 지자체는 몇 곳인가?").content
    assert analyse("세종시장 이름은?").entities == ()


def test_junk_words_are_not_decompounded():
    from assistant.ingest.nlp import decompound

    assert decompound("가" * 1000) == ()
    assert decompound("자치행정") == ("자치", "행정")
