# TuneForge: the README's two commands.
#   make run   — set up everything on a fresh machine and run TuneForge (API + SPA, worker, PostgreSQL)
#   make test  — set up what the tests need and run every suite (backend, frontend, end-to-end)
.PHONY: run test setup setup-test test-backend test-frontend test-e2e test-gpu api-client clean-db

run: setup
	.venv/bin/tuneforge dev

test: setup setup-test
	bash scripts/test.sh

setup:
	bash scripts/bootstrap.sh

setup-test:
	bash scripts/bootstrap.sh --test

test-backend:
	cd backend && ../.venv/bin/pytest

test-frontend:
	cd frontend && npm test

test-e2e:
	.venv/bin/pytest e2e

# GPU-marked tests (bf16, QLoRA on CUDA, Unsloth): run on a machine with a CUDA device.
test-gpu:
	cd backend && ../.venv/bin/pytest -m gpu

api-client:
	cd frontend && npm run gen:api
