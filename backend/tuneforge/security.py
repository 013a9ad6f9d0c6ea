"""Password hashing, JWT access tokens, opaque refresh tokens and at-rest encryption."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import bcrypt
import jwt
from cryptography.fernet import InvalidToken, MultiFernet, Fernet

from tuneforge.config import Settings

ACCESS_TOKEN_ALGORITHM = "HS256"
BCRYPT_MAX_BYTES = 72


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def verify_password(password: str, password_hash: str) -> bool:
    encoded = password.encode()
    if len(encoded) > BCRYPT_MAX_BYTES:
        return False
    return bcrypt.checkpw(encoded, password_hash.encode())


# Spent on unknown emails so that login takes the same time whether or not the account exists.
DUMMY_PASSWORD_HASH = hash_password(secrets.token_urlsafe(16))


# How a session signed in, carried by its access tokens ("via") and its refresh tokens (refresh_token.via);
# "token" is a personal API token's. SSO-only teams admit "sso" only.
VIA_PASSWORD = "password"
VIA_SSO = "sso"
VIA_TOKEN = "token"


def create_access_token(
    *, settings: Settings, user_id: uuid.UUID, session_id: uuid.UUID, via: str = VIA_PASSWORD
) -> tuple[str, int]:
    now = datetime.now(UTC)
    lifetime = timedelta(minutes=settings.access_token_minutes)
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "type": "access",
        "via": via,
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, settings.jwt_secret, algorithm=ACCESS_TOKEN_ALGORITHM)
    return token, int(lifetime.total_seconds())


class InvalidAccessToken(Exception):
    pass


def decode_access_token(*, settings: Settings, token: str) -> tuple[uuid.UUID, uuid.UUID]:
    """Returns (user_id, session_id). Only HS256 is accepted, so `alg: none` and key confusion fail."""
    user_id, session_id, _ = decode_access_token_via(settings=settings, token=token)
    return user_id, session_id


def decode_access_token_via(*, settings: Settings, token: str) -> tuple[uuid.UUID, uuid.UUID, str]:
    """(user_id, session_id, via). Tokens issued before single sign-on existed carry no "via": password."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ACCESS_TOKEN_ALGORITHM],
            options={"require": ["exp", "iat", "sub", "sid", "type"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidAccessToken("Your session has expired. Sign in again.") from exc
    except jwt.PyJWTError as exc:
        raise InvalidAccessToken("The access token is not valid. Sign in again.") from exc
    if claims.get("type") != "access":
        raise InvalidAccessToken("The access token is not valid. Sign in again.")
    via = claims.get("via", VIA_PASSWORD)
    if via not in (VIA_PASSWORD, VIA_SSO):
        raise InvalidAccessToken("The access token is not valid. Sign in again.")
    try:
        return uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"]), via
    except (ValueError, TypeError) as exc:
        raise InvalidAccessToken("The access token is not valid. Sign in again.") from exc


def access_token_expires_at(*, settings: Settings, token: str) -> datetime:
    """When a valid access token expires (InvalidAccessToken if it is not valid): open WebSockets close then."""
    decode_access_token(settings=settings, token=token)
    claims = jwt.decode(token, settings.jwt_secret, algorithms=[ACCESS_TOKEN_ALGORITHM], options={"verify_exp": False})
    return datetime.fromtimestamp(int(claims["exp"]), UTC)


def new_refresh_token() -> str:
    return secrets.token_urlsafe(48)


def hash_refresh_token(token: str) -> str:
    # Refresh tokens are 384 random bits, so a fast hash is enough (no need for bcrypt).
    return hashlib.sha256(token.encode()).hexdigest()


API_TOKEN_PREFIX = "tfp_"


def new_api_token() -> str:
    """A personal API token: a recognisable prefix (secret scanners, logs) and 240 random bits (40 characters)."""
    return API_TOKEN_PREFIX + secrets.token_urlsafe(30)


def is_api_token(token: str) -> bool:
    return token.startswith(API_TOKEN_PREFIX)


def hash_api_token(token: str) -> str:
    # 240 random bits: a fast hash is enough, as for refresh tokens.
    return hashlib.sha256(token.encode()).hexdigest()


class SecretBox:
    """Encrypts secrets at rest with MultiFernet: the first key encrypts, every key decrypts."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, ciphertext: bytes) -> str:
        try:
            return self._fernet.decrypt(ciphertext).decode()
        except InvalidToken as exc:
            raise ValueError(
                "a stored secret cannot be decrypted with the configured TUNEFORGE_ENCRYPTION_KEYS "
                "(was a key removed?)"
            ) from exc

    def rotate(self, ciphertext: bytes) -> bytes:
        """The same secret, re-encrypted with the first key (any configured key may decrypt it)."""
        try:
            return self._fernet.rotate(ciphertext)
        except InvalidToken as exc:
            raise ValueError(
                "a stored secret cannot be decrypted with the configured TUNEFORGE_ENCRYPTION_KEYS "
                "(was a key removed?)"
            ) from exc
