"""Team credentials: a team's Hugging Face and Modal tokens and its Ollama server, set by admins and
used for a member's job or publication when that member has none of their own.

Tokens are encrypted, verified and shown exactly like a user's (`credentials.service`); only which
ones are set, their last 4 characters and who set them ever leave the server. `resolve_secret` is the
one place that decides whose token is used: the member's own, else the team's, else none."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.audit import service as audit
from tuneforge.auth.models import User
from tuneforge.config import Settings
from tuneforge.credentials import service as user_credentials
from tuneforge.credentials.models import Credential, CredentialSource, Provider, TeamCredential, TeamOllamaUrl
from tuneforge.credentials.schemas import TeamCredentialRead, TeamCredentialsRead, TeamOllamaRead
from tuneforge.errors import BadRequest


async def _get(*, session: AsyncSession, team_id: uuid.UUID, provider: Provider) -> TeamCredential | None:
    return await session.scalar(
        select(TeamCredential).where(TeamCredential.team_id == team_id, TeamCredential.provider == provider)
    )


async def _names(session: AsyncSession, user_ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return {row.id: row.display_name for row in await session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))}


def _read(provider: Provider, credential: TeamCredential | None, names: dict[uuid.UUID, str]) -> TeamCredentialRead:
    base = user_credentials.to_read(provider, credential)  # type: ignore[arg-type]  # same columns as a user's
    return TeamCredentialRead(
        **base.model_dump(), saved_by_name=names.get(credential.saved_by) if credential and credential.saved_by else None
    )


async def describe(*, session: AsyncSession, team_id: uuid.UUID) -> TeamCredentialsRead:
    """Which team tokens are set (last 4, status, who set them) and the team's Ollama server — never a secret."""
    stored = {c.provider: c for c in await session.scalars(select(TeamCredential).where(TeamCredential.team_id == team_id))}
    ollama = await session.get(TeamOllamaUrl, team_id)
    names = await _names(session, {c.saved_by for c in stored.values()} | {ollama.set_by if ollama else None})
    return TeamCredentialsRead(
        credentials=[_read(p, stored.get(p), names) for p in Provider],
        ollama=TeamOllamaRead(
            url=ollama.url if ollama else None, set_at=ollama.set_at if ollama else None,
            set_by_name=names.get(ollama.set_by) if ollama and ollama.set_by else None,
        ),
    )


async def save(
    *, session: AsyncSession, settings: Settings, team_id: uuid.UUID, actor: User, provider: Provider,
    secret: dict[str, str],
) -> TeamCredentialRead:
    """Save (encrypted) first, then verify, as for a user's token; audited without the secret."""
    shown = secret["token"] if provider == Provider.huggingface else secret["token_id"]
    credential = await _get(session=session, team_id=team_id, provider=provider)
    replaced = credential is not None
    if credential is None:
        credential = TeamCredential(team_id=team_id, provider=provider)
        session.add(credential)
    credential.ciphertext = user_credentials._box(settings).encrypt(json.dumps(secret))
    credential.last4 = shown[-4:]
    credential.saved_at = datetime.now(UTC)
    credential.saved_by = actor.id
    user_credentials._apply(credential, await user_credentials._verify(settings=settings, provider=provider, secret=secret))
    await session.flush()
    await audit.record(
        session, action="team_credential.saved", actor=actor, team_id=team_id, target_type="team_credential",
        target_id=credential.id, target_label=provider.value,
        detail={"provider": provider.value, "last4": credential.last4, "replaced": replaced, "status": credential.status.value},
    )
    return _read(provider, credential, {actor.id: actor.display_name})


async def remove(*, session: AsyncSession, team_id: uuid.UUID, actor: User, provider: Provider) -> None:
    """Idempotent: removing what is not set changes (and audits) nothing."""
    credential = await _get(session=session, team_id=team_id, provider=provider)
    if credential is None:
        return
    await session.delete(credential)
    await session.flush()
    await audit.record(
        session, action="team_credential.removed", actor=actor, team_id=team_id, target_type="team_credential",
        target_id=credential.id, target_label=provider.value, detail={"provider": provider.value, "last4": credential.last4},
    )


def check_ollama_url(settings: Settings, url: str) -> str:
    """The same allow-list publishing applies: only servers in TUNEFORGE_OLLAMA_URLS."""
    url = url.strip()
    if url not in settings.ollama_urls:
        raise BadRequest(f"TuneForge publishes only to the Ollama servers its administrator allowed: "
                         f"{', '.join(settings.ollama_urls)} (TUNEFORGE_OLLAMA_URLS). Pick one of them.")
    return url


async def set_ollama_url(
    *, session: AsyncSession, settings: Settings, team_id: uuid.UUID, actor: User, url: str
) -> TeamOllamaRead:
    url = check_ollama_url(settings, url)
    row = await session.get(TeamOllamaUrl, team_id)
    old = row.url if row else None
    if row is None:
        row = TeamOllamaUrl(team_id=team_id)
        session.add(row)
    row.url, row.set_by, row.set_at = url, actor.id, datetime.now(UTC)
    await session.flush()
    await audit.record(
        session, action="team_ollama_url.set", actor=actor, team_id=team_id, target_type="team", target_id=team_id,
        target_label=url, detail={"old": old, "new": url},
    )
    return TeamOllamaRead(url=row.url, set_at=row.set_at, set_by_name=actor.display_name)


async def remove_ollama_url(*, session: AsyncSession, team_id: uuid.UUID, actor: User) -> None:
    """Idempotent, like `remove`."""
    row = await session.get(TeamOllamaUrl, team_id)
    if row is None:
        return
    await session.delete(row)
    await session.flush()
    await audit.record(
        session, action="team_ollama_url.removed", actor=actor, team_id=team_id, target_type="team", target_id=team_id,
        target_label=row.url, detail={"old": row.url, "new": None},
    )


async def team_ollama_url(*, session: AsyncSession, team_id: uuid.UUID) -> str | None:
    row = await session.get(TeamOllamaUrl, team_id)
    return row.url if row else None


async def which(
    *, session: AsyncSession, user_id: uuid.UUID | None, team_id: uuid.UUID, provider: Provider
) -> tuple[Credential | TeamCredential | None, CredentialSource | None]:
    """Whose token would be used (the member's own, else the team's), without decrypting anything."""
    if user_id is not None:
        own = await session.scalar(select(Credential).where(Credential.user_id == user_id, Credential.provider == provider))
        if own is not None:
            return own, CredentialSource.user
    team = await _get(session=session, team_id=team_id, provider=provider)
    if team is not None:
        return team, CredentialSource.team
    return None, None


async def resolve_secret(
    *, session: AsyncSession, settings: Settings, user_id: uuid.UUID | None, team_id: uuid.UUID, provider: Provider
) -> tuple[dict[str, str] | None, CredentialSource | None]:
    """The decrypted token to use for `user_id`'s work in `team_id` and where it came from: the member's
    own, else the team's, else (None, None). For server-side use only, right where the token is used."""
    credential, source = await which(session=session, user_id=user_id, team_id=team_id, provider=provider)
    if credential is None:
        return None, None
    return user_credentials.decrypt(settings=settings, credential=credential), source
