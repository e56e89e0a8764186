"""Measure the chosen readers and the candidates they were picked over (not a test).

Usage: ``python tests/formats/bench_readers.py [--repeat N] [--scale K]``. Prints a markdown
table: median time per file, share of the sample's strings found in the output (Korean
text and table cells, whitespace-normalised), and whether table grids come out exactly.
``--scale K`` also measures a document made of K copies of the sample.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import re
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).resolve().parent)]
import make_fixtures
from sample_content import ITEMS, Item, grid, tables

from assistant.ingest.readers.docx import read_docx
from assistant.ingest.readers.hwp import read_hwp
from assistant.ingest.readers.hwpx import read_hwpx
from assistant.ingest.readers.pdf import read_pdf
from assistant.ingest.readers.raw import RawDocument

log = logging.getLogger("bench")


def norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def expected_strings() -> list[str]:
    out = [i.text for i in ITEMS if i.kind in ("heading", "paragraph")]
    for t in tables():
        out += [c for row in grid(t) for c in row if c]
    return [norm(s) for s in out]


def raw_text(doc: RawDocument) -> str:
    return "".join(b.text + "".join("".join(r) for r in b.rows) for b in doc.blocks)


def grids_exact(doc: RawDocument) -> bool:
    got = [[[norm(c) for c in r] for r in b.rows] for b in doc.blocks if b.kind == "table"]
    return got == [[[norm(c) for c in r] for r in grid(t)] for t in tables()]


# --------------------------------------------------------------------------- candidates


def pypdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "".join(p.extract_text() or "" for p in PdfReader(path).pages)


def pypdfium2_text(path: Path) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return "".join(pdf[i].get_textpage().get_text_bounded() for i in range(len(pdf)))
    finally:
        pdf.close()


def pdfminer_text(path: Path) -> str:
    from pdfminer.high_level import extract_text

    return extract_text(str(path))


def python_hwpx_text(path: Path) -> str:
    from hwpx import HwpxDocument
    from hwpx.tools.exporter import export_markdown

    return export_markdown(HwpxDocument.open(str(path)))


CandidateFn = Callable[[Path], object]


def candidates() -> list[tuple[str, str, str, CandidateFn]]:
    """(format, name, licence, function) for every measured reader."""
    rows: list[tuple[str, str, str, CandidateFn]] = [
        ("pdf", "pdfplumber (chosen)", "MIT", read_pdf),
        ("pdf", "pypdf extract_text", "BSD-3", pypdf_text),
        ("pdf", "pypdfium2 get_text_bounded", "Apache-2.0/BSD-3", pypdfium2_text),
        ("pdf", "pdfminer.six extract_text", "MIT", pdfminer_text),
        ("hwpx", "own zipfile+ElementTree (chosen)", "-", read_hwpx),
        ("hwp", "own olefile+zlib records (chosen)", "olefile BSD", read_hwp),
        ("docx", "python-docx (chosen)", "MIT", read_docx),
    ]
    if importlib.util.find_spec("hwpx") is not None:
        rows.insert(5, ("hwpx", "python-hwpx export_markdown", "Apache-2.0", python_hwpx_text))
        rows.append(("hwp", "python-hwpx open+export_markdown", "Apache-2.0", python_hwpx_text))
    return rows


def measure(fn: CandidateFn, path: Path, repeat: int) -> tuple[float, object]:
    times = []
    result: object = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn(path)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, result


def make_files(out: Path, scale: int) -> dict[str, Path]:
    """Sample files, with the content repeated ``scale`` times (page break between copies)."""
    out.mkdir(parents=True, exist_ok=True)
    original = make_fixtures.ITEMS
    try:
        if scale > 1:
            make_fixtures.ITEMS = tuple(original) + tuple(
                x for _ in range(scale - 1) for x in (Item("pagebreak"), *original)
            )
        make_fixtures.make_pdfs(out)
        make_fixtures.write_docx(out / "sample.docx")
        make_fixtures.write_hwpx(out / "sample.hwpx")
        make_fixtures.write_hwp(out / "sample.hwp")
    finally:
        make_fixtures.ITEMS = original
    return {f: out / f"sample.{f}" for f in ("pdf", "hwpx", "hwp", "docx")}


def pages(path: Path) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--scale", type=int, default=20)
    args = ap.parse_args()
    want = expected_strings()
    with tempfile.TemporaryDirectory() as tmp:
        small = make_files(Path(tmp) / "x1", 1)
        large = make_files(Path(tmp) / f"x{args.scale}", args.scale)
        log.info("sample: %d PDF pages; x%d: %d PDF pages", pages(small["pdf"]), args.scale, pages(large["pdf"]))
        log.info("| format | reader | licence | ms/file (x1) | ms/file (x%d) | strings found | tables exact |", args.scale)
        log.info("|---|---|---|---|---|---|---|")
        for fmt, name, licence, fn in candidates():
            ms, result = measure(fn, small[fmt], args.repeat)
            ms_large, _ = measure(fn, large[fmt], max(1, args.repeat // 2))
            text = norm(raw_text(result) if isinstance(result, RawDocument) else str(result))
            found = sum(s in text for s in want)
            exact = grids_exact(result) if isinstance(result, RawDocument) else "n/a (no grid)"
            log.info(
                "| %s | %s | %s | %.0f | %.0f | %d/%d | %s |",
                fmt, name, licence, ms, ms_large, found, len(want), exact,
            )
        with zipfile.ZipFile(small["hwpx"]) as z:
            log.info("sample.hwpx parts: %s", ", ".join(z.namelist()))


if __name__ == "__main__":
    main()
