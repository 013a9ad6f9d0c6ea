from __future__ import annotations

import re


async def test_health_checks_the_database(client):
    response = await client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_every_response_has_a_request_id_and_keeps_a_sane_incoming_one(client):
    response = await client.get("/api/health")
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    response = await client.get("/api/health", headers={"X-Request-ID": "trace-12345678"})
    assert response.headers["x-request-id"] == "trace-12345678"
    hostile = await client.get("/api/health", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert hostile.headers["x-request-id"] != "<script>alert(1)</script>"


async def test_unknown_api_path_uses_the_common_error_shape(client):
    response = await client.get("/api/nope")
    assert response.status_code == 404
    assert response.json()["error"] == "NotFound"
    assert "/api/docs" in response.json()["detail"]


async def test_info_lists_capabilities_and_live_workers(client, db):
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from tuneforge.worker_registry.models import Worker

    await db.execute(
        insert(Worker).values(
            name="gpu-box-1",
            hostname="gpu-box",
            pid=1,
            executors=["local"],
            devices=[{"type": "cuda", "name": "NVIDIA H100", "memory_total_gb": 80}],
            max_concurrent_jobs=2,
            version="0.1.0",
            last_seen_at=datetime.now(UTC),
        )
    )
    response = await client.get("/api/info")
    assert response.status_code == 200
    body = response.json()
    method_names = {m["name"] for m in body["methods"]}
    assert {"sft", "cpt", "dpo", "orpo", "kto", "grpo", "reward"} <= method_names
    assert {a["name"] for a in body["adapters"]} >= {"full", "lora", "qlora"}
    assert {e["name"] for e in body["executors"]} == {"local", "modal"}
    assert [w["name"] for w in body["workers"]] == ["gpu-box-1"]
    assert body["workers"][0]["devices"][0]["name"] == "NVIDIA H100"


async def test_openapi_and_docs_are_served(client):
    schema = await client.get("/api/openapi.json")
    assert schema.status_code == 200
    assert "/api/auth/login" in schema.json()["paths"]
    docs = await client.get("/api/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
