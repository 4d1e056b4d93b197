# Iterochat — the commands a newcomer needs. Everything installs into .tools/ (see scripts/setup.sh).
SHELL := /bin/bash
TOOLS := $(CURDIR)/.tools
export PATH := $(TOOLS)/bin:$(TOOLS)/node/node_modules/.bin:$(PATH)
export CARGO_TERM_COLOR ?= always

.PHONY: help setup build run test lint unit e2e bench eval clean

## help: list these targets
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## /  make /'

## setup: install what is missing (idempotent; seconds when nothing is)
setup:
	@bash scripts/setup.sh

## build: release server at target/release/iterochat, site assets in target/site
build: setup
	cargo leptos build --release
	@bash scripts/build-widget.sh
	./target/release/iterochat precompress target/site

## run: build, start the server with its embedded Postgres, seed and print the demo login
run: build
	@mkdir -p .data
	ITEROCHAT_SEED_DEMO=1 ITEROCHAT_DEMO_ADDR=127.0.0.1:3001 ITEROCHAT_METRICS_ADDR=127.0.0.1:9464 LEPTOS_ENV=PROD LEPTOS_SITE_ROOT=target/site LEPTOS_OUTPUT_NAME=iterochat \
		./target/release/iterochat

## test: every check — format, clippy (ssr and wasm), unit + integration on real Postgres, end-to-end
test: setup
	@bash scripts/test.sh

lint: setup
	@bash scripts/test.sh lint

unit: setup
	@bash scripts/test.sh unit

e2e: setup
	@bash scripts/test.sh e2e

## bench: benchmarks, each printing its figures
bench: setup
	cargo bench -p server --bench knowledge
	cargo bench -p server --bench live
	cargo bench -p server --bench load
	cargo bench -p server --bench scale

## eval: the answer-quality report over server/eval (tuning and test sets; EVAL_ARGS=--sweep for the curve)
eval: setup
	cargo bench -p server --bench eval -- $(EVAL_ARGS)

clean:
	cargo clean
	rm -rf target/test-pg
