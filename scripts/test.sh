#!/usr/bin/env bash
# Runs every suite, even after one fails, then exits non-zero if any failed or did not run.
set -uo pipefail
cd "$(dirname "$0")/.."

declare -A results
run_suite() {
  local name=$1; shift
  printf '\n\033[1m==> %s: %s\033[0m\n' "$name" "$*"
  if "$@"; then results[$name]=passed; else results[$name]="FAILED (exit $?)"; fi
}

run_suite backend bash -c "cd backend && ../.venv/bin/pytest"
run_suite frontend bash -c "cd frontend && npm test --silent"
run_suite e2e .venv/bin/pytest e2e

status=0
printf '\n\033[1mTest suites\033[0m\n'
for name in backend frontend e2e; do
  printf '  %-9s %s\n' "$name" "${results[$name]:-did not run}"
  [ "${results[$name]:-}" = passed ] || status=1
done
exit $status
