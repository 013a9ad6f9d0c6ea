#!/usr/bin/env bash
# openapi.json -> schema.d.ts (TypeScript types for openapi-fetch).
set -euo pipefail
cd "$(dirname "$0")/.."
node_modules/.bin/openapi-typescript "$1" --output "$2" --silent
