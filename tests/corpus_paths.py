"""Paths and document ids of the shipped corpus, shared by the tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
DISTRACTORS = ROOT / "eval" / "distractors"
QUESTIONS = ROOT / "eval" / "questions"
SEOUL = ROOT.parent / "shared" / "seoul-docs"  # the 294 real Seoul documents, beside the clone (CI and here)


DOC = {
    "budget": "000_33470acb73f39a7c.txt",
    "press": "001_d86cdf688576ea86.txt",
    "balance": "002_2d3e316fee31a065.txt",
    "performance": "003_7db7dd7cdc47c19d.txt",
    "meeting": "004_84aef13ff2facef5.txt",
}
