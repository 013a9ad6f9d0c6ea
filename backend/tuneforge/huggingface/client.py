"""Talks to the Hugging Face Hub's HTTP API (GET /api/models). Tests point it at a loopback server
with the same API (tuneforge.testing.fake_hub), so this code is what they exercise."""

from __future__ import annotations

from typing import Any

import httpx

from tuneforge.errors import AppError, ServiceUnavailable


class HubUnavailable(ServiceUnavailable):
    pass


class HubError(AppError):
    status_code = 502


class HubTokenRejected(HubError):
    """The Hub answered 401 to a request that carried the user's token."""


def _model(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(raw.get("id") or raw.get("modelId")),
        "downloads": int(raw.get("downloads") or 0),
        "likes": int(raw.get("likes") or 0),
        "pipeline_tag": raw.get("pipeline_tag"),
        "library": raw.get("library_name"),
        "gated": bool(raw.get("gated")),  # False, or "auto"/"manual" on the Hub
        "private": bool(raw.get("private")),
        "last_modified": raw.get("lastModified"),
    }


async def search_models(
    *, endpoint: str, query: str, token: str | None, limit: int = 20, timeout: float = 8.0
) -> list[dict[str, Any]]:
    """Text-generation models whose id matches `query`, most downloaded first."""
    params = {"search": query, "limit": str(limit), "sort": "downloads", "direction": "-1", "filter": "text-generation"}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = endpoint.rstrip("/") + "/api/models"
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.get(url, params=params, headers=headers)
    except httpx.HTTPError:
        raise HubUnavailable(
            "Hugging Face cannot be reached from this server. Pick a bundled model, a local folder or a previous "
            "job's output — or try again when the server is online."
        ) from None
    if response.status_code == 401 and token:
        raise HubTokenRejected("Hugging Face rejected your saved token. Save a new one in Settings.")
    if response.status_code != 200:
        raise HubError(f"Hugging Face answered {response.status_code} to the search; try again in a minute.")
    try:
        body = response.json()
        if not isinstance(body, list):
            raise TypeError
        return [_model(raw) for raw in body if isinstance(raw, dict) and (raw.get("id") or raw.get("modelId"))]
    except (ValueError, TypeError):
        raise HubError("Hugging Face gave an answer TuneForge could not read; try again in a minute.") from None
