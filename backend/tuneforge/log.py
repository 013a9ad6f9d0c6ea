"""Structured JSON logs carrying the request id, with secrets scrubbed from every line."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from typing import Any

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_SECRET_PATTERNS = [
    # JWTs, bearer values, Hugging Face and Modal tokens, Fernet tokens, long opaque refresh tokens.
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
    re.compile(r"(?i)(bearer\s+)[^\s\"',]+"),
    re.compile(r"\bhf_[A-Za-z0-9]{6,}"),
    re.compile(r"\b(?:ak|as|wk|ws)-[A-Za-z0-9]{8,}"),
    re.compile(r"gAAAAA[A-Za-z0-9_=-]{20,}"),
    re.compile(r"""(?i)("?(?:password|token|secret|refresh_token|access_token|authorization)"?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;}"']+)"""),
]


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + "[redacted]", text)
        else:
            text = pattern.sub("[redacted]", text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in getattr(record, "fields", {}).items():
            entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        # Redact before encoding so the line stays valid JSON.
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's access log repeats what our middleware logs, without the request id.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
