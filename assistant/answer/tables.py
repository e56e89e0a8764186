"""Table lookups: find the row and column a question points at in the structured tables.

A question names a row ("계", "2019", "영등포형 돌봄 네트워크 추진"), a column ("2022예산액",
"집행액", "주관부서") or both, and sometimes the table itself ("산출근거"). Cells are scored
by how much of the question their row, column and table context explain, whether their
years agree, and whether they hold the kind of value asked for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ..ingest import kv_fields, own_label
from ..ingest import terms as content_terms
from ..ingest import years as years_in_text
from ..lexicon import CATEGORY_COLUMN_WORDS, LABEL_COLUMN_WORDS, TOTAL_LABELS
from ..records import Cell, Evidence, Hit, Table
from ..search import typed_kinds
from .evidence import EvidenceScorer
from .ranking import focus_term, unit_typed
from .values import type_spans

LONG_CELL = 80  # longer cells are prose: sentences answer better than the whole cell


@dataclass
class TableMatch:
    doc_id: str
    table: Table
    hit: Hit
    cells: list[tuple[int, int]]  # answering cells (row, column)
    rows: list[int]  # rows to show
    kind: str  # "cell", "row", "list" or "header"
    score: float
    features: Evidence = field(default_factory=Evidence)
    items: list[str] = field(default_factory=list)


def _terms(text: str) -> set[str]:
    return set(content_terms(text)) if text.strip() else set()


def value_cell(table: Table, r: int, j: int) -> Cell:
    """A transposed table's row with one value spans all columns."""
    cell = table.rows[r][j]
    if not cell.text and table.layout == "transposed" and j > 1:
        row = table.rows[r]
        if row[1].text and not any(c.text for c in row[2:]):
            return row[1]
    return cell


def _typed(text: str, qtypes: Sequence[str], cell: Cell, question: str) -> float:
    """1 when the cell holds what the question asks for (a number for "얼마", a date for "언제"),
    less for a weaker form (an amount inside text); 0.5 for untyped questions."""
    checked = typed_kinds(qtypes)
    if not checked:
        return 0.5
    if cell.value is not None:
        money = bool(cell.unit) and cell.unit.endswith("원")
        # "몇 곳" is not answered by a sum of money, nor "얼마" by a head count
        if ("amount" in checked and (money or cell.unit in (None, "%"))) or ("count" in checked and not money):
            return 1.0
    return unit_typed(text, checked, question)


def lookup_all(
    candidates: Sequence[tuple[Hit, Table, set[str]]],
    scorer: EvidenceScorer,
    qtypes: Sequence[str],
    wants_list: bool,
    best_hit: float,
    focus: set[str] | None = None,
    total: bool = False,
    doc_cover: Callable[[str], float] | None = None,
) -> list[TableMatch]:
    """The best match of every candidate table, best first."""
    out = []
    for hit, table, ctx in candidates:
        m = _lookup_table(hit, table, ctx, scorer, qtypes, wants_list, best_hit, focus or set(), total)
        if m is None:
            continue
        doc = doc_cover(hit.chunk.doc_id) if doc_cover else 0.0
        m.features = replace(m.features, doc=doc)
        m.score += 0.2 * doc
        out.append(m)
    return sorted(out, key=lambda m: -m.score)


def _leaf(label: str) -> str:
    return label.split(" / ")[-1]


