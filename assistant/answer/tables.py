"""Table candidates: every cell a question may point at in the retrieved tables, with the
features of its row, column and table context, and the table answer a chosen cell expands to.

A question names a row ("계", "2019", "영등포형 돌봄 네트워크 추진"), a column ("2022예산액",
"집행액", "주관부서") or both, and sometimes the table itself ("산출근거"); it may ask for the
table's header row ("분과는?") or a label column ("사업추진절차는?") as a list. Which cell answers
is the ranker's decision; how the chosen cell grows into an answer (the other columns the question
names, the rows of a category, the whole row) is :func:`expand`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..ingest import kv_fields, own_label
from ..ingest import terms as content_terms
from ..ingest import years as years_in_text
from ..lexicon import CATEGORY_COLUMN_WORDS, LABEL_COLUMN_WORDS, TOTAL_LABELS, masked
from ..records import Cell, Evidence, Hit, Table
from ..search import typed_kinds
from .evidence import EvidenceScorer
from .features import Question, unit_typed
from .values import type_spans

LONG_CELL = 80  # longer cells are prose: sentences answer better than the whole cell


@dataclass
class TableMatch:
    """A table answer: the answering cells, the rows to show, and how it reads."""

    doc_id: str
    table: Table
    hit: Hit
    cells: list[tuple[int, int]]  # answering cells (row, column); row -1 is the header
    rows: list[int]  # rows to show
    kind: str  # "cell", "row", "list" or "header"
    score: float
    features: Evidence = field(default_factory=Evidence)
    items: list[str] = field(default_factory=list)


def _terms(text: str) -> set[str]:
    return set(content_terms(text)) if text.strip() else set()


def _leaf(label: str) -> str:
    return label.split(" / ")[-1]


def value_cell(table: Table, r: int, j: int) -> Cell:
    """A transposed table's row with one value spans all columns."""
    cell = table.rows[r][j]
    if not cell.text and table.layout == "transposed" and j > 1:
        row = table.rows[r]
        if row[1].text and not any(c.text for c in row[2:]):
            return row[1]
    return cell


def cell_typed(text: str, kinds: Sequence[str], cell: Cell, question: str) -> float:
    """1 when the cell holds what the question asks for (a number for "얼마", a date for "언제"),
    less for a weaker form (an amount inside text); 0.5 for untyped questions."""
    checked = typed_kinds(kinds)
    if not checked:
        return 0.5
    if cell.value is not None:
        money = bool(cell.unit) and cell.unit.endswith("원")
        # "몇 곳" is not answered by a sum of money, nor "얼마" by a head count
        if ("amount" in checked and (money or cell.unit in (None, "%"))) or ("count" in checked and not money):
            return 1.0
    return unit_typed(text, checked, question)


class TableView:
    """A retrieved table as one question sees it: the words and years of its columns and rows,
    its label columns, the rows and columns the question quotes."""

    def __init__(self, hit: Hit, table: Table, context_terms: set[str], q: Question):
        self.hit, self.table, self.q = hit, table, q
        scorer = q.scorer
        self.width = max((len(r) for r in table.rows), default=0)
        self.title_terms = _terms(table.title) | context_terms
        self.own_title = _terms(table.title)
        self.ctx_years = set(years_in_text(" ".join((table.title, *hit.chunk.heading_path))))
        self.header_years = set(years_in_text(" ".join(table.columns)))
        self.columns = [table.columns[j] if j < len(table.columns) else "" for j in range(self.width)]
        self.col_terms = [_terms(c) for c in self.columns]
        self.leaf_terms = [_terms(_leaf(c)) for c in self.columns]
        self.col_years = [set(years_in_text(c)) for c in self.columns]
        self.label_cols = _label_columns(table, self.width)
        self.row_years = [set(years_in_text(" ".join(r[j].text for j in self.label_cols if j < len(r)))) for r in table.rows]
        self.table_years = self.header_years | set().union(*self.row_years) | self.ctx_years
        self.rows_terms = [
            scorer.with_entities(" ".join(c.text for c in row), set().union(*(_terms(c.text) for c in row if c.value is None and len(c.text) <= LONG_CELL)))
            for row in table.rows
        ]
        q_flat = re.sub(r"\s+", "", scorer.q.text)
        self.quoted = [any(len(c.text) >= 4 and c.value is None and re.sub(r"\s+", "", c.text) in q_flat for c in row) for row in table.rows]
        # a column named verbatim ("차년이월액" names 차년이월, "예산집행금액")
        self.quoted_cols = [len(_leaf(c).replace(" ", "")) >= 3 and re.sub(r"\s+|\(.*?\)", "", _leaf(c)) in q_flat for c in self.columns]

    def focus_cov(self, terms: set[str]) -> float:
        focus = self.q.focus
        return self.q.scorer.focus_coverage(focus, terms | self.own_title) if focus else 0.0

    def year_of(self, years: set[int]) -> float:
        asked = set(self.q.scorer.q.years)
        if not years and len(asked) >= 2 and asked <= self.header_years:
            return 1.0  # "2021년 대비 2022년": a column between the two years' columns (증감)
        y = self.q.scorer.year_agreement(years)
        if y == 0.0 and asked and self.table_years and not asked & self.table_years:
            return -1.0  # the table covers other years only
        return y


