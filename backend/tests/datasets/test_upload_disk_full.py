"""The storage volume filling up during an upload: a clear 507, and nothing partial left behind."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.datasets.helpers import chat

BASE = "/api/teams/{team}/datasets"


@pytest.fixture
def full_storage(app, tmp_path: Path):
    """The app's storage on a 2 MB tmpfs."""
    from tuneforge.storage import Storage, get_storage

    root = tmp_path / "storage"
    root.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs (to fill a disk for real) needs root; not root here")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(root)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() or mounted.returncode}); a full disk cannot be simulated")
    app.dependency_overrides[get_storage] = lambda: Storage(root)
    try:
        yield root
    finally:
        app.dependency_overrides.pop(get_storage, None)
        subprocess.run(["umount", "-l", str(root)], capture_output=True)


async def test_an_upload_that_fills_the_disk_is_refused_clearly_and_leaves_nothing(client, register, full_storage):
    me = await register()
    line = (json.dumps(chat("What is the capital of France? " * 8, "Paris. " * 8)) + "\n").encode()
    content = line * (3 * 1024 * 1024 // len(line) + 1)  # 3 MB into a 2 MB volume
    response = await client.post(
        BASE.format(team=me.team_id), files=[("files", ("big.jsonl", content, "application/jsonl"))],
        data={"name": "too big for the disk"}, headers=me.headers,
    )
    assert response.status_code in (507, 413), response.text
    assert response.json()["detail"].startswith("The server's storage is full"), response.json()
    assert [p for p in full_storage.rglob("*") if p.is_file()] == [], "no partial file is left"
    assert (await client.get(BASE.format(team=me.team_id), headers=me.headers)).json() == []

    # Once there is room again, the same upload goes through.
    subprocess.run(["mount", "-o", "remount,size=16m", str(full_storage)], check=True)
    response = await client.post(
        BASE.format(team=me.team_id), files=[("files", ("big.jsonl", content, "application/jsonl"))],
        data={"name": "fits now"}, headers=me.headers,
    )
    assert response.status_code == 201, response.text
