from __future__ import annotations

from fastapi import APIRouter, Depends, Response, status

from tuneforge.credentials import service
from tuneforge.credentials.models import Provider
from tuneforge.credentials.schemas import CredentialRead, HuggingFaceTokenIn, ModalTokenIn
from tuneforge.web.deps import CurrentUser, SessionDep, SettingsDep
from tuneforge.web.security_headers import no_store

# Saved tokens (only their last 4 characters, but still): never cached.
router = APIRouter(prefix="/credentials", tags=["credentials"], dependencies=[Depends(no_store)])


@router.get("")
async def list_credentials(session: SessionDep, user: CurrentUser) -> list[CredentialRead]:
    return await service.list_credentials(session=session, user_id=user.id)


@router.put("/huggingface")
async def save_huggingface(
    data: HuggingFaceTokenIn, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> CredentialRead:
    return await service.save(
        session=session, settings=settings, user_id=user.id, provider=Provider.huggingface, secret={"token": data.token}
    )


@router.put("/modal")
async def save_modal(data: ModalTokenIn, session: SessionDep, settings: SettingsDep, user: CurrentUser) -> CredentialRead:
    return await service.save(
        session=session,
        settings=settings,
        user_id=user.id,
        provider=Provider.modal,
        secret={"token_id": data.token_id, "token_secret": data.token_secret},
    )


@router.post("/{provider}/validate")
async def validate(provider: Provider, session: SessionDep, settings: SettingsDep, user: CurrentUser) -> CredentialRead:
    return await service.revalidate(session=session, settings=settings, user_id=user.id, provider=provider)


@router.delete("/{provider}", status_code=status.HTTP_204_NO_CONTENT)
async def delete(provider: Provider, session: SessionDep, user: CurrentUser) -> Response:
    await service.remove(session=session, user_id=user.id, provider=provider)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
