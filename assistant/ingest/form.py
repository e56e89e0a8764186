"""The standard 공문서 form, read from a document's text.

Korean public offices write their documents on one form (행정업무의 운영 및 혁신에 관한 규정
시행규칙, 기안문·시행문 서식): the head (행정기관명, 수신, (경유), 제목), the body, 붙임 … 끝,
the 발신명의, the 결재 line (기안자·검토자·협조자·결재권자 with their 직위), 시행
``처리과명-일련번호 (시행일)`` and 접수, the address line, 전화·전송·이메일 and 공개구분. A report
(보고서) carries the same facts on its cover: 문서번호, 결재일자, 공개여부 and the 결재 line.

Office readers render the form's tables as tab-separated lines (text exports do the same, a
PDF's text layer separates cells with runs of spaces); :func:`read_form` reads the fields from
those rows, whatever the office's layout of them. The words and patterns are in the lexicon.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise

from ..lexicon import (
    APPROVAL_LABELS,
    APPROVAL_MARK,
    ATTACHMENT_COUNT,
    ATTACHMENT_HEAD,
    ATTACHMENT_ITEM,
    CITED_DATE,
    COVER_DATE,
    DISCLOSURE,
    DOC_NUMBER,
    END_MARK,
    FORM_LABELS,
    FULL_DATE,
    LIST_MARK,
    OFFICIAL_KIND_BODY,
    OFFICIAL_KIND_ENDS,
    OFFICIAL_KIND_TAGS,
    OFFICIAL_KINDS,
    ORG_UNIT,
    POSITION,
    RECIPIENTS_BELOW,
    REFERENCE_TAIL,
    SENDER,
    SIGN_DATE,
    SIGNER_NAME,
    TITLE_TAIL,
    two_digit_year,
)
from ..records import Approval, Reference


@dataclass(frozen=True)
class OfficialForm:
    """The fields of the 공문서 form found in a document (empty strings where the form has none)."""

    title: str = ""
    number: str = ""  # 처리과명-일련번호
    office: str = ""  # 처리과
    date: str | None = None  # 시행일 (or 결재일자), ISO
    recipients: tuple[str, ...] = ()
    via: tuple[str, ...] = ()
    sender: str = ""
    approvals: tuple[Approval, ...] = ()
    attachments: tuple[str, ...] = ()
    disclosure: str = ""
    parent: str = ""  # the office above the 처리과 (실·국·본부), where the document names it
    phone: str = ""  # 전화: the drafter's number


@dataclass
class _Cell:
    text: str
    col: int
    start: int


@dataclass
class _Row:
    line: int
    cells: list[_Cell] = field(default_factory=list)
    tabbed: bool = True

    @property
    def filled(self) -> list[_Cell]:
        return [c for c in self.cells if c.text]


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _label(text: str) -> str:
    """A cell's text as a form label: no spaces, no brackets ("( 경유 )" → "경유")."""
    return _squeeze(text).strip("()[]<>〈〉:：")


def _rows(text: str) -> list[_Row | None]:
    """Every line as a row of cells (``None`` for a blank line): tab-separated cells, else runs
    of two or more spaces separate them (a PDF's text layer), else the line is one cell."""
    out: list[_Row | None] = []
    pos = 0
    for i, line in enumerate(text.split("\n")):
        if not line.strip() and "\t" not in line:  # an empty table row still belongs to its table
            out.append(None)
        else:
            row = _Row(i, tabbed="\t" in line)
            parts = line.split("\t") if row.tabbed else re.split(r"(?<=\S)( {2,}|\u3000+)(?=\S)", line)
            off = pos
            col = 0
            for part in parts:
                if not row.tabbed and part and not part.strip():
                    off += len(part)
                    continue
                lead = len(part) - len(part.lstrip())
                row.cells.append(_Cell(" ".join(part.split()), col, off + lead))
                off += len(part) + (1 if row.tabbed else 0)
                col += 1
            out.append(row)
        pos += len(line) + 1
    return out


