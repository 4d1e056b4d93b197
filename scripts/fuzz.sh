#!/usr/bin/env bash
# Fuzzes every operation of the OpenAPI description against the server at $1 with Schemathesis
# (installed into .tools/ by setup.sh): an owner's session, a visitor token and an SDK key, so
# the generated requests reach the handlers. Fails on any 5xx, any response the description
# does not allow (status, content type, body schema) and any crash.
set -euo pipefail
base=${1:?usage: fuzz.sh <base url>}
root=$(cd "$(dirname "$0")/.." && pwd)
st="$root/.tools/schemathesis/bin/st"

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
post() { curl -fsS -X POST "$base$1" -H 'content-type: application/json' "${@:3}" -d "$2"; }

email="fuzz-$(date +%s%N)@example.com"
signup=$(post /api/v1/auth/signup "{\"email\":\"$email\",\"password\":\"correct horse battery\",\"name\":\"Fuzz Owner\",\"organization_name\":\"Fuzz Lamps\"}")
export ST_SESSION=$(echo "$signup" | json "['token']")
export ST_ORG_ID=$(echo "$signup" | json "['organization']['id']")
widget_key=$(echo "$signup" | json "['organization']['widget_key']")
export ST_THROWAWAY=$(post /api/v1/auth/login "{\"email\":\"$email\",\"password\":\"correct horse battery\"}" | json "['token']")
export ST_VISITOR=$(post /api/v1/widget/session "{\"widget_key\":\"$widget_key\"}" | json "['visitor_token']")
project=$(post "/api/v1/orgs/$ST_ORG_ID/feedback-projects" '{"name":"Fuzz shop"}' -H "Authorization: Bearer $ST_SESSION")
export ST_PROJECT_ID=$(echo "$project" | json "['project_id']")
export ST_SDK_SECRET=$(echo "$project" | json "['secret_key']")

# Run from a scratch folder: Schemathesis keeps a cache of earlier failures where it runs, and each
# run here starts from nothing (same seed, same cases).
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
"$st" --config-file "$root/end2end/schemathesis.toml" run "$base/api/v1/openapi.json" --url "$base" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "${FUZZ_EXAMPLES:-10}" --workers 2 --seed 1 --no-color "${@:2}"
