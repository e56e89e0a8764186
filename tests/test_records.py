from assistant.records import Answer, Citation, Filters, OffsetMap, locate


def test_offset_map_linear_segments():
    m = OffsetMap(((0, 10), (5, 20)))
    assert [m.to_original(i) for i in range(7)] == [10, 11, 12, 13, 14, 20, 21]
    assert m.span(1, 6) == (11, 21)
    assert OffsetMap(()).to_original(3) == 3


def test_offset_map_roundtrip_and_shift():
    m = OffsetMap(((0, 4), (3, 9)))
    assert OffsetMap.from_list(m.to_list()) == m
    assert m.shifted(2).to_original(2) == 4


def test_locate_anchors():
    anchors = ((0, "p. 1"), (100, "p. 2"))
    assert locate(anchors, 50) == "p. 1"
    assert locate(anchors, 100) == "p. 2"
    assert locate((), 5) == ""


def test_answer_to_dict_has_the_evaluation_fields():
    c = Citation(1, "d.txt", "T", ("A", "B"), "excerpt", (0, 3), 10, 13, 7, "p. 2", 0.5)
    a = Answer("q", "text [1]", False, (c,), confidence=0.812345, timings={"total_ms": 12.3456})
    d = a.to_dict()
    assert d["citations"][0] == {
        "number": 1, "doc": "d.txt", "title": "T", "section": ["A", "B"], "start": 10, "end": 13,
        "excerpt": "excerpt", "highlight": [0, 3], "locator": "p. 2", "score": 0.5,
    }
    assert d["confidence"] == 0.8123 and d["timings"]["total_ms"] == 12.35 and d["abstained"] is False


def test_filters_truthiness():
    assert not Filters()
    assert Filters(years=(2019,))
