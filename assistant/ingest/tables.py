"""Structured tables: cell values, header rows, column labels, units.

A table arrives as a grid of :class:`GridCell` (clean text and its span in the
original); :func:`build_table` decides the layout (a grid with header rows, or
label/value pairs), flattens multi-row headers into column labels, fills merged label
cells downwards and normalises numbers (``(x-) Δ3,600`` → ``-3600``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..lexicon import (
    ATTRIBUTE_LABELS,
    CELL_VALUE,
    COLUMN_UNIT,
    COUNT_LABEL_WORDS,
    COUNTERS,
    HEADER_WORDS,
    LIST_MARK,
    MEASURE_WORDS,
    MONEY_UNITS,
    RATE_SUFFIXES,
    UNIT_LINE,
    masked,
)
from ..records import Cell, OffsetMap, Table

_DATA_LIKE = re.compile(
    r"\d{2,4}-\d{3,4}"  # phone numbers
    r"|\d{1,2}:\d{2}"  # times
    r"|\d{4}\.\s?\d{1,2}"  # dates
    r"|\s:\s"  # "label : value"
)


@dataclass(frozen=True)
class GridCell:
    text: str
    start: int
    end: int
    inherited: bool = False
    offsets: OffsetMap = field(default_factory=lambda: OffsetMap(()), compare=False)


def parse_value(text: str) -> tuple[float | None, str | None]:
    """A cell's number and explicit unit: ``"(x-) Δ3,600"`` → ``(-3600.0, None)``, ``"22%"`` → ``(22.0, "%")``."""
    t = text.replace("(x-)", "").strip()
    m = CELL_VALUE.match(t)
    if not m:
        return None, None
    number = float(m.group("num").replace(",", "") + (m.group("dec") or ""))
    if m.group("neg"):
        number = -number
    return number, m.group("unit")


def parse_unit_line(line: str) -> str | None:
    """``"(단위 : 천원, %)"`` → ``"천원, %"``."""
    m = UNIT_LINE.match(line.strip())
    return m.group(1).strip() if m else None


def column_unit(label: str, table_unit: str | None) -> str | None:
    """The unit that applies to a column, from its label or the table's unit line."""
    m = COLUMN_UNIT.search(label)
    if m:
        return m.group(1)
    if "*100" in label or label.rstrip().endswith(RATE_SUFFIXES) or "(%)" in label:
        return "%"
    units = [u.strip() for u in (table_unit or "").split(",") if u.strip()]
    if len(units) > 1:  # "(단위: 명, 백만원)": the amount columns take the money unit, the head counts the counter
        money = [u for u in units if u in MONEY_UNITS]
        counts = [u for u in units if u in COUNTERS]
        name = re.sub(r"\s+", "", label)
        if counts and any(w in name for w in COUNT_LABEL_WORDS):
            return counts[0]
        if money and (name.endswith("액") or any(w in name for w in MEASURE_WORDS)):
            return money[0]
    return units[0] if units else None


#: the digit groups of a Korean amount: 조, 억 and 만 close a group; 천, 백, 십 multiply inside it
_BIG_UNITS = {"조": 1e12, "억": 1e8, "만": 1e4}
_SMALL_UNITS = {"천": 1e3, "백": 1e2, "십": 10.0}
_AMOUNT_TOKEN = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(천만|백만|[조억만천백십])?")
_AMOUNT_TEXT = re.compile(r"^(?:금\s*)?[Δ△▽\-−]?\s*(?:\d[\d,]*(?:\.\d+)?\s*(?:천만|백만|[조억만천백십])?\s*)+원?$")


