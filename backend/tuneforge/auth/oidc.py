"""The OpenID Connect client of single sign-on: the authorization-code flow with PKCE (S256), `state` and
`nonce`, the provider's discovery document and keys (cached), the token exchange with the client secret,
and the ID token's verification (signature by the provider's JWKS, issuer, audience, expiry, nonce).

The flow's secrets (state, nonce, PKCE verifier, where to go next) travel in a short-lived cookie signed
with TUNEFORGE_JWT_SECRET, HttpOnly and scoped to /api/auth/sso: no table, and any API process can finish
a flow another one started. Every failure is an `SsoError` whose message is safe to show: it never holds
the client secret nor the provider's raw answer. Core code: no web framework here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx
import jwt

from tuneforge.config import Settings

log = logging.getLogger("tuneforge.sso")

FLOW_COOKIE = "tuneforge_sso"
FLOW_COOKIE_PATH = "/api/auth/sso"
FLOW_SECONDS = 600  # from the button to the callback: enough for a password and a second factor
CLOCK_LEEWAY_S = 60
DISCOVERY_TTL_S = 3600
HTTP_TIMEOUT_S = 10.0
# Asymmetric signatures only: an HS256 ID token would be "signed" with our own client secret.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
_FLOW_TYPE = "sso_flow"
_ERROR_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")


class SsoError(Exception):
    """A sign-in that did not happen. `message` is for the person (login page); `reason` a short code for
    the audit log."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class Flow:
    state: str
    nonce: str
    verifier: str
    next_path: str


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in, after every check."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None


def safe_next_path(value: str | None) -> str:
    """Only a path of this site: `//evil.example` or `https://...` would send the signed-in person away."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 500:
        return "/"
    if any(ord(c) < 0x20 for c in value):
        return "/"
    return value


# -- the flow cookie -------------------------------------------------------------------------------


def new_flow(next_path: str | None) -> Flow:
    return Flow(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(64),  # 86 characters: within PKCE's 43..128
        next_path=safe_next_path(next_path),
    )


def seal_flow(*, settings: Settings, flow: Flow) -> str:
    now = int(time.time())
    claims = {"type": _FLOW_TYPE, "st": flow.state, "no": flow.nonce, "cv": flow.verifier, "nx": flow.next_path,
              "iat": now, "exp": now + FLOW_SECONDS}
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def open_flow(*, settings: Settings, cookie: str | None, state: str | None) -> Flow:
    """The flow this browser started, if the callback's `state` is its own."""
    if not cookie:
        raise SsoError(
            "This sign-in was not started in this browser, or its cookie was blocked. Start again with the "
            "single sign-on button.",
            reason="no_flow_cookie",
        )
    try:
        claims = jwt.decode(cookie, settings.jwt_secret, algorithms=["HS256"], options={"require": ["exp", "iat"]})
    except jwt.ExpiredSignatureError:
        raise SsoError(
            f"The sign-in took longer than {FLOW_SECONDS // 60} minutes and expired. Start again.", reason="flow_expired"
        ) from None
    except jwt.PyJWTError:
        raise SsoError("This sign-in is not valid. Start again with the single sign-on button.",
                       reason="flow_invalid") from None
    if claims.get("type") != _FLOW_TYPE:
        raise SsoError("This sign-in is not valid. Start again with the single sign-on button.", reason="flow_invalid")
    if not state or not hmac.compare_digest(str(claims["st"]), state):
        raise SsoError(
            "This sign-in answer does not belong to the sign-in this browser started (state mismatch), so it was "
            "refused. Start again with the single sign-on button.",
            reason="state_mismatch",
        )
    return Flow(state=claims["st"], nonce=claims["no"], verifier=claims["cv"], next_path=safe_next_path(claims["nx"]))


def code_challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


# -- the provider ----------------------------------------------------------------------------------

_discovery_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_jwks_cache: dict[str, dict[str, Any]] = {}


def clear_caches() -> None:
    _discovery_cache.clear()
    _jwks_cache.clear()


def _unreachable(settings: Settings, reason: str) -> SsoError:
    return SsoError(
        f"{settings.oidc_name} could not be reached or answered in a way TuneForge cannot use, so you were not "
        "signed in. Try again in a minute; if it keeps failing, tell your TuneForge administrator.",
        reason=reason,
    )


