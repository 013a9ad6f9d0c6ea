"""Deterministic train/validation/test splits of a canonical file.

Row i's place is decided by blake2b(f"{seed}:{i}"): the rows with the smallest hashes go to
validation, the next ones to test, the rest to train — exact counts, the same every time for
the same seed, and streamed (memory: 8 bytes per row). Rows keep their order inside each split.
"""

from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from tuneforge.datasets.ingest.issues import n

SPLITS = ("train", "validation", "test")


@dataclass
class SplitReport:
    counts: dict[str, int]
    sha256: str  # sha256 of "train:<sha>\nvalidation:<sha>\ntest:<sha>\n" over each split file
    split_sha256: dict[str, str]
    ratios: dict[str, float]
    seed: int
    overlap: dict[str, int] = field(default_factory=dict)  # rows of validation/test identical to a train row
    issues: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"counts": self.counts, "sha256": self.sha256, "split_sha256": self.split_sha256,
                "ratios": self.ratios, "seed": self.seed, "overlap": self.overlap}


def check_ratios(ratios: dict[str, float]) -> dict[str, float]:
    unknown = set(ratios) - set(SPLITS)
    if unknown:
        raise ValueError(f"unknown split names {sorted(unknown)}: use train, validation and test")
    full = {name: float(ratios.get(name, 0.0)) for name in SPLITS}
    if any(not 0 <= v <= 1 for v in full.values()):
        raise ValueError("each ratio must be between 0 and 1")
    if abs(sum(full.values()) - 1) > 1e-6:
        raise ValueError(f"the ratios must add up to 1 (they add up to {sum(full.values()):g})")
    if full["train"] <= 0:
        raise ValueError("the train ratio must be above 0")
    return full


def split_counts(total: int, ratios: dict[str, float]) -> dict[str, int]:
    counts = {}
    for name in ("validation", "test"):
        k = round(total * ratios[name])
        if ratios[name] > 0 and k == 0 and total >= 3:
            k = 1  # asked for a split: give it at least one row
        counts[name] = k
    while total - counts["validation"] - counts["test"] < 1 and (counts["validation"] or counts["test"]):
        name = "test" if counts["test"] else "validation"
        counts[name] -= 1
    counts["train"] = total - counts["validation"] - counts["test"]
    return {name: counts[name] for name in SPLITS}


def _count_lines(path: Path) -> int:
    total = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            total += chunk.count(b"\n")
    return total


def _row_key(seed: int, index: int) -> int:
    return int.from_bytes(hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=8).digest(), "little")


def split_canonical(path: Path, outs: dict[str, BinaryIO], *, ratios: dict[str, float], seed: int) -> SplitReport:
    ratios = check_ratios(ratios)
    total = _count_lines(path)
    counts = split_counts(total, ratios)
    keys = np.fromiter((_row_key(seed, i) for i in range(total)), dtype=np.uint64, count=total)
    order = np.argsort(keys, kind="stable")
    assignment = np.zeros(total, dtype=np.uint8)
    assignment[order[: counts["validation"]]] = 1
    assignment[order[counts["validation"] : counts["validation"] + counts["test"]]] = 2
    del keys, order

    hashers = {name: hashlib.sha256() for name in SPLITS}
    content = {name: array("Q") for name in SPLITS}
    with open(path, "rb") as handle:
        for index, line in enumerate(handle):
            name = SPLITS[assignment[index]]
            if name in outs:
                outs[name].write(line)
            hashers[name].update(line)
            content[name].append(int.from_bytes(hashlib.blake2b(line, digest_size=8).digest(), "little"))
    split_sha = {name: hashers[name].hexdigest() for name in SPLITS}
    combined = hashlib.sha256("".join(f"{name}:{split_sha[name]}\n" for name in SPLITS).encode()).hexdigest()

    train = np.frombuffer(content["train"], dtype=np.uint64) if content["train"] else np.zeros(0, np.uint64)
    overlap, issues = {}, []
    for name in ("validation", "test"):
        if not content[name]:
            continue
        shared = int(np.isin(np.frombuffer(content[name], dtype=np.uint64), train).sum())
        overlap[name] = shared
        if shared:
            issues.append({
                "severity": "warning", "code": "split_overlap",
                "message": f"{n(shared)} of the {n(counts[name])} {name} rows also appear in train",
                "hint": "Evaluation on them will look better than it is. Drop duplicates first, then split again.",
                "row": None, "file": None, "line": None, "column": None, "field": None,
            })
    return SplitReport(counts, combined, split_sha, ratios, seed, overlap, issues)
