#!/usr/bin/env bash
# Launch-to-listening time of `wasme run`, side by side in one run (issue 16, point 9):
#   1. no filter (the proxy alone),
#   2. a 3 MB filter, first start: the compiled-module cache is empty, so the module is compiled,
#   3. the same filter, second start: the compiled code comes from the cache.
# Each round starts the three in turn (so load changes hit them alike), times from launch to the
# "listening on" line, and stops the proxy. Prints the median and min per case, the CPU time the process
# had used by then (user + system, less sensitive to other load than the wall time), the ratio of the
# second start to the no-filter start (goal <= 1.5), and the load average before and after.
# With BASELINE_DLL (or BASELINE_BIN), each round also runs the three cases with that build, so two
# builds are compared side by side in one run.
#
#   bash bench/proxy/start.sh                  # 7 rounds
#   ROUNDS=15 SIZE_MB=3 bash bench/proxy/start.sh
#   WASME_DLL=path/to/wasme.dll MODULE=path/to/filter.wasm bash bench/proxy/start.sh   # reuse builds
#   WASME_BIN=artifacts/aot/wasme bash bench/proxy/start.sh                           # the native AOT binary
#   WASME_DLL=new/wasme.dll BASELINE_DLL=old/wasme.dll bash bench/proxy/start.sh      # two builds side by side
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

if [[ -n "${WASME_BIN:-}" ]]; then
  WASME=("$WASME_BIN")
elif [[ -n "${WASME_DLL:-}" ]]; then
  WASME=(dotnet "$WASME_DLL")
else
  echo "==> building the wasme CLI (Release)"
  dotnet build "$ROOT/src/Wasme.Cli" -c Release -o "$WORK/cli" -v quiet -nologo >/dev/null
  WASME=(dotnet "$WORK/cli/wasme.dll")
fi

BASELINE=()
if [[ -n "${BASELINE_BIN:-}" ]]; then
  BASELINE=("$BASELINE_BIN")
elif [[ -n "${BASELINE_DLL:-}" ]]; then
  BASELINE=(dotnet "$BASELINE_DLL")
fi
CLK_TCK="$(getconf CLK_TCK)"

if [[ -z "${MODULE:-}" ]]; then
  echo "==> writing a ${SIZE_MB} MB add-header module (bench/ProxyWasm --make-module)"
  dotnet run -c Release --project "$ROOT/bench/ProxyWasm" -- --make-module "$WORK/filter.wasm" "$SIZE_MB"
  MODULE="$WORK/filter.wasm"
fi

# Starts `wasme run "$@"` with the build in CLI (an array name), prints the milliseconds from launch to its
# "listening on" line and the CPU milliseconds the process had used by then, stops it.
LAUNCHES=0
launch() {
  local -n cli="$1"; shift
  local log start end port cpu
  LAUNCHES=$((LAUNCHES + 1))
  log="$WORK/run.$LAUNCHES.log"
  port="$(free_port)"
  : >"$log"
  start="$(now_ms)"
  # exec: the proxy replaces the subshell, which must not run this script's EXIT trap if stopped early.
  ( trap - EXIT; exec "${cli[@]}" run --listen "127.0.0.1:$port" --echo-upstream --log-level warn "$@" >"$log" 2>&1 ) &
  PID=$!
  while ! grep -q 'listening on' "$log"; do
    kill -0 "$PID" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.005
  done
  end="$(now_ms)"
  # utime + stime (fields 14 and 15 of /proc/PID/stat; the command name, field 2, has no spaces here).
  cpu="$(awk -v tck="$CLK_TCK" '{printf "%d", ($14 + $15) * 1000 / tck}' "/proc/$PID/stat" 2>/dev/null || echo 0)"
  kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  echo "$((end - start)) $cpu"
}

stats() { sort -n | awk '{a[NR]=$1} END {printf "median %5d ms  min %5d ms  (n=%d)", a[int((NR+1)/2)], a[1], NR}'; }
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Runs the three cases once with one build; NAME prefixes the files the times go to.
round() {
  local name="$1"
  launch "$name" >>"$WORK/$name.none"
  rm -rf "$XDG_CACHE_HOME/wasme/compiled"
  launch "$name" "$MODULE" >>"$WORK/$name.first"
  launch "$name" "$MODULE" >>"$WORK/$name.second"
  echo "  round $round ($name): none $(tail -1 "$WORK/$name.none" | cut -d' ' -f1) ms, first $(tail -1 "$WORK/$name.first" | cut -d' ' -f1) ms, second $(tail -1 "$WORK/$name.second" | cut -d' ' -f1) ms"
}

report() {
  local name="$1" label="$2"
  echo "$label:"
  echo "  no filter:              $(cut -d' ' -f1 "$WORK/$name.none" | stats)   cpu median $(cut -d' ' -f2 "$WORK/$name.none" | med) ms"
  echo "  filter, first start:    $(cut -d' ' -f1 "$WORK/$name.first" | stats)   cpu median $(cut -d' ' -f2 "$WORK/$name.first" | med) ms"
  echo "  filter, second start:   $(cut -d' ' -f1 "$WORK/$name.second" | stats)   cpu median $(cut -d' ' -f2 "$WORK/$name.second" | med) ms"
  python3 -c "print(f'  second start / no filter (medians): {$(cut -d' ' -f1 "$WORK/$name.second" | med)/$(cut -d' ' -f1 "$WORK/$name.none" | med):.2f} (goal <= 1.5)')"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
launch WASME >/dev/null   # warm the OS file cache for the CLI's own assemblies
if [[ ${#BASELINE[@]} -gt 0 ]]; then launch BASELINE >/dev/null; fi
for round in $(seq 1 "$ROUNDS"); do
  # Alternate which build goes first, so neither always runs right after the other's compilation.
  if [[ ${#BASELINE[@]} -gt 0 && $((round % 2)) -eq 0 ]]; then round BASELINE; fi
  round WASME
  if [[ ${#BASELINE[@]} -gt 0 && $((round % 2)) -eq 1 ]]; then round BASELINE; fi
done
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo "module: $(stat -c %s "$MODULE") bytes"
report WASME "${WASME[*]}"
if [[ ${#BASELINE[@]} -gt 0 ]]; then report BASELINE "baseline: ${BASELINE[*]}"; fi
