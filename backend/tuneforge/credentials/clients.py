"""Talks to the services whose tokens we keep. Tests point these at loopback servers with the same HTTP API."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from tuneforge.credentials.models import VerificationStatus


@dataclass
class Verification:
    status: VerificationStatus
    message: str
    username: str | None = None


async def verify_huggingface_token(*, endpoint: str, token: str, timeout: float = 8.0) -> Verification:
    url = endpoint.rstrip("/") + "/api/whoami-v2"
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.get(url, headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError:
        return Verification(
            VerificationStatus.unverified,
            "Saved, but not verified: Hugging Face could not be reached. Press Validate to try again later.",
        )
    if response.status_code == 401:
        return Verification(
            VerificationStatus.invalid,
            "Hugging Face rejected this token. Create a new one at huggingface.co/settings/tokens and save it here.",
        )
    if response.status_code != 200:
        return Verification(
            VerificationStatus.unverified,
            f"Saved, but not verified: Hugging Face answered with an error ({response.status_code}). "
            "Press Validate to try again later.",
        )
    try:
        body = response.json()
        username = str(body["name"])
    except (ValueError, KeyError, TypeError):
        return Verification(
            VerificationStatus.unverified,
            "Saved, but not verified: Hugging Face gave an unexpected answer. Press Validate to try again later.",
        )
    role = ""
    auth = body.get("auth") if isinstance(body, dict) else None
    if isinstance(auth, dict) and isinstance(auth.get("accessToken"), dict):
        role = auth["accessToken"].get("role") or ""
    note = f" ({role} access)" if role else ""
    return Verification(VerificationStatus.valid, f"Verified as {username}{note}", username=username)


def check_modal_token_shape(token_id: str, token_secret: str) -> Verification | None:
    if not token_id.startswith("ak-") or not token_secret.startswith("as-"):
        return Verification(
            VerificationStatus.invalid,
            "Modal token ids start with 'ak-' and secrets with 'as-'. Copy both from modal.com/settings/tokens.",
        )
    return None


async def verify_modal_token(*, token_id: str, token_secret: str) -> Verification:
    bad_shape = check_modal_token_shape(token_id, token_secret)
    if bad_shape is not None:
        return bad_shape
    # Modal's control plane speaks gRPC through its SDK; the token is exercised for real when a job
    # is launched on Modal. Here we only know the shape is right.
    return Verification(
        VerificationStatus.unverified,
        "Saved, but not verified: TuneForge cannot check Modal tokens ahead of time. "
        "Modal checks it when a job runs there.",
    )
