"""The domain's one error hierarchy. Services raise these; they know nothing of HTTP.

Each error carries the status an HTTP front end should answer with; the web layer
(`tuneforge.web.error_handlers`) renders every one as {"error": "<Class>", "detail": "..."}.
A message says what went wrong and what to do next."""

from __future__ import annotations


class AppError(Exception):
    status_code = 400
    headers: dict[str, str] | None = None
    code: str | None = None  # a machine-readable reason, when clients act on it (e.g. "quota_exceeded")

    def __init__(self, detail: str, *, status_code: int | None = None, commit_session: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.commit_session = commit_session
        if status_code is not None:
            self.status_code = status_code

    @property
    def name(self) -> str:
        return type(self).__name__


class BadRequest(AppError):
    status_code = 400


class Unauthorized(AppError):
    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class QuotaExceeded(Conflict):
    """A team limit (quotas) refuses the launch or upload; nothing was queued or stored."""

    code = "quota_exceeded"


class PayloadTooLarge(AppError):
    status_code = 413


class TooManyRequests(AppError):
    status_code = 429

    def __init__(self, detail: str, *, retry_after: int | None = None, commit_session: bool = False) -> None:
        super().__init__(detail, commit_session=commit_session)
        if retry_after is not None:
            self.headers = {"Retry-After": str(max(1, retry_after))}


class ServiceUnavailable(AppError):
    status_code = 503


DATABASE_UNAVAILABLE = (
    "The database is not reachable right now; TuneForge retries by itself — try again in a moment. "
    "Nothing you saved was lost."
)


class DatabaseUnavailable(ServiceUnavailable):
    """The database is down or restarting: a passing condition, not a bug (see `db.database_unreachable`)."""

    headers = {"Retry-After": "5"}

    def __init__(self, detail: str = DATABASE_UNAVAILABLE) -> None:
        super().__init__(detail)


STORAGE_FULL = (
    "The server's storage is full, so nothing of this was kept. Free space on the storage volume "
    "(or ask an admin to), then try again."
)


class InsufficientStorage(AppError):
    """The storage volume is full (ENOSPC): what was being written has been removed."""

    status_code = 507

    def __init__(self, detail: str = STORAGE_FULL) -> None:
        super().__init__(detail)
