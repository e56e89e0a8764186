"""Writers of the files the reliability checks feed the assistant: small valid DOCX, HWPX, HWP
and PDF documents, and hostile ones (decompression bombs, a PDF that takes minutes to parse, a
PDF whose content stream inflates to hundreds of megabytes). Bombs are written in a streaming
way, so a 250 MB bomb costs a few megabytes of memory to make."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

MIB = 1024 * 1024

# ---------------------------------------------------------------------------------- DOCX

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOCX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
DOCX_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
)


def _docx_para(text: str) -> str:
    return f"<w:p><w:r><w:t>{escape(text)}</w:t></w:r></w:p>"


def write_docx(path: Path, paragraphs: Sequence[str], document_xml: str | None = None) -> Path:
    """A minimal DOCX with ``paragraphs`` (or the given ``word/document.xml``)."""
    body = document_xml or f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W}"><w:body>{"".join(map(_docx_para, paragraphs))}</w:body></w:document>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", DOCX_CONTENT_TYPES)
        z.writestr("_rels/.rels", DOCX_RELS)
        z.writestr("word/document.xml", body)
    return path


def _stream_member(z: zipfile.ZipFile, name: str, head: bytes, block: bytes, size: int, tail: bytes) -> None:
    """Write ``head``, then ``block`` repeated to about ``size`` bytes, then ``tail`` as one member."""
    with z.open(name, "w", force_zip64=True) as fh:  # deflated at the archive's level
        fh.write(head)
        chunk = block * max(1, (1 * MIB) // len(block))
        written = len(head)
        while written < size:
            fh.write(chunk)
            written += len(chunk)
        fh.write(tail)


def write_docx_bomb(path: Path, inflated: int) -> Path:
    """A DOCX whose ``word/document.xml`` inflates to ``inflated`` bytes of paragraphs."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W}"><w:body>'.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", DOCX_CONTENT_TYPES)
        z.writestr("_rels/.rels", DOCX_RELS)
        _stream_member(z, "word/document.xml", head, _docx_para("폭탄 문단입니다.").encode(), inflated, b"</w:body></w:document>")
    return path


# ---------------------------------------------------------------------------------- HWPX

_HS = "http://www.hancom.co.kr/hwpml/2011/section"
_HP = "http://www.hancom.co.kr/hwpml/2011/paragraph"


def _hwpx_para(text: str) -> str:
    return f'<hp:p><hp:run><hp:t>{escape(text)}</hp:t></hp:run></hp:p>'


