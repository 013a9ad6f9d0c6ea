"""The environment a training subprocess gets: an allow-list, never the worker's whole environment.

The trainer loads user-chosen models (whose code or pickles may run) and user data, so it must not
inherit the worker's secrets: DATABASE_URL with its password, TUNEFORGE_JWT_SECRET,
TUNEFORGE_ENCRYPTION_KEYS, cloud tokens. It gets what Python, PyTorch, CUDA and the Hugging Face
libraries need to run, and the secrets its job needs given explicitly (`extra`: the user's own
HF_TOKEN for a job that loads from the Hub). The local executor and the Modal container both use it.
Standard library only: it runs inside the Modal container too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

# Names passed through as they are.
ALLOWED_NAMES = frozenset(
    {
        "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TERM",
        "TMPDIR", "TEMP", "TMP", "XDG_CACHE_HOME",
        "LD_LIBRARY_PATH", "VIRTUAL_ENV",
        "TOKENIZERS_PARALLELISM", "TRL_EXPERIMENTAL_SILENCE",
        # TLS trust and proxies, for downloads from the Hub behind a corporate proxy.
        "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
    }
)
# Families passed through: locale, Python, CUDA/NVIDIA, PyTorch, the Hugging Face caches and
# switches, thread counts.
ALLOWED_PREFIXES = (
    "LC_", "PYTHON", "CUDA_", "NVIDIA_", "NCCL_", "PYTORCH_", "TORCH_", "TORCHINDUCTOR_", "TRITON_",
    "HF_", "HUGGINGFACE_", "TRANSFORMERS_", "ACCELERATE_", "BNB_", "UNSLOTH_",
    "OMP_", "MKL_", "OPENBLAS_", "NUMEXPR_", "KMP_",
)
# Never passed through, even inside an allowed family (HF_TOKEN, HUGGING_FACE_HUB_TOKEN, ...): a
# secret reaches the trainer only through `extra`.
DENIED = re.compile(
    r"(^TUNEFORGE_|^DATABASE_URL$|SECRET|PASSWORD|PASSWD|TOKEN(?!IZERS)|KEY|CREDENTIAL|_AUTH)", re.IGNORECASE
)


# Set by the worker for its own generation threads (worker/main.py), not asked for by the operator: the
# trainer keeps OpenMP's default (spin) unless the operator set the variable themselves.
WORKER_ONLY_MARK = "TUNEFORGE_WORKER_SET_OMP_WAIT_POLICY"


def allowed(name: str) -> bool:
    if name == "OMP_WAIT_POLICY" and os.environ.get(WORKER_ONLY_MARK) == "1":
        return False
    if DENIED.search(name):
        return False
    return name in ALLOWED_NAMES or name.startswith(ALLOWED_PREFIXES)


def trainer_env(base: Mapping[str, str] | None = None, *, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The allow-listed part of `base` (default: this process's environment), plus `extra` as given."""
    source = os.environ if base is None else base
    env = {name: value for name, value in source.items() if allowed(name)}
    env.update(extra or {})
    return env
