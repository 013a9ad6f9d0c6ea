"""Rate limits (slowapi). Limits are read from settings at request time so tests and deployments can tune them."""

from __future__ import annotations

from slowapi import Limiter
from slowapi.util import get_remote_address

from tuneforge.config import get_settings


def _default_limit() -> str:
    return get_settings().rate_limit_default


def login_limit() -> str:
    return get_settings().rate_limit_login


def register_limit() -> str:
    return get_settings().rate_limit_register


limiter = Limiter(key_func=get_remote_address, default_limits=[_default_limit], headers_enabled=False)