def _lookup_table(
    hit: Hit,
    table: Table,
    ctx: set[str],
    scorer: EvidenceScorer,
    qtypes: Sequence[str],
    wants_list: bool,
    best_hit: float,
    focus: set[str],
    total: bool,
) -> TableMatch | None:
    if not table.rows:
        return None
    width = max(len(r) for r in table.rows)
    retrieval = hit.score / best_hit if best_hit > 0 else 0.0
    title_terms = _terms(table.title) | ctx
    ctx_years = set(years_in_text(" ".join((table.title, *hit.chunk.heading_path))))
    header_years = set(years_in_text(" ".join(table.columns)))
    columns = [table.columns[j] if j < len(table.columns) else "" for j in range(width)]
    col_terms = [_terms(c) for c in columns]
    leaf_terms = [_terms(_leaf(c)) for c in columns]
    col_years = [set(years_in_text(c)) for c in columns]
    label_cols = _label_columns(table, width)
    row_years = [set(years_in_text(" ".join(r[j].text for j in label_cols if j < len(r)))) for r in table.rows]
    table_years = header_years | set().union(*row_years) | ctx_years
    own_title = _terms(table.title)
    focus_cov = (lambda ts: scorer.focus_coverage(focus, ts | own_title)) if focus else (lambda ts: 0.0)

    def year_of(years: set[int]) -> float:
        if not years and len(scorer.q.years) >= 2 and set(scorer.q.years) <= header_years:
            return 1.0  # "2021년 대비 2022년": a column between the two years' columns (증감)
        y = scorer.year_agreement(years)
        if y == 0.0 and scorer.q.years and table_years and not set(scorer.q.years) & table_years:
            return -1.0  # the table covers other years only
        return y

    def feats(cov: float, col: float, row: float, year: float, typed: float, foc: float, core: float) -> Evidence:
        return Evidence(cover=cov, col=col, row=row, year=year, typed=typed, retrieval=retrieval, own=max(col, row), focus=foc, core=core)

    # the question names the table's header row ("분과는?") or a label column ("사업추진절차는?"): list it
    listing = _list_by_header(hit, table, width, columns, col_terms, label_cols, scorer, title_terms, focus_cov, year_of(ctx_years | header_years), retrieval, wants_list)
    rows_terms = [
        scorer.with_entities(" ".join(c.text for c in row), set().union(*(_terms(c.text) for c in row if c.value is None and len(c.text) <= LONG_CELL)))
        for row in table.rows
    ]
    q_flat = re.sub(r"\s+", "", scorer.q.text)
    quoted = [any(len(c.text) >= 4 and c.value is None and re.sub(r"\s+", "", c.text) in q_flat for c in row) for row in table.rows]
    # a column named verbatim ("차년이월액" names 차년이월, "예산집행금액")
    quoted_cols = [len(_leaf(c).replace(" ", "")) >= 3 and re.sub(r"\s+|\(.*?\)", "", _leaf(c)) in q_flat for c in columns]
    any_row_match = any(quoted) or any(scorer.coverage_beyond(t, title_terms) > 0 for t in rows_terms)
    typed_q = typed_kinds(qtypes)

    kv_rows = [{v: k for k, v in kv_fields(row) if v is not None} for row in table.rows] if table.layout == "keyvalue" else []
    kv_pairs = [sum(1 for k in fields.values() if k is not None) for fields in kv_rows]
    scored: list[tuple[float, int, int, dict[str, float]]] = []
    leaf_of: dict[tuple[int, int], set[str]] = {}  # the words naming each cell (its column, or its label)
    for r, row in enumerate(table.rows):
        is_total = table.row_label(r).replace(" ", "") in TOTAL_LABELS
        for j in range(width):
            if (j in label_cols and table.layout == "grid") or (table.layout == "transposed" and j == 0):
                continue
            cell = value_cell(table, r, j)
            if not cell.text or len(cell.text) > LONG_CELL or not re.search(r"[0-9A-Za-z가-힣]", cell.text):
                continue
            own = own_label(cell.text)
            row_t = rows_terms[r]
            if table.layout == "keyvalue":
                if j not in kv_rows[r]:
                    continue  # a label
                k = kv_rows[r][j]
                if own:
                    cterms = _terms(own)
                elif k is not None:
                    cterms = _terms(row[k].text)
                    if kv_pairs[r] > 1:
                        # independent pairs ("협업부서 | 전부서 | 협업내용 | … 협치 추진"): the words
                        # of the other pairs say nothing about this value
                        pair = f"{row[k].text} {cell.text}"
                        row_t = scorer.with_entities(pair, _terms(pair))
                elif _after_name(row, j):
                    cterms = _terms(row[j - 1].text)  # "배덕환 | 2133-6650": the number of the name before it
                else:
                    continue
                leaf = cterms
            else:
                cterms = col_terms[j] | (_terms(own) if own else set())
                leaf = leaf_terms[j] | (_terms(own) if own else set())
            leaf_of[(r, j)] = leaf
            cov = scorer.coverage(cterms | row_t | title_terms)
            col_cov = scorer.coverage(leaf)
            row_cov = scorer.coverage_beyond(row_t, cterms | title_terms)  # what only this row explains
            year = year_of(col_years[j] | row_years[r] | (ctx_years if len(header_years) <= 1 else set()) | (header_years if len(header_years) == 1 else set()))
            if re.sub(r"\s+", "", cell.text) == re.sub(r"\s+", "", hit.chunk.title):
                continue  # a cell holding the document's title answers nothing
            typed = _typed(cell.text, qtypes, cell, scorer.q.text)
            foc = focus_cov(leaf | (_terms(table.rows[r][0].text) if table.layout == "transposed" else set()))
            if typed_q:
                foc = max(foc, focus_cov(row_t))  # "세종시청에는 몇 시에": the row names the place
            total_bonus = 0.08 if is_total and (total or not any_row_match) else 0.0
            if quoted[r]:
                row_cov = max(row_cov, 0.5)
            # a merged label ("사무관리비" over three breakdown rows) names a group, not this row,
            # unless the row itself says more of the question than a common word ("우호교류사업"
            # matches 사업 of "우호교류협약 사업의 사무관리비": 0.09 of the question's weight)
            merged = sum(1 for other in table.rows if other and row and other[0].text == row[0].text) > 1 and table.layout == "grid"
            if merged and row_cov > 0 and scorer.coverage_beyond(row_t, _terms(row[0].text) | title_terms) < 0.1:
                row_cov *= 0.5
            if quoted_cols[j]:  # the question writes the column's name: it asks for this column
                col_cov = max(col_cov, 0.5)
                foc = max(foc, 1.0) if focus else foc
            score = (0.3 * quoted[r] + 0.2 * quoted_cols[j] + 0.45 * cov + 0.1 * col_cov + 0.1 * row_cov + 0.25 * year + (0.35 if typed_q else 0.1) * typed
                     + 0.1 * retrieval + focus_term(foc, bool(focus), bool(typed_q)) + total_bonus)
            scored.append((score, r, j, feats(cov, col_cov, row_cov, year, typed, foc, scorer.core_coverage(cterms | row_t | title_terms))))
    if not scored:
        return listing
    scored.sort(key=lambda x: -x[0])
    score, r0, j0, f0 = scored[0]
    if listing is not None and listing.score >= score:
        return listing
    cells = [(r0, j0)]
    kind = "cell"

    def focus_words(terms: set[str]) -> set[str]:
        return {w for w in focus if scorer.focus_coverage({w}, terms) > 0}

    def asked_words(terms: set[str]) -> set[str]:
        return {w for w in scorer.weights if scorer.has(w, terms)}

    # more columns of the same row that the question names ("최종예산과 집행액", "사업비와 주관부서")
    best_focus, best_asked = focus_words(leaf_of[(r0, j0)]), asked_words(leaf_of[(r0, j0)])
    for _s, r, j, f in scored[1:]:
        if r != r0 or j == j0 or (r, j) in cells or f.year < 0 or table.layout == "transposed":
            continue
        if col_years[j0] and not col_years[j] & col_years[j0]:
            continue  # not the 합계 beside "2019년"
        # the column itself must be named, with a question word the best column does not name
        # ("최종예산과 집행액"): the table's title ("예산 총괄") names every column, and "집행액"
        # does not name 집행잔액 or 확보액
        named = bool(focus_words(leaf_of[(r, j)]) - best_focus) or (
            f.col > 0 and f.col >= 0.5 * f0.col and bool(asked_words(leaf_of[(r, j)]) - best_asked))
        if named and not (leaf_terms[j] and leaf_terms[j] <= leaf_terms[j0]):
            cells.append((r, j))
    if len(typed_q) > 1:  # "몇 시에 어디서": one cell per asked type, in the row (or a transposed column)
        for t in typed_q:
            if any(type_spans(value_cell(table, r, j).text, t) for r, j in cells):
                continue
            spots = [(r0, j) for j in range(1, width)] if table.layout != "transposed" else [(r, j0) for r in range(len(table.rows))]
            for r, j in spots:
                if (r, j) not in cells and type_spans(value_cell(table, r, j).text, t):
                    cells.append((r, j))
                    break
    if "amount" in typed_q and value_cell(table, r0, j0).value is None and table.layout == "grid":
        # "○ 자문회의 운영 400,000원*4회" explains an amount kept in another column of the row
        cells += [(r0, j) for j in range(width) if (r0, j) not in cells and j not in label_cols and table.rows[r0][j].value is not None]
    rows = [r0]
    items: list[str] = []
    group = _category_rows(table, width, label_cols, scorer, title_terms)
    single_value = bool(typed_q) and f0.typed >= 1.0 and not wants_list  # "사무관리비는 얼마?": one number
    in_group = bool(group) and r0 in group[1]
    beyond = scorer.coverage_beyond(rows_terms[r0], (_terms(table.rows[r0][group[2]].text) if group else set()) | title_terms) if in_group else 1.0
    if group and table.layout == "grid" and not single_value and (wants_list or (in_group and beyond == 0.0) or group[0] >= f0.row):
        # several rows share the category the question names: "전략사업은?", "자치행정과가 주관하는 사업은?"
        cat_cov, rows, cat_col = group
        name_col = j0 if f0.col > 0 and table.rows[r0][j0].value is None and j0 != cat_col else _name_column(table, width, label_cols, cat_col)
        cells = [(r, name_col) for r in rows]
        items = [value_cell(table, r, name_col).text for r in rows]
        kind = "list"
        cat_focus = focus_cov(_terms(table.rows[rows[0]][cat_col].text))
        f0 = replace(f0, focus=max(f0.focus, cat_focus), row=max(f0.row, cat_cov))
        score += 0.15 * cat_focus + 0.05
    elif (
        table.layout == "grid"
        and f0.row > 0
        and not (single_value and f0.year > 0)
        and ((f0.col == 0 and f0.focus == 0) or (focus and focus <= own_title and not scorer.focus_coverage(focus, leaf_terms[j0])))
    ):
        # the question names a row and the table itself ("산출근거는?"): the whole row answers
        kind = "row"
        cells = [(r0, j) for j in range(width) if j not in label_cols and re.search(r"[0-9A-Za-z가-힣]", value_cell(table, r0, j).text)
                 and (not scorer.q.years or not col_years[j] or col_years[j] & set(scorer.q.years))]
        cells.sort(key=lambda rc: value_cell(table, *rc).value is None)  # the amount first
    if len(cells) > 1 and typed_q:  # several answering cells: the best-typed one speaks for the answer
        f0 = replace(f0, typed=max(_typed(value_cell(table, r, j).text, qtypes, value_cell(table, r, j), scorer.q.text) for r, j in cells))
    return TableMatch(hit.chunk.doc_id, table, hit, cells, rows, kind, score, f0, items)


