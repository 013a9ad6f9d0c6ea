#!/usr/bin/env bash
# Fails when the committed API client is stale:
#   1. src/lib/api/schema.d.ts must be what openapi-typescript makes of src/lib/api/openapi.json,
#      and src/lib/api/fields.json what scripts/gen-fields.mjs makes of it;
#   2. src/lib/api/openapi.json must be what the backend serves now (python -m tuneforge.web.openapi).
# Fix any of them with: npm run gen:api   (then commit the generated files)
# TUNEFORGE_SKIP_BACKEND_SCHEMA=1 skips step 2 (machines without the backend virtualenv).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
committed=src/lib/api

bash scripts/gen-types.sh "$committed/openapi.json" "$tmp/schema-from-committed.d.ts"
if ! diff -q "$committed/schema.d.ts" "$tmp/schema-from-committed.d.ts" >/dev/null; then
  echo "check-api: src/lib/api/schema.d.ts does not match src/lib/api/openapi.json." >&2
  diff -u "$committed/schema.d.ts" "$tmp/schema-from-committed.d.ts" | head -40 >&2 || true
  echo "check-api: run 'npm run gen:api' in frontend/ and commit the result." >&2
  exit 1
fi
node scripts/gen-fields.mjs "$committed/openapi.json" "$tmp/fields-from-committed.json"
if ! diff -q "$committed/fields.json" "$tmp/fields-from-committed.json" >/dev/null; then
  echo "check-api: src/lib/api/fields.json does not match src/lib/api/openapi.json." >&2
  diff -u "$committed/fields.json" "$tmp/fields-from-committed.json" | head -40 >&2 || true
  echo "check-api: run 'npm run gen:api' in frontend/ and commit the result." >&2
  exit 1
fi

if [ "${TUNEFORGE_SKIP_BACKEND_SCHEMA:-}" = "1" ]; then
  echo "check-api: WARNING backend schema comparison skipped (TUNEFORGE_SKIP_BACKEND_SCHEMA=1)." >&2
  exit 0
fi
if ! bash scripts/gen-api.sh "$tmp"; then
  echo "check-api: could not dump the backend's OpenAPI schema, so staleness cannot be checked." >&2
  exit 1
fi
for f in openapi.json schema.d.ts fields.json; do
  if ! diff -q "$committed/$f" "$tmp/$f" >/dev/null; then
    echo "check-api: the committed API client is stale — src/lib/api/$f differs from the backend's current schema:" >&2
    diff -u "$committed/$f" "$tmp/$f" | head -60 >&2 || true
    echo "check-api: run 'npm run gen:api' in frontend/ and commit src/lib/api/openapi.json, schema.d.ts and fields.json." >&2
    exit 1
  fi
done
echo "check-api: API client is up to date with the backend schema."
