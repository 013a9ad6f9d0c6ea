"""Dataset repositories on the Hugging Face Hub, through its documented HTTP API:

- GET /api/datasets/{id}/revision/{revision} resolves a branch, tag or commit to its commit sha and
  lists the repository's files (`siblings`);
- GET /datasets/{id}/resolve/{sha}/{path} downloads one file (the Hub may redirect to its CDN).

Tests point `endpoint` at a loopback server with the same API (tuneforge.testing.fake_hub).

Which files are a config's split (`pick_files`), kept simple on purpose:
1. only data files count: .parquet, .jsonl, .json, .csv;
2. a config other than "default" keeps the files under a folder of that name (`{config}/…` or
   `data/{config}/…`); otherwise, files under `data/` when there are any, else all data files;
3. the split keeps the files with the split's name as a folder or as a word of the file name
   (`train.jsonl`, `data/train-00000-of-00001.parquet`, `test/part.csv`); when no split was asked for
   and none is named "train", all the files of step 2 are one split.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from tuneforge.errors import BadRequest, Forbidden, NotFound
from tuneforge.huggingface.client import HubError, HubUnavailable

DATA_SUFFIXES = (".parquet", ".jsonl", ".json", ".csv")
OFFLINE = ("The Hugging Face Hub cannot be reached from this server. Download the dataset's files (JSONL, Parquet…) "
           "and upload them here.")
PRIVATE = "This dataset is private or gated: accept its terms on the Hub and save a token with access in Settings."


@dataclass
class HubDataset:
    hub_id: str
    sha: str
    files: list[str]


def _headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _check(response: httpx.Response, hub_id: str) -> None:
    if response.status_code in (401, 403):
        raise Forbidden(PRIVATE)
    if response.status_code == 404:
        raise NotFound(f"No dataset '{hub_id}' (or no such revision) on the Hub.")
    if response.status_code >= 400:
        raise HubError(f"The Hugging Face Hub answered {response.status_code}; try again in a minute.")


async def resolve(*, endpoint: str, hub_id: str, revision: str, token: str | None, timeout: float = 15.0) -> HubDataset:
    """The commit `revision` points at, and the files of the repository at that commit."""
    url = f"{endpoint.rstrip('/')}/api/datasets/{hub_id}/revision/{quote(revision, safe='')}"
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.get(url, headers=_headers(token))
    except httpx.HTTPError:
        raise HubUnavailable(OFFLINE) from None
    _check(response, hub_id)
    try:
        body: Any = response.json()
        sha = str(body["sha"])
        files = [str(s["rfilename"]) for s in body.get("siblings") or [] if isinstance(s, dict) and s.get("rfilename")]
    except (ValueError, TypeError, KeyError):
        raise HubError("The Hugging Face Hub gave an answer TuneForge could not read; try again in a minute.") from None
    return HubDataset(hub_id=hub_id, sha=sha, files=files)


def _words(name: str) -> set[str]:
    return set(re.split(r"[^A-Za-z0-9]+", name.lower()))


def pick_files(files: list[str], *, config: str | None, split: str | None) -> list[str]:
    """The data files of `config`'s `split` (the rule in this module's docstring), sorted."""
    data = sorted(f for f in files if f.lower().endswith(DATA_SUFFIXES))
    if config and config != "default":
        data = [f for f in data if f.startswith((f"{config}/", f"data/{config}/"))]
    elif any(f.startswith("data/") for f in data):
        data = [f for f in data if f.startswith("data/")]
    wanted = (split or "train").lower()
    chosen = [f for f in data
              if wanted in (p.lower() for p in f.split("/")[:-1]) or wanted in _words(f.rsplit("/", 1)[-1].rsplit(".", 1)[0])]
    if not chosen and split is None:
        chosen = data
    if not chosen:
        where = f"config '{config}'" if config else "this dataset"
        listed = ", ".join(data[:8]) or "none"
        raise BadRequest(f"No data files (Parquet, JSONL, JSON, CSV) for split '{wanted}' of {where} on the Hub. "
                         f"Data files there: {listed}.")
    return chosen


@asynccontextmanager
async def download(
    *, endpoint: str, hub_id: str, sha: str, path: str, token: str | None, timeout: float = 60.0
) -> AsyncIterator[AsyncIterator[bytes]]:
    """Streams one file of the repository at commit `sha`: `async with download(...) as chunks`."""
    url = f"{endpoint.rstrip('/')}/datasets/{hub_id}/resolve/{sha}/{quote(path)}"
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as client:
            async with client.stream("GET", url, headers=_headers(token)) as response:
                _check(response, hub_id)
                yield response.aiter_bytes()
    except httpx.HTTPError:
        raise HubUnavailable(OFFLINE) from None
