from __future__ import annotations

import re


async def test_health_checks_the_database(client):
    from tuneforge import __version__

    response = await client.get("/api/health")
    assert response.status_code == 200
    # Public, so nothing beyond status and version.
    assert response.json() == {"status": "ok", "version": __version__}


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


async def test_info_is_for_signed_in_users_only(client):
    # It names the workers' hosts and devices: nothing an anonymous visitor should map.
    response = await client.get("/api/info")
    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"
    bad = await client.get("/api/info", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401


async def test_info_lists_capabilities_and_live_workers(client, db, register):
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
    account = await register()
    response = await client.get("/api/info", headers=account.headers)
    assert response.status_code == 200
    body = response.json()
    method_names = {m["name"] for m in body["methods"]}
    assert {"sft", "cpt", "dpo", "orpo", "kto", "grpo", "reward"} <= method_names
    assert {a["name"] for a in body["adapters"]} >= {"full", "lora", "qlora"}
    assert {"name": "unpaired_preference", "description": "labelled completions (good or bad)"} in body["data_kinds"]
    assert {e["name"] for e in body["executors"]} == {"local", "modal"}
    assert [w["name"] for w in body["workers"]] == ["gpu-box-1"]
    assert body["workers"][0]["devices"][0]["name"] == "NVIDIA H100"


async def test_openapi_and_docs_are_served(client):
    schema = await client.get("/api/openapi.json")
    assert schema.status_code == 200
    assert "/api/auth/login" in schema.json()["paths"]
    docs = await client.get("/api/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


async def test_docs_and_schema_can_be_switched_off(settings, db):
    import httpx
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from tuneforge.web.app import create_app

    app = create_app(settings.model_copy(update={"api_docs": False}))
    app.state.engine = db.engine
    app.state.sessionmaker = async_sessionmaker(
        bind=db, expire_on_commit=False, join_transaction_mode="create_savepoint", class_=AsyncSession
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        for path in ("/api/docs", "/api/openapi.json", "/api/redoc"):
            response = await http.get(path)
            assert response.status_code == 404, path
            assert response.json()["error"] == "NotFound"
            assert "See /api/docs" not in response.json()["detail"]
        assert (await http.get("/api/health")).status_code == 200


async def _register_worker(app, name: str, target, *, executors=("local",), devices=None) -> None:
    """A worker row as `tuneforge worker` registers it: with the capabilities it computed for itself."""
    from tuneforge.training import capabilities
    from tuneforge.worker_registry import service

    async with app.state.sessionmaker() as session:
        await service.register(
            session=session, name=name, hostname=name, pid=1, executors=list(executors), devices=devices or [],
            max_concurrent_jobs=1, version="0.1.0", capabilities=capabilities(target),
        )
        await session.commit()


async def test_info_reports_what_the_live_workers_can_train_not_the_api_host(app, client, register):
    import torch

    from tuneforge.training.spec import HF_PACKAGES, TRAIN_EXTRA_PACKAGES, Target

    assert not torch.cuda.is_available()  # this host has no GPU: whatever /api/info says of CUDA is a worker's
    account = await register()

    async def info() -> tuple[dict, dict, dict]:
        body = (await client.get("/api/info", headers=account.headers)).json()
        return ({p["name"]: p for p in body["providers"]}, {a["name"]: a for a in body["adapters"]},
                {m["name"]: m for m in body["methods"]})

    # No worker online: the wizard stays usable (a job waits in the queue), with a note saying so.
    providers, adapters, methods = await info()
    assert all(a["available"] for a in adapters.values()) and all(m["available"] for m in methods.values())
    assert adapters["qlora"]["reason"] == "No worker is online: start one with `tuneforge worker`"
    assert providers["unsloth"]["available"]

    # A CPU worker without bitsandbytes: QLoRA and Unsloth are not available, and why.
    await _register_worker(app, "cpu-box", Target(packages=HF_PACKAGES))
    providers, adapters, methods = await info()
    assert methods["sft"] == {**methods["sft"], "available": True, "reason": ""}
    assert adapters["qlora"] == {"name": "qlora", "available": False,
                                 "reason": "No online worker can run it: bitsandbytes is not installed"}
    assert not providers["unsloth"]["available"] and "NVIDIA GPU" in providers["unsloth"]["reason"]
    assert providers["auto"]["resolves_to"] == "hf"

    # A CUDA worker with unsloth joins: Unsloth is available although this host has no GPU.
    await _register_worker(app, "gpu-box", Target(cuda=True, bf16=True, packages=TRAIN_EXTRA_PACKAGES | {"unsloth"}),
                           devices=[{"type": "cuda", "name": "NVIDIA H100"}])
    providers, adapters, _ = await info()
    assert providers["unsloth"]["available"] and providers["unsloth"]["reason"] == ""
    assert adapters["qlora"] == {"name": "qlora", "available": True, "reason": ""}
    assert providers["auto"]["resolves_to"] == "hf or unsloth"


async def test_info_counts_the_modal_image_when_a_worker_dispatches_to_modal(app, client, register):
    from tuneforge.training.spec import Target

    account = await register()
    # This worker's own machine has nothing, but it sends jobs to Modal, whose image has bitsandbytes.
    await _register_worker(app, "dispatcher", Target(), executors=("modal",))
    body = (await client.get("/api/info", headers=account.headers)).json()
    adapters = {a["name"]: a for a in body["adapters"]}
    providers = {p["name"]: p for p in body["providers"]}
    assert adapters["qlora"]["available"] and adapters["qlora"]["reason"] == ""
    assert not providers["unsloth"]["available"] and "unsloth is not installed" in providers["unsloth"]["reason"]
