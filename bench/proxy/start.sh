#!/usr/bin/env bash
# Launch-to-listening time of `wasme run`, side by side in one run (issue 16, point 9):
#   1. no filter (the proxy alone),
#   2. a 3 MB filter, first start: the compiled-module cache is empty, so the module is compiled,
#   3. the same filter, second start: the compiled code comes from the cache.
# Each round starts the three in turn (so load changes hit them alike), times from launch to the
# "listening on" line, and stops the proxy. Prints the median and min per case, the ratio of the
# second start to the no-filter start (goal <= 1.5), and the load average before and after.
#
#   bash bench/proxy/start.sh                  # 7 rounds
#   ROUNDS=15 SIZE_MB=3 bash bench/proxy/start.sh
#   WASME_DLL=path/to/wasme.dll MODULE=path/to/filter.wasm bash bench/proxy/start.sh   # reuse builds
#
# Needs: .NET 10 SDK, python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ROUNDS="${ROUNDS:-7}"
SIZE_MB="${SIZE_MB:-3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/wasme-bench-start.XXXXXX")"
export WASME_STORE="$WORK/store"
# The compiled-module cache lives under XDG_CACHE_HOME/wasme/compiled: a private one for this run.
export XDG_CACHE_HOME="$WORK/cache"
PID=""

cleanup() {
  if [[ -n "$PID" ]]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now_ms() { date +%s%3N; }

if [[ -n "${WASME_DLL:-}" ]]; then
  WASME=(dotnet "$WASME_DLL")
else
  echo "==> building the wasme CLI (Release)"
  dotnet build "$ROOT/src/Wasme.Cli" -c Release -o "$WORK/cli" -v quiet -nologo >/dev/null
  WASME=(dotnet "$WORK/cli/wasme.dll")
fi

if [[ -z "${MODULE:-}" ]]; then
  echo "==> writing a ${SIZE_MB} MB add-header module (bench/ProxyWasm --make-module)"
  dotnet run -c Release --project "$ROOT/bench/ProxyWasm" -- --make-module "$WORK/filter.wasm" "$SIZE_MB"
  MODULE="$WORK/filter.wasm"
fi

# Starts `wasme run "$@"`, prints the milliseconds from launch to its "listening on" line, stops it.
LAUNCHES=0
launch() {
  local log start end port
  LAUNCHES=$((LAUNCHES + 1))
  log="$WORK/run.$LAUNCHES.log"
  port="$(free_port)"
  : >"$log"
  start="$(now_ms)"
  # exec: the proxy replaces the subshell, which must not run this script's EXIT trap if stopped early.
  ( trap - EXIT; exec "${WASME[@]}" run --listen "127.0.0.1:$port" --echo-upstream --log-level warn "$@" >"$log" 2>&1 ) &
  PID=$!
  while ! grep -q 'listening on' "$log"; do
    kill -0 "$PID" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.005
  done
  end="$(now_ms)"
  kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  echo $((end - start))
}

stats() { sort -n | awk '{a[NR]=$1} END {printf "median %5d ms  min %5d ms  (n=%d)", a[int((NR+1)/2)], a[1], NR}'; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
launch >/dev/null   # warm the OS file cache for the CLI's own assemblies
: >"$WORK/none"; : >"$WORK/first"; : >"$WORK/second"
for round in $(seq 1 "$ROUNDS"); do
  launch >>"$WORK/none"
  rm -rf "$XDG_CACHE_HOME/wasme/compiled"
  launch "$MODULE" >>"$WORK/first"
  launch "$MODULE" >>"$WORK/second"
  echo "  round $round: none $(tail -1 "$WORK/none") ms, first $(tail -1 "$WORK/first") ms, second $(tail -1 "$WORK/second") ms"
done
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo "module: $(stat -c %s "$MODULE") bytes"
echo "no filter:              $(stats <"$WORK/none")"
echo "filter, first start:    $(stats <"$WORK/first")"
echo "filter, second start:   $(stats <"$WORK/second")"
med() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
python3 -c "print(f'second start / no filter (medians): {$(med "$WORK/second")/$(med "$WORK/none"):.2f} (goal <= 1.5)')"
