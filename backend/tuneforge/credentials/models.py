from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, Enum, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tuneforge.db import Base, CreatedAt, UUIDPrimaryKey


class Provider(StrEnum):
    huggingface = "huggingface"
    modal = "modal"


class VerificationStatus(StrEnum):
    unverified = "unverified"
    valid = "valid"
    invalid = "invalid"


class Credential(UUIDPrimaryKey, CreatedAt, Base):
    """A user's token for an outside service, encrypted at rest. The plaintext never leaves the server."""

    __tablename__ = "credential"
    __table_args__ = (UniqueConstraint("user_id", "provider"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    provider: Mapped[Provider] = mapped_column(Enum(Provider, name="credential_provider", native_enum=False, length=32))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    last4: Mapped[str] = mapped_column(String(4))
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[VerificationStatus] = mapped_column(
        Enum(VerificationStatus, name="credential_status", native_enum=False, length=16)
    )
    message: Mapped[str | None] = mapped_column(String(300))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    username: Mapped[str | None] = mapped_column(String(200))


class TeamCredential(UUIDPrimaryKey, CreatedAt, Base):
    """A team's token for an outside service, encrypted like a user's (`Credential`): used for a member's
    job or publication when that member has none of their own. Set and removed by the team's admins."""

    __tablename__ = "team_credential"
    __table_args__ = (UniqueConstraint("team_id", "provider"),)

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    provider: Mapped[Provider] = mapped_column(
        Enum(Provider, name="team_credential_provider", native_enum=False, length=32)
    )
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    last4: Mapped[str] = mapped_column(String(4))
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    saved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[VerificationStatus] = mapped_column(
        Enum(VerificationStatus, name="team_credential_status", native_enum=False, length=16)
    )
    message: Mapped[str | None] = mapped_column(String(300))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    username: Mapped[str | None] = mapped_column(String(200))


class TeamOllamaUrl(Base):
    """The Ollama server a team publishes to by default; always one of TUNEFORGE_OLLAMA_URLS."""

    __tablename__ = "team_ollama_url"

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    set_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CredentialSource(StrEnum):
    """Whose token a job or publication used: the acting member's own, or the team's."""

    user = "user"
    team = "team"
