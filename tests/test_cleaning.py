from assistant.ingest.cleaning import clean_span, collapse_letter_spacing, concat, glue_trailing_syllable


def clean(s, **kw):
    return clean_span(s, 0, len(s), **kw)


def test_artefacts_are_repaired_and_offsets_kept():
    src = '사업기간\t<input checked="" type="checkbox"/> 연례반복'
    text, offs = clean(src)
    assert text == "사업기간 연례반복"
    assert src[offs.to_original(text.index("연례"))] == "연"


def test_x_minus_prefix_and_delta_kept_for_values():
    text, _ = clean("(x-) Δ3,600")
    assert text == "Δ3,600"


def test_question_mark_standing_for_apostrophe_and_middle_dot():
    assert clean("(서울특별시장 방침 제92호, ?19.4.30)")[0] == "(서울특별시장 방침 제92호, '19.4.30)"
    assert clean("위원회 구성?운영('20.11.~)")[0] == "위원회 구성·운영('20.11.~)"
    assert clean("수립(?16~?21)")[0] == "수립('16~'21)"
    assert clean("무엇인가요? 네")[0] == "무엇인가요? 네"


def test_html_list_items_become_lines():
    src = "<ul><li>○ 체결 : 12건 <ul><li>- 고성, 거제</li></ul></li></ul>"
    text, offs = clean(src, keep_newlines=True)
    assert text.split("\n") == ["○ 체결 : 12건", "- 고성, 거제"]
    assert src[offs.to_original(text.index("고성"))] == "고"


def test_glue_drops_the_break_inside_a_word():
    src = "것이고, 변\n\n경된 예산"
    text, offs = clean(src, glue=[src.index("\n")])
    assert text == "것이고, 변경된 예산"
    assert src[offs.to_original(text.index("경"))] == "경"


def test_letter_spacing_and_trailing_syllable():
    t, o = clean("구 분")
    assert collapse_letter_spacing(t, o)[0] == "구분"
    assert collapse_letter_spacing(*clean("오 시장은"))[0] == "오 시장은"
    assert glue_trailing_syllable(*clean("재정균형발전담당 관"))[0] == "재정균형발전담당관"


def test_concat_maps_separators_to_the_piece_before():
    a = clean("가나")
    b = clean("다라")
    text, offs = concat([a, b], sep="\n")
    assert text == "가나\n다라"
    assert offs.to_original(3) == 0  # "다" of the second piece (both pieces start at 0 in their source)