def _iso(y: str, mo: str, d: str) -> str | None:
    year = two_digit_year(int(y[1:])) if y[:1] in "'‘’" else int(y)
    month, day = int(mo), int(d)
    return f"{year:04d}-{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else None


def _date(text: str) -> str | None:
    m = FULL_DATE.search(text)
    return _iso(*m.groups()) if m else None


def _split_list(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in re.split(r"\s*[,，、]\s*", text) if p.strip())


def _number(text: str) -> re.Match[str] | None:
    return DOC_NUMBER.search(text)


class _FormReader:
    def __init__(self, text: str):
        self.text = text
        self.rows = _rows(text)
        self.fields: dict[str, str] = {}
        self.field_rows: dict[str, int] = {}

    # -- labelled fields ------------------------------------------------------------
    def labelled(self) -> None:
        """Label cells and the value cells after them ("제목 | …", "시행 | 청년사업담당관-381 | ( | 2024. 7. 10. | )")."""
        for k, row in enumerate(self.rows):
            if row is None:
                continue
            cells = row.filled
            for j, cell in enumerate(cells):
                label = _label(cell.text)
                name = FORM_LABELS.get(label)
                if name is None and not row.tabbed and j == 0:
                    name, rest = self._inline_label(cell.text)
                    if name:
                        self._set(name, rest, k)
                    continue
                if name is None or (j > 0 and name not in ("received", "disclosure", "date")):
                    continue
                rest = [c.text for c in cells[j + 1 :]]
                if name == "enforced":  # 시행 … 접수 …: the row goes on with the receiving office's fields
                    stop = next((i for i, t in enumerate(rest) if FORM_LABELS.get(_label(t)) == "received"), len(rest))
                    rest = rest[:stop]
                elif name in ("recipients", "via", "title", "number", "date", "disclosure", "policy"):
                    nxt = next((i for i, t in enumerate(rest) if FORM_LABELS.get(_label(t)) in ("date", "disclosure", "number", "policy")), len(rest))
                    rest = rest[:nxt]
                self._set(name, " ".join(rest), k)
                if name != "received":
                    break

    @staticmethod
    def _inline_label(text: str) -> tuple[str | None, str]:
        """A label and its value on one line, as a PDF's text layer writes them ("제목 2024년 …")."""
        m = re.match(r"^([가-힣()\s]{1,9}?)\s*[:：]?\s+(\S.*)$", text)
        if not m:
            return None, ""
        name = FORM_LABELS.get(_label(m.group(1)))
        if name in ("recipients", "via", "title", "enforced", "number", "date", "disclosure"):
            return name, m.group(2)
        return None, ""

    def _set(self, name: str, value: str, k: int) -> None:
        value = value.strip()
        below = name == "recipients" and RECIPIENTS_BELOW.match(_squeeze(self.fields.get(name, "")))
        if value and (name not in self.fields or not self.fields[name] or below):
            self.fields[name] = value
            self.field_rows[name] = k
        elif name not in self.fields:
            self.fields[name] = ""
            self.field_rows[name] = k

    # -- the 결재 line ----------------------------------------------------------------
    def _blocks(self) -> list[list[int]]:
        """Row indexes of the tables (runs of tab-separated lines)."""
        blocks: list[list[int]] = []
        prev = False
        for k, row in enumerate(self.rows):
            is_tab = row is not None and (row.tabbed or len(row.cells) >= 2)  # tabs, or cells apart by spaces
            if is_tab:
                if not prev:
                    blocks.append([])
                blocks[-1].append(k)
            prev = is_tab
        return blocks

    def approvals(self) -> tuple[tuple[Approval, ...], str, int]:
        """The 결재 line of the table nearest the 시행/문서번호 row, the 발신명의 above it, and the
        last row of that table."""
        blocks = self._blocks()
        if not blocks:
            return (), "", -1
        anchor = min((self.field_rows[f] for f in ("enforced", "number", "date") if f in self.field_rows), default=None)
        if anchor is None:
            return (), "", -1

        def distance(block: list[int]) -> int:
            return 0 if block[0] <= anchor <= block[-1] else min(abs(anchor - block[0]), abs(anchor - block[-1]))

        scored = [(distance(b), i) for i, b in enumerate(blocks) if self._signers(b)]
        if not scored:
            return (), "", -1
        i = min(scored)[1]
        block = list(blocks[i])
        # the 협조 line is often a table of its own inside the 결재 table's 협조 cell
        while (i + 1 < len(blocks) and blocks[i + 1][0] - block[-1] <= 3 and self._cooperation_label(block)
               and self._signers(blocks[i + 1])):
            i += 1
            block += blocks[i]
        return self._line(block), self._sender(block), block[-1]

    def _cooperation_label(self, block: list[int]) -> bool:
        """The 협조 label is in the table, with nobody beside it (their table follows)."""
        for k in block:
            filled = self.rows[k].filled  # type: ignore[union-attr]
            if filled and APPROVAL_LABELS.get(_label(filled[0].text)) == "cooperator" and not any(_is_name(_squeeze(c.text)) for c in filled):
                return True
        return False

    def _signers(self, block: list[int]) -> bool:
        """A table with a position and a name in it (the 결재 line, not a 수신자 row naming a 과장)."""
        cells = [c for k in block for c in self.rows[k].filled]  # type: ignore[union-attr]
        cols = [c.col for c in cells if _is_position(c.text)]
        return bool(cols) and any(c.col >= min(cols) and _is_name(_squeeze(c.text)) for c in cells)

    def _line(self, block: list[int]) -> tuple[Approval, ...]:
        """Pair each position with the name signed under or beside it.

        A position's cells run from its column to the next position's column in its row; the
        name is the first name in those columns, in its row or the rows below (the form
        puts the signature beside the position or under it; a date like "07/10" sits above
        the name of the one who signed last).
        """
        main: list[tuple[str, str, str, str]] = []  # position, name, mark, signed
        cooperators: list[tuple[str, str, str, str]] = []
        seen: set[tuple[int, int]] = set()
        cooperating = False
        rows = [self.rows[k] for k in block]
        for r, row in enumerate(rows):
            assert row is not None
            cells = row.filled
            if cells and APPROVAL_LABELS.get(_label(cells[0].text)) == "cooperator":
                cooperating = True
            if FORM_LABELS.get(_label(cells[0].text) if cells else "") in ("enforced", "address", "phone", "number"):
                break
            positions = [c for c in cells if _is_position(c.text)]
            for i, pos in enumerate(positions):
                if (r, pos.col) in seen:
                    continue
                end = positions[i + 1].col if i + 1 < len(positions) else 10**6
                name, mark, signed = "", "", ""
                for rr in range(r, len(rows)):
                    below = rows[rr]
                    assert below is not None
                    if rr > r and any(_is_position(c.text) and c.text != pos.text and pos.col <= c.col < end for c in below.filled):
                        break
                    if rr > r and below.filled and FORM_LABELS.get(_label(below.filled[0].text)) in ("enforced", "address", "phone"):
                        break
                    for c in below.filled:
                        if not (pos.col <= c.col < end) or c is pos:
                            continue
                        if rr > r and c.text == pos.text:
                            seen.add((rr, c.col))  # the position cell merged down over the signature rows
                            continue
                        for t in (_squeeze(c.text), *c.text.split()):  # "04/25 이바다" in one cell of a PDF's text
                            if SIGN_DATE.match(t):
                                signed = signed or t
                            elif _is_name(t):
                                m = APPROVAL_MARK.match(t)
                                name = t[m.end() :] if m else t
                                mark = (m.group(1) or "") if m else ""
                                break
                        if name:
                            break
                    if name:
                        break
                entry = (_squeeze(pos.text), name, mark, signed)
                if any(e[0] == entry[0] and e[1] == entry[1] for e in main + cooperators):
                    continue
                (cooperators if cooperating else main).append(entry)
        # positions left unsigned after the one who decided (전결 below the head of office) are not
        # signers, nor is the 발신명의 above the line ("청년사업담당관" standing alone)
        while len(main) > 1 and not main[-1][1]:
            main.pop()
        while main and not main[0][1]:
            main.pop(0)
        out: list[Approval] = []
        for i, (position, name, mark, signed) in enumerate(main):
            role = "drafter" if i == 0 else "approver" if i == len(main) - 1 else "reviewer"
            out.append(Approval(role, position, name, mark, signed))  # type: ignore[arg-type]
        out += [Approval("cooperator", p, n, m, s) for p, n, m, s in cooperators if n]
        return tuple(out)

    def _sender(self, block: list[int]) -> str:
        """The 발신명의 ("서 울 특 별 시 장") written just above the 결재 line."""
        first = next((k for k in block if len(self.rows[k].filled) >= 2 and any(_is_position(c.text) for c in self.rows[k].filled)), block[0])  # type: ignore[union-attr]
        for k in range(first - 1, max(first - 6, -1), -1):
            row = self.rows[k]
            if row is None:
                continue
            filled = row.filled
            if len(filled) == 1 and (SENDER.match(_squeeze(filled[0].text)) or _is_position(filled[0].text)):
                return _squeeze(filled[0].text)
            if filled and not row.tabbed:
                break
        return ""

    # -- a report's cover and a title outside the head table ------------------------------
    def cover(self, after: int) -> tuple[str, str, str]:
        """(title, cover date, the office written above the 처리과) of a report's cover: the title
        lines, then a date line ("2024. 12."), then the office and "(처리과)"; or a title line
        standing above the form's table (a 조서, a 요구자료 form)."""
        lines = [re.sub(r"^#{1,6}\s+", "", (r.cells[0].text if r is not None and not r.tabbed else "")) if r is not None and not r.tabbed else None
                 for r in self.rows]
        first_form = min(self.field_rows.values(), default=0)
        before = [t for t in lines[:first_form] if t and not _is_citation_line(t) and not COVER_DATE.match(t)]
        title_lines: list[str] = []
        k = after + 1
        while k < len(lines) and len(title_lines) < 4:
            t = lines[k]
            if t is None:
                if self.rows[k] is not None:  # a table: the cover has ended
                    break
                k += 1
                continue
            if COVER_DATE.match(t):
                parent = ""
                rest = [x for x in lines[k + 1 : k + 6] if x]
                for a, b in pairwise(rest):
                    if re.fullmatch(r"\(\s*[가-힣·]+\s*\)", b) and ORG_UNIT.match(_squeeze(a)):
                        parent = _squeeze(a)
                        break
                return " ".join(title_lines), t, parent
            title_lines.append(t)
            k += 1
        return (before[-1] if before else ""), "", ""

    # -- the body's end: attachments ---------------------------------------------------
    def attachments(self) -> tuple[str, ...]:
        lines = self.text.split("\n")
        for i, line in enumerate(lines):
            s = line.strip()
            m = ATTACHMENT_HEAD.match(s)
            if not m or "\t" in line:
                continue
            parts = [s[m.end() :]]
            j = i + 1
            while not END_MARK.search(parts[-1]) and j < len(lines) and j <= i + 20:
                nxt = lines[j].strip()
                if not nxt:
                    j += 1
                    continue
                if "\t" in lines[j] or not re.match(r"^\d{1,2}\s*[.)]", nxt):
                    break
                parts.append(nxt)
                j += 1
            body = END_MARK.sub("", " ".join(parts))
            items = [p for p in ATTACHMENT_ITEM.split(" " + body) if p.strip()]
            if len(items) > 1:  # "1. a 1부. 2. b 1부." → numbers and texts alternate
                items = [t for t in items if not re.fullmatch(r"\d{1,2}", t.strip())]
            return tuple(ATTACHMENT_COUNT.sub("", t).strip(" .") for t in items if ATTACHMENT_COUNT.sub("", t).strip(" ."))
        return ()

    def phone(self) -> str:
        """The 전화 field (the drafter's number)."""
        for row in self.rows:
            if row is not None and row.filled and _label(row.filled[0].text).startswith("전화"):
                m = re.search(r"(?<!\d)(?:\d{2,4}-)?\d{3,4}-\d{4}(?!\d)", " ".join(c.text for c in row.filled))
                if m:
                    return m.group()
        return ""

    def disclosure(self) -> str:
        value = self.fields.get("disclosure", "")
        if DISCLOSURE.match(value.strip()):
            return _squeeze(value)
        # the 기안문's last line: 전화 … / 전송 … / 이메일 / 공개구분
        for row in self.rows:
            if row is None or not row.filled or not _label(row.filled[0].text).startswith("전화"):
                continue
            for c in reversed(row.filled):
                if DISCLOSURE.match(c.text.strip().strip("/ ")):
                    return _squeeze(c.text.strip().strip("/ "))
        return ""


