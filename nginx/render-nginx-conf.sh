#!/bin/sh
# Renders the nginx.conf template into the config nginx runs, substituting exactly the template's
# variables (an explicit list, so nginx's own $variables are left alone). The web image runs it
# from /docker-entrypoint.d/ before nginx starts; the e2e suite renders the same template with the
# same list in Python (e2e/stack.py), and a test checks the lists agree.
#
#   NGINX_LISTEN=8080 NGINX_API_UPSTREAM=127.0.0.1:8000 NGINX_SPA_ROOT=$PWD/frontend/dist \
#   NGINX_RUNTIME_DIR=/tmp/nginx TEMPLATE=nginx/nginx.conf OUTPUT=/tmp/nginx.conf sh nginx/render-nginx-conf.sh
set -eu

VARIABLES='${NGINX_LISTEN} ${NGINX_API_UPSTREAM} ${NGINX_SPA_ROOT} ${NGINX_RUNTIME_DIR}'
TEMPLATE="${TEMPLATE:-/etc/nginx/tuneforge/nginx.conf.template}"
OUTPUT="${OUTPUT:-/etc/nginx/nginx.conf}"

for name in NGINX_LISTEN NGINX_API_UPSTREAM NGINX_SPA_ROOT NGINX_RUNTIME_DIR; do
    eval "value=\${$name:-}"
    if [ -z "$value" ]; then
        echo "$0: $name is not set; it is needed to render $TEMPLATE" >&2
        exit 1
    fi
done

envsubst "$VARIABLES" < "$TEMPLATE" > "$OUTPUT"
echo "$0: rendered $TEMPLATE to $OUTPUT"
