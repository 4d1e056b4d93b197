#!/usr/bin/env bash
# Every check `make test` runs, in order of cost. `scripts/test.sh [lint|unit|e2e]` runs one stage.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$root/.tools/bin:$root/.tools/node/node_modules/.bin:$PATH"
stage=${1:-all}
step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

lint() {
  step "cargo fmt --check, leptosfmt --check (the view! macros)"
  cargo fmt --all --check
  leptosfmt --check --quiet app/src
  step "clippy (server side: ssr)"
  cargo clippy -q -p domain -p migrations -p server -p app --features app/ssr --all-targets -- -D warnings
  step "clippy (browser side: hydrate and widget on wasm32)"
  cargo clippy -q -p frontend -p widget-wasm --target wasm32-unknown-unknown -- -D warnings
  step "clippy (the feedback toast bundle on wasm32)"
  cargo clippy -q -p widget-wasm --target wasm32-unknown-unknown --no-default-features --features feedback -- -D warnings
}

unit() {
  step "unit and integration tests (real Postgres + pgvector)"
  cargo test -p domain -p migrations -p server -p app -p widget-wasm --features app/ssr
}

# The release build is the last big writer of target/: when a disk fills, it is what fails, and
# cargo-leptos ends with its own backtrace. Repeat the errors and the free space after it, so the
# last lines of a failed run say why.
release_build() {
  local log=target/release-build.log
  mkdir -p target
  if cargo leptos build --release 2>&1 | tee "$log"; then return 0; fi
  echo "--- release build failed; its errors, then free disk and memory ---" >&2
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^error|No space left|SIGKILL|Killed|failed' | tail -n 20 >&2 || true
  df -h "$root" /tmp >&2 || true
  free -m >&2 || true
  return 1
}

# A build from a clean clone needs about 12 GB (target/ 9.5, .tools/ and the crate cache the rest).
check_disk() {
  local free_kb
  free_kb=$(df -Pk "$root" | awk 'NR==2 {print $4}')
  if [ "$free_kb" -lt $((12 * 1024 * 1024)) ]; then
    echo "warning: only $((free_kb / 1024 / 1024)) GB free under $root; a clean build needs about 12 GB" >&2
  fi
}

e2e() {
  # E2E_SKIP_BUILD=1 reuses the last release build (while editing the specs only).
  if [ -z "${E2E_SKIP_BUILD:-}" ]; then
    step "release build for the end-to-end tests"
    release_build
    step "visitor widget bundle"
    bash scripts/build-widget.sh
    ./target/release/iterochat precompress target/site
  fi
  local data port log pid
  data=$(mktemp -d /tmp/iterochat-e2e-XXXXXX)
  chmod 755 "$data"
  port=${E2E_PORT:-3137}
  log="$data/server.log"
  step "starting the server on 127.0.0.1:$port (data in $data)"
  # Every browser of the suite is one client address: its per-address budgets are raised.
  # The API fuzzing afterwards is one client too, with one visitor token and one SDK key.
  ITEROCHAT_RATE_AUTH_PER_IP=1000 ITEROCHAT_RATE_NEW_SESSIONS_PER_IP=1000 ITEROCHAT_RATE_PER_IP=100000 \
  ITEROCHAT_RATE_PER_VISITOR=100000 ITEROCHAT_RATE_SESSIONS_PER_VISITOR=100000 ITEROCHAT_RATE_FEEDBACK_PER_IP=100000 \
  ITEROCHAT_RATE_FETCH_PER_IP=100000 ITEROCHAT_RATE_FETCH_PER_PROJECT=100000 \
  ITEROCHAT_DATA_DIR="$data" ITEROCHAT_ADDR="127.0.0.1:$port" ITEROCHAT_DEMO_ADDR="127.0.0.1:$((port + 1))" LEPTOS_ENV=PROD LEPTOS_SITE_ROOT=target/site \
    LEPTOS_OUTPUT_NAME=iterochat ./target/release/iterochat >"$log" 2>&1 &
  pid=$!
  trap 'kill -TERM '"$pid"' 2>/dev/null || true; wait '"$pid"' 2>/dev/null || true' EXIT
  for _ in $(seq 1 120); do
    if curl -fs "http://127.0.0.1:$port/healthz" >/dev/null; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then cat "$log"; echo "server died" >&2; exit 1; fi
    sleep 0.5
  done
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$log"; echo "server never became healthy" >&2; exit 1; }
  step "end-to-end tests (Playwright + Debian Chromium)"
  # CI keeps only the last lines of a run: on failure, the server's log comes first and the
  # failing tests' names and errors last, where they are read.
  local out="$data/playwright.log"
  if ! (cd end2end && BASE_URL="http://127.0.0.1:$port" DEMO_URL="http://127.0.0.1:$((port + 1))" E2E_MAIL_DIR="$data/mail" npx playwright test ${E2E_ONLY:-}) 2>&1 | tee "$out"; then
    echo "--- server log (last 40 lines) ---"; tail -n 40 "$log"
    echo "--- failed end-to-end tests ---"
    sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -E '^\s+[0-9]+\) |Error:|Expected|Received|Timeout|waiting for|^\s+[0-9]+ (failed|flaky|passed)|^\s+\[(hydrated|no-js)\]' | tail -n 60
    exit 1
  fi
  step "API fuzzing against the OpenAPI description (Schemathesis)"
  if ! bash scripts/fuzz.sh "http://127.0.0.1:$port" >"$data/fuzz.log" 2>&1; then
    echo "--- server log (last 40 lines) ---"; tail -n 40 "$log"
    echo "--- Schemathesis (failures, then the summary) ---"
    grep -E '^_+ |ST[0-9]{3}|^\[[0-9]{3}\]|^    `|curl ' "$data/fuzz.log" | head -n 80
    tail -n 25 "$data/fuzz.log"
    exit 1
  fi
  grep -E 'Tested:|generated|passed|failures' "$data/fuzz.log" | tail -n 4
  kill -TERM "$pid"; wait "$pid" || true
  trap - EXIT
  rm -rf "$data"
}

check_disk
case "$stage" in
  lint) lint ;;
  unit) unit ;;
  e2e) e2e ;;
  all) lint; unit; e2e ;;
  *) echo "usage: scripts/test.sh [lint|unit|e2e]" >&2; exit 2 ;;
esac
