"""Personal API tokens: create (the token is in this answer only), list (no secrets), revoke. Only a
password sign-in manages them: an API token gets 403 here."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response, status

from tuneforge.api_tokens import service
from tuneforge.api_tokens.schemas import ApiTokenCreate, ApiTokenCreated, ApiTokenRead
from tuneforge.web.deps import PasswordCallerDep, SessionDep
from tuneforge.web.security_headers import no_store

# The create answer carries the token: never cached (set on the whole router).
router = APIRouter(prefix="/tokens", tags=["api-tokens"], dependencies=[Depends(no_store)])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_token(data: ApiTokenCreate, session: SessionDep, caller: PasswordCallerDep) -> ApiTokenCreated:
    """A new personal API token. `token` is shown in this answer only: copy it now."""
    return await service.create(session=session, user=caller.user, data=data)


@router.get("")
async def list_tokens(session: SessionDep, caller: PasswordCallerDep) -> list[ApiTokenRead]:
    """The caller's API tokens, newest first (revoked and expired ones too); never the secrets."""
    return await service.list_tokens(session=session, user=caller.user)


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_token(token_id: uuid.UUID, session: SessionDep, caller: PasswordCallerDep) -> Response:
    """Revokes one of the caller's tokens at once (another account's token: 404)."""
    await service.revoke(session=session, user=caller.user, token_id=token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
