"""The words and patterns of Korean administrative writing, each written once.

Every word list and pattern the pipeline uses lives here: years and dates, roles and
surnames, units and money words, place suffixes, list markers, question words and
measure words. Longer lists that grow with use are data files in ``assistant/data``
(Kiwi user words, related words, the English glossary) loaded by the functions below.
Library modules import what they need from here; nothing here imports the pipeline.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

# -- years and dates --------------------------------------------------------------------
YEAR_MIN, YEAR_MAX = 1990, 2099
#: "2019", "2019년도", "'19", "’19", "19년" (a two-digit year below 50 is 20xx, else 19xx). "?19" is an
#: export's lost apostrophe.
YEAR = re.compile(r"(?<![\d,.])((?:19|20)\d{2})(?:\s*년도?)?(?![\d,])|['‘’?](\d{2})(?!\d)|(?<![\d.,])(\d{2})\s*년(?!\d)")
#: a full date "2023. 4. 10." (group 1–3: year, month, day)
FULL_DATE = re.compile(r"(20\d{2}|19\d{2})\s*\.\s*(\d{1,2})\s*\.\s*(\d{1,2})\s*\.?")
#: a date or period in any of the forms documents write
DATE = re.compile(
    r"(?:(?:19|20)\d{2}|['‘’]\d{2})\s*\.\s*\d{1,2}\s*\.(?:\s*\d{1,2}\s*\.?)?(?:\s*\([월화수목금토일]\))?"
    r"|(?<![\d.])\d{1,2}\s*\.\s*\d{1,2}\s*\.?\s*\([월화수목금토일]\)"
    r"|(?:(?:19|20)\d{2}\s*년\s*)?\d{1,2}\s*월(?:\s*\d{1,2}\s*일)?"
    r"|(?:19|20)\d{2}\s*년(?:도)?"
    r"|['‘’]\d{2}(?:\s*[.~]\s*\d{1,2})*\.?"
    r"|(?<![\d.:])\d{1,2}\s*\.\s*\d{1,2}\s*\.(?!\d)"
    r"|\d{1,2}\.\d{1,2}(?=\))"
)
#: a month and day as questions and documents write them: "2024. 10. 28.", "10. 28.", "10월 28일"
MONTH_DAY = re.compile(r"(?<![\d.])(?:(?:19|20)?\d{2}\s*\.\s*)?(?P<m>\d{1,2})\s*\.\s*(?P<d>\d{1,2})\s*\.?(?![\d])|(?P<m2>\d{1,2})\s*월\s*(?P<d2>\d{1,2})\s*일")
#: the particulars that tell a document from its siblings: a month's share, a round, a quarter, a number of a kind
PARTICULAR = re.compile(r"\d{1,2}\s*월분|\d{1,2}\s*차|\d\s*분기|\d{1,2}\s*월|(?<![\d.])\d{1,4}\s*(?:호|번|회)(?!\d)|(?<![\d\-])\d{6,}(?![\d\-])")
#: a month on its own ("10월 회신", "그 10월 건"): the month of the document's date
MONTH = re.compile(r"(?<![\d.])(\d{1,2})\s*월(?!\s*\d{1,2}\s*일)(?!분)")
TIME = re.compile(r"\d{1,2}:\d{2}(?:\s*~\s*\d{1,2}:\d{2})?(?:\s*\(\d+'?\))?|\d{1,2}\s*시(?:\s*\d{1,2}\s*분)?")
ASKS_TIME = re.compile(r"몇\s*시|시간|몇\s*분")


def two_digit_year(yy: int) -> int:
    """``'19`` → 2019, ``'95`` → 1995."""
    return 2000 + yy if yy < 50 else 1900 + yy


def years_in(text: str) -> tuple[int, ...]:
    """Years ``text`` mentions, in order of first mention, within ``YEAR_MIN``–``YEAR_MAX``."""
    out: list[int] = []
    for m in YEAR.finditer(text):
        y = int(m.group(1)) if m.group(1) else two_digit_year(int(m.group(2) or m.group(3)))
        if YEAR_MIN <= y <= YEAR_MAX and y not in out:
            out.append(y)
    return tuple(out)


# -- numbers, units and money -------------------------------------------------------------
#: money units and what one of them is in 원
MONEY_UNITS: dict[str, float] = {"조원": 1e12, "억원": 1e8, "백만원": 1e6, "천만원": 1e7, "만원": 1e4, "천원": 1e3, "원": 1.0, "조": 1e12, "억": 1e8}
#: counters written after a count ("12명", "3개소")
COUNTERS = ("개소", "개", "명", "건", "회", "곳", "차례", "분야", "과제", "대", "호")
#: counters a question asks with "몇" ("몇 곳", "몇 명") — the question's form, not its subject
ASKED_COUNTERS = ("개소", "개", "명", "건", "회", "곳", "번", "차례", "층", "배", "군데", "차")
#: counters glued to a number that make one search term ("3분기", "12명"), so "3분기" does not match "3회"
TERM_COUNTERS = frozenset({"분기", "개", "명", "건", "회", "층", "차", "호", "곳", "개소", "억", "배", "시", "주", "세"})
AMOUNT = re.compile(r"[Δ△-]?\d[\d,]*(?:\.\d+)?\s*(?:조원|백만원|천만원|천원|억원|만원|원|억|%)")
COUNT = re.compile(r"\d[\d,]*\s*(?:여\s*)?(?:" + "|".join(COUNTERS) + r")(?:\s*이내|\s*이상)?")
#: a table cell holding one number: "(x-) Δ3,600", "22%", "(시비)98,450천원", "12명 이내"
CELL_VALUE = re.compile(
    r"^(?:\((?P<qual>[^)]{1,8})\)\s*)?"
    r"(?P<neg>[Δ△▽\-−])?\s*"
    r"(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<dec>\.\d+)?"
    r"\s*(?P<unit>조원|백만원|천만원|천원|억원|만원|원|%|개소|개|건|회|곳|명|억|조)?"
    r"(?P<tail>\s*(?:이상|이하|사업|부서|이내|정도))?$"
)
#: a table's unit line: "(단위 : 천원, %)", "[단위: 억원]", "<단위: 명>"
UNIT_LINE = re.compile(r"^[(\[<〈]?\s*단위\s*[:：]\s*([^)\]>〉]+?)\s*[)\]>〉]?$")
#: the unit written in a column label: "예산액(천원)"
COLUMN_UNIT = re.compile(r"\((조원|백만원|천만원|천원|억원|만원|원|%)\)")
#: words of a column label that counts people or things ("지급인원", "건수"): a count unit of the unit line applies
COUNT_LABEL_WORDS = ("인원", "인수", "건수", "개수", "명수", "참여자", "참석자", "대상자", "횟수")
#: kinds of amount that budget tables keep apart (집행액 is not 예산액)
AMOUNT_KINDS = ("예산액", "집행액", "확보액", "잔액", "이월액", "이월", "사업비", "투자수요", "집행잔액", "예산현액", "최종예산", "증감", "결산액")
#: words that name an amount in a question ("…예산은?"): the kinds above and the general words
MEASURE_WORDS = (*AMOUNT_KINDS, "예산", "수요", "금액", "결산")
AMOUNT_KIND = re.compile(r"[가-힣]*(?:" + "|".join(sorted(AMOUNT_KINDS, key=len, reverse=True)) + ")")
#: a list item reporting a count, not a name ("신규 희망 지자체(7월 현재) : 16개(광역3, 기초13)")
COUNT_ITEM = re.compile(r"[:：]\s*\d[\d,]*\s*(?:개|회|건|명|곳|개소)(?:\s*\(|\s*$)")
#: row labels of totals
TOTAL_LABELS = frozenset({"계", "합계", "총계", "소계", "총", "합 계"})
#: question words asking for a total
TOTAL_CUES = ("총 ", "총액", "합계", "전체", "모두 합")
#: Korean number words ("세 가지")
KO_NUMBERS = {"한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10}
EN_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}

# -- people, roles and places ---------------------------------------------------------------
#: positions and roles written beside a name ("주무관 정인애", "고경인 팀장")
ROLES = ("구청장", "부시장", "시장", "위원장", "본부장", "담당관", "담당자", "담당", "과장", "팀장", "주무관", "국장", "실장", "조정관", "지원관")
ROLE = "|".join(ROLES)
#: column labels of a contact table
CONTACT_ROLES = ("과장", "팀장", "주무관")
#: endings of a role label in a contact line ("홍보담당관", "대외협력과장")
ROLE_ENDINGS = ("과장", "팀장", "주무관", "담당자", "담당", "국장", "관")
ROLE_WORDS = re.compile(rf"(?:{ROLE})(?![가-힣])|실·국장|팀장")
SURNAMES = frozenset(
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진지엄채원천방공현함변염여추도소석선설마길연위표명기반라왕금옥육인맹제모"
    "탁국어은봉사부가복태목형피두감음빈동온호경"
)
#: a name cannot end like a place, an office or a particle
NOT_NAME_END = re.compile(r"(시|도|군|구|과|실|국|관|부|원|회|청|는|를|을|에|의|와|로|며)$")
#: words that ask for a name rather than give one ("시장 이름은?")
NOT_NAMES = ("이름", "성명", "누구", "연락", "전화", "번호", "담당", "소속", "직위", "직급")
PERSON = re.compile(
    rf"(?<![가-힣])([가-힣]{{2,4}})(?=\s+(?:{ROLE})|\s+[가-힣]{{1,6}}(?:시장|구청장|도지사)|\s+\d{{2,4}}-\d{{3,4}}|\s*\(\d{{4}}\)|\s*외\s*\d+\s*명)"
    rf"|(?:{ROLE})\s*[:：]?\s*([가-힣]{{2,4}})(?![가-힣])"
)
PHONE = re.compile(r"(?<!\d)(?:\d{2,4}-)?\d{3,4}-\d{4}(?:,\s*\d{4})*|\((\d{4})\)")
#: a phone number as contact lines write it, "(02)2133-6650", "(6650)"
CONTACT_PHONE = re.compile(r"\(?\d{2,4}\)?-\d{3,4}(?:,\s*\d{4})*|\(\d{4}\)")
#: suffixes of administrative areas, longest first
PLACE_SUFFIXES = ("특별자치시", "특별자치도", "광역시", "특별시", "시", "도", "군", "구")
#: the short suffixes a place is also written without ("금천구" is "금천")
SHORT_PLACE_SUFFIXES = ("시", "도", "구", "군")
_PLACE_ALT = "|".join(PLACE_SUFFIXES)
PLACE_NAME = re.compile(rf"^[가-힣]{{1,6}}(?:{_PLACE_ALT})$")
OTHER_PLACE = re.compile(rf"([가-힣]{{2,8}}(?:{_PLACE_ALT}))(?=[\s,·()'‘’와과의은는이가에도를]|$)")
PLACE = re.compile(
    r"(?:[가-힣]{1,10}(?:시청|구청|청사|도청)\s*)?(?:\d+층\s*)?[가-힣‘’'A-Za-z]{0,14}(?:대회의실|회의실|접견실|응접실|센터|강당|홀|광장)"
    r"|[가-힣]{1,10}(?:시청|구청|청사|도청)(?:\s*\d+층)?"
    r"|구청\s*내\s*[^,()]{1,20}?회의실"
)
#: a value written after a place label ("장소: 노들섬 잔디마당") is a place whatever its words
LABELLED_PLACE = re.compile(r"(?:개최\s*)?(?:장\s*소|위\s*치|행사장|개최지)\s*[:：]\s*([^\n,;()]{2,40})")
#: every document is Seoul's: naming it tells nothing
HOME_ENTITIES = ("서울", "서울시", "서울특별시")
#: an organisation: a ministry, office, department, team, agency or committee ("고용노동부", "청년사업담당관", "예산담당관")
ORG = re.compile(r"[가-힣]{1,12}(?:부|청|처|원|과|실|국|팀|센터|공단|공사|재단|위원회|담당관|협의회|사업단|기획단|본부)(?![가-힣])")
#: a document or project code: "소통행정-3"
CODE = re.compile(r"(?<![가-힣A-Za-z])[가-힣A-Za-z]{2,10}-\d{1,3}(?!\d)")
WHOLE_CODE = re.compile(r"^[가-힣A-Za-z]{1,10}-\d{1,3}$")


def is_code(entity: str) -> bool:
    """A document or project code ("소통행정-3") rather than a place or a person."""
    return bool(re.search(r"-\d", entity))


def entity_stem(entity: str) -> str:
    """"금천구" is mentioned where "금천" is written, "대전시" where "대전" is."""
    e = entity.replace(" ", "")
    return e[:-1] if e.endswith(SHORT_PLACE_SUFFIXES) and len(e) > 2 else e


# -- list markers and structure -------------------------------------------------------------
#: section markers ("□ 추진 개요")
SECTION_MARKS = "□■"
#: bullets of list items
BULLETS = "-–○●◦❍▸▹‣‧•·▪◆◇■※*→▶▷"
#: a list item's marker at the start of a line or cell ("- ", "○ ", "1. ", "(2)", "①", "가. "; "ㅇ " typed for "○ ")
LIST_MARK = re.compile(r"^(?:[-–○●◦❍▸▹‣‧•·▪◆◇■※*→]|ㅇ(?=\s)|\d{1,2}[.)](?=\s)|\(\d{1,2}\)|[①-⑳]|[가-하][.)](?=\s))\s*")
#: a line starting a list item in a PDF's text layer (markers of every kind, arrows too)
PDF_BULLET = re.compile(r"^\s*([-\u2013·•○●◦❍□■◇◆▪▶▷▸▹‣‧※*→]|\d{1,2}[.)]\s|[가-하][.)]\s|\(\d{1,2}\)|[①-⑳])")
#: depth of a marker in the usual outline (□ over ○ over - over ▸); "." and ")" stand for "1." and "가)"
MARKER_RANK = {"【": -1, "□": 0, "■": 0, ".": 0.5, ")": 0.5, "○": 1, "●": 1, "❍": 1, "◦": 1, "-": 2, "–": 2, "·": 2,
               "▸": 3, "‣": 3, "▹": 3, "•": 3, "※": 3, "‧": 4}
#: a label before a marker: "2019년도: ○ …"
LABEL_BEFORE_MARK = re.compile(r"^[^:：\n]{1,14}[:：]\s*(?=[□■○●❍◦\-–·▸‣▹•※‧])")
#: the marker of a unit, stripped for display
DISPLAY_MARK = re.compile(r"^\s*(?:[□■○●❍◦\-–·▸‣▹•※‧]|\d{1,2}[.)]|[가-하][.)])\s*")
#: what a label shown to a reader does not need: outline numbers and markers of a heading ("2 예산 설명",
#: "Ⅰ 개최개요", "□ 예산 총괄", "󰊱 …" (a bullet glyph of the private use area)), brackets around all of it
#: ("【19년 3분기】", "[ 유사 정책과의 차별점 ]")
HEADING_NUMBER = re.compile(
    r"^\s*(?:(?:[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]{1,4}|\d{1,2}|[IVX]{1,4})(?:[.)]\s*|\s+)|[가나다라마바사아자차카타파하][.)]\s*)(?=[^\d\s.)])"
    r"|^\s*[□■○●❍◦\-–·▸‣▹•※‧]\s*"
    r"|^\s*[\ue000-\uf8ff\U000f0000-\U000fffff]+\s*"
)
LABEL_BRACKETS = re.compile(r"[【〔]\s*([^【】〔〕]{1,40}?)\s*[】〕]|^\[\s*([^\[\]]{1,60}?)\s*\]$")
#: a marker inside a label that joins two labels ("사무관리비 ○ 위원회 운영")
INNER_MARK = re.compile(r"\s+[□■○●❍◦▸‣▹•※]\s+")


def display_label(text: str) -> str:
    """A heading, table title or column label as a reader is shown it: without outline numbers,
    markers, brackets around a label, or the line breaks and runs of spaces of the source."""
    out = re.sub(r"\s+", " ", text or "").strip()
    for _ in range(3):  # "2 □ 예산 총괄", "Ⅰ. ○ …"
        cut = HEADING_NUMBER.sub("", out).strip()
        if cut == out or not cut:
            break
        out = cut
    out = INNER_MARK.sub(", ", out)
    return LABEL_BRACKETS.sub(lambda m: m.group(1) or m.group(2) or "", out).strip()


#: characters that start a list item in chunk text
ITEM_START = frozenset("-–○●❍◦▸‣•·※▪")
#: enumeration separators inside one line ("고성, 거제, 옥천", "▲a ▲b", "가ㆍ나")
ENUM_SEP = re.compile(r"\s*(?:,(?!\d{3})|、|▲|ㆍ(?=[가-힣]{2,}))\s*")
#: header cells of tables
HEADER_WORDS = frozenset(
    "구분 과목구분 연도 연번 번호 순번 항목 내용 비고 세부내용 사업명 실·국 부서명 재원별 사업추진절차 분과 연차".split()
)
#: row labels that name a property of the things in the columns (일시, 장소 of each 분과)
ATTRIBUTE_LABELS = ("일시", "일자", "시간", "장소", "참석자", "참여자", "참석인원", "대상")
#: column labels of a label column ("구분", "재원")
LABEL_COLUMN_WORDS = ("구분", "재원", "항목", "과목")
#: column labels that group rows ("부서", "분야")
CATEGORY_COLUMN_WORDS = ("부서", "구분", "분야", "유형")
#: label columns that name a department
DEPARTMENT_LABELS = ("추진부서", "주관부서", "담당부서")

#: paragraph styles that give an outline level ("개요 2", "제목 1", "Heading 3")
OUTLINE_STYLE = re.compile(r"^(?:개요|제목|heading|outline)\s*(\d+)$", re.IGNORECASE)
#: first header cells of a record table ("연번 | 성명 | …")
RECORD_HEADS = frozenset({"연번", "번호", "순번", "No", "NO", "no"})
#: how a sentence of an administrative text ends (punctuation, then the noun-form endings 임/음/함/됨)
SENTENCE_ENDS = (*tuple(".!?。…:;"), "다", "임", "음", "함", "됨", "요")
#: where a long sentence may be cut into clauses, and where an item's phrase ends before its predicate
CLAUSE_BREAK = re.compile(r"(?:위해|하여|통해|통하여|에서는|에서|으로|하고|하며|있고|[을를은는])\s+")
PHRASE_END = re.compile(r"(?:분야|부문)?(?:에서도|에서|에도|에|와|과|을|를|으로|로|등)(?:\s|$)")
#: endings of a rate column ("이행률", "집행율")
RATE_SUFFIXES = ("률", "율", "비율")
#: particles that join two nouns ("사업비와 주관부서")
JOINING_PARTICLES = ("와", "과", "랑", "이랑")
#: one-syllable nouns Kiwi splits off a place name ("대전" + "시")
PLACE_TAILS = ("시", "도", "군", "구", "청")

# -- questions ------------------------------------------------------------------------------
#: question-type cues, checked in order (the first that matches wins)
KO_TYPE_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("when", ("언제", "일시", "날짜", "며칠", "몇 시", "몇시", "몇 년", "몇년", "몇 월", "시기", "기간", "일정", "개최일", "연도", "시행일", "일자", "기한", "마감")),
    ("where", ("어디", "장소", "위치")),
    ("who", ("누구", "누가", "이름", "성명", "담당자", "주무관", "과장", "팀장", "담당은", "담당이", "참여자", "참석자", "배석자")),
    ("count", ("몇 개", "몇개", "몇 명", "몇명", "몇 건", "몇건", "몇 회", "몇회", "몇 곳", "몇곳", "개수", "몇 ")),
    ("amount", ("얼마", "금액", "예산", "집행액", "사업비", "비용", "잔액", "이월", "증감", "이행률", "결산")),
    ("docnum", ("문서번호", "문서 번호", "몇 호", "몇호", "어느 문서", "무슨 문서", "어떤 문서", "관련 문서", "관련문서", "시행번호", "공문 번호", "공문번호")),
    ("org", ("어느 기관", "어떤 기관", "무슨 기관", "어느 부서", "어떤 부서", "무슨 부서", "어느 과", "어디와", "어디에서 주관", "기관은", "기관이")),
    ("what", ("무엇", "뭐", "어떤", "어떻게", "내용", "무슨", "왜", "목적", "근거")),
)
EN_TYPE_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("when", ("when", "what date", "what time", "which date", "what day", "schedule", "period")),
    ("where", ("where", "venue", "location", "what place")),
    ("who", ("who", "whom", "person in charge", "officer", "manager", "team leader", "contact")),
    ("count", ("how many", "number of", "count")),
    ("amount", ("how much", "budget", "amount", "cost", "spent", "spending", "expenditure", "executed", "rate")),
    ("docnum", ("document number", "reference number", "which document", "what document")),
    ("org", ("which department", "which agency", "which office", "which ministry", "which organisation", "which organization", "which division")),
    ("what", ("what", "which", "why", "how")),
)
KO_PHONE_CUES = ("전화", "연락처", "내선", "번호")
EN_PHONE_CUES = ("phone", "telephone", "extension")
#: the kinds of answer that are a typed value (a date, a place, a name, a count, an amount, a phone number)
TYPED_KINDS = frozenset({"when", "where", "who", "count", "amount", "phone", "docnum", "org"})
#: words that ask rather than inform: not used as search terms
QUESTION_WORDS = frozenset(
    "언제 누구 어디 무엇 뭐 얼마 몇 어떤 어떻게 무슨 왜 어느 알리다 알려주다 말하다 하다 되다 있다 없다 이다 주다 보이다 궁금 "
    "그럼 그러면 그리고 또 그거 그것 거기 그때 나열 정리 전부 모두 목록 명단 가지 이름 성명 전화번호 전화 연락처 번호 내선 "
    "내선번호 알다 보다 찾다 잡다 돼다".split()
)
#: question words that make a question stand on its own
ASKING = ("언제", "누구", "누가", "어디", "얼마", "몇", "무엇", "뭐", "어떤", "어떻게", "왜", "무슨", "어느")
#: nouns too vague to be what a question asks about ("곳", "것")
VAGUE_NOUNS = frozenset("곳 것 거 분 쪽 때 데 수 점 중 뭐 대비 이상 이하 기준 경우 관련 예정".split())
#: words that open a follow-up ("그럼 2020년에는?")
FOLLOWUP_CUES = ("그럼", "그러면", "그리고", "또", "그건", "그 중", "그중", "and ", "what about", "how about", "and in", "then ")
DEMONSTRATIVES = ("그 ", "그때", "거기", "같은", "해당", "그곳")
#: attributes a follow-up may ask of the previous topic ("주무관은?", "장소는?")
ATTRIBUTES = frozenset(
    "전화번호 연락처 번호 이름 성명 부서 주관부서 추진부서 담당부서 소관 장소 일시 시간 날짜 기간 참여자 참석자 민간 행정 "
    "인원 목적 근거 내용 일정 결과 실적 계획 위원 위원수 쪽 분 곳 다른 사업 금액 비용".split()
)
#: a question asking for a change from one value to another ("얼마에서 얼마로", "며칠에서 며칠로", "from … to")
CHANGE_ASK = re.compile(r"(?:얼마|몇\s*[가-힣]{0,3}|며칠|언제|어디)\s*에서\s*(?:얼마|몇|며칠|언제|어디)|\bfrom\s+(?:what|how)\b.*\bto\b", re.IGNORECASE)
#: words that ask for several things
LIST_CUES = ("모두", "전부", "목록", "명단", "나열", "정리", "어떤 것들", "무엇무엇", "가지", "어느 구들", "들은", "들이", "들을")
LIST_ENDINGS = re.compile(r"(분야|지자체|자치단체|구들|사업들|항목)(는|은|를|을|가|이)?\s*[?？]?$")
#: the labels under which each kind of typed value is written (일시 for "언제")
TYPE_LABELS: dict[str, tuple[str, ...]] = {
    "when": ("일시", "일자", "날짜", "시간", "기간", "추진기간"),
    "where": ("장소", "위치"),
    "who": ("담당", "성명", "참여자"),
    "phone": ("전화", "연락처"),
}

# -- analysis --------------------------------------------------------------------------------
#: Kiwi tags of content morphemes indexed by BM25: nouns, verb and adjective stems, roots,
#: adverbs, numerals, pronouns, foreign words, numbers and hanja
CONTENT_TAGS = frozenset({"NNG", "NNP", "NNB", "VV", "VA", "XR", "MAG", "NR", "NP", "SL", "SN", "SH"})
#: bound nouns that carry no content on their own
STOP_BOUND_NOUNS = frozenset({"것", "수", "등", "때", "중", "바", "데", "측", "간", "내", "뿐", "듯", "만큼", "대로", "적", "분", "년", "월", "일", "개", "명", "건", "회", "곳", "호", "차"})
EN_STOPWORDS = frozenset(
    "a an the of in on at to for from by with and or is are was were be been being do does did "
    "what which who whom whose when where why how much many this that these those it its as into "
    "about there their they them than then so such any all each has have had can could would should "
    "will shall may might please tell me show give list i we you our your us".split()
)

# -- documents ---------------------------------------------------------------------------------
#: cue phrases of the document types
DOC_TYPE_CUES: dict[str, tuple[str, ...]] = {
    "press_release": ("보도자료", "보도일시", "배포일시"),
    "bill": ("법률안", "제안이유", "발의연월일", "의안"),
    "budget": ("예산 총괄", "예산총괄", "산출근거", "예산 설명", "결산 현황", "예산액"),
    "performance_report": ("추진실적", "이행률", "추진현황", "연차별 추진계획", "총사업비"),
    "meeting_report": ("회의", "개최 결과", "결과 보고", "분과", "주요의견", "회의결과"),
}
#: headings only a budget document has
BUDGET_HEADINGS = ("예산 총괄", "예산총괄", "산출근거")
#: words of a meeting report's title besides "회의"
MEETING_TITLE_WORDS = ("결과", "개최", "보고")


# -- the 공문서 form (행정업무의 운영 및 혁신에 관한 규정 시행규칙 서식: 기안문, 시행문, 보고서 표지) ------------
#: a document number, 처리과명-일련번호 ("청년사업담당관-381"), optionally after the issuing body
#: ("동대문구 일자리청년과-11919", "서울특별시 주택정책과-1234")
DOC_NUMBER = re.compile(
    r"(?<![가-힣A-Za-z0-9·\-])"
    r"(?:(?P<org>[가-힣]{1,24}(?:특별시|광역시|특별자치시|특별자치도|도|시|군|구|청|지청|공단|공사|재단|진흥원))\s+)?"
    r"(?P<office>[가-힣][가-힣A-Za-z0-9·]{0,24}[가-힣A-Za-z])-(?P<serial>\d{1,7})(?![\d\-])"
)
#: a document's card: the heading and the labels its metadata is written under (the names staff ask by)
CARD_HEADING = "문서 정보"
CARD_LABELS: dict[str, str] = {
    "title": "제목", "number": "문서번호", "date": "시행일", "department": "부서", "kind": "문서 종류", "recipients": "수신",
    "via": "경유", "sender": "발신", "drafter": "기안자", "reviewer": "검토자", "approver": "결재권자", "cooperator": "협조자",
    "attachment": "붙임", "disclosure": "공개구분", "reference": "관련 문서",
}
#: labels of the form's fields, written with or without spaces and brackets ("수 신 자", "(경유)"), and the field each fills
FORM_LABELS: dict[str, str] = {
    "수신": "recipients", "수신자": "recipients", "경유": "via", "제목": "title", "시행": "enforced",
    "문서번호": "number", "결재일자": "date", "시행일자": "date", "공개여부": "disclosure", "공개구분": "disclosure",
    "방침번호": "policy", "접수": "received", "협조자": "cooperators", "협조": "cooperators", "결재": "approvals",
    "우": "address", "전화": "phone", "발신": "sender",
}
#: the date line of a report's cover ("2024. 12.", "2025. 01. 20. (월)")
COVER_DATE = re.compile(r"^(?:19|20)\d{2}\s*\.\s*\d{1,2}\s*\.(?:\s*\d{1,2}\s*\.?)?(?:\s*\([월화수목금토일]\))?$")
#: a unit of a public body's organisation, as written before a 처리과 or on a report's cover
#: ("미래청년기획관", "복지정책실", "도시계획국", "미래청년기획단")
ORG_UNIT = re.compile(r"^[가-힣]{2,20}(?:기획관|정책관|조정관|본부|실|국|기획단|추진단|단|관|과|센터|사업소)$")
#: a recipient field that names no recipient but points to the list of recipients below ("수신자 참조")
RECIPIENTS_BELOW = re.compile(r"^수신(?:자|처)\s*참조$")
#: endings of a position (직위·직급) on the 결재 line: "주무관", "청년활력팀장", "청년사업담당관", "미래청년기획관"
POSITION = re.compile(
    r"^[가-힣·0-9]{0,16}(?:주무관|팀장|과장|담당관|기획관|정책관|조정관|지원관|관리관|보좌관|국장|실장|본부장|단장|반장|부장|차장"
    r"|부시장|시장|구청장|군수|위원장|센터장|소장|원장|사무관|서기관|주사보|주사|서기|행정관|연구관|연구사|담당|관)$"
)
#: what a signature cell carries besides the name: acting (代, 대결), delegated (전결) and later (후결) approval
APPROVAL_MARK = re.compile(r"^(?:(代|대결|전결|후결|서명)\s*)?")
#: the date written beside a signature ("07/10")
SIGN_DATE = re.compile(r"^\d{1,2}/\d{1,2}$")
#: a person's name on the 결재 line (or a masked one)
SIGNER_NAME = re.compile(r"^(?:[가-힣]{2,4}|[*＊○]{2,6})$")
#: role labels on the 결재 line and the roles they introduce
APPROVAL_LABELS: dict[str, str] = {"기안자": "drafter", "검토자": "reviewer", "협조자": "cooperator", "협조": "cooperator", "결재권자": "approver"}
#: the roles of the signers, in Korean
APPROVAL_ROLE_LABELS: dict[str, str] = {"drafter": "기안자", "reviewer": "검토자", "cooperator": "협조자", "approver": "결재권자"}
#: the sender (발신명의): the head of the issuing body ("서울특별시장", written letter-spaced)
SENDER = re.compile(r"^[가-힣]{2,20}(?:시장|도지사|구청장|군수|교육감|청장|원장|이사장|장관|위원장|본부장)$")
#: the disclosure status (공개구분): 공개, 부분공개(6), 비공개(5,6)
DISCLOSURE = re.compile(r"^(?:공개|부분\s*공개|비\s*공개)(?:\s*\(\s*[\d,\s]+\))?$")
#: the attachments paragraph: "붙임 1. … 1부.", "따로붙임 : …", "첨부"
ATTACHMENT_HEAD = re.compile(r"^(?:따로\s*)?(?:붙\s*임|첨\s*부)(?:\s*\d+)?\s*[:：]?\s*(?=\S)")
#: the numbered items of an attachments list ("1. …", "2. …")
ATTACHMENT_ITEM = re.compile(r"(?:^|\s)(\d{1,2})\s*[.)]\s+")
#: the count closing an attachment ("1부.") and the end mark of a 공문서 ("끝.")
ATTACHMENT_COUNT = re.compile(r"\s*\d+\s*(?:부|매|권|건|식|개|장)\s*\.?\s*$")
END_MARK = re.compile(r"\s*끝\s*\.?\s*$")
#: a cited document: its number, then its date and title in brackets, then "호" ("…-920(2024년 … 운영계획, 2024.1.19.)호와 관련");
#: or the title, then number and date in brackets ("운영계획(청년사업담당관-381, 2024.7.10.)호")
REFERENCE_TAIL = re.compile(r"\s*(?:\((?P<inner>[^()]{0,160}(?:\([^()]{0,40}\)[^()]{0,80})*)\))?\s*호")
#: a short date as citations write it: "2024.1.19.", "'24.1.19.", "2024. 7. 10"
CITED_DATE = re.compile(r"((?:19|20)\d{2}|['‘’]\d{2})\s*\.\s*(\d{1,2})\s*\.\s*(\d{1,2})\s*\.?")

#: the kinds of 공문서, told by the title. A bracketed tag before the title says it ("[회신]", "[민원답변]");
#: else the title's last word does (a Korean title is a noun phrase whose head comes last: "… 추가 지급",
#: "… 지급처리 요청"), once trailing brackets ("(1건)", "(제1차)", "-수정-") are set aside; else a word anywhere
#: in it (checked in order: the first that matches wins); else the closing phrase of the body.
OFFICIAL_KIND_TAGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("complaint_reply", re.compile(r"^\s*\[\s*민원[^\]]*(?:답변|기한)")),
    ("reply", re.compile(r"^\s*\[\s*회\s*신\s*\]")),
)
OFFICIAL_KIND_ENDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("complaint_reply", re.compile(r"민원\s*답변$")),
    ("reply", re.compile(r"회신$")),
    ("payment", re.compile(r"(?:지급|지출|품의|정산)$")),
    ("plan", re.compile(r"(?:계획|방안)(?:\s*보고)?$")),
    ("result_report", re.compile(r"(?:결과|결과\s*(?:보고|알림)|조서|보고)$")),
    ("notice", re.compile(r"(?:통보|통지|알림|안내|공지)서?$")),
    ("submission", re.compile(r"(?:제출|송부)$")),
    ("request", re.compile(r"(?:요청|의뢰|신청|협조|조회|확인|협의)서?$")),
)
#: trailing brackets and revision marks of a title ("(1건)", "[2차]", "(수정)", "-수정-")
TITLE_TAIL = re.compile(r"(?:\s*[(\[（【「][^()\[\]（）【】]*[)\]）】」]|\s*-\s*수정\s*-?)+\s*$")
OFFICIAL_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("complaint_reply", re.compile(r"민원\s*(?:협조\s*)?답변|민원기한|처리기간\s*연장")),
    ("reply", re.compile(r"회신")),
    ("submission", re.compile(r"제출|요구\s*자료")),
    ("payment", re.compile(r"지급|지출|반납\s*품의|품의|정산")),
    ("result_report", re.compile(r"결과\s*(?:보고|알림)|선정\s*결과|조서")),
    ("plan", re.compile(r"계획|방안")),
    ("notice", re.compile(r"통보|통지|알림|안내|공지")),
    ("request", re.compile(r"요청|의뢰|신청|협조|조회|협의")),
)
OFFICIAL_KIND_BODY: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("complaint_reply", re.compile(r"귀하께서[^.\n]{0,60}민원")),
    ("reply", re.compile(r"회신합니다|회신하오니|회신드립니다")),
    ("payment", re.compile(r"지급하고자|지출하고자|지급코자")),
    ("result_report", re.compile(r"결과를?\s*(?:보고|알려)")),
    ("request", re.compile(r"협조하여\s*주시기|요청합니다|요청드립니다|바랍니다\.?\s*$")),
    ("notice", re.compile(r"알려드립니다|통보합니다|알립니다")),
)
#: the kinds of 공문서, in Korean
OFFICIAL_KIND_LABELS: dict[str, str] = {
    "plan": "계획", "result_report": "결과 보고", "payment": "지급·지출 품의", "reply": "회신", "request": "협조·자료 요청",
    "notice": "통보", "complaint_reply": "민원 답변", "submission": "자료 제출", "other": "기타",
}

# -- masked values -----------------------------------------------------------------------------
#: what a publisher writes over a withheld value: runs of "*", "○○", "ㅇㅇ", "OO", "XXX", and a masked
#: syllable inside a name ("김*수")
MASKED = re.compile(r"[*＊]{2,}|(?<=[가-힣])[*＊](?=[가-힣])|[○◯]{2,}|ㅇ{2,}|(?<![A-Za-z])[OＯ]{2,}(?![A-Za-z])|(?<![A-Za-z])[XＸ]{3,}(?![A-Za-z])")


#: markdown bold in text exports ("**3** 사업 설명"): its asterisks mask nothing
MARKDOWN_BOLD = re.compile(r"\*\*(?=[^\s*<])[^*\n]{1,200}?(?<=[^\s*])\*\*")


def masked_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of ``text`` the publisher masked ("***", "홍○○", "김*수", "XXX"); markdown bold is not a mask."""
    if "**" in text:
        text = MARKDOWN_BOLD.sub(lambda m: "  " + m.group()[2:-2] + "  ", text)
    return tuple((m.start(), m.end()) for m in MASKED.finditer(text))


