#!/usr/bin/env bash
# Builds the two browser bundles of widget-wasm: the visitor chat widget (default features) and
# the Iterato-compatible feedback SDK (`--no-default-features --features feedback`). Each goes
# widget-wasm → wasm-bindgen (--target web) → wasm-opt -Oz, written with content hashes to
# <site root>/widget/ plus manifest.json, which the server reads to serve /widget.js and
# /sdk/iterato.js. Prints the gzip sizes a visitor downloads; fails when the feedback SDK is over
# its 30 KiB budget.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$root/.tools/bin:$root/.tools/node/node_modules/.bin:$PATH"
site="${LEPTOS_SITE_ROOT:-target/site}"
out="$site/widget"
raw="target/widget-raw"
wasm="target/wasm32-unknown-unknown/wasm-release/widget_wasm.wasm"
feedback_budget=30720

# Both builds write the same $wasm, so each is run through wasm-bindgen right after its build.
rm -rf "$raw" && mkdir -p "$raw"
cargo build -q -p widget-wasm --target wasm32-unknown-unknown --profile wasm-release
wasm-bindgen --target web --no-typescript --out-dir "$raw" --out-name iterochat_widget "$wasm"
cargo build -q -p widget-wasm --target wasm32-unknown-unknown --profile wasm-release \
  --no-default-features --features feedback
wasm-bindgen --target web --no-typescript --out-dir "$raw" --out-name iterato_feedback "$wasm"

optimise() {
  wasm-opt -Oz --strip-debug --strip-producers --enable-bulk-memory --enable-nontrapping-float-to-int \
    "$raw/$1_bg.wasm" -o "$raw/$1_bg.opt.wasm"
}
optimise iterochat_widget
optimise iterato_feedback

hash() { sha256sum "$1" | cut -c1-12; }
wasm_name="iterochat_widget-$(hash "$raw/iterochat_widget_bg.opt.wasm").wasm"
js_name="iterochat_widget-$(hash "$raw/iterochat_widget.js").js"
feedback_wasm="iterato_feedback-$(hash "$raw/iterato_feedback_bg.opt.wasm").wasm"
feedback_js="iterato_feedback-$(hash "$raw/iterato_feedback.js").js"
rm -rf "$out" && mkdir -p "$out"
cp "$raw/iterochat_widget_bg.opt.wasm" "$out/$wasm_name"
cp "$raw/iterochat_widget.js" "$out/$js_name"
cp "$raw/iterato_feedback_bg.opt.wasm" "$out/$feedback_wasm"
cp "$raw/iterato_feedback.js" "$out/$feedback_js"
printf '{"js":"%s","wasm":"%s","feedback_js":"%s","feedback_wasm":"%s"}\n' \
  "$js_name" "$wasm_name" "$feedback_js" "$feedback_wasm" > "$out/manifest.json"

gz() { gzip -9 -c "$1" | wc -c; }
# The loader as the server sends it: the placeholders replaced by the hashed names.
# As the server sends it: without the leading block comment and `//` comments (see
# server/src/widget_assets.rs, `without_comments`).
loader_gz() {
  sed -e '1,/\*\//d' -e '/^[[:space:]]*\/\//d' -e 's/ \/\/ .*$//' -e '/^[[:space:]]*$/d' \
    -e "s/__JS__/$2/" -e "s/__WASM__/$3/" "$1" | gzip -9 | wc -c
}

loader=$(loader_gz widget-wasm/loader.js "$js_name" "$wasm_name")
glue=$(gz "$out/$js_name")
bin=$(gz "$out/$wasm_name")
total=$((loader + glue + bin))
echo "widget: loader ${loader} B + glue ${glue} B + wasm ${bin} B = ${total} B gzipped (CSS is inside the wasm)"

loader=$(loader_gz widget-wasm/sdk.js "$feedback_js" "$feedback_wasm")
glue=$(gz "$out/$feedback_js")
bin=$(gz "$out/$feedback_wasm")
total=$((loader + glue + bin))
echo "feedback sdk: loader ${loader} B + glue ${glue} B + wasm ${bin} B = ${total} B gzipped"
if [ "$total" -gt "$feedback_budget" ]; then
  echo "error: the feedback SDK is ${total} B gzipped, over its budget of ${feedback_budget} B" >&2
  exit 1
fi