@dataclass
class TableCandidate:
    """A cell (or a listing of the header row or a label column) that may answer the question."""

    view: TableView
    kind: str  # "cell", "header" (the header row as a list) or "column" (a label column as a list)
    r: int
    j: int
    leaf: set[str]  # the words naming the cell (its column, or its label)
    features: Evidence
    p: float = 0.0  # the ranker's probability

    @property
    def hit(self) -> Hit:
        return self.view.hit

    @property
    def place(self) -> str:
        """Where it stands: its document, table and row."""
        return f"{self.view.hit.chunk.doc_id}|t{self.view.table.index}|r{self.r}"

    @property
    def text(self) -> str:
        if self.kind != "cell":
            return " ".join(self.view.columns[1:]) if self.kind == "header" else " ".join(r[self.j].text for r in self.view.table.rows)
        return value_cell(self.view.table, self.r, self.j).text


def table_candidates(view: TableView) -> list[TableCandidate]:
    """Every cell of the table that may answer, and the header row or a label column as a list."""
    q, table = view.q, view.table
    if not table.rows:
        return []
    scorer = q.scorer
    base = {**q.base(), **q.found(view.hit), **q.document(view.hit.chunk.doc_id)}
    out = _listings(view, base)
    kv_rows = [{v: k for k, v in kv_fields(row) if v is not None} for row in table.rows] if table.layout == "keyvalue" else []
    kv_pairs = [sum(1 for k in fields.values() if k is not None) for fields in kv_rows]
    title_flat = re.sub(r"\s+", "", view.hit.chunk.title)
    for r, row in enumerate(table.rows):
        is_total = table.row_label(r).replace(" ", "") in TOTAL_LABELS
        # a merged label ("사무관리비" over three breakdown rows) names a group, not this row
        merged = table.layout == "grid" and sum(1 for other in table.rows if other and row and other[0].text == row[0].text) > 1
        for j in range(view.width):
            if (j in view.label_cols and table.layout == "grid") or (table.layout == "transposed" and j == 0):
                continue
            cell = value_cell(table, r, j)
            if not cell.text or len(cell.text) > LONG_CELL or not (re.search(r"[0-9A-Za-z가-힣]", cell.text) or masked(cell.text)):
                continue
            if re.sub(r"\s+", "", cell.text) == title_flat:
                continue  # a cell holding the document's title answers nothing
            own = own_label(cell.text)
            row_t = view.rows_terms[r]
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
                cterms = view.col_terms[j] | (_terms(own) if own else set())
                leaf = view.leaf_terms[j] | (_terms(own) if own else set())
            header_years = view.header_years
            year = view.year_of(view.col_years[j] | view.row_years[r] | (view.ctx_years if len(header_years) <= 1 else set())
                                | (header_years if len(header_years) == 1 else set()))
            foc = view.focus_cov(leaf | (_terms(row[0].text) if table.layout == "transposed" else set()))
            if q.typed_q:
                foc = max(foc, view.focus_cov(row_t))  # "세종시청에는 몇 시에": the row names the place
            row_beyond = scorer.coverage_beyond(row_t, cterms | view.title_terms)  # what only this row explains
            if merged:
                row_beyond = min(row_beyond, scorer.coverage_beyond(row_t, _terms(row[0].text) | view.title_terms))
            evidence = " ".join([table.title, view.hit.chunk.context, view.columns[j], cell.text, table.row_label(r)])
            f = Evidence(
                field=float(table.layout == "keyvalue"), cell=float(table.layout != "keyvalue"),
                cover=scorer.coverage(cterms | row_t | view.title_terms), own=max(scorer.coverage(leaf), row_beyond),
                core=scorer.core_coverage(cterms | row_t | view.title_terms), focus=foc, col=scorer.coverage(leaf), row=row_beyond,
                quoted_row=float(view.quoted[r]), quoted_col=float(view.quoted_cols[j]),
                novel=float(re.sub(r"\s+", "", cell.text) not in re.sub(r"\s+", "", scorer.q.text)),
                typed=cell_typed(cell.text, q.kinds, cell, scorer.q.text), value=float(cell.value is not None), year=year,
                masked=float(masked(cell.text)), unit_dense=view.hit.dense, depth=1.0, total=float(is_total), merged=float(merged),
                length=math.log2(1 + len(cell.text)), **base, **q.gaps(evidence),
            )
            out.append(TableCandidate(view, "cell", r, j, leaf, f))
    return out


