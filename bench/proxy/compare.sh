#!/usr/bin/env bash
# Throughput of the local data plane under wrk on loopback:
#   1. the upstream directly,
#   2. `wasme run` with no filter (the proxy alone),
#   3. `wasme run` with the template add-header filter (AssemblyScript, real SDK).
# The upstream (the built-in echo server) runs in a process of its own, and both proxies forward to it,
# so the two proxy runs differ only by the filter. Prints requests/s for each, the ratios, and the load
# average (the figures mean little on a busy machine). Goal (issue 3): filter >= 0.9 x no-filter.
#
#   bash bench/proxy/compare.sh                 # 3 rounds of 8 s per proxy, after a 10 s warm-up each
#   DURATION=5s ROUNDS=5 WARMUP=20s CONNECTIONS=32 bash bench/proxy/compare.sh
#   MODULE=path/to/filter.wasm ROOT_ID=add_header bash bench/proxy/compare.sh   # skip init/build
#   WASME_DLL=path/to/wasme.dll bash bench/proxy/compare.sh   # reuse a Release build of the CLI
#
# Needs: .NET 10 SDK, wrk, and (unless MODULE is given) Node.js + npm.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DURATION="${DURATION:-8s}"
WARMUP="${WARMUP:-10s}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/wasme-bench-proxy.XXXXXX")"
export WASME_STORE="$WORK/store"
PIDS=()

# SIGTERM, not SIGINT: background jobs of a non-interactive shell ignore SIGINT, so the proxies would
# outlive the script (and load the next run). SIGKILL after 10 s as a last resort.
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 100); do
    alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "error: wrk is required (apt-get install wrk)" >&2; exit 7; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

if [[ -n "${WASME_DLL:-}" ]]; then
  WASME=(dotnet "$WASME_DLL")
else
  echo "==> building the wasme CLI (Release)"
  dotnet build "$ROOT/src/Wasme.Cli" -c Release -o "$WORK/cli" -v quiet -nologo >/dev/null
  WASME=(dotnet "$WORK/cli/wasme.dll")
fi

if [[ -z "${MODULE:-}" ]]; then
  echo "==> building the add-header filter (wasme init + wasme build)"
  "${WASME[@]}" init "$WORK/add-header" --language assemblyscript >/dev/null
  "${WASME[@]}" build assemblyscript "$WORK/add-header" -t localhost/bench/add-header:v1 >/dev/null
  FILTER=(localhost/bench/add-header:v1 --config world)
else
  FILTER=("$MODULE" --root-id "${ROOT_ID:-add_header}" --config world)
fi

# Starts `wasme run` in the background and waits until it prints its listen line.
start_proxy() {
  local log="$1"; shift
  "${WASME[@]}" run "$@" --log-level warn >"$log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 300); do
    grep -q 'listening on' "$log" && return 0
    kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  cat "$log" >&2; exit 1
}

# Requests/s of one wrk run; refuses a run with errors (a 503 is fast, and would flatter a failed filter).
rps() {
  local out; out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "$1")"
  if grep -q 'Non-2xx' <<<"$out"; then echo "error: $1 answered non-2xx responses under load:" >&2; echo "$out" >&2; exit 1; fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}

# The upstream: the built-in echo server of a filterless `wasme run` in its own process (only its echo URL
# is used). Then two proxies in front of it, identical but for the filter.
PU="$(free_port)"; P0="$(free_port)"; P1="$(free_port)"
start_proxy "$WORK/upstream.log" --echo-upstream --listen "127.0.0.1:$PU"
UPSTREAM="$(sed -n 's/.*listening on .* -> \(http:[^ ]*\).*/\1/p' "$WORK/upstream.log" | head -1)"
[[ -n "$UPSTREAM" ]] || { echo "error: could not read the echo upstream's URL" >&2; cat "$WORK/upstream.log" >&2; exit 1; }
start_proxy "$WORK/plain.log" --upstream "$UPSTREAM" --listen "127.0.0.1:$P0"
start_proxy "$WORK/filter.log" "${FILTER[@]}" --upstream "$UPSTREAM" --listen "127.0.0.1:$P1"

curl -sfi "http://127.0.0.1:$P1/" | grep -qi '^hello: world' || { echo "error: the filter did not add its header" >&2; exit 1; }

echo "==> wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds alternating the three (a $WARMUP warm-up each first)"
# The warm-up lets tiered compilation finish: the filter path has more code to tier up, and a proxy
# runs at steady state in production. Alternating rounds spread the machine's drift over all three.
for url in "$UPSTREAM" "http://127.0.0.1:$P0/" "http://127.0.0.1:$P1/"; do
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$url" >/dev/null
done
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
DIRECT=(); PLAIN=(); FILTERED=()
for round in $(seq "$ROUNDS"); do
  DIRECT+=("$(rps "$UPSTREAM")")
  PLAIN+=("$(rps "http://127.0.0.1:$P0/")")
  FILTERED+=("$(rps "http://127.0.0.1:$P1/")")
  echo "    round $round: upstream ${DIRECT[-1]}, no filter ${PLAIN[-1]}, add-header ${FILTERED[-1]} req/s"
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# The filter must have kept working under load: a failed VM answers 503 (fail-closed).
curl -sfi "http://127.0.0.1:$P1/" | grep -qi '^hello: world' || { echo "error: the filter stopped adding its header under load" >&2; cat "$WORK/filter.log" >&2; exit 1; }

python3 - "${DIRECT[*]}" "${PLAIN[*]}" "${FILTERED[*]}" "$(nproc)" "$LOAD_BEFORE" "$LOAD_AFTER" <<'PY'
import statistics, sys
direct, plain, filtered = (statistics.median(float(v) for v in arg.split()) for arg in sys.argv[1:4])
cores, before, after = sys.argv[4:]
print("medians:")
print(f"upstream directly        {direct:10.0f} req/s")
print(f"wasme run, no filter     {plain:10.0f} req/s   {plain/direct:.2f} x upstream")
print(f"wasme run, add-header    {filtered:10.0f} req/s   {filtered/plain:.2f} x no-filter (goal >= 0.90)")
print(f"ratio {filtered/plain:.3f}")
print(f"cores {cores}; load average before {before}, after {after}")
PY
