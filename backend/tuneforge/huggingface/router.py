"""The Hub as the wizard sees it: search for a base model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from tuneforge.credentials import service as credentials
from tuneforge.credentials.models import Provider
from tuneforge.web.deps import CurrentUser, SessionDep, SettingsDep
from tuneforge.errors import BadRequest
from tuneforge.huggingface import client

router = APIRouter(prefix="/hub", tags=["hub"])


class HubModel(BaseModel):
    id: str
    downloads: int
    likes: int
    pipeline_tag: str | None
    library: str | None
    gated: bool
    private: bool
    last_modified: str | None


class HubSearch(BaseModel):
    query: str
    models: list[HubModel]
    with_token: bool  # searched with the user's saved token: their private and gated models show too
    warning: str | None = None


@router.get("/models")
async def search_models(
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    search: Annotated[str, Query(min_length=2, max_length=96, description="Part of a model id, e.g. 'smollm2'")],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> HubSearch:
    """Text-generation models on the Hugging Face Hub whose id contains `search`, most downloaded first."""
    query = search.strip()
    if len(query) < 2:
        raise BadRequest("Type at least 2 characters of a model id to search the Hub.")
    secret = await credentials.get_secret(session=session, settings=settings, user_id=user.id, provider=Provider.huggingface)
    token = secret["token"] if secret else None
    warning = None
    try:
        models = await client.search_models(endpoint=settings.hf_endpoint, query=query, token=token, limit=limit)
    except client.HubTokenRejected as exc:
        token, warning = None, f"{exc.detail} Showing public models only."
        models = await client.search_models(endpoint=settings.hf_endpoint, query=query, token=None, limit=limit)
    return HubSearch(query=query, models=[HubModel(**m) for m in models], with_token=token is not None, warning=warning)