def write_hwpx(path: Path, paragraphs: Sequence[str], section_xml: str | None = None, mimetype: bytes = b"application/hwp+zip",
               extra: dict[str, bytes] | None = None) -> Path:
    """A minimal HWPX package (mimetype and one section) with ``paragraphs``."""
    section = section_xml or f'<?xml version="1.0" encoding="UTF-8"?><hs:sec xmlns:hs="{_HS}" xmlns:hp="{_HP}">{"".join(map(_hwpx_para, paragraphs))}</hs:sec>'
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        z.writestr("Contents/section0.xml", section, compress_type=zipfile.ZIP_DEFLATED)
        for name, data in (extra or {}).items():
            z.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def write_hwpx_bomb(path: Path, inflated: int) -> Path:
    """An HWPX whose section inflates to ``inflated`` bytes of paragraphs."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><hs:sec xmlns:hs="{_HS}" xmlns:hp="{_HP}">'.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("mimetype", b"application/hwp+zip", compress_type=zipfile.ZIP_STORED)
        _stream_member(z, "Contents/section0.xml", head, _hwpx_para("폭탄 문단입니다.").encode(), inflated, b"</hs:sec>")
    return path


def nested_tables_hwpx(path: Path, depth: int) -> Path:
    """An HWPX with tables nested ``depth`` deep (a recursion bomb)."""
    inner = _hwpx_para("가장 안쪽")
    for _ in range(depth):
        inner = (f'<hp:p><hp:run><hp:tbl rowCnt="1" colCnt="1"><hp:tr><hp:tc><hp:subList>{inner}</hp:subList>'
                 '<hp:cellAddr colAddr="0" rowAddr="0"/></hp:tc></hp:tr></hp:tbl></hp:run></hp:p>')
    return write_hwpx(path, [], section_xml=f'<hs:sec xmlns:hs="{_HS}" xmlns:hp="{_HP}">{inner}</hs:sec>')


# ---------------------------------------------------------------------------------- HWP 5

_SECTOR, _CUTOFF, _END, _FREE, _FATSECT, _NONE = 512, 4096, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
TAG_PARA_HEADER, TAG_PARA_TEXT, TAG_PARA_CHAR_SHAPE = 66, 67, 68
FLAG_COMPRESSED, FLAG_PASSWORD = 1, 2


def _record(tag: int, level: int, payload: bytes) -> bytes:
    if len(payload) >= 0xFFF:
        return struct.pack("<II", tag | (level << 10) | (0xFFF << 20), len(payload)) + payload
    return struct.pack("<I", tag | (level << 10) | (len(payload) << 20)) + payload


def hwp_section(paragraphs: Sequence[str]) -> bytes:
    """BodyText records of plain paragraphs."""
    out = []
    for i, text in enumerate(paragraphs):
        units = [*struct.unpack(f"<{len(text.encode('utf-16-le')) // 2}H", text.encode("utf-16-le")), 13]
        last = 0x80000000 if i == len(paragraphs) - 1 else 0
        out.append(_record(TAG_PARA_HEADER, 0, struct.pack("<IIHBBHHHIH", len(units) | last, 0, 0, 0, 0, 1, 0, 1, 0, 0)))
        out.append(_record(TAG_PARA_TEXT, 1, struct.pack(f"<{len(units)}H", *units)))
        out.append(_record(TAG_PARA_CHAR_SHAPE, 1, struct.pack("<II", 0, 0)))
    return b"".join(out)


def _hwp_header(flags: int, major: int = 5) -> bytes:
    sig = b"HWP Document File".ljust(32, b"\0")
    return sig + struct.pack("<III", (major << 24) | 0x0300, flags, 0)


def _padded_records(data: bytes) -> bytes:
    """Records padded to a big-FAT stream with a record of an unused tag (ignored by readers)."""
    need = _CUTOFF - len(data) - 8
    return data + (_record(0x3F0, 0, bytes(max(need, 0xFFF))) if need > 0 else b"")


def build_cfb(streams: dict[str, bytes]) -> bytes:
    """A version-3 compound file of ``streams`` (``"Storage/Stream"`` paths), every stream at least
    4096 bytes (pad them) so that no mini stream is needed."""
    entries: list[dict] = [{"name": "Root Entry", "kind": 5, "data": b"", "children": []}]
    for path, data in streams.items():
        if len(data) < _CUTOFF:
            raise ValueError(f"{path}: streams must be at least {_CUTOFF} bytes")
        node = entries[0]
        *dirs, name = path.split("/")
        for d in dirs:
            found = next((c for c in node["children"] if c["name"] == d), None)
            if found is None:
                found = {"name": d, "kind": 1, "data": b"", "children": []}
                node["children"].append(found)
                entries.append(found)
            node = found
        leaf = {"name": name, "kind": 2, "data": data, "children": []}
        node["children"].append(leaf)
        entries.append(leaf)
    for i, e in enumerate(entries):
        e["sid"], e["left"], e["right"], e["child"], e["start"] = i, _NONE, _NONE, _NONE, _END

    def tree(children: list[dict]) -> int:
        if not children:
            return _NONE
        children = sorted(children, key=lambda c: (len(c["name"]), c["name"].upper()))
        mid = len(children) // 2
        children[mid]["left"], children[mid]["right"] = tree(children[:mid]), tree(children[mid + 1 :])
        return children[mid]["sid"]

    for e in entries:
        e["child"] = tree(e["children"])
    nsec = lambda size: -(-size // _SECTOR)  # noqa: E731
    n_dir = nsec(len(entries) * 128)
    n_data = sum(nsec(len(e["data"])) for e in entries if e["kind"] == 2)
    n_fat = 1
    while n_fat * (_SECTOR // 4) < n_fat + n_dir + n_data:
        n_fat += 1
    fat = [_FATSECT] * n_fat
    dir_start = len(fat)
    fat += [*range(dir_start + 1, dir_start + n_dir), _END]
    sectors: list[bytes] = []
    for e in entries:
        if e["kind"] == 2:
            n = nsec(len(e["data"]))
            e["start"] = len(fat)
            fat += [*range(e["start"] + 1, e["start"] + n), _END]
            sectors.append(e["data"].ljust(n * _SECTOR, b"\0"))
    fat += [_FREE] * (n_fat * (_SECTOR // 4) - len(fat))

    def dirent(e: dict) -> bytes:
        name = e["name"].encode("utf-16-le")[:62]
        start = e["start"] if e["kind"] == 2 else (_END if e["kind"] == 5 else 0)
        return (name.ljust(64, b"\0") + struct.pack("<HBB3I", len(name) + 2, e["kind"], 1, e["left"], e["right"], e["child"])
                + bytes(36) + struct.pack("<IQ", start, len(e["data"])))

    unused = bytes(64) + struct.pack("<HBB3I", 0, 0, 0, _NONE, _NONE, _NONE) + bytes(48)
    directory = b"".join(map(dirent, entries)) + unused * (n_dir * 4 - len(entries))
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<9I", 0, n_fat, dir_start, 0, _CUTOFF, _END, 0, _END, 0)
              + struct.pack("<109I", *(list(range(n_fat)) + [_FREE] * (109 - n_fat))))
    return header + struct.pack(f"<{len(fat)}I", *fat) + directory + b"".join(sectors)


def write_hwp(path: Path, paragraphs: Sequence[str], flags: int = 0, major: int = 5) -> Path:
    """A minimal HWP 5 file (uncompressed body) with ``paragraphs``."""
    streams = {"FileHeader": _hwp_header(flags, major).ljust(_CUTOFF, b"\0"), "BodyText/Section0": _padded_records(hwp_section(paragraphs))}
    path.write_bytes(build_cfb(streams))
    return path


def _deflate_stream(block: bytes, size: int) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = block * max(1, MIB // len(block))
    parts = [c.compress(chunk) for _ in range(max(1, size // len(chunk)))]
    return b"".join(parts) + c.flush()


def write_hwp_bomb(path: Path, inflated: int) -> Path:
    """An HWP 5 file whose compressed body stream inflates to ``inflated`` bytes."""
    body = _deflate_stream(hwp_section(["폭탄 문단입니다."] * 64), inflated)
    streams = {"FileHeader": _hwp_header(FLAG_COMPRESSED).ljust(_CUTOFF, b"\0"), "BodyText/Section0": body.ljust(_CUTOFF, b"\0")}
    path.write_bytes(build_cfb(streams))
    return path


def write_hwp_corrupt_stream(path: Path) -> Path:
    """An HWP 5 file whose compressed body is not deflate data."""
    streams = {"FileHeader": _hwp_header(FLAG_COMPRESSED).ljust(_CUTOFF, b"\0"), "BodyText/Section0": b"\xff\xfe not deflate " * 400}
    path.write_bytes(build_cfb(streams))
    return path


# ---------------------------------------------------------------------------------- PDF


def write_pdf(path: Path, content: bytes, compress: bool = True, font: bool = True) -> Path:
    """A one-page PDF whose page content stream is ``content`` (Helvetica as /F1)."""
    return _pdf(path, zlib.compress(content, 9) if compress else content, compress, font)


def _pdf(path: Path, stream: bytes, flate: bool, font: bool = True) -> Path:
    flt = b" /Filter /FlateDecode" if flate else b""
    res = b" /Resources << /Font << /F1 5 0 R >> >>" if font else b""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R" + res + b" >>",
        b"<< /Length %d" % len(stream) + flt + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def text_pdf(path: Path, lines: Sequence[str]) -> Path:
    """A PDF of English ``lines`` (Helvetica has no Hangul)."""
    ops = [b"BT /F1 12 Tf 72 720 Td 16 TL"]
    for line in lines:
        ops.append(b"(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1") + b") Tj T*")
    ops.append(b"ET")
    return write_pdf(path, b"\n".join(ops))


def slow_pdf(path: Path, operations: int) -> Path:
    """A small PDF whose page draws ``operations`` strings: minutes of parsing for a few hundred KB."""
    return write_pdf(path, b"BT /F1 1 Tf " + b"1 0 0 1 10 10 Tm (ab) Tj " * operations + b"ET")


def pdf_stream_bomb(path: Path, inflated: int) -> Path:
    """A PDF whose content stream inflates to ``inflated`` bytes."""
    c = zlib.compressobj(9)
    chunk = b" " * MIB
    stream = b"".join(c.compress(chunk) for _ in range(max(1, inflated // MIB))) + c.flush()
    return _pdf(path, stream, True)
