"""What one file may cost the index: its size on disk, the characters and chunks indexed from
it and the seconds and memory its parsing may take. One set of limits for every way a file
comes in (the folder scan, an upload, ``assistant index``); what archive parts may inflate to
is checked by the readers (:mod:`assistant.ingest.readers.raw`)."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class FileLimits:
    max_file_bytes: int = 200 * MIB  # bigger files are skipped ("too large")
    max_chars: int = 200_000  # the text beyond is not indexed ("cut at N characters"); ~100 s of embedding
    max_chunks: int = 2_000  # chunks beyond are not indexed (also reported as a cut)
    parse_seconds: float = 60.0  # a file whose parsing takes longer is skipped
    parse_memory_mb: int = 2048  # address space a parsing worker may add to what it starts with

    def too_large(self, size: int) -> str | None:
        """Why a file of ``size`` bytes is refused, or None."""
        if size > self.max_file_bytes:
            return f"too large ({size / MIB:.1f} MiB; the limit is {self.max_file_bytes / MIB:.0f} MiB)"
        return None


def cut_note(kept: int, total: int) -> str:
    """The summary line of a document indexed only in part."""
    return f"cut at {kept:,} characters (of {total:,}): the rest is not indexed"
