"""Decoding and reading text files; bad files are refused with a reason."""

import pytest

from assistant.ingest.readers import UnreadableDocument, load_document
from assistant.ingest.readers.text import decode_text

KO = "서울시 지역균형발전 예산은 13,500천원입니다.\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "euc-kr", "utf-16"])
def test_korean_encodings(tmp_path, encoding):
    p = tmp_path / f"doc-{encoding}.txt"
    p.write_bytes(("# 제목\n\n" + KO).encode(encoding))
    doc = load_document(p)
    assert "13,500천원" in doc.text
    assert doc.title == "제목"


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"", "empty"),
        (b"   \n\t\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
        (bytes([0xFF, 0xFE, 0xFD]) * 50 + b"\x81\x81\x81", "undecodable"),
    ],
)
def test_bad_text_is_refused(tmp_path, data, reason):
    p = tmp_path / "bad.txt"
    p.write_bytes(data)
    with pytest.raises(UnreadableDocument) as err:
        load_document(p)
    assert reason in err.value.reason


def test_unsupported_and_unreadable(tmp_path, monkeypatch):
    p = tmp_path / "x.xlsx"
    p.write_bytes(b"PK")
    with pytest.raises(UnreadableDocument, match="unsupported"):
        load_document(p)
    q = tmp_path / "y.txt"
    q.write_text(KO, encoding="utf-8")

    def deny(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(type(q), "read_bytes", deny)
    with pytest.raises(UnreadableDocument, match="cannot read"):
        load_document(q)


def test_decode_reports_the_encoding():
    assert decode_text(KO.encode("cp949"))[1] == "cp949"
    assert decode_text(KO.encode("utf-8"))[1] == "utf-8"
