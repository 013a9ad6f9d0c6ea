"""No password, token or secret ever appears in a log line."""

from __future__ import annotations

import io
import json
import logging

HF_TOKEN = "hf_validtoken1234567890"


async def test_logs_carry_request_ids_and_no_secrets(client, register, fake_hub):
    from tuneforge.log import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        account = await register(password="my very secret passphrase")
        login = await client.post(
            "/api/auth/login", json={"email": account.email, "password": "my very secret passphrase"}
        )
        tokens = login.json()
        await client.put("/api/credentials/huggingface", json={"token": HF_TOKEN}, headers=account.headers)
        await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        await client.get("/api/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        # Even a careless log call with a secret in it is scrubbed.
        logging.getLogger("tuneforge.test").warning("debug dump token=%s password=%s", HF_TOKEN, "hunter2hunter2")
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)

    output = stream.getvalue()
    secrets = [
        "my very secret passphrase",
        HF_TOKEN,
        tokens["access_token"],
        tokens["refresh_token"],
        account.tokens["access_token"],
        account.tokens["refresh_token"],
        "hunter2hunter2",
    ]
    for secret in secrets:
        assert secret not in output
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "tuneforge.access"]
    assert access and all(len(line["request_id"]) == 32 for line in access)
    assert any(line["message"].startswith("POST /api/auth/login 200") for line in access)
