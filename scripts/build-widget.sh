#!/usr/bin/env bash
# Builds the visitor widget: widget-wasm → wasm-bindgen (--target web) → wasm-opt -Oz, written
# with content hashes to <site root>/widget/ plus manifest.json, which the server reads to serve
# /widget.js. Prints the gzip sizes a visitor downloads.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$root/.tools/bin:$root/.tools/node/node_modules/.bin:$PATH"
site="${LEPTOS_SITE_ROOT:-target/site}"
out="$site/widget"
raw="target/widget-raw"

cargo build -q -p widget-wasm --target wasm32-unknown-unknown --profile wasm-release
rm -rf "$raw" && mkdir -p "$raw"
wasm-bindgen --target web --no-typescript --out-dir "$raw" --out-name iterochat_widget \
  target/wasm32-unknown-unknown/wasm-release/widget_wasm.wasm
wasm-opt -Oz --strip-debug --strip-producers --enable-bulk-memory --enable-nontrapping-float-to-int \
  "$raw/iterochat_widget_bg.wasm" -o "$raw/iterochat_widget_bg.opt.wasm"

hash() { sha256sum "$1" | cut -c1-12; }
wasm_name="iterochat_widget-$(hash "$raw/iterochat_widget_bg.opt.wasm").wasm"
js_name="iterochat_widget-$(hash "$raw/iterochat_widget.js").js"
rm -rf "$out" && mkdir -p "$out"
cp "$raw/iterochat_widget_bg.opt.wasm" "$out/$wasm_name"
cp "$raw/iterochat_widget.js" "$out/$js_name"
printf '{"js":"%s","wasm":"%s"}\n' "$js_name" "$wasm_name" > "$out/manifest.json"

gz() { gzip -9 -c "$1" | wc -c; }
loader=$(sed -e "s/__JS__/$js_name/" -e "s/__WASM__/$wasm_name/" widget-wasm/loader.js | gzip -9 | wc -c)
total=$((loader + $(gz "$out/$js_name") + $(gz "$out/$wasm_name")))
echo "widget: loader ${loader} B + glue $(gz "$out/$js_name") B + wasm $(gz "$out/$wasm_name") B = ${total} B gzipped (CSS is inside the wasm)"