def _is_name(text: str) -> bool:
    m = APPROVAL_MARK.match(text)
    rest = text[m.end() :] if m else text
    return bool(SIGNER_NAME.match(rest)) and not _is_position(rest) and rest not in APPROVAL_LABELS and rest not in FORM_LABELS


def _is_position(text: str) -> bool:
    t = _squeeze(text)
    return bool(POSITION.match(t)) and len(t) >= 2 and t not in FORM_LABELS and not SENDER.match(t)


def read_form(text: str) -> OfficialForm | None:
    """The 공문서 fields of ``text``, or ``None`` when it is not written on the form (no 시행 or
    문서번호 with a document number, and no 제목 with 수신)."""
    reader = _FormReader(text)
    reader.labelled()
    f = reader.fields
    number_m = _number(f.get("enforced", "")) or _number(f.get("number", ""))
    if number_m is None and not ("title" in f and "recipients" in f):
        return None
    number = f"{number_m.group('office')}-{number_m.group('serial')}" if number_m else ""
    date = None
    if f.get("enforced") and number_m:
        date = _date(f["enforced"][number_m.end() :]) or _date(f["enforced"])
    date = date or _date(f.get("date", ""))
    recipients = f.get("recipients", "")
    approvals, sender, last_row = reader.approvals()
    office = number_m.group("office") if number_m else ""
    title = " ".join(f.get("title", "").split())
    cover_parent = ""
    if not title:
        after = max([last_row, *(k for name, k in reader.field_rows.items() if name != "recipients")], default=0)
        title, _, cover_parent = reader.cover(after)
    if date is None:
        date = _signed_date(text, approvals)
    return OfficialForm(
        title=title,
        number=number,
        office=office,
        date=date,
        recipients=_split_list(recipients) if not RECIPIENTS_BELOW.match(_squeeze(recipients)) else (),
        via=_split_list(f.get("via", "")),
        sender=sender,
        approvals=approvals,
        attachments=reader.attachments(),
        disclosure=reader.disclosure(),
        parent=_parent(text, office, approvals, cover_parent),
        phone=reader.phone(),
    )


