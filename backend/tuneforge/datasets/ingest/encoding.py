"""Work out how a text file is encoded: UTF-8 as is, other encodings transcoded with a notice,
binary or unrecognisable bytes refused with the reason."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

_CHUNK = 1 << 20
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with a byte-order mark"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
]
_WESTERN = {"cp1252", "latin_1", "iso8859_15"}
_LABELS = {"cp1252": "Windows-1252 (Western European)", "latin_1": "ISO-8859-1 (Latin-1)"}


@dataclass(frozen=True)
class TextEncoding:
    codec: str  # what Python decodes with
    label: str  # what people read
    transcoded: bool  # True when the bytes are not UTF-8 and were converted


class EncodingRefused(Exception):
    def __init__(self, reason: str, hint: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


def _first_utf8_error(open_binary: Callable[[], BinaryIO]) -> tuple[int, bytes] | None:
    """Offset of the first byte that is not valid UTF-8, and a sample of the text; None if all valid."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    head = b""
    with open_binary() as stream:
        while chunk := stream.read(_CHUNK):
            if not head:
                head = chunk[: 256 * 1024]
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = offset + exc.start
                around = chunk[max(0, exc.start - 32 * 1024) : exc.start + 32 * 1024]
                return bad, head + b"\n" + around
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return offset, head
    return None


def _decodes_fully(open_binary: Callable[[], BinaryIO], codec: str) -> bool:
    decoder = codecs.getincrementaldecoder(codec)()
    with open_binary() as stream:
        try:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return len(sample) > 0 and control / len(sample) > 0.05


def _looks_western(sample: bytes) -> bool:
    """Accented letters scattered through ASCII text (café, Größe): a Western code page, almost always
    cp1252. Statistical detectors guess wildly on such short evidence, so decide this case directly."""
    high = [i for i, b in enumerate(sample) if b >= 0x80]
    if not high or len(high) / len(sample) > 0.4:
        return False
    run, longest = 1, 1
    for a, b in zip(high, high[1:], strict=False):
        run = run + 1 if b == a + 1 else 1
        longest = max(longest, run)
    return longest <= 2 and all(sample[i] >= 0xA0 or sample[i] in (0x80, 0x85, 0x91, 0x92, 0x93, 0x94, 0x96, 0x97) for i in high)


def sniff_encoding(open_binary: Callable[[], BinaryIO], *, allow_transcode: bool = True) -> TextEncoding:
    with open_binary() as stream:
        head = stream.read(4096)
    for bom, codec, label in _BOMS:
        if head.startswith(bom):
            return TextEncoding(codec, label, transcoded=codec != "utf-8-sig")
    if _looks_binary(head):
        raise EncodingRefused(
            "this is a binary file, not text",
            "Upload text (.jsonl, .json, .csv, .tsv, .txt, .md), a .parquet table, or a .zip of .txt/.md files.",
        )
    failure = _first_utf8_error(open_binary)
    if failure is None:
        return TextEncoding("utf-8", "UTF-8", transcoded=False)
    bad_offset, sample = failure
    if _looks_western(sample):
        codec = "cp1252"
        label = _LABELS[codec]
        if not allow_transcode:
            raise EncodingRefused(f"the file is encoded as {label}, not UTF-8 (the first byte that is not UTF-8 "
                                  f"is at byte offset {bad_offset:,})", "Save it as UTF-8 and upload it again.")
        if _decodes_fully(open_binary, codec):
            return TextEncoding(codec, label, transcoded=True)
    import charset_normalizer

    results = list(charset_normalizer.from_bytes(sample))
    where = f"the first byte that is not UTF-8 is at byte offset {bad_offset:,}"
    if not results:
        raise EncodingRefused(
            f"the file is not UTF-8 and its encoding could not be recognised ({where})",
            "Open it in an editor and save it as UTF-8, then upload it again.",
        )
    best = results[0]
    # Short Western-European samples look equally plausible in several code pages; cp1252 is by far
    # the most common one files actually come in, so prefer it whenever it is among the best.
    tied = [r for r in results if abs(r.chaos - best.chaos) < 0.01]
    codec = next((r.encoding for r in tied if r.encoding in _WESTERN), best.encoding)
    label = _LABELS.get(codec, codec)
    if not allow_transcode:
        raise EncodingRefused(
            f"the file is encoded as {label}, not UTF-8 ({where})",
            "Save it as UTF-8 and upload it again.",
        )
    if not _decodes_fully(open_binary, codec):
        raise EncodingRefused(
            f"the file is not UTF-8 and does not decode cleanly as {label} either ({where})",
            "It may mix encodings. Save it as UTF-8 and upload it again.",
        )
    return TextEncoding(codec, label, transcoded=True)
