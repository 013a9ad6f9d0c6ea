"""What an uploaded file really is, from its first bytes: binary content is refused at upload.

A PNG renamed `.jsonl`, a PDF, an executable or a Word document (a zip) would otherwise become a
dataset of unreadable rows. `refusal(name, head)` looks at the file's first bytes (HEAD_BYTES of
them) and answers why it cannot be a dataset file, or None. Pure: no web or database code.
"""

from __future__ import annotations

import codecs
from pathlib import PurePath

HEAD_BYTES = 4096

TEXT_SUFFIXES = {".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".txt", ".md", ".markdown"}
ACCEPTED = "JSONL, JSON, CSV/TSV, Parquet, text, Markdown or a zip of them"

# (magic bytes at offset 0, what it is, the suffix it is expected under). Longest prefixes first where
# they overlap. Parquet and zip are data formats TuneForge reads: fine under their own suffix only.
_MAGIC: list[tuple[bytes, str, str | None]] = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image", None),
    (b"\xff\xd8\xff", "a JPEG image", None),
    (b"GIF87a", "a GIF image", None),
    (b"GIF89a", "a GIF image", None),
    (b"%PDF-", "a PDF document", None),
    (b"\x7fELF", "a Linux program (ELF)", None),
    (b"MZ", "a Windows program", None),
    (b"\xcf\xfa\xed\xfe", "a macOS program", None),
    (b"\xce\xfa\xed\xfe", "a macOS program", None),
    (b"\xca\xfe\xba\xbe", "a Java class or macOS program", None),
    (b"\x00asm", "a WebAssembly module", None),
    (b"PK\x03\x04", "a zip archive (or a Word, Excel or PowerPoint file)", ".zip"),
    (b"PK\x05\x06", "an empty zip archive", ".zip"),
    (b"PK\x07\x08", "a zip archive", ".zip"),
    (b"PAR1", "a Parquet file", ".parquet"),
    (b"\x1f\x8b", "a gzip archive", None),
    (b"BZh", "a bzip2 archive", None),
    (b"\xfd7zXZ\x00", "an xz archive", None),
    (b"(\xb5/\xfd", "a zstd archive", None),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", None),
    (b"Rar!\x1a\x07", "a RAR archive", None),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document (.doc, .xls, .ppt)", None),
    (b"SQLite format 3\x00", "an SQLite database", None),
    (b"II*\x00", "a TIFF image", None),
    (b"MM\x00*", "a TIFF image", None),
    (b"\x00\x00\x01\x00", "an icon image", None),
    (b"ID3", "an MP3 audio file", None),
    (b"OggS", "an Ogg audio/video file", None),
    (b"fLaC", "a FLAC audio file", None),
    (b"\x1aE\xdf\xa3", "a Matroska/WebM video", None),
    (b"\x93NUMPY", "a NumPy array file", None),
    (b"\x80\x02", "a Python pickle", None),
    (b"\x80\x03", "a Python pickle", None),
    (b"\x80\x04", "a Python pickle", None),
    (b"\x80\x05", "a Python pickle", None),
]
# Short signatures that ordinary text can start with: they count only when the bytes are not text.
_WEAK = {b"MZ", b"BZh", b"ID3", b"OggS", b"fLaC"}
_UNICODE_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def looks_like(head: bytes) -> tuple[str, str | None] | None:
    """(what the bytes are, the suffix such files have) for a recognised binary format, else None."""
    if head.startswith(b"RIFF") and len(head) >= 12:
        kind = head[8:12]
        return ({b"WEBP": "a WebP image", b"WAVE": "a WAV audio file", b"AVI ": "an AVI video"}.get(kind, "a RIFF media file"),
                None)
    if head[4:8] == b"ftyp":
        return "an MP4/MOV video or HEIC image", None
    if len(head) > 262 and head[257:262] == b"ustar":
        return "a tar archive", None
    for magic, what, suffix in _MAGIC:
        if head.startswith(magic):
            if magic in _WEAK and _is_text(head):
                return None  # e.g. a CSV whose first column is called "MZ…"
            return what, suffix
    return None


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # only a character cut at the end of the sample
    return True


def _utf16_without_bom(head: bytes) -> bool:
    """UTF-16 text without a byte-order mark: every other byte NUL (ASCII in UTF-16)."""
    sample = head[: len(head) - len(head) % 2]
    if len(sample) < 8:
        return False
    even, odd = sample[0::2], sample[1::2]
    return (even.count(0) == 0 and odd.count(0) >= 0.9 * len(odd)) or (odd.count(0) == 0 and even.count(0) >= 0.9 * len(even))


def refusal(name: str, head: bytes) -> str | None:
    """Why the file `name` whose first bytes are `head` cannot be a dataset file; None when it may be one.

    Refused: a recognised binary format under another suffix (a PNG called data.jsonl, a .docx, a
    PDF), and NUL bytes in a text format (unless the text is UTF-16/32)."""
    suffix = PurePath(name).suffix.lower()
    found = looks_like(head)
    if found is not None:
        what, own_suffix = found
        if own_suffix is not None and suffix == own_suffix:
            return None
        if suffix in TEXT_SUFFIXES or suffix in (".parquet", ".zip"):
            return (f"{name} looks like {what}, not a {suffix} file, so the upload was refused and nothing was stored. "
                    f"Upload {ACCEPTED}.")
        return f"{name} is {what}, which TuneForge cannot read, so the upload was refused and nothing was stored. Upload {ACCEPTED}."
    if suffix in TEXT_SUFFIXES and b"\x00" in head:
        if head.startswith(_UNICODE_BOMS) or _utf16_without_bom(head):
            return None
        return (f"{name} contains NUL bytes, so it is a binary file, not {suffix} text; the upload was refused and nothing was stored. "
                f"Export it as text (UTF-8), or upload {ACCEPTED}.")
    return None