def _parent(text: str, office: str, approvals: tuple[Approval, ...], cover: str = "") -> str:
    """The office above the 처리과: written before it ("미래청년기획관 청년사업담당관" in 예산과목 or a
    department field), else on a report's cover above "(처리과)", else the one who signed above
    the 처리과's head on the 결재 line."""
    if not office:
        return ""
    for m in re.finditer(rf"([가-힣]{{2,20}})\s+{re.escape(office)}(?![가-힣])", text):
        if ORG_UNIT.match(m.group(1)) and m.group(1) != office:
            return m.group(1)
    if cover:
        return cover
    heads = [i for i, a in enumerate(approvals) if a.role != "cooperator" and a.position == office]
    if heads:
        above = [a for a in approvals[heads[0] + 1 :] if a.role != "cooperator" and a.position != office]
        if above:
            return above[-1].position
    return ""


def official_kind(title: str, body: str) -> str:
    """The kind of a 공문서 (plan, payment, reply …): from the title's tag, its last word or a word in
    it, else from the body's closing phrases."""
    head = TITLE_TAIL.sub("", title).strip()
    for patterns, text in ((OFFICIAL_KIND_TAGS, title), (OFFICIAL_KIND_ENDS, head), (OFFICIAL_KINDS, title)):
        for kind, pattern in patterns:
            if pattern.search(text):
                return kind
    for kind, pattern in OFFICIAL_KIND_BODY:
        if any(pattern.search(line.strip()) for line in body.split("\n") if line.strip() and "\t" not in line):
            return kind
    return "other"