def _listings(view: TableView, base: dict[str, float]) -> list[TableCandidate]:
    """The header row of a sideways table ("분과는?") or a label column ("사업추진절차는?") as a list."""
    q, table, scorer = view.q, view.table, view.q.scorer
    year = view.year_of(view.ctx_years | view.header_years)
    out: list[TableCandidate] = []

    def listing(kind: str, j: int, col_cov: float, foc: float) -> TableCandidate:
        terms = view.col_terms[j] | view.title_terms
        f = Evidence(listing=1.0, cover=scorer.coverage(terms), own=col_cov, core=scorer.core_coverage(terms), focus=foc, col=col_cov,
                     typed=0.5, year=year, novel=1.0, unit_dense=view.hit.dense, depth=0.0, **base)
        return TableCandidate(view, kind, -1, j, view.col_terms[j], f)

    if table.layout == "transposed" and view.col_terms[0]:
        col_cov = scorer.coverage(view.col_terms[0])
        foc = view.focus_cov(view.col_terms[0])
        if col_cov > 0 and (q.wants_list or foc > 0):
            out.append(listing("header", 0, col_cov, foc))
    if table.layout == "grid":
        for j in sorted(view.label_cols):
            col_cov = scorer.coverage(view.col_terms[j])
            foc = view.focus_cov(view.col_terms[j])
            if col_cov <= 0 or foc <= 0:
                continue
            if len(_listed_rows(table, j)) >= 2:
                out.append(listing("column", j, col_cov, foc))
    return out


def _listed_rows(table: Table, j: int) -> list[int]:
    return [r for r in range(len(table.rows)) if table.rows[r][j].text and not table.rows[r][j].inherited
            and table.row_label(r).replace(" ", "") not in TOTAL_LABELS]