def _list_by_header(
    hit: Hit,
    table: Table,
    width: int,
    columns: list[str],
    col_terms: list[set[str]],
    label_cols: set[int],
    scorer: EvidenceScorer,
    title_terms: set[str],
    focus_cov,
    year: float,
    retrieval: float,
    wants_list: bool,
) -> TableMatch | None:
    if table.layout == "transposed" and col_terms[0]:
        col_cov = scorer.coverage(col_terms[0])
        foc = focus_cov(col_terms[0])
        if col_cov > 0 and (wants_list or foc > 0):
            heads = [c for c in columns[1:] if c]
            cov = scorer.coverage(col_terms[0] | title_terms)
            f = Evidence(cover=cov, col=col_cov, row=0.0, year=year, typed=0.5, retrieval=retrieval, own=col_cov, focus=foc,
                     core=scorer.core_coverage(col_terms[0] | title_terms))
            bonus = 0.2 if foc >= 1.0 else 0.05  # the question asks exactly for the header ("분과는?")
            return TableMatch(hit.chunk.doc_id, table, hit, [(-1, j) for j in range(1, width)], [], "header", 0.5 * cov + 0.15 * col_cov + 0.25 * year + 0.1 * 0.5 + 0.1 * retrieval + 0.15 * foc + bonus, f, heads)
    if table.layout != "grid":
        return None
    for j in sorted(label_cols):
        col_cov = scorer.coverage(col_terms[j])
        foc = focus_cov(col_terms[j])
        if col_cov <= 0 or foc < 1.0:
            continue
        rows = [r for r in range(len(table.rows)) if table.rows[r][j].text and not table.rows[r][j].inherited
                and table.row_label(r).replace(" ", "") not in TOTAL_LABELS]
        if len(rows) < 2:
            continue
        items = [table.rows[r][j].text for r in rows]
        cov = scorer.coverage(col_terms[j] | title_terms)
        f = Evidence(cover=cov, col=col_cov, row=0.0, year=year, typed=0.5, retrieval=retrieval, own=col_cov, focus=foc,
                     core=scorer.core_coverage(col_terms[j] | title_terms))
        bonus = 0.2 if foc >= 1.0 else 0.05
        return TableMatch(hit.chunk.doc_id, table, hit, [(r, j) for r in rows], rows, "list", 0.5 * cov + 0.15 * col_cov + 0.25 * year + 0.1 * 0.5 + 0.1 * retrieval + 0.15 * foc + bonus, f, items)
    return None


