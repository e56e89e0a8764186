"""The 공문서 form read into the Document record: title, number, date, department, the 결재 line,
recipients, attachments, disclosure, references, kinds and masked values.

The fixtures in tests/fixtures/forms are invented documents (names, offices and numbers made up)
written on the form as office readers render it (tab-separated cells) or as a PDF's text layer
gives it (cells apart by runs of spaces)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest import department_of, official_kind, read_form, references
from assistant.ingest.readers import document_from_text
from assistant.lexicon import DOC_NUMBER, masked

FORMS = Path(__file__).resolve().parent / "fixtures" / "forms"


def doc(name: str):
    return document_from_text(name, (FORMS / name).read_text(encoding="utf-8"))


def signers(d) -> list[tuple[str, str, str, str]]:
    return [(a.role, a.position, a.name, a.mark) for a in d.approvals]


def test_reply_on_the_form():
    d = doc("reply.txt")
    # the title is 제목, not the first body sentence; the date is 시행일, not the cited document's date
    assert d.title == "[회신] 2025년 가나구 청년 지원사업 중복지원 조회"
    assert (d.number, d.office, d.date) == ("청년정책과-1234", "청년정책과", "2025-03-10")
    assert d.department == "청년정책과"
    assert (d.doc_type, d.kind) == ("official", "reply")
    assert d.recipients == ("가나구청장(복지정책과장)",) and d.via == ()
    assert d.sender == "서울특별시장"
    assert signers(d) == [
        ("drafter", "주무관", "김하늘", ""),
        ("reviewer", "청년지원팀장", "박보람", ""),
        ("approver", "청년정책과장", "이바다", "代"),  # signed for the head of office (대결)
        ("cooperator", "예산팀장", "최구름", ""),
    ]
    assert d.approvals[2].signed == "03/10"
    # the people in charge are the signers; the 전화 field is the drafter's number
    assert [(c.role, c.name, c.phone) for c in d.contacts] == [
        ("주무관", "김하늘", "02-2133-0000"), ("청년지원팀장", "박보람", ""), ("청년정책과장", "이바다", "")]
    assert d.attachments == ("중복지원 조회 결과", "대상자 명단(홍○○ 외)")
    assert d.disclosure == "부분공개(6)"
    [ref] = d.references
    assert (ref.number, ref.key, ref.date) == ("가나구 복지정책과-4321", "복지정책과-4321", "2025-03-04")
    assert ref.title == "2025년 청년 지원사업 중복지원 조회 요청"
    assert d.text[ref.start : ref.end] == "가나구 복지정책과-4321"


def test_report_cover():
    """A report (보고서) gives 문서번호, 결재일자 and 공개여부 on its cover, the title in large type
    above the cover date, and the office above the 처리과."""
    d = doc("plan_report.txt")
    assert d.title == "가나다 청년 활동수당 2025년 운영계획"
    assert (d.number, d.date, d.disclosure) == ("청년정책과-2001", "2025-03-20", "공개")
    assert d.department == "청년미래국 청년정책과"
    assert d.kind == "plan"
    assert [(a.role, a.position) for a in d.approvals] == [
        ("drafter", "주무관"), ("reviewer", "청년지원팀장"), ("reviewer", "청년정책과장"), ("approver", "청년미래국장")]
    [ref] = d.references  # "운영계획(청년정책과-1234, 2025.3.10.)호": the number inside the brackets
    assert (ref.key, ref.date, ref.title) == ("청년정책과-1234", "2025-03-10", "2025년 청년 활동수당 운영계획")


def test_pdf_text_layer_of_the_form():
    """The same fields when cells are runs of spaces apart and a signature cell holds the date too."""
    d = doc("payment_pdf.txt")
    assert d.title == "2025년 가나다 청년 활동수당 4월분 지급"
    assert (d.number, d.date, d.kind) == ("청년정책과-2456", "2025-04-25", "payment")
    assert d.recipients == ("내부결재",)
    assert signers(d)[-1] == ("approver", "청년정책과장", "이바다", "")
    assert d.approvals[-1].signed == "04/25"
    assert d.attachments == ("지급 명단",) and d.disclosure == "공개"
    assert [(r.key, r.title, r.date) for r in d.references] == [("청년정책과-2001", "2025년 운영계획", "2025-03-20")]


def test_letter_spaced_labels_and_recipients_listed_below():
    d = doc("submission.txt")
    assert d.title == "시의원 요구자료 제출(요구번호 77번)"
    assert (d.number, d.date, d.disclosure, d.kind) == ("청년정책과-3001", "2025-05-02", "비공개(5)", "submission")
    assert d.recipients == ("기획담당관", "예산담당관")  # "수신자 참조" points to the list below
    assert [(a.role, a.name) for a in d.approvals] == [("drafter", "김하늘"), ("reviewer", "박보람"), ("approver", "이바다")]
    assert d.attachments == ("시의원 요구자료",)


def test_documents_without_the_form_keep_their_metadata(parsed):
    assert read_form(parsed["budget"].text) is None
    assert [parsed[k].doc_type for k in ("budget", "press", "balance", "performance", "meeting")] == [
        "budget", "press_release", "budget", "performance_report", "meeting_report"]
    assert all(not parsed[k].number and not parsed[k].kind for k in parsed)


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("[회신] 가나구 청년 지원사업 중복지원 조회 요청", "reply"),  # the tag, not the last word
        ("[민원답변] 활동수당 지급 일정", "complaint_reply"),
        ("2025년 활동수당 5월분 추가 지급(2차)", "payment"),
        ("2025년 활동수당 5월 지급분 반납품의(1건)", "payment"),
        ("활동수당 예금주 불일치 건 지급처리 요청", "request"),  # the head noun comes last
        ("활동수당 정책 개편 TF(제1차) 결과 보고", "result_report"),
        ("활동수당 예산확보를 위한 예비비 사용계획", "plan"),
        ("우선협상대상자 선정 통보", "notice"),
        ("정보공개 결정 통지서 (12345)", "notice"),
        ("시의원 요구자료 제출(요구번호 1번)", "submission"),
        ("해치 홍보물품 대여 신청", "request"),
    ],
)
def test_kind_of_a_form_by_its_title(title, kind):
    assert official_kind(title, "") == kind


def test_kind_from_the_closing_phrase_when_the_title_does_not_tell():
    assert official_kind("활동수당 관련", "1. 요청하신 자료를 붙임과 같이 회신합니다.") == "reply"
    assert official_kind("활동수당 관련", "귀하께서 국민신문고를 통해 신청하신 민원에 대한 검토 결과입니다.") == "complaint_reply"
    assert official_kind("활동수당 관련", "본문") == "other"


def test_references_and_document_numbers():
    text = ("1. 서울특별시 주택정책과-1234(2024.3.5., \"청년월세 중복 조회\")호와 관련입니다.\n"
            "2. 돌봄복지과-99(2024.7.1.)호(\"희망통장 참여 확인\")에 따라 회신합니다.\n"
            "시행\t청년정책과-7\t(\t2024. 7. 9.\t)\n"
            "전화 02-2133-0000, 국민신문고번호: 1AA-2407-000123")
    refs = references(text, own="청년정책과-7")
    assert [(r.number, r.key, r.date, r.title) for r in refs] == [
        ("서울특별시 주택정책과-1234", "주택정책과-1234", "2024-03-05", "청년월세 중복 조회"),
        ("돌봄복지과-99", "돌봄복지과-99", "2024-07-01", "희망통장 참여 확인"),
    ]
    assert [m.group(0) for m in DOC_NUMBER.finditer("청년사업담당관-381 문서와 02-2133-4329, 1AA-2407")] == ["청년사업담당관-381"]


def test_department_from_the_office_documents_of_the_same_office_name():
    written = [("청년미래국 청년정책과", "2025-01-10"), ("청년정책과", "2025-02-01"), ("청년미래단 청년정책과", "2024-03-01")]
    # a document that names its office's parent keeps it; one that does not takes the latest named one
    assert department_of("청년정책과", "청년미래단 청년정책과", written) == "청년미래단 청년정책과"
    assert department_of("청년정책과", "청년정책과", written) == "청년미래국 청년정책과"
    assert department_of("청년정책과", "청년정책과", [("청년정책과", None)]) == "청년정책과"
    assert department_of("", "대외협력과", written) == "대외협력과"


@pytest.mark.parametrize(
    ("text", "is_masked"),
    [("***", True), ("홍○○", True), ("김*수", True), ("ㅇㅇ동", True), ("OO구", True), ("XXX", True),
     ("**<li>**", True), ("**3** 사업 설명", False), ("사업비*", False), ("* 비고", False), ("ㅇ 지원대상", False),
     ("ROOM 3", False), ("XX", False), ("○ 추진 배경", False)],
)
def test_masked_values(text, is_masked):
    assert masked(text) is is_masked


def test_masked_spans_and_cells():
    d = doc("reply.txt")
    assert [d.text[s:e] for s, e in d.masked] == ["***", "○○"]
    table = document_from_text("t.txt", "(단위: 명)\n\n구분\t인원\t비고\n가나구\t***\t홍○○ 외\n다라구\t12\t\n").tables[0]
    assert [[c.masked for c in r] for r in table.rows] == [[False, True, True], [False, False, False]]
    assert table.rows[0][1].value is None and table.rows[1][1].value == 12