def expand(best: TableCandidate, candidates: Sequence[TableCandidate]) -> TableMatch:
    """The table answer the chosen candidate grows into: the other columns of its row the
    question names ("최종예산과 집행액"), one cell per asked kind ("몇 시에 어디서"), the amount
    beside a description, the rows of the category the question names ("전략사업은?"), or the
    whole row when the question names the row and the table itself ("산출근거는?")."""
    view, table = best.view, best.view.table
    q, scorer = view.q, view.q.scorer
    hit = view.hit
    if best.kind == "header":
        heads = [c for c in view.columns[1:] if c]
        return TableMatch(hit.chunk.doc_id, table, hit, [(-1, j) for j in range(1, view.width)], [], "header", best.p, best.features, heads)
    if best.kind == "column":
        rows = _listed_rows(table, best.j)
        items = [table.rows[r][best.j].text for r in rows]
        return TableMatch(hit.chunk.doc_id, table, hit, [(r, best.j) for r in rows], rows, "list", best.p, best.features, items)
    r0, j0, f0 = best.r, best.j, best.features
    focus = q.focus
    typed_q = typed_kinds(q.kinds)
    cells = [(r0, j0)]
    kind = "cell"

    def focus_words(terms: set[str]) -> set[str]:
        return {w for w in focus if scorer.focus_coverage({w}, terms) > 0}

    def asked_words(terms: set[str]) -> set[str]:
        return {w for w in scorer.weights if scorer.has(w, terms)}

    # more columns of the same row that the question names ("최종예산과 집행액", "사업비와 주관부서")
    best_focus, best_asked = focus_words(best.leaf), asked_words(best.leaf)
    same_table = [c for c in candidates if c.view is view and c.kind == "cell" and c is not best]
    for c in sorted(same_table, key=lambda c: -c.p):
        r, j, f = c.r, c.j, c.features
        if r != r0 or j == j0 or (r, j) in cells or f.year < 0 or table.layout == "transposed":
            continue
        if view.col_years[j0] and not view.col_years[j] & view.col_years[j0]:
            continue  # not the 합계 beside "2019년"
        # the column itself must be named, with a question word the best column does not name
        # ("최종예산과 집행액"): the table's title ("예산 총괄") names every column, and "집행액"
        # does not name 집행잔액 or 확보액
        named = bool(focus_words(c.leaf) - best_focus) or (f.col > 0 and f.col >= f0.col / 2 and bool(asked_words(c.leaf) - best_asked))
        if named and not (view.leaf_terms[j] and view.leaf_terms[j] <= view.leaf_terms[j0]):
            cells.append((r, j))
    if len(typed_q) > 1:  # "몇 시에 어디서": one cell per asked type, in the row (or a transposed column)
        for t in typed_q:
            if any(type_spans(value_cell(table, r, j).text, t) for r, j in cells):
                continue
            spots = [(r0, j) for j in range(1, view.width)] if table.layout != "transposed" else [(r, j0) for r in range(len(table.rows))]
            for r, j in spots:
                if (r, j) not in cells and type_spans(value_cell(table, r, j).text, t):
                    cells.append((r, j))
                    break
    if q.change and table.layout == "grid":
        # "얼마에서 얼마로": the other values of the row (before and after)
        cells += [(r0, j) for j in range(view.width) if (r0, j) not in cells and j not in view.label_cols and table.rows[r0][j].value is not None]
    elif "amount" in typed_q and value_cell(table, r0, j0).value is None and table.layout == "grid":
        # "○ 자문회의 운영 400,000원*4회" explains an amount kept in another column of the row
        cells += [(r0, j) for j in range(view.width) if (r0, j) not in cells and j not in view.label_cols and table.rows[r0][j].value is not None]
    rows = [r0]
    items: list[str] = []
    group = _category_rows(table, view.width, view.label_cols, scorer, view.title_terms)
    single_value = bool(typed_q) and f0.typed >= 1.0 and not q.wants_list  # "사무관리비는 얼마?": one number
    in_group = bool(group) and r0 in group[1]
    beyond = scorer.coverage_beyond(view.rows_terms[r0], (_terms(table.rows[r0][group[2]].text) if group else set()) | view.title_terms) if in_group else 1.0
    if group and table.layout == "grid" and not single_value and (q.wants_list or (in_group and beyond == 0.0) or group[0] >= f0.row):
        # several rows share the category the question names: "전략사업은?", "자치행정과가 주관하는 사업은?"
        _cov, rows, cat_col = group
        name_col = j0 if f0.col > 0 and table.rows[r0][j0].value is None and j0 != cat_col else _name_column(table, view.width, view.label_cols, cat_col)
        cells = [(r, name_col) for r in rows]
        items = [value_cell(table, r, name_col).text for r in rows]
        kind = "list"
    elif (
        table.layout == "grid"
        and f0.row > 0
        and not (single_value and f0.year > 0)
        and ((f0.col == 0 and f0.focus == 0) or (focus and focus <= view.own_title and not scorer.focus_coverage(focus, view.leaf_terms[j0])))
    ):
        # the question names a row and the table itself ("산출근거는?"): the whole row answers
        kind = "row"
        cells = [(r0, j) for j in range(view.width) if j not in view.label_cols and re.search(r"[0-9A-Za-z가-힣]", value_cell(table, r0, j).text)
                 and (not scorer.q.years or not view.col_years[j] or view.col_years[j] & set(scorer.q.years))]
        cells.sort(key=lambda rc: value_cell(table, *rc).value is None)  # the amount first
    return TableMatch(hit.chunk.doc_id, table, hit, cells, rows, kind, best.p, f0, items)


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