def _category_rows(
    table: Table, width: int, label_cols: set[int], scorer: EvidenceScorer, title_terms: set[str]
) -> tuple[float, list[int], int] | None:
    """Rows sharing the category value the question names (구분 "전략사업", 주관부서 "자치행정과"):
    ``(coverage, rows, column)`` when two or more rows share the best-matching value."""
    best: tuple[float, list[int], int] | None = None
    for j in range(width):
        col = table.columns[j] if j < len(table.columns) else ""
        if not ((j in label_cols and j > 0) or any(w in col for w in CATEGORY_COLUMN_WORDS)):
            continue
        groups: dict[str, list[int]] = {}
        for r, row in enumerate(table.rows):
            if j < len(row) and row[j].text and table.row_label(r).replace(" ", "") not in TOTAL_LABELS:
                groups.setdefault(row[j].text, []).append(r)
        for value, rows in groups.items():
            cov = scorer.coverage(_terms(value) - title_terms)
            if len(rows) >= 2 and cov >= 0.15 and (best is None or cov > best[0]):
                best = (cov, rows, j)
    return best


def _after_name(row: Sequence[Cell], j: int) -> bool:
    """A value standing alone after a text cell belongs to it ("배덕환 | 2133-6650")."""
    return j > 0 and bool(row[j - 1].text) and row[j - 1].value is None and len(row[j - 1].text) <= 30


def _label_columns(table: Table, width: int) -> set[int]:
    """Leading columns that name the row (text, not values)."""
    if table.layout == "keyvalue":
        return {0}
    cols = {0}
    for j in range(1, min(width, 3)):
        texts = [r[j].text for r in table.rows if j < len(r) and r[j].text]
        if texts and all(table.rows[i][j].value is None for i in range(len(table.rows)) if j < len(table.rows[i])) and j - 1 in cols:
            label = table.columns[j] if j < len(table.columns) else ""
            if any(w in label.replace(" ", "") for w in LABEL_COLUMN_WORDS) or not label:
                cols.add(j)
    return cols


def _name_column(table: Table, width: int, label_cols: set[int], exclude: int | None = None) -> int:
    """The column that names the rows best: the text column with the longest entries."""
    best, best_len = 0, -1.0
    for j in range(width):
        if j == exclude or any(w in (table.columns[j] if j < len(table.columns) else "") for w in ("부서", "비고")):
            continue
        texts = [r[j].text for r in table.rows if j < len(r) and r[j].text and r[j].value is None]
        if len(texts) < max(1, len(table.rows) // 2):
            continue
        avg = sum(len(t) for t in texts) / len(texts)
        if avg > best_len:
            best, best_len = j, avg
    return best
