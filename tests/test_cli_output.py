"""What the command line shows while it indexes: progress with counts, a summary in counts (names
with --verbose), and `make run PORT=…`."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from corpus_paths import ROOT

from assistant.app.cli import _Bars, main


def test_progress_without_a_terminal_is_a_few_lines_with_counts() -> None:
    out = io.StringIO()
    bars = _Bars(True, stream=out)
    for done in range(721):
        bars("parse", done, 720)
    bars("bm25", 0, 1)
    lines = out.getvalue().splitlines()
    assert lines[0] == "  문서 분석 0/720" and lines[-2] == "  문서 분석 720/720" and lines[-1] == "  검색어 색인…"
    assert 10 <= len(lines) <= 13  # a line at every tenth, not 720 of them
    assert all("/720" in x for x in lines[:-1])


def _corpus(folder, n: int) -> None:
    folder.mkdir()
    for i in range(n):
        (folder / f"plan_{i:02d}.txt").write_text(
            f"청년 일자리 지원 계획 {i}\n\n□ 추진 개요\n○ 사업명: 청년 일자리 지원 {i}단계\n○ 예산: {(i + 1) * 100:,}천원\n", encoding="utf-8")
    (folder / "empty.txt").write_text("", encoding="utf-8")


def test_the_build_summary_counts_instead_of_naming_every_file(tmp_path, capsys, monkeypatch) -> None:
    corpus = tmp_path / "corpus"
    _corpus(corpus, 12)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ASSISTANT_PATHS_CACHE", str(tmp_path / "cache" / "emb.sqlite"))
    assert main(["index", "--corpus", str(corpus), "--index", "idx"]) == 0
    captured = capsys.readouterr()
    assert "색인 완료: 문서 12개" in captured.out and "추가 12개" in captured.out and "건너뜀 1개" in captured.out
    assert "plan_03.txt" not in captured.out  # no file names…
    assert "empty.txt" in captured.out  # …but a skipped file is named with its reason
    assert "문서 분석 13/13" in captured.err and "의미 색인 12/12" in captured.err and "청크" not in captured.out + captured.err
    (corpus / "plan_00.txt").write_text("청년 일자리 지원 계획\n\n○ 예산: 900천원\n", encoding="utf-8")
    assert main(["index", "--corpus", str(corpus), "--index", "idx", "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "변경 1개" in out and "그대로 11개" in out and "변경: plan_00.txt" in out  # --verbose names them


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_takes_a_port() -> None:
    def dry(*args: str) -> str:
        # --no-print-directory: under `make test` this make is a sub-make, which would print its directory
        return subprocess.run(["make", "--no-print-directory", "-n", "run", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout

    assert "assistant run --port 8123 --host 0.0.0.0" in dry("PORT=8123", "HOST=0.0.0.0")
    assert dry().strip().splitlines()[-1].strip().endswith("assistant run")
