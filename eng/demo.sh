#!/usr/bin/env bash
# The main job on a fresh machine, with no cluster and no registry:
# build the wasme CLI, create an AssemblyScript add-header filter, build it into an image
# in a local store, and list the store.
#
#   bash eng/demo.sh              # work in a new temp dir, removed at the end
#   KEEP=1 bash eng/demo.sh       # keep the temp dir (filter project and store) to look at
#
# Needs: the .NET 10 SDK, Node.js + npm (the AssemblyScript SDK comes from npm).
# To extend: add a step function and call it at the bottom.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/wasme-demo.XXXXXX")"
export WASME_STORE="${WASME_STORE:-$WORK/store}"
FILTER_DIR="$WORK/add-header"
IMAGE="${IMAGE:-localhost/demo/add-header:v1}"

cleanup() {
  if [[ "${KEEP:-0}" == "1" ]]; then
    echo "kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "error: $1 is required: $2" >&2; exit 7; }
}

build_cli() {
  step "Building the wasme CLI"
  dotnet build "$ROOT/src/Wasme.Cli" -c Release -o "$WORK/cli" -v quiet -nologo
  WASME=(dotnet "$WORK/cli/wasme.dll")
}

init_filter() {
  step "wasme init $FILTER_DIR --language assemblyscript"
  "${WASME[@]}" init "$FILTER_DIR" --language assemblyscript
}

build_filter() {
  step "wasme build assemblyscript $FILTER_DIR -t $IMAGE"
  "${WASME[@]}" build assemblyscript "$FILTER_DIR" -t "$IMAGE"
}

list_images() {
  step "wasme list"
  "${WASME[@]}" list
}

need dotnet "install the .NET 10 SDK (https://dot.net)"
need npm "install Node.js and npm (apt-get install nodejs npm)"

build_cli
init_filter
build_filter
list_images
# Further steps (e.g. `wasme run`) go here.

step "Done: $IMAGE is in the local store $WASME_STORE"

# wasme run (B2): the built filter in front of the built-in echo upstream, one request, then stop.
run_filter() {
  step "wasme run $IMAGE --echo-upstream --config world"
  local log="$WORK/run.log" port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
  "${WASME[@]}" run "$IMAGE" --echo-upstream --config world --listen "127.0.0.1:$port" >"$log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do grep -q 'listening on' "$log" && break; sleep 0.1; done
  cat "$log"
  curl -si "http://127.0.0.1:$port/demo" | grep -i -E '^(HTTP|hello)'
  kill -INT "$pid"; wait "$pid" || true
}
run_filter