def masked(text: str) -> bool:
    """Whether ``text`` holds a value the publisher masked ("***", "홍○○", "김*수")."""
    return bool(masked_spans(text))


# -- data files ----------------------------------------------------------------------------
def _data_lines(name: str) -> list[str]:
    text = resources.files("assistant.data").joinpath(name).read_text(encoding="utf-8")
    return [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


@lru_cache(maxsize=1)
def kiwi_user_words() -> tuple[tuple[str, str], ...]:
    """Administrative words Kiwi's model splits wrongly (``data/kiwi_words.tsv``)."""
    out = []
    for line in _data_lines("kiwi_words.tsv"):
        word, tag = line.split("\t")[:2]
        out.append((word.strip(), tag.strip()))
    return tuple(out)


@lru_cache(maxsize=1)
def related_words() -> dict[str, tuple[str, ...]]:
    """Words an administrative text uses for a question's word (``data/synonyms_ko.tsv``)."""
    out: dict[str, tuple[str, ...]] = {}
    for line in _data_lines("synonyms_ko.tsv"):
        if "\t" in line:
            word, also = line.split("\t", 1)
            out[word.strip()] = tuple(also.split())
    return out


@lru_cache(maxsize=1)
def glossary() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """English phrases → Korean terms, longest phrase first (``data/glossary_en_ko.tsv``)."""
    entries: dict[str, tuple[str, ...]] = {}
    for line in _data_lines("glossary_en_ko.tsv"):
        if "\t" in line:
            en, ko = line.split("\t", 1)
            entries.setdefault(en.strip().lower(), tuple(ko.split()))
    return tuple(sorted(entries.items(), key=lambda kv: -len(kv[0])))