def amount_won(text: str, unit: str | None = None) -> float | None:
    """An amount in 원: "3조 2,000억원" → 3.2e12, "1억 5천만원" → 1.5e8, "98,450천원" → 98_450_000,
    "1,046" in a column of 억원 → 1.046e11; ``None`` when the text is not an amount of money."""
    t = re.sub(r"\s*\([^)]*\)\s*$", "", text.replace("(x-)", "")).strip()  # "금284,149,000원 (금이억…원)"
    if not t or not _AMOUNT_TEXT.match(t):
        return None
    negative = bool(re.match(r"^(?:금\s*)?[Δ△▽\-−]", t))
    body = re.sub(r"^(?:금\s*)?[Δ△▽\-−]?\s*", "", t)
    written = body.endswith("원") or (body.endswith(("억", "조")) and (unit is None or unit in MONEY_UNITS))
    if not written and unit not in MONEY_UNITS:
        return None
    total = group = 0.0
    for num, mult in _AMOUNT_TOKEN.findall(body.removesuffix("원")):
        n = float(num.replace(",", ""))
        if mult in ("천만", "백만"):  # "5천만" is 5 × 천 × 만
            total += (group + n * _SMALL_UNITS[mult[0]]) * 1e4
            group = 0.0
        elif mult in _BIG_UNITS:
            total += (group + n) * _BIG_UNITS[mult]
            group = 0.0
        elif mult in _SMALL_UNITS:
            group += n * _SMALL_UNITS[mult]
        else:
            group += n
    total += group
    if not written:  # a bare number in the column's money unit
        total *= MONEY_UNITS[unit]  # type: ignore[index]
    return -total if negative else total


def is_data_like(text: str) -> bool:
    if not text:
        return False
    if parse_value(text)[0] is not None and not re.fullmatch(r"(19|20)\d{2}년?도?", text.strip()):
        return True
    return bool(_DATA_LIKE.search(text))


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _is_header_row(row: Sequence[GridCell], first: bool) -> bool:
    cells = [c.text for c in row if c.text]
    if not cells or any(is_data_like(t) for t in cells):
        return False
    if first:
        return _norm(row[0].text) in HEADER_WORDS or len(cells) >= 3
    return not row[0].text or _norm(row[0].text) in HEADER_WORDS




def _attribute_rows(rows: Sequence[Sequence[GridCell]]) -> bool:
    """A one-header grid laid out sideways: most data rows are labelled with an attribute
    (일시, 장소, 참석자 …) and no header cell is one (the columns are the things described)."""
    labels = [_norm(r[0].text) for r in rows[1:] if r and r[0].text]
    hits = sum(1 for t in labels if t.startswith(ATTRIBUTE_LABELS))
    heads = [_norm(c.text) for c in rows[0][1:] if c.text]
    return len(labels) >= 2 and 2 * hits > len(labels) and not any(h.startswith(ATTRIBUTE_LABELS) or h in HEADER_WORDS for h in heads)


def _column_labels(header: Sequence[Sequence[GridCell]], width: int) -> list[str]:
    """Flatten header rows: an upper cell spans the empty cells to its right when the row
    below subdivides it (both positions are filled below)."""
    rows = [[c.text for c in r] + [""] * (width - len(r)) for r in header]
    filled = [list(r) for r in rows]
    for i in range(len(rows) - 1):
        below = [any(rows[b][k] for b in range(i + 1, len(rows))) for k in range(width)]
        for j0 in range(width):
            # a cell spans the empty cells to its right when the rows below subdivide it
            if not rows[i][j0] or not below[j0]:
                continue
            j = j0 + 1
            while j < width and not rows[i][j]:
                j += 1
            if any(below[k] for k in range(j0 + 1, j)):
                for k in range(j0 + 1, j):
                    filled[i][k] = rows[i][j0]
    labels = []
    for j in range(width):
        parts: list[str] = []
        for i in range(len(rows)):
            t = filled[i][j]
            if t and (not parts or parts[-1] != t):
                parts.append(t)
        labels.append(" / ".join(parts))
    # a header cell with nothing under any header row continues the one to its left (a merged cell)
    for j in range(1, width):
        if not labels[j] and labels[j - 1]:
            labels[j] = labels[j - 1]
    return labels


