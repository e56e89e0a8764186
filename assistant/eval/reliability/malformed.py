"""A malformed-file corpus, generated here, indexed by ``assistant index`` beside good
documents: decompression bombs, a PDF that would take minutes to parse, huge and one-line
texts, broken and disguised office files, symbolic links out of the corpus and in loops, a
FIFO, a socket, hidden files, names that are not UTF-8.

Passes when the build finishes (no hang), every good document is indexed, every bad file is
reported with a reason, no file went over its budget (parse time, characters, chunks), and no
text from outside the corpus folder reached the index.
"""

from __future__ import annotations

import json
import os
import random
import socket
import sqlite3
import subprocess
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import files as F
from .common import Workspace

MIB = F.MIB
SECRET = "RELIABILITY-SECRET-7f3a: 이 줄이 색인에 보이면 말뭉치 밖의 파일이 읽힌 것이다."
GOOD = ["청년수당 지급 계획", "서울시는 2024년 청년수당 예산으로 1,200억원을 편성하였다.", "신청은 3월 4일부터 받으며 담당은 청년사업담당관이다."]
GOOD_TEXT = "\n\n".join(GOOD) + "\n"


@dataclass(frozen=True)
class Kind:
    name: str
    path: str  # relative to the corpus folder: what must be indexed or reported
    expect: str  # "indexed", "cut", "skipped" or "either"
    make: Callable[[Path, Path, dict[str, Any]], None]  # (path, corpus, sizes)
    doc_id: str = ""  # the document id when indexed (default: the file name)


def _write(text: str, encoding: str = "utf-8") -> Callable[[Path, Path, dict], None]:
    return lambda p, c, s: p.write_bytes(text.encode(encoding))


def _bytes(data: bytes) -> Callable[[Path, Path, dict], None]:
    return lambda p, c, s: p.write_bytes(data)


def _huge(p: Path, c: Path, s: dict) -> None:
    line = "서울시 청년 정책의 추진 현황과 향후 계획을 정리한 문단입니다. 예산과 일정은 아래와 같습니다.\n"
    with p.open("w", encoding="utf-8") as fh:
        n = 0
        while n < s["huge_bytes"]:
            fh.write(line)
            n += len(line.encode())