async def _get_json(settings: Settings, url: str, *, reason: str, headers: dict[str, str] | None = None) -> dict:
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as http:
            response = await http.get(url, headers={"Accept": "application/json", **(headers or {})})
    except httpx.HTTPError as exc:
        log.warning("sso: %s: %s unreachable (%s)", reason, url, type(exc).__name__)
        raise _unreachable(settings, reason) from None
    if response.status_code != 200:
        log.warning("sso: %s: %s answered %s", reason, url, response.status_code)
        raise _unreachable(settings, reason)
    try:
        body = response.json()
    except ValueError:
        raise _unreachable(settings, reason) from None
    if not isinstance(body, dict):
        raise _unreachable(settings, reason)
    return body


async def provider(settings: Settings) -> dict[str, Any]:
    """The discovery document (`.well-known/openid-configuration`), kept for an hour."""
    if not settings.oidc_enabled:
        raise SsoError("Single sign-on is not set up on this TuneForge. Sign in with your email and password.",
                       reason="not_configured")
    url = settings.oidc_discovery_url
    assert url is not None
    cached = _discovery_cache.get(url)
    if cached and time.monotonic() - cached[0] < DISCOVERY_TTL_S:
        return cached[1]
    document = await _get_json(settings, url, reason="discovery_failed")
    for key in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(document.get(key), str):
            log.warning("sso: the discovery document at %s has no %s", url, key)
            raise _unreachable(settings, "discovery_incomplete")
    _discovery_cache[url] = (time.monotonic(), document)
    return document


async def authorization_url(*, settings: Settings, flow: Flow, redirect_uri: str) -> str:
    document = await provider(settings)
    query = {
        "response_type": "code",
        "client_id": settings.oidc_client_id,
        "redirect_uri": redirect_uri,
        "scope": settings.oidc_scopes if "openid" in settings.oidc_scopes.split() else f"openid {settings.oidc_scopes}",
        "state": flow.state,
        "nonce": flow.nonce,
        "code_challenge": code_challenge(flow.verifier),
        "code_challenge_method": "S256",
    }
    endpoint = document["authorization_endpoint"]
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


