"""Compare the text our HWPX reader gives with Hancom's own text export, ``Preview/PrvText.txt``,
inside each .hwpx (Hancom writes it on save: the document's text with table cells as ``<cell>``,
cut after about a thousand characters).

Usage: ``python eval/formats/compare_prvtext.py [FOLDER] [--sample 30]`` (default ../shared/seoul-docs,
every n-th file so the sample spreads over the folder). For each file it prints how much of
Hancom's text our text covers, in order, and the pieces each side has that the other does not;
the summary is what eval/formats-notes.md reports.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from assistant.ingest.readers import render_blocks  # noqa: E402
from assistant.ingest.readers.hwpx import read_hwpx  # noqa: E402


def hancom_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("Preview/PrvText.txt").decode("utf-8", errors="replace")


def _squeeze(text: str) -> str:
    """Text without the cell brackets, markup and white space, to compare characters in order."""
    text = re.sub(r"<li>", "", text)
    text = re.sub(r"^#{1,6} ", "", text, flags=re.M)
    return re.sub(r"[\s<>]", "", text)


def compare(path: Path) -> dict:
    theirs = _squeeze(hancom_text(path))
    ours_full = _squeeze(render_blocks(read_hwpx(path))[0])
    # Hancom's preview stops after ~1k characters: compare against the stretch of ours it covers
    matcher = difflib.SequenceMatcher(None, theirs, ours_full, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size]
    end = (blocks[-1].b + blocks[-1].size) if blocks else 0
    ours = ours_full[:end]
    matcher = difflib.SequenceMatcher(None, theirs, ours, autojunk=False)
    only_theirs: list[str] = []
    only_ours: list[str] = []
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op in ("delete", "replace") and a1 > a0:
            only_theirs.append(theirs[a0:a1])
        if op in ("insert", "replace") and b1 > b0:
            only_ours.append(ours[b0:b1])
    same = sum(b.size for b in matcher.get_matching_blocks())
    return {
        "file": path.name,
        "theirs": len(theirs),
        "covered": same / max(1, len(theirs)),
        "only_theirs": only_theirs,
        "only_ours": only_ours,
        "ours_total": len(ours_full),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", nargs="?", default=str(ROOT.parent / "shared" / "seoul-docs"))
    ap.add_argument("--sample", type=int, default=30)
    args = ap.parse_args(argv)
    files = sorted(Path(args.folder).glob("*.hwpx"))
    if not files:
        print(f"no .hwpx files in {args.folder}", file=sys.stderr)
        return 1
    step = max(1, len(files) // args.sample)
    sample = files[::step][: args.sample]
    results = [compare(p) for p in sample]
    for r in results:
        print(f"{r['file']}: Hancom {r['theirs']} chars, {r['covered']:.1%} of them in ours, in order (ours: {r['ours_total']} chars in all)")
        for label, pieces in (("  only Hancom:", r["only_theirs"]), ("  only ours:  ", r["only_ours"])):
            shown = [p[:40] for p in pieces if len(p) > 1][:6]
            if shown:
                print(label, " | ".join(shown))
    covered = sum(r["covered"] * r["theirs"] for r in results) / max(1, sum(r["theirs"] for r in results))
    print(f"\n{len(results)} files: {covered:.2%} of Hancom's preview characters found in our text, in order")
    return 0


if __name__ == "__main__":
    sys.exit(main())
