#!/usr/bin/env bash
# The main job on a fresh machine, with no cluster and no registry:
# build the wasme CLI, create an AssemblyScript add-header filter, build it into an image
# in a local store, list the store, run it in front of an echo upstream and show one response.
# Ends by itself: exit 0 when the response carries the filter's header.
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

RUN_PID=
cleanup() {
  if [[ -n "$RUN_PID" ]]; then kill -KILL "$RUN_PID" 2>/dev/null || true; fi
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

# wasme run: the built filter in front of the built-in echo upstream, one request, then stop.
run_filter() {
  step "wasme run $IMAGE --echo-upstream --config world"
  local log="$WORK/run.log" port response
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
  "${WASME[@]}" run "$IMAGE" --echo-upstream --config world --listen "127.0.0.1:$port" >"$log" 2>&1 &
  RUN_PID=$!
  for _ in $(seq 1 300); do grep -q 'listening on' "$log" && break; kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.1; done
  cat "$log"
  response="$(curl -si --max-time 10 "http://127.0.0.1:$port/demo" || true)"
  printf '%s\n' "$response" | grep -i -E '^(HTTP|hello)' || true
  # A non-interactive shell starts background jobs with SIGINT ignored, so stop it with SIGTERM.
  kill -TERM "$RUN_PID" 2>/dev/null || true
  wait "$RUN_PID" 2>/dev/null || true
  RUN_PID=
  printf '%s\n' "$response" | grep -qi '^hello: world' || { echo "error: the response lacks the filter's header 'hello: world'" >&2; exit 1; }
}

need dotnet "install the .NET 10 SDK (https://dot.net)"
need npm "install Node.js and npm (apt-get install nodejs npm)"
need curl "apt-get install curl"

build_cli
init_filter
build_filter
list_images
run_filter

step "Done: $IMAGE is in the local store $WASME_STORE and answered with the filter's header"