def build_table(
    grid: Sequence[Sequence[GridCell]],
    index: int,
    section: int,
    title: str,
    unit: str | None,
    layout: str | None = None,
    n_header: int | None = None,
) -> Table:
    """Turn a grid of cleaned cells into a structured :class:`Table` (``n_header``: the number of
    header rows, when the source's layout tells it)."""
    width = max((len(r) for r in grid), default=0)
    rows = [list(r) + [GridCell("", r[-1].end if r else 0, r[-1].end if r else 0)] * (width - len(r)) for r in grid]
    given = n_header
    n_header = 0
    if layout is None:
        if len(rows) >= 2 and _is_header_row(rows[0], first=True):
            layout = "grid"
            n_header = 1
            while n_header < len(rows) - 1 and _is_header_row(rows[n_header], first=False):
                n_header += 1
            if n_header == 1 and _attribute_rows(rows):
                layout = "transposed"
        else:
            layout = "keyvalue"
    elif layout in ("grid", "transposed"):
        n_header = given if given is not None else 1 if len(rows) >= 2 else 0
    header = rows[:n_header]
    columns = _column_labels(header, width) if header else [""] * width
    units = [column_unit(c, unit) for c in columns]

    header_cells = tuple(tuple(Cell(c.text, c.start, c.end, offsets=c.offsets, masked=masked(c.text)) for c in r) for r in header)
    data: list[tuple[Cell, ...]] = []
    above: Cell | None = None
    for r in rows[n_header:]:
        cells: list[Cell] = []
        has_content = any(c.text for c in r[1:])
        for j, c in enumerate(r):
            value, explicit = parse_value(c.text) if c.text else (None, None)
            cu = explicit or (units[j] if value is not None else None)
            if j == 0 and not c.text and has_content and above is not None and above.text:
                cells.append(
                    Cell(above.text, above.start, above.end, above.value, above.unit, inherited=True, offsets=above.offsets, masked=above.masked)
                )
            else:
                if j == 0 and value is not None and re.fullmatch(r"(19|20)\d{2}", c.text.strip()):
                    value, cu = None, None  # a year used as a row label
                won = amount_won(c.text, units[j]) if c.text and j > 0 and (cu is None or cu in MONEY_UNITS) else None
                cells.append(Cell(c.text, c.start, c.end, value, cu, inherited=c.inherited, offsets=c.offsets, masked=masked(c.text), won=won))
        if cells and cells[0].text:
            above = cells[0]
        data.append(tuple(cells))
    start = min((c.start for r in grid for c in r), default=0)
    end = max((c.end for r in grid for c in r), default=0)
    return Table(
        index=index,
        section=section,
        title=title,
        unit=unit,
        columns=tuple(columns),
        header_rows=header_cells,
        rows=tuple(data),
        start=start,
        end=end,
        layout=layout,  # type: ignore[arg-type]
    )


def own_label(text: str) -> str:
    """A self-labelled cell ("마을자치과장 : 유인현 (1040)") names itself before the colon."""
    m = re.match(r"^([^:：]{1,20})\s*[:：]\s*\S", text)
    return m.group(1) if m else ""


_SOURCE_LABELLED = re.compile(r"^\s*\([^)]{1,10}\)\s*\S")  # "(시비)98,450천원"


def _is_key(cell: Cell) -> bool:
    t = cell.text.strip()
    return bool(t) and cell.value is None and len(t) <= 30 and not own_label(t) and not LIST_MARK.match(t) and not t.endswith((".", "다"))


def _names_itself(text: str) -> bool:
    """"팀장 : 이태순 (2201)", "(시비)98,450천원"; not a list item ("○ 협약 체결 : 12건")."""
    t = text.strip()
    return bool(t) and not LIST_MARK.match(t) and bool(own_label(t) or _SOURCE_LABELLED.match(t))


def kv_fields(row: Sequence[Cell]) -> list[tuple[int | None, int | None]]:
    """The fields of a label/value row as (label column, value column), read left to right:
    "총사업비 | 1,194백만원 | 사업유형 | 계속/자체/운영" holds two fields. A cell that names its
    own label ("팀장 : 이태순 (2201)") is a field alone (None, j); so is a label whose value cell
    is empty (j, None)."""
    out: list[tuple[int | None, int | None]] = []
    j = 0
    while j < len(row):
        cell = row[j]
        if not cell.text.strip():
            j += 1
            continue
        nxt = row[j + 1] if j + 1 < len(row) else None
        if _is_key(cell) and nxt is not None and not _names_itself(nxt.text):
            out.append((j, j + 1) if nxt.text.strip() else (j, None))
            j += 2
            continue
        out.append((None, j))
        j += 1
    return out


def format_value(value: float, unit: str | None) -> str:
    """``98450, "천원"`` → ``"98,450천원"``."""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
    return f"{text}{unit or ''}"
