"""Publishing routes: publish a model version to the Hugging Face Hub, to an Ollama server or as GGUF files
(a worker task with progress), its history, cancel, delete, and the files to download."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status
from fastapi.responses import FileResponse

from tuneforge.config import get_settings
from tuneforge.publishing import service
from tuneforge.publishing.deps import EditablePublication, ViewablePublication
from tuneforge.publishing.schemas import PublicationCreate, PublicationRead, PublishingOptions
from tuneforge.registry.deps import EditableVersion, ViewableVersion
from tuneforge.storage import get_storage
from tuneforge.teams import repository as teams_repository
from tuneforge.teams.models import Role
from tuneforge.web.deps import CurrentUser, SessionDep

router = APIRouter(tags=["publishing"])


@router.get("/publishing/options")
async def publishing_options(session: SessionDep, user: CurrentUser, team_id: uuid.UUID | None = None) -> PublishingOptions:
    """What the publish dialog offers you: Ollama servers, GGUF types, your Hub token, worker availability. With
    `team_id` (a team of yours), the team's Hub token counts when you have none, and its Ollama server comes first."""
    if team_id is not None:
        await teams_repository.require_membership(session=session, user_id=user.id, team_id=team_id, min_role=Role.viewer)
    return await service.options(session=session, settings=get_settings(), user=user, team_id=team_id)


@router.post("/model-versions/{version_id}/publications", status_code=status.HTTP_201_CREATED)
async def publish(version: EditableVersion, body: PublicationCreate, session: SessionDep, user: CurrentUser) -> PublicationRead:
    """Publish the version (a worker merges, converts, uploads and verifies it; follow the returned row)."""
    return await service.create(session=session, settings=get_settings(), storage=get_storage(), version=version, user=user,
                                body=body)


@router.get("/model-versions/{version_id}/publications")
async def publication_history(version: ViewableVersion, session: SessionDep) -> list[PublicationRead]:
    """Every publication of the version, newest first: target, who, when, status, link, verification, error."""
    return await service.history(session=session, version=version)


@router.get("/publications/{publication_id}")
async def get_publication(publication: ViewablePublication, session: SessionDep) -> PublicationRead:
    return await service.read(session=session, publication=publication)


@router.post("/publications/{publication_id}/cancel")
async def cancel_publication(publication: EditablePublication, session: SessionDep, user: CurrentUser) -> PublicationRead:
    """A queued publication ends at once; a running one stops at its next step (a conversion is killed)."""
    return await service.cancel(session=session, publication=publication, actor=user)


@router.delete("/publications/{publication_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_publication(publication: EditablePublication, session: SessionDep, user: CurrentUser) -> Response:
    """Removes the record and its GGUF files; what was published to the Hub or to Ollama stays there."""
    await service.delete(session=session, storage=get_storage(), publication=publication, actor=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/publications/{publication_id}/files/{name}", response_class=FileResponse,
            responses={200: {"content": {"application/octet-stream": {}}}})
async def download_file(publication: ViewablePublication, name: str) -> FileResponse:
    """A GGUF file or the Modelfile, as published (its sha256 is in the publication)."""
    path = service.file_path(storage=get_storage(), publication=publication, name=name)
    return FileResponse(path, filename=name, media_type="application/octet-stream")