def _one_line(p: Path, c: Path, s: dict) -> None:
    word = "청년수당 "
    p.write_text(word * (s["one_line_bytes"] // len(word.encode())), encoding="utf-8")


def _sparse(p: Path, c: Path, s: dict) -> None:
    with p.open("wb") as fh:
        fh.truncate(s["too_big_bytes"])


def _truncated_pdf(p: Path, c: Path, s: dict) -> None:
    data = F.text_pdf(p, ["Seoul youth allowance", "budget 2024"]).read_bytes()
    p.write_bytes(data[: len(data) // 2])


def _docx_xml(xml: str) -> Callable[[Path, Path, dict], None]:
    return lambda p, c, s: F.write_docx(p, [], document_xml=xml)


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
XXE = ('<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       f'<w:document {_W}><w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>')
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "hahahahahahahahahaha">'
          + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
          + f']><w:document {_W}><w:body><w:p><w:r><w:t>&j;</w:t></w:r></w:p></w:body></w:document>')


def _no_document_docx(p: Path, c: Path, s: dict) -> None:
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("[Content_Types].xml", F.DOCX_CONTENT_TYPES)
        z.writestr("word/other.xml", "<x/>")


def _truncated_docx(p: Path, c: Path, s: dict) -> None:
    data = F.write_docx(p, GOOD * 50).read_bytes()
    p.write_bytes(data[: len(data) * 2 // 3])


def _bad_crc_docx(p: Path, c: Path, s: dict) -> None:
    F.write_docx(p, GOOD * 50)
    data = bytearray(p.read_bytes())
    with zipfile.ZipFile(p) as z:
        info = z.getinfo("word/document.xml")
    at = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size // 2
    data[at] ^= 0xFF
    p.write_bytes(bytes(data))


def _ole_docx(p: Path, c: Path, s: dict) -> None:
    p.write_bytes(F.build_cfb({"WordDocument": bytes(4096)}))


def _hwpx_extra(extra: dict[str, bytes], mimetype: bytes = b"application/hwp+zip") -> Callable[[Path, Path, dict], None]:
    return lambda p, c, s: F.write_hwpx(p, GOOD, mimetype=mimetype, extra=extra)


def _malformed_hwpx(p: Path, c: Path, s: dict) -> None:
    F.write_hwpx(p, [], section_xml='<hs:sec xmlns:hs="h"><hp:p><unclosed></hs:sec>')


def _zip_as_hwp(p: Path, c: Path, s: dict) -> None:
    F.write_hwpx(p, GOOD)


def _symlink(target: Callable[[Path], str | Path]) -> Callable[[Path, Path, dict], None]:
    return lambda p, c, s: os.symlink(target(c), p)


def _loop(p: Path, c: Path, s: dict) -> None:
    os.symlink(c / "loop-b.txt", p)
    os.symlink(p, c / "loop-b.txt")


def _secret(p: Path, c: Path, s: dict) -> None:
    outside = c.parent / "outside-secret.txt"
    outside.write_text(f"관리자 메모\n\n{SECRET}\n", encoding="utf-8")
    os.symlink(outside, p)


def _fifo(p: Path, c: Path, s: dict) -> None:
    os.mkfifo(p)


def _socket(p: Path, c: Path, s: dict) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(p))
    sock.close()  # the socket file stays


def _in_folder(p: Path, c: Path, s: dict) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(GOOD_TEXT, encoding="utf-8")


def _pdf_named_folder(p: Path, c: Path, s: dict) -> None:
    p.mkdir()
    (p / "inside.txt").write_text(GOOD_TEXT.replace("청년수당", "청년월세"), encoding="utf-8")


def _git_folder(p: Path, c: Path, s: dict) -> None:
    p.mkdir()
    (p / "config.txt").write_text(GOOD_TEXT, encoding="utf-8")


def _headings(p: Path, c: Path, s: dict) -> None:
    p.write_text("".join(f"# 제목 {i}\n본문 {i}\n" for i in range(s["headings"])), encoding="utf-8")


def _wide_table(p: Path, c: Path, s: dict) -> None:
    p.write_text("표 제목\n\n" + "\t".join(f"열{i}" for i in range(10_000)) + "\n" + "\t".join(str(i) for i in range(10_000)) + "\n", encoding="utf-8")


def _random_bytes(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def kinds() -> list[Kind]:
    """The cases, each with the path it creates and what must happen to it."""
    korean_long = "서울시청년정책추진현황과향후계획보고" * 4 + ".txt"  # 220 bytes of UTF-8 (the limit is 255)
    return [
        # good documents, including unusual but valid ones: all must be indexed
        Kind("markdown", "good.md", "indexed", _write("# 청년수당 지급 계획\n\n" + GOOD_TEXT)),
        Kind("docx", "good.docx", "indexed", lambda p, c, s: F.write_docx(p, GOOD)),
        Kind("hwpx", "good.hwpx", "indexed", lambda p, c, s: F.write_hwpx(p, GOOD)),
        Kind("hwp", "good.hwp", "indexed", lambda p, c, s: F.write_hwp(p, GOOD)),
        Kind("pdf", "good.pdf", "indexed", lambda p, c, s: F.text_pdf(p, ["Seoul youth allowance plan", "The 2024 budget is 120 billion won.",
                                                                         "Applications open on 4 March."])),
        Kind("EUC-KR text", "cp949.txt", "indexed", _write(GOOD_TEXT, "cp949")),
        Kind("UTF-16 text with BOM", "utf16.txt", "indexed", _write("\ufeff" + GOOD_TEXT, "utf-16-le")),
        Kind("terminal colours", "ansi.txt", "indexed", _write("\x1b[1;31m" + GOOD_TEXT.replace("\n\n", "\x1b[0m\n\n\x1b[32m") + "\x1b[0m")),
        Kind("CRLF line ends", "crlf.txt", "indexed", _write(GOOD_TEXT.replace("\n", "\r\n"))),
        Kind("NUL bytes inside", "nul.txt", "indexed", _write(GOOD_TEXT * 60 + "\x00\x00 끝부분\n" + GOOD_TEXT)),
        Kind("in a subfolder", "sub/nested.txt", "indexed", _in_folder),
        Kind("long Korean file name", korean_long, "indexed", _write(GOOD_TEXT)),
        # over the budget: indexed in part and reported as cut
        Kind("huge text", "huge.txt", "cut", _huge),
        Kind("one-line text", "one-line.txt", "cut", _one_line),
        # bad files: each must be reported with a reason
        Kind("empty", "empty.txt", "skipped", _bytes(b"")),
        Kind("white space only", "spaces.txt", "skipped", _bytes(b" \n\t\n   \n")),
        Kind("binary as text", "binary.txt", "skipped", _bytes(_random_bytes(20_000, 1))),
        Kind("control characters only", "controls.txt", "skipped", _bytes(bytes(range(1, 9)) * 500)),
        Kind("markup without text", "divs.md", "skipped", _write("<div>\n<div>\n<div>\n</div>\n</div>\n</div>\n")),
        Kind("over the file-size limit (sparse)", "too-big.txt", "skipped", _sparse),
        Kind("binary as PDF", "binary.pdf", "skipped", _bytes(_random_bytes(20_000, 2))),
        Kind("truncated PDF", "truncated.pdf", "skipped", _truncated_pdf),
        Kind("PDF without a text layer", "no-text.pdf", "skipped", lambda p, c, s: F.write_pdf(p, b"0 0 m 100 100 l S", font=False)),
        Kind("PDF that takes minutes to parse", "slow.pdf", "skipped", lambda p, c, s: F.slow_pdf(p, s["slow_pdf_ops"])),
        Kind("PDF stream bomb", "stream-bomb.pdf", "skipped", lambda p, c, s: F.pdf_stream_bomb(p, s["pdf_bomb_bytes"])),
        Kind("DOCX decompression bomb", "bomb.docx", "skipped", lambda p, c, s: F.write_docx_bomb(p, s["docx_bomb_bytes"])),
        Kind("HWPX decompression bomb", "bomb.hwpx", "skipped", lambda p, c, s: F.write_hwpx_bomb(p, s["hwpx_bomb_bytes"])),
        Kind("HWP stream bomb", "bomb.hwp", "skipped", lambda p, c, s: F.write_hwp_bomb(p, s["hwp_bomb_bytes"])),
        Kind("DOCX with an external entity (XXE)", "xxe.docx", "skipped", _docx_xml(XXE)),
        Kind("DOCX entity expansion (billion laughs)", "laughs.docx", "skipped", _docx_xml(LAUGHS)),
        Kind("DOCX without word/document.xml", "no-document.docx", "skipped", _no_document_docx),
        Kind("legacy .doc named .docx", "legacy.docx", "skipped", _ole_docx),
        Kind("truncated DOCX", "truncated.docx", "skipped", _truncated_docx),
        Kind("DOCX with a bad CRC", "bad-crc.docx", "skipped", _bad_crc_docx),
        Kind("password-protected HWPX", "encrypted.hwpx", "skipped",
             _hwpx_extra({"META-INF/manifest.xml": b'<manifest><file-entry><encryption-data/></file-entry></manifest>'})),
        Kind("HWPX with another mimetype", "mimetype.hwpx", "skipped", _hwpx_extra({}, b"application/zip")),
        Kind("HWPX with broken XML", "malformed.hwpx", "skipped", _malformed_hwpx),
        Kind("HWPX tables nested 3,000 deep", "nested.hwpx", "skipped", lambda p, c, s: F.nested_tables_hwpx(p, 3000)),
        Kind("text named .hwp", "text.hwp", "skipped", _write(GOOD_TEXT)),
        Kind("zip named .hwp", "zip.hwp", "skipped", _zip_as_hwp),
        Kind("HWP 3 document", "old.hwp", "skipped", _bytes(b"HWP Document File V3.00 \x1a\x01\x02\x03\x04\x05" + bytes(4096))),
        Kind("password-protected HWP", "password.hwp", "skipped", lambda p, c, s: F.write_hwp(p, GOOD, flags=F.FLAG_PASSWORD)),
        Kind("HWP with a corrupt stream", "corrupt.hwp", "skipped", lambda p, c, s: F.write_hwp_corrupt_stream(p)),
        Kind("unsupported type", "tool.exe", "skipped", _bytes(b"MZ" + bytes(100))),
        Kind("duplicate document id", "sub2/good.md", "skipped", _in_folder),
        Kind("symbolic link to /etc/passwd", "passwd.txt", "skipped", _symlink(lambda c: "/etc/passwd")),
        Kind("symbolic link out of the corpus", "secret.txt", "skipped", _secret),
        Kind("folder link to /etc", "etc", "skipped", _symlink(lambda c: "/etc")),
        Kind("symbolic link loop", "loop-a.txt", "skipped", _loop),
        Kind("broken symbolic link", "dangling.txt", "skipped", _symlink(lambda c: c / "no-such-file.txt")),
        Kind("FIFO", "pipe.txt", "skipped", _fifo),
        Kind("socket", "sock.txt", "skipped", _socket),
        Kind("folder named like a PDF", "report.pdf", "skipped", _pdf_named_folder),
        Kind("hidden file", ".hidden.txt", "skipped", _write(GOOD_TEXT)),
        Kind("hidden folder", ".git", "skipped", _git_folder),
        Kind("file name that is not UTF-8", "bad-\\xff\\xfe.txt", "skipped",
             lambda p, c, s: Path(os.fsdecode(os.fsencode(c) + b"/bad-\xff\xfe.txt")).write_text(GOOD_TEXT, encoding="utf-8")),
        # pathological but possibly valid: must be accounted for and within the budget
        Kind("100,000 headings", "headings.md", "either", _headings),
        Kind("a 10,000-column table", "wide.txt", "either", _wide_table),
        Kind("UTF-8-encoded surrogates (CESU)", "cesu.txt", "either", _bytes(GOOD_TEXT.encode() + b"\xed\xa0\x80\xed\xb0\x80\n")),
        Kind("one character", "one-char.txt", "either", _write("가")),
    ]


SIZES = {
    "full": {"huge_bytes": 50 * MIB, "one_line_bytes": 5 * MIB, "too_big_bytes": 210 * MIB, "slow_pdf_ops": 3_000_000,
             "pdf_bomb_bytes": 300 * MIB, "docx_bomb_bytes": 258 * MIB, "hwpx_bomb_bytes": 243 * MIB, "hwp_bomb_bytes": 250 * MIB,
             "headings": 100_000},
    "ci": {"huge_bytes": 5 * MIB, "one_line_bytes": 1 * MIB, "too_big_bytes": 210 * MIB, "slow_pdf_ops": 1_000_000,
           "pdf_bomb_bytes": 100 * MIB, "docx_bomb_bytes": 258 * MIB, "hwpx_bomb_bytes": 243 * MIB, "hwp_bomb_bytes": 250 * MIB,
           "headings": 20_000},
}


def make_corpus(corpus: Path, sizes: dict[str, Any]) -> list[Kind]:
    corpus.mkdir(parents=True, exist_ok=True)
    out = kinds()
    for kind in out:
        path = corpus / kind.path  # (the maker of the name that is not UTF-8 writes its own path)
        path.parent.mkdir(parents=True, exist_ok=True)
        kind.make(path, corpus, sizes)
    return out


def run(ws: Workspace, profile: str = "ci", build_timeout: float = 1800.0, **limits: Any) -> dict[str, Any]:
    """Build the workspace's corpus with the malformed files added; returns the figures."""
    sizes = SIZES[profile]
    t0 = time.monotonic()
    cases = make_corpus(ws.corpus, sizes)
    make_seconds = time.monotonic() - t0
    seeds = sorted(p.name for p in ws.corpus.glob("*.txt") if p.name[:3].isdigit())
    env = {f"ASSISTANT_LIMITS_{k.upper()}": str(v) for k, v in limits.items()}
    t1 = time.monotonic()
    try:
        proc = subprocess.run(ws.index_cmd("--json"), env=ws.env(**env), cwd=ws.base, capture_output=True, text=True, timeout=build_timeout)
        hung = False
    except subprocess.TimeoutExpired:
        proc, hung = None, True
    build_seconds = time.monotonic() - t1
    if hung or proc is None or proc.returncode != 0:
        return {"kinds": len(cases), "hangs": int(hung), "build_failed": True, "passed": False, "build_seconds": round(build_seconds, 1),
                "stderr": "" if proc is None else proc.stderr[-2000:]}
    summary = json.loads(proc.stdout)
    limit_chars = int(limits.get("max_chars", 200_000))
    limit_chunks = int(limits.get("max_chunks", 2_000))
    limit_seconds = float(limits.get("parse_seconds", 60.0))
    skipped = {os.path.relpath(s["path"], ws.corpus): s["reason"] for s in summary["skipped"]}
    cut = {os.path.relpath(s["path"], ws.corpus): s["reason"] for s in summary["cut"]}
    docs = _documents(ws.index)
    rows = []
    for kind in cases:
        doc_id = kind.doc_id or Path(kind.path).name
        indexed = doc_id in docs and kind.path not in skipped
        if kind.expect == "indexed":
            ok = indexed and kind.path not in cut
        elif kind.expect == "cut":
            ok = indexed and kind.path in cut
        elif kind.expect == "skipped":
            ok = bool(skipped.get(kind.path))
        else:
            ok = indexed or kind.path in skipped
        outcome = "cut" if kind.path in cut else "indexed" if indexed else "skipped" if kind.path in skipped else "unaccounted"
        rows.append({"kind": kind.name, "path": kind.path, "expect": kind.expect, "outcome": outcome, "ok": ok,
                     "reason": skipped.get(kind.path) or cut.get(kind.path) or "",
                     "parse_s": summary["parse_times"].get(str(ws.corpus / kind.path))})
    over_budget = []
    for path, seconds in summary["parse_times"].items():
        if seconds > limit_seconds + 5:
            over_budget.append(f"{os.path.relpath(path, ws.corpus)}: parsed for {seconds:.1f} s")
    for doc_id, (chars, chunks) in docs.items():
        if chars > limit_chars or chunks > limit_chunks:
            over_budget.append(f"{doc_id}: {chars:,} characters, {chunks:,} chunks")
    leaked = [d for d, text in _texts(ws.index).items() if SECRET[:28] in text or "root:x:0:0" in text]
    unreported = _unaccounted(ws.corpus, docs, skipped)
    good_lost = [r["path"] for r in rows if r["expect"] in ("indexed", "cut") and not r["ok"]] + [s for s in seeds if s not in docs]
    bad_unreported = [r["path"] for r in rows if r["expect"] == "skipped" and not r["ok"]]
    return {
        "kinds": len(cases),
        "good_kinds": sum(1 for k in cases if k.expect in ("indexed", "cut")) + 1,  # + the seed documents
        "bad_kinds": sum(1 for k in cases if k.expect == "skipped"),
        "hangs": 0,
        "build_failed": False,
        "build_seconds": round(build_seconds, 1),
        "make_seconds": round(make_seconds, 1),
        "good_documents_lost": good_lost,
        "bad_files_unreported": bad_unreported,
        "paths_unaccounted": unreported,
        "over_budget": over_budget,
        "leaked_outside_text": leaked,
        "slowest_parse": sorted(((round(v, 2), os.path.relpath(k, ws.corpus)) for k, v in summary["parse_times"].items()), reverse=True)[:5],
        "limits": {"max_chars": limit_chars, "max_chunks": limit_chunks, "parse_seconds": limit_seconds},
        "sizes": sizes,
        "passed": not (good_lost or bad_unreported or unreported or over_budget or leaked),
        "cases": rows,
    }


def _documents(index: Path) -> dict[str, tuple[int, int]]:
    from ...index import IndexFolder

    current = IndexFolder(index).current()
    if current is None:
        return {}
    con = sqlite3.connect(f"file:{current / 'store.sqlite'}?mode=ro", uri=True)
    try:
        return {r[0]: (r[1], r[2]) for r in con.execute("SELECT id, length(text), n_chunks FROM documents")}
    finally:
        con.close()


def _texts(index: Path) -> dict[str, str]:
    from ...index import IndexFolder

    current = IndexFolder(index).current()
    con = sqlite3.connect(f"file:{current / 'store.sqlite'}?mode=ro", uri=True)
    try:
        return {r[0]: r[1] for r in con.execute("SELECT id, text FROM documents")}
    finally:
        con.close()


def _unaccounted(corpus: Path, docs: dict[str, Any], skipped: dict[str, str]) -> list[str]:
    """Every entry of the corpus folder (not below a reported folder) is indexed or reported."""
    out = []
    for here, dirs, names in os.walk(corpus, followlinks=False):
        rel_here = os.path.relpath(here, corpus)
        for d in list(dirs):
            rel = os.path.normpath(os.path.join(rel_here, d))
            if rel in skipped and (d.startswith(".") or os.path.islink(os.path.join(here, d))):
                dirs.remove(d)  # reported as a whole
            elif os.path.islink(os.path.join(here, d)) and rel not in skipped:
                out.append(rel)
        for n in names:
            rel = os.path.normpath(os.path.join(rel_here, n))
            shown = os.fsencode(rel).decode("utf-8", "backslashreplace")
            if shown not in skipped and n not in docs:
                out.append(shown)
    return out
