#!/usr/bin/env bash
# Regenerate the typed API client from the backend's OpenAPI schema.
#   scripts/gen-api.sh            writes src/lib/api/{openapi.json,schema.d.ts,fields.json}
#   scripts/gen-api.sh DIR        writes DIR/{openapi.json,schema.d.ts,fields.json} (used by check-api.sh)
# fields.json: the schema's field limits and defaults, which forms read (scripts/gen-fields.mjs).
# The schema comes from `python -m tuneforge.web.openapi` in the project virtualenv
# (override the interpreter with TUNEFORGE_PYTHON).
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir="${1:-src/lib/api}"
python="${TUNEFORGE_PYTHON:-../.venv/bin/python}"
mkdir -p "$out_dir"

if [ ! -x "$python" ]; then
  echo "gen-api: no Python interpreter at $python — create the project virtualenv first (make run), or set TUNEFORGE_PYTHON." >&2
  exit 2
fi
raw="$(mktemp)"
trap 'rm -f "$raw"' EXIT
if ! "$python" -m tuneforge.web.openapi > "$raw"; then
  echo "gen-api: '$python -m tuneforge.web.openapi' failed — is the backend installed in that virtualenv?" >&2
  exit 2
fi
# Normalise formatting so the committed file only changes when the schema does.
node -e 'const fs=require("fs");fs.writeFileSync(process.argv[2], JSON.stringify(JSON.parse(fs.readFileSync(process.argv[1],"utf8")),null,2)+"\n")' "$raw" "$out_dir/openapi.json"
bash scripts/gen-types.sh "$out_dir/openapi.json" "$out_dir/schema.d.ts"
node scripts/gen-fields.mjs "$out_dir/openapi.json" "$out_dir/fields.json"
