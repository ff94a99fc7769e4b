#!/usr/bin/env bash
# Cache benchmark: cold fetch time (registry -> verified file, seen by an HTTP client) against a
# real docker-registry on 127.0.0.1, and hits of GET /sha256/<hex> on loopback (wrk), side by side with
# nginx (Debian) serving the same file from the cache's directory, at 1 and 16 connections.
#   bench/cache/run.sh [MODULE_BYTES] [RUNS] [SECONDS]     (defaults 1048576, 5 and 10)
# Needs: a built wasme (dotnet build src/Wasme.Cli -c Release), docker-registry, nginx, wrk, curl, python3
# (eng/install-prerequisites.sh installs them). Goal (issue 14): throughput >= 0.9x nginx's, p99 <= 1.1x.
# WASME_BASELINE=/path/to/older/wasme adds that build's cache, on the same directory, to the same alternation
# (a before/after comparison under the same machine load).
set -euo pipefail
cd "$(dirname "$0")/../.."
size="${1:-1048576}"; runs="${2:-5}"; seconds="${3:-10}"
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

# CPU time a server spends per hit (from /proc, all its processes): unlike latency, it barely moves with
# other load on the machine.
cpu_ticks() { local t=0; for p in "$@"; do t=$(( t + $(awk '{print $14 + $15}' "/proc/$p/stat") )); done; echo "$t"; }

# nginx serving the very file the cache holds, configured as a static file server would be.
nginx_port="$(free_port)"; mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<CONF
daemon off;
user $(id -un) $(id -gn);
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$nginx_port;
    location /sha256/ { alias $dir/; default_type application/wasm; }
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" & nginx_pid=$!; pids+=($nginx_pid)
# Workers run as this user (the cache directory is private to it); a 403 or 404 here is a setup error, not a wait.
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" && break; sleep 0.05; done
curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/sha256/$module" || { echo "nginx cannot serve $dir/$module:" >&2; cat "$work/nginx/error.log" >&2; exit 1; }
nginx_pids=($nginx_pid $(pgrep -P "$nginx_pid"))

names=("wasme cache" nginx); urls=("http://127.0.0.1:$port/sha256/$module" "http://127.0.0.1:$nginx_port/sha256/$module")
procs=("$pid" "${nginx_pids[*]}")
if [[ -n "${WASME_BASELINE:-}" ]]; then
  baseline_port="$(free_port)"
  "$WASME_BASELINE" cache --directory "$dir" --listen "http://127.0.0.1:$baseline_port" --module "$module=$image" >"$work/baseline.log" 2>&1 & baseline_pid=$!; pids+=($baseline_pid)
  until curl -sf -o /dev/null "http://127.0.0.1:$baseline_port/sha256/$module"; do sleep 0.05; done
  names+=("baseline"); urls+=("http://127.0.0.1:$baseline_port/sha256/$module"); procs+=("$baseline_pid")
fi
for url in "${urls[@]}"; do
  cmp <(curl -s "${urls[0]}") <(curl -s "$url") || { echo "$url serves other bytes than ${urls[0]}" >&2; exit 1; }
done

# Warm up every server first: the daemon has just started, and its first seconds of hits run code the JIT
# has not optimised yet. The figures below are the steady state a node sees.
for url in "${urls[@]}"; do wrk -t1 -c16 -d3s "$url" >/dev/null; done

# One wrk run: prints "requests/s p99_ms cpu_ms_per_hit".
measure() {
  local url="$1" connections="$2"; shift 2
  local threads=$(( connections < 2 ? 1 : 2 )) before after
  before="$(cpu_ticks "$@")"
  wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency "$url" >"$work/wrk.txt"
  after="$(cpu_ticks "$@")"
  awk -v t="$(( after - before ))" -v hz="$(getconf CLK_TCK)" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /requests in/ { n = $1 }
    /Requests\/sec/ { rps = $2 }
    $1 == "99%" { p99 = ms($2) }
    END { printf "%.0f %.2f %.3f\n", rps, p99, t * 1000 / hz / n }' "$work/wrk.txt"
}

echo "hits, ${seconds} s each, servers alternating (after a 3 s warm-up each):"
printf '%-12s %-6s %12s %10s %14s\n' server conns "requests/s" "p99 ms" "CPU ms/hit"
for connections in 1 16; do
  results=()
  for i in "${!urls[@]}"; do
    # shellcheck disable=SC2086 # procs[i] is a list of pids
    results[i]="$(measure "${urls[i]}" "$connections" ${procs[i]})"
    read -r rps p99 cpu <<<"${results[i]}"
    printf '%-12s %-6s %12s %10s %14s\n' "${names[i]}" "$connections" "$rps" "$p99" "$cpu"
  done
  read -r n_rps n_p99 _ <<<"${results[1]}"
  for i in "${!urls[@]}"; do
    [[ "$i" -eq 1 ]] && continue
    read -r rps p99 _ <<<"${results[i]}"
    awk -v who="${names[i]}" -v cr="$rps" -v nr="$n_rps" -v cp="$p99" -v np="$n_p99" -v c="$connections" \
      'BEGIN { printf "  %s, %s connection(s): throughput %.2fx nginx (goal >= 0.9), p99 %.2fx nginx (goal <= 1.1)\n", who, c, cr / nr, cp / np }'
  done
done
echo "machine load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