def references(text: str, own: str = "") -> tuple[Reference, ...]:
    """Documents ``text`` cites by number: "미래청년기획단-920(… 운영계획, 2024.1.19.)호와 관련",
    "주택정책과-1234(2024.3.5., "…")호", "운영계획(청년사업담당관-381, 2024.7.10.)호". The document's
    own number (``own``) is not a reference."""
    out: list[Reference] = []
    seen: set[str] = set()
    for m in DOC_NUMBER.finditer(text):
        key = f"{m.group('office')}-{m.group('serial')}"
        if key == own:
            continue
        tail = REFERENCE_TAIL.match(text, m.end())
        title, date = "", None
        if tail:
            inner = tail.group("inner") or ""
            date, title = _date_and_title(inner)
            if not title:  # "…-999(2024.9.9.)호("2024년 … 조회 요청")"
                q = re.match(r"\s*(?:와|과)?\s*\(?\s*[\"“「『]([^\"”」』]{2,80})", text[tail.end() :])
                title = q.group(1) if q else ""
        else:
            # the number inside the brackets after the title: "운영계획(청년사업담당관-381, 2024.7.10.)호"
            open_ = text.rfind("(", max(0, m.start() - 2), m.start() + 1)
            close = text.find(")", m.end())
            if open_ < 0 or close < 0 or close - m.end() > 40 or not re.match(r"\s*호", text[close + 1 :]):
                continue
            date = _cited_date(text[m.end() : close])
            before = text[max(0, open_ - 80) : open_]
            t = re.split(r"[\n\t.:]|(?<=\d\.)\s", before)[-1].strip()
            title = LIST_MARK.sub("", t).strip(" 「」『』\"“”")
        if key in seen:
            continue
        seen.add(key)
        out.append(Reference(" ".join(m.group(0).split()), key, title.strip(" 「」『』\"“”,"), date, m.start(), m.end()))
    return tuple(out)


