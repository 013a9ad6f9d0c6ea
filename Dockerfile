# syntax=docker/dockerfile:1
#
# TuneForge images, one Dockerfile, three stages (docker-compose.yml builds the targets it needs):
#
#   frontend  node: `npm ci && npm run build` -> /src/frontend/dist (the SPA)
#   web       nginx serving that SPA and proxying /api, from nginx/nginx.conf (a template)
#   app       python: the `tuneforge` package with its training and cloud extras; one image for
#             the `migrate`, `api` and `worker` commands (the default target)
#
# Build arguments of the app stage:
#
#   PYTHON_BASE      base image; must provide Python 3.11 as `python` with pip.
#                    Default python:3.11-slim. A GPU worker may use a CUDA base image that has
#                    Python 3.11 installed; the PyPI torch wheels already bring their own CUDA
#                    runtime, so the host only needs the NVIDIA driver + container toolkit.
#   TORCH_INDEX_URL  extra package index searched for torch. Default: PyTorch's CPU-only wheels,
#                    which keeps the image small. Set it empty for a GPU image: torch then comes
#                    from PyPI with CUDA.
#   EXTRAS           the package extras: "train,cloud" (default); "train,cloud,gpu" adds unsloth
#                    (CUDA only).
#   APT_PACKAGES     extra Debian packages, e.g. "build-essential" for a GPU image (triton, which
#                    unsloth uses, compiles kernels at run time).
#
#   docker build --target app -t tuneforge-app .
#   docker build --target app -t tuneforge-app:gpu \
#       --build-arg TORCH_INDEX_URL= --build-arg EXTRAS=train,cloud,gpu \
#       --build-arg APT_PACKAGES=build-essential .

ARG PYTHON_BASE=python:3.11-slim
ARG NODE_BASE=node:20-bookworm-slim
ARG NGINX_BASE=nginx:1.27

FROM ${NODE_BASE} AS frontend
WORKDIR /src/frontend
# Dependencies first, so editing the source does not reinstall node_modules.
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM ${NGINX_BASE} AS web
# The image's entrypoint runs /docker-entrypoint.d/*.sh before nginx starts; ours renders the
# template into the main nginx.conf with envsubst and an explicit variable list, so nginx's own
# $variables stay. Defaults below; docker-compose.yml sets them too.
ENV NGINX_LISTEN=80 \
    NGINX_API_UPSTREAM=api:8000 \
    NGINX_SPA_ROOT=/usr/share/nginx/html \
    NGINX_RUNTIME_DIR=/var/cache/nginx
RUN rm -rf /etc/nginx/conf.d/default.conf /etc/nginx/templates /usr/share/nginx/html/*
COPY nginx/nginx.conf /etc/nginx/tuneforge/nginx.conf.template
COPY --chmod=755 nginx/render-nginx-conf.sh /docker-entrypoint.d/15-render-nginx-conf.sh
COPY --from=frontend /src/frontend/dist/ /usr/share/nginx/html/
EXPOSE 80

FROM ${PYTHON_BASE} AS app
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG EXTRAS=train,cloud
ARG APT_PACKAGES=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN if [ -n "$APT_PACKAGES" ]; then \
        apt-get update && apt-get install -y --no-install-recommends $APT_PACKAGES \
        && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /app
# Dependencies first, from pyproject.toml alone (an empty package stands in for the source), so
# editing the code does not reinstall torch and friends. pyproject.toml reads ../README.md.
# The constraints file pins torch (and friends) so pip never picks an unplanned build.
COPY README.md ./
COPY backend/pyproject.toml backend/constraints.txt ./backend/
RUN mkdir -p backend/tuneforge && touch backend/tuneforge/__init__.py \
    && pip install ${TORCH_INDEX_URL:+--extra-index-url "$TORCH_INDEX_URL"} \
        -c backend/constraints.txt "./backend[${EXTRAS}]" \
    && rm -rf backend/tuneforge backend/build
# llama.cpp's GGUF converter (pure Python, from the llama-cpp-python sdist) for GGUF export and Ollama.
COPY scripts/install-gguf-converter.sh ./scripts/
RUN bash scripts/install-gguf-converter.sh /opt/llama.cpp pip && rm -rf /root/.cache/tuneforge
COPY backend/tuneforge/ ./backend/tuneforge/
RUN pip install --no-deps --force-reinstall ./backend && rm -rf backend/build
COPY migrations/ ./migrations/
COPY --from=frontend /src/frontend/dist/ ./frontend/dist/
# Storage root: a named volume shared by api and worker in docker-compose.
RUN useradd --create-home --uid 10001 tuneforge \
    && mkdir -p /data && chown tuneforge:tuneforge /data
# Hugging Face downloads live in the volume too, so a restarted container does not fetch them again.
ENV TUNEFORGE_DATA_DIR=/data \
    TUNEFORGE_LLAMA_CPP_DIR=/opt/llama.cpp \
    HF_HOME=/data/huggingface \
    TUNEFORGE_MIGRATIONS_DIR=/app/migrations \
    TUNEFORGE_SPA_DIR=/app/frontend/dist
USER tuneforge
EXPOSE 8000
CMD ["tuneforge", "api", "--host", "0.0.0.0", "--port", "8000"]