async def _exchange_code(*, settings: Settings, document: dict, code: str, verifier: str, redirect_uri: str) -> dict:
    """POST to the token endpoint, authenticated as the provider asks (client_secret_basic unless it only
    advertises client_secret_post)."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    auth: httpx.BasicAuth | None = None
    if secret is None:
        form["client_id"] = settings.oidc_client_id or ""
    elif "client_secret_basic" in methods or "client_secret_post" not in methods:
        # RFC 6749 2.3.1: both parts form-urlencoded before the Basic encoding.
        auth = httpx.BasicAuth(quote_plus(settings.oidc_client_id or ""), quote_plus(secret))
    else:
        form.update(client_id=settings.oidc_client_id or "", client_secret=secret)
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as http:
            response = await http.post(document["token_endpoint"], data=form, auth=auth,
                                       headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        log.warning("sso: token endpoint unreachable (%s)", type(exc).__name__)
        raise _unreachable(settings, "token_endpoint_unreachable") from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("id_token"), str):
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, str) and _ERROR_CODE.match(error) else "no_id_token"
        log.warning("sso: the token endpoint refused the code: %s %s", response.status_code, error)
        raise SsoError(
            f"{settings.oidc_name} did not accept the sign-in ({error}): the code may have been used already or "
            "have expired. Start again with the single sign-on button.",
            reason=f"token_refused:{error}",
        )
    return body


async def _signing_key(*, settings: Settings, document: dict, token: str) -> tuple[Any, str]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise _unverifiable(settings, "id_token_malformed") from None
    algorithm = header.get("alg")
    allowed = [a for a in document.get("id_token_signing_alg_values_supported") or ["RS256"] if a in SIGNING_ALGORITHMS]
    if algorithm not in allowed:
        raise _unverifiable(settings, "id_token_algorithm")
    kid = header.get("kid")
    jwks_uri = document["jwks_uri"]
    for fresh in (False, True):  # a key not seen yet: the provider rotated its keys; fetch them again, once
        if fresh or jwks_uri not in _jwks_cache:
            _jwks_cache[jwks_uri] = await _get_json(settings, jwks_uri, reason="jwks_failed")
        try:
            keys = jwt.PyJWKSet.from_dict(_jwks_cache[jwks_uri]).keys
        except jwt.PyJWTError:
            raise _unreachable(settings, "jwks_invalid") from None
        matching = [k for k in keys if (kid is None or k.key_id == kid) and k.public_key_use in (None, "sig")]
        if len(matching) == 1 or (kid is None and matching):
            return matching[0].key, algorithm
    raise _unverifiable(settings, "id_token_unknown_key")


def _unverifiable(settings: Settings, reason: str) -> SsoError:
    return SsoError(
        f"The answer from {settings.oidc_name} could not be verified, so you were not signed in. Start again; if it "
        "keeps failing, tell your TuneForge administrator (the server's clock, or the provider's keys).",
        reason=reason,
    )


async def verify_id_token(*, settings: Settings, document: dict, token: str, nonce: str) -> dict[str, Any]:
    key, algorithm = await _signing_key(settings=settings, document=document, token=token)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=settings.oidc_client_id,
            issuer=document["issuer"],
            leeway=CLOCK_LEEWAY_S,
            options={"require": ["iss", "aud", "exp", "iat", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise _unverifiable(settings, "id_token_expired") from None
    except jwt.InvalidIssuedAtError:
        raise _unverifiable(settings, "id_token_iat") from None
    except jwt.InvalidSignatureError:
        raise _unverifiable(settings, "id_token_signature") from None
    except jwt.InvalidAudienceError:
        raise _unverifiable(settings, "id_token_audience") from None
    except jwt.InvalidIssuerError:
        raise _unverifiable(settings, "id_token_issuer") from None
    except jwt.PyJWTError:
        raise _unverifiable(settings, "id_token_invalid") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != settings.oidc_client_id:
        raise _unverifiable(settings, "id_token_azp")
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise _unverifiable(settings, "id_token_nonce")
    return claims


def _verified(value: object) -> bool:
    # Some providers send the string "true".
    return value is True or (isinstance(value, str) and value.lower() == "true")


async def complete(*, settings: Settings, code: str, flow: Flow, redirect_uri: str) -> Identity:
    """Exchanges the callback's code and verifies the ID token; the userinfo endpoint fills in the email when
    the ID token has none (its `sub` must be the ID token's)."""
    document = await provider(settings)
    tokens = await _exchange_code(settings=settings, document=document, code=code, verifier=flow.verifier,
                                  redirect_uri=redirect_uri)
    claims = await verify_id_token(settings=settings, document=document, token=tokens["id_token"], nonce=flow.nonce)
    email, verified, name = claims.get("email"), claims.get("email_verified"), claims.get("name")
    if not email and isinstance(tokens.get("access_token"), str) and isinstance(document.get("userinfo_endpoint"), str):
        info = await _get_json(settings, document["userinfo_endpoint"], reason="userinfo_failed",
                               headers={"Authorization": f"Bearer {tokens['access_token']}"})
        if info.get("sub") == claims["sub"]:
            email, verified, name = info.get("email"), info.get("email_verified"), name or info.get("name")
    return Identity(
        issuer=claims["iss"],
        subject=str(claims["sub"]),
        email=email.strip().lower() if isinstance(email, str) and email.strip() else None,
        email_verified=_verified(verified),
        name=name.strip()[:100] if isinstance(name, str) and name.strip() else None,
    )


def provider_error(*, settings: Settings, error: str) -> SsoError:
    """The provider sent the person back with `error=...` instead of a code. Its error_description is not
    shown: it is free text anyone can put in a link to our login page."""
    code = error if _ERROR_CODE.match(error) else "error"
    if code == "access_denied":
        return SsoError(f"Sign-in was cancelled or refused at {settings.oidc_name}. Start again to sign in.",
                        reason="access_denied")
    return SsoError(
        f"{settings.oidc_name} refused the sign-in ({code}). Try again; if it keeps failing, tell your TuneForge "
        "administrator.",
        reason=f"provider_error:{code}",
    )
