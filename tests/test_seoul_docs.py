"""Metadata of the 294 real Seoul city-hall documents (../shared/seoul-docs, native HWPX) against
their MANIFEST.tsv: title, document number, date (시행일) and department must be right for at
least 98 % of them; the 공문서 kind is checked against the kind the manifest's title evidently
states. Skipped when the documents are not beside the repository.

The department: the 처리과 of the document number, under the office above it as the documents
of that 처리과 name it (see ``assistant.ingest.department_of``; the store applies the same rule
across an index). The figures are printed (``pytest -s``)."""

from __future__ import annotations

import csv
import re
from collections import Counter

import pytest
from corpus_paths import ROOT

from assistant.ingest import department_of, load_document

SEOUL = ROOT.parent / "shared" / "seoul-docs"
pytestmark = pytest.mark.skipif(not (SEOUL / "MANIFEST.tsv").is_file(), reason="../shared/seoul-docs is not there")


@pytest.fixture(scope="module")
def seoul():
    rows = list(csv.DictReader((SEOUL / "MANIFEST.tsv").open(encoding="utf-8"), delimiter="\t"))
    docs = {r["file"]: load_document(SEOUL / r["file"]) for r in rows}
    written: dict[str, list[tuple[str, str | None]]] = {}
    for d in docs.values():
        written.setdefault(d.office, []).append((d.department, d.date))
    departments = {f: department_of(d.office, d.department, written.get(d.office, [])) for f, d in docs.items()}
    return rows, docs, departments


def _same(a: str, b: str) -> bool:
    return re.sub(r"\s+", "", a) == re.sub(r"\s+", "", b)


def test_metadata_against_the_manifest(seoul):
    rows, docs, departments = seoul
    n = len(rows)
    assert n == 294
    wrong: dict[str, list[str]] = {"title": [], "number": [], "date": [], "department": []}
    numbered = [r for r in rows if r["doc_number"]]
    for r in rows:
        d = docs[r["file"]]
        if not _same(d.title, r["title"]):
            wrong["title"].append(f"{r['file']}: {d.title!r} != {r['title']!r}")
        if r["doc_number"] and d.number != r["doc_number"]:
            wrong["number"].append(f"{r['file']}: {d.number!r} != {r['doc_number']!r}")
        if d.date != r["date"]:
            wrong["date"].append(f"{r['file']}: {d.date!r} != {r['date']!r}")
        if departments[r["file"]] != r["department"]:
            wrong["department"].append(f"{r['file']}: {departments[r['file']]!r} != {r['department']!r}")
    totals = {"title": n, "number": len(numbered), "date": n, "department": n}
    accuracy = {k: 1 - len(v) / totals[k] for k, v in wrong.items()}
    print("\nmetadata accuracy on the Seoul documents:")
    for k, v in wrong.items():
        print(f"  {k:<10} {accuracy[k]:.1%} ({totals[k] - len(v)}/{totals[k]})")
        for line in v:
            print("     ", line)
    unnumbered = [r for r in rows if not r["doc_number"]]
    read = sum(1 for r in unnumbered if docs[r["file"]].number)
    print(f"  documents the manifest gives no number (민원답변): {len(unnumbered)}, number read from their 시행 line: {read}")
    for k, value in accuracy.items():
        assert value >= 0.98, f"{k}: {value:.1%}\n" + "\n".join(wrong[k])


def _evident_kind(title: str) -> str | None:
    """The kind a title plainly states (the bracketed tag or its last word); None when it does not."""
    t = re.sub(r"(\s*[(\[][^()\[\]]*[)\]])+\s*$", "", title).strip()
    if title.startswith("[회신]") or t.endswith("회신"):
        return "reply"
    if title.startswith(("[민원답변]", "[민원 협조답변]", "[민원답변]]")):
        return "complaint_reply"
    for kind, ends in (("payment", ("지급", "반납품의", "추가지급")), ("plan", ("계획",)), ("result_report", ("결과 보고", "결과")),
                       ("request", ("요청",)), ("submission", ("제출",)), ("notice", ("통지서", "통보서", "통보"))):
        if t.endswith(ends):
            return kind
    return None


def test_kinds_against_what_the_titles_state(seoul):
    rows, docs, _ = seoul
    assert all(d.doc_type == "official" for d in docs.values())
    confusion: Counter[tuple[str, str]] = Counter()
    for r in rows:
        evident = _evident_kind(r["title"])
        if evident is not None:
            confusion[(evident, docs[r["file"]].kind)] += 1
    labelled = sum(confusion.values())
    agree = sum(n for (a, b), n in confusion.items() if a == b)
    print(f"\nkinds: {agree}/{labelled} agree with the kind the title states ({len(rows) - labelled} titles state none)")
    for (a, b), n in sorted(confusion.items()):
        print(f"  {a:<16} → {b:<16} {n}")
    print("  all kinds:", dict(Counter(d.kind for d in docs.values()).most_common()))
    assert labelled >= 250 and agree / labelled >= 0.97


def test_tables_and_masked_values(seoul):
    _, docs, _ = seoul
    tables = [t for d in docs.values() for t in d.tables]
    masked_cells = sum(1 for t in tables for r in t.rows for c in r if c.masked)
    with_masks = sum(1 for d in docs.values() if d.masked)
    signers = sum(1 for d in docs.values() if any(a.role == "drafter" for a in d.approvals) and any(a.role == "approver" for a in d.approvals))
    refs = sum(len(d.references) for d in docs.values())
    print(f"\ntables: {len(tables)} in {sum(1 for d in docs.values() if d.tables)} documents; masked cells {masked_cells}; "
          f"documents with masked text {with_masks}; 결재 line with drafter and approver {signers}; references {refs}")
    assert signers >= 290
    # published in part (부분공개): most mask values in the text, the others withheld an attachment
    assert sum(1 for d in docs.values() if d.disclosure.startswith("부분공개")) >= 290
    assert with_masks >= 200 and masked_cells >= 500
