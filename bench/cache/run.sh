#!/usr/bin/env bash
# Cache benchmark: cold fetch time (registry -> verified file, seen by an HTTP client) against a
# real docker-registry on 127.0.0.1, and hit latency of GET /sha256/<hex> on loopback (wrk).
#   bench/cache/run.sh [MODULE_BYTES] [RUNS]     (defaults 1048576 and 5)
# Needs: a built wasme (dotnet build src/Wasme.Cli -c Release), docker-registry, wrk, curl, python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
size="${1:-1048576}"; runs="${2:-5}"
wasme="${WASME:-}"
for candidate in src/Wasme.Cli/bin/Release/net10.0/wasme src/Wasme.Cli/bin/Debug/net10.0/wasme; do
  [[ -z "$wasme" && -x "$candidate" ]] && wasme="$candidate"
done
[[ -n "$wasme" ]] || { echo "build the CLI first: dotnet build src/Wasme.Cli -c Release" >&2; exit 1; }

work="$(mktemp -d)"; pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }

registry_port="$(free_port)"
cat > "$work/registry.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/registry}}
http: {addr: 127.0.0.1:$registry_port}
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 & pids+=($!)
until curl -sf "http://127.0.0.1:$registry_port/v2/" >/dev/null; do sleep 0.05; done

read -r module image < <(python3 bench/cache/push_module.py "127.0.0.1:$registry_port" bench/module "$size")
echo "module $module ($size bytes), image $image"

cold=()
for run in $(seq 1 "$runs"); do
  port="$(free_port)"; dir="$work/cache-$run"
  "$wasme" cache --directory "$dir" --listen "http://127.0.0.1:$port" --module "$module=$image" >"$work/cache-$run.log" 2>&1 & pid=$!; pids+=($pid)
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.01; done
  start="$(now_ms)"
  # A request for a module being fetched waits for that fetch; a 404 means it has not started yet.
  until curl -sf -o /dev/null "http://127.0.0.1:$port/sha256/$module"; do :; done
  cold+=($(( $(now_ms) - start )))
  if [[ "$run" -lt "$runs" ]]; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
done
sorted=($(printf '%s\n' "${cold[@]}" | sort -n))
echo "cold fetch (ready -> first 200), ms: ${cold[*]}; median ${sorted[$(( runs / 2 ))]}"

# CPU time the daemon spends per hit (from /proc): unlike latency, it barely moves with other load on the machine.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
# Warm up first: the daemon has just started, and its first seconds of hits run code the JIT has not
# optimised yet. The figures below are the steady state a node sees.
wrk -t1 -c1 -d3s "http://127.0.0.1:$port/sha256/$module" >/dev/null
echo "hit latency, 1 connection, 10 s (after a 3 s warm-up):"
before="$(cpu_ticks)"
wrk -t1 -c1 -d10s --latency "http://127.0.0.1:$port/sha256/$module" >"$work/wrk.txt"
after="$(cpu_ticks)"
sed -n '/Latency Distribution/,/99%/p;/Requests\/sec/p' "$work/wrk.txt"
requests="$(awk '/requests in/ {print $1}' "$work/wrk.txt")"
awk -v t="$(( after - before ))" -v hz="$(getconf CLK_TCK)" -v n="$requests" \
  'BEGIN { printf "daemon CPU per hit: %.3f ms (%d requests)\n", t * 1000 / hz / n, n }'
echo "machine load: $(cut -d' ' -f1-3 /proc/loadavg)"