def _is_citation_line(text: str) -> bool:
    """A line that only cites a document ("청년사업담당관-5714(2024.12.12)호")."""
    m = DOC_NUMBER.match(text.strip())
    return bool(m) and len(text.strip()) - m.end() < 30 and "호" in text[m.end() :]


def _signed_date(text: str, approvals: tuple[Approval, ...]) -> str | None:
    """The date the deciding signer wrote ("12/18"), in the year of the latest date the document writes."""
    signed = next((a.signed for a in reversed(approvals) if a.role == "approver" and a.signed), "")
    if not signed:
        return None
    years = [int(m.group(1)) for m in FULL_DATE.finditer(text)] + [int(y) for y in re.findall(r"((?:19|20)\d{2})\s*년", text)]
    if not years:
        return None
    month, day = (int(x) for x in signed.split("/"))
    return _iso(str(max(years)), str(month), str(day))


def _cited_date(text: str) -> str | None:
    m = CITED_DATE.search(text)
    return _iso(*m.groups()) if m else None


def _date_and_title(inner: str) -> tuple[str | None, str]:
    m = CITED_DATE.search(inner)
    date = _iso(*m.groups()) if m else None
    rest = (inner[: m.start()] + " " + inner[m.end() :]) if m else inner
    rest = rest.strip(" ,，\"“”「」『』")
    return date, rest




def department_of(office: str, own: str, written: Iterable[tuple[str, str | None]]) -> str:
    """A document's department: its own (``own``) when it names the office above its 처리과
    ("미래청년기획관 청년사업담당관"); else the one that the latest-dated document of the same 처리과
    naming it gives (``written``: the (department, date) the documents of the office give): a
    처리과 belongs to one 실·국 at a time, and most of its documents never write it."""
    if not office or own != office:
        return own
    named = [(date or "", dep) for dep, date in written if dep != office and dep.endswith(" " + office)]
    return max(named)[1] if named else own
