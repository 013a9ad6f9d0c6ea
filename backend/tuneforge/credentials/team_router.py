"""A team's credentials: its Hugging Face and Modal tokens and its Ollama server. Viewers see what is
set (never a secret); admins and owners change it."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response, status

from tuneforge.credentials import team_service
from tuneforge.credentials.models import Provider
from tuneforge.credentials.schemas import (
    HuggingFaceTokenIn,
    ModalTokenIn,
    TeamCredentialRead,
    TeamCredentialsRead,
    TeamOllamaIn,
    TeamOllamaRead,
)
from tuneforge.teams.models import Membership, Role
from tuneforge.web.deps import CurrentUser, SessionDep, SettingsDep, TeamMember
from tuneforge.web.security_headers import no_store

# Saved tokens (only their last 4 characters, but still): never cached.
router = APIRouter(tags=["team credentials"], dependencies=[Depends(no_store)])


@router.get("/teams/{team_id}/credentials")
async def list_team_credentials(
    team_id: uuid.UUID, session: SessionDep, _: Membership = TeamMember(Role.viewer)
) -> TeamCredentialsRead:
    """Which team tokens are set, their last 4 characters, status and who set them, and the team's Ollama server."""
    return await team_service.describe(session=session, team_id=team_id)


@router.put("/teams/{team_id}/credentials/huggingface")
async def save_team_huggingface(
    team_id: uuid.UUID, data: HuggingFaceTokenIn, session: SessionDep, settings: SettingsDep, user: CurrentUser,
    _: Membership = TeamMember(Role.admin),
) -> TeamCredentialRead:
    """The team's Hugging Face token, used by members who have none of their own (admin)."""
    return await team_service.save(session=session, settings=settings, team_id=team_id, actor=user,
                                   provider=Provider.huggingface, secret={"token": data.token})


@router.put("/teams/{team_id}/credentials/modal")
async def save_team_modal(
    team_id: uuid.UUID, data: ModalTokenIn, session: SessionDep, settings: SettingsDep, user: CurrentUser,
    _: Membership = TeamMember(Role.admin),
) -> TeamCredentialRead:
    """The team's Modal token, which runs (and is billed for) Modal jobs of members who have none (admin)."""
    return await team_service.save(session=session, settings=settings, team_id=team_id, actor=user, provider=Provider.modal,
                                   secret={"token_id": data.token_id, "token_secret": data.token_secret})


@router.delete("/teams/{team_id}/credentials/{provider}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_team_credential(
    team_id: uuid.UUID, provider: Provider, session: SessionDep, user: CurrentUser, _: Membership = TeamMember(Role.admin)
) -> Response:
    await team_service.remove(session=session, team_id=team_id, actor=user, provider=provider)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/teams/{team_id}/ollama-url")
async def set_team_ollama_url(
    team_id: uuid.UUID, data: TeamOllamaIn, session: SessionDep, settings: SettingsDep, user: CurrentUser,
    _: Membership = TeamMember(Role.admin),
) -> TeamOllamaRead:
    """The Ollama server the team publishes to by default; one of TUNEFORGE_OLLAMA_URLS (admin)."""
    return await team_service.set_ollama_url(session=session, settings=settings, team_id=team_id, actor=user, url=data.url)


@router.delete("/teams/{team_id}/ollama-url", status_code=status.HTTP_204_NO_CONTENT)
async def delete_team_ollama_url(
    team_id: uuid.UUID, session: SessionDep, user: CurrentUser, _: Membership = TeamMember(Role.admin)
) -> Response:
    await team_service.remove_ollama_url(session=session, team_id=team_id, actor=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
