#!/usr/bin/env bash
# llama.cpp's GGUF converter, for GGUF export (backend/tuneforge/training/gguf.py).
#   scripts/install-gguf-converter.sh DEST PIP
# It ships inside the llama-cpp-python sdist; only the pure-Python converter is taken from it
# (convert_hf_to_gguf.py, its conversion/ package and its own gguf-py) — nothing is compiled. Skipped
# when DEST already holds this version. Used by scripts/bootstrap.sh (.venv/share/llama.cpp) and the
# Dockerfile (/opt/llama.cpp, found through TUNEFORGE_LLAMA_CPP_DIR).
set -euo pipefail
LLAMA_CPP_PYTHON=0.3.36
DEST="$1"
PIP="$2"
if [ "$(cat "$DEST/VERSION" 2>/dev/null)" = "llama-cpp-python==$LLAMA_CPP_PYTHON" ]; then
  exit 0
fi
echo "Installing llama.cpp's GGUF converter (from the llama-cpp-python $LLAMA_CPP_PYTHON sdist) into $DEST"
SDISTS="${XDG_CACHE_HOME:-$HOME/.cache}/tuneforge/sdists"
SDIST="$SDISTS/llama_cpp_python-$LLAMA_CPP_PYTHON.tar.gz"
mkdir -p "$SDISTS"
[ -f "$SDIST" ] || "$PIP" download -q --no-deps --no-binary :all: -d "$SDISTS" "llama-cpp-python==$LLAMA_CPP_PYTHON"
rm -rf "$DEST.tmp" && mkdir -p "$DEST.tmp"
vendor="llama_cpp_python-$LLAMA_CPP_PYTHON/vendor/llama.cpp"
tar -xzf "$SDIST" -C "$DEST.tmp" --strip-components=3 \
  "$vendor/LICENSE" "$vendor/convert_hf_to_gguf.py" "$vendor/conversion" "$vendor/gguf-py/gguf" "$vendor/gguf-py/LICENSE"
echo "llama-cpp-python==$LLAMA_CPP_PYTHON" > "$DEST.tmp/VERSION"
rm -rf "$DEST" && mv "$DEST.tmp" "$DEST"
