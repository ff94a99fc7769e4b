#!/usr/bin/env bash
# wasme pull/push (native AOT binary) vs skopeo copy, whole process, against a local docker-registry.
# Median of >= 5 runs each (hyperfine), for a 1 MiB and a 32 MiB module; prints the ratios.
# Goal: <= 0.7 of skopeo's time at 1 MiB, <= 0.5 at 32 MiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${RUNS:-10}"
wasme="${WASME:-artifacts/aot/wasme}"
[ -x "$wasme" ] || bash eng/publish-aot.sh >/dev/null
work="$(mktemp -d)"
port="$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')"
cat >"$work/config.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port}
YML
docker-registry serve "$work/config.yml" 2>"$work/registry.log" &
registry_pid=$!
trap 'kill $registry_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.05; done

export WASME_STORE="$work/store" HOME="$work/home"
printf '{"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["root"]}}' >"$work/runtime-config.json"
declare -A results
for size_mib in 1 32; do
  module="$work/m$size_mib.wasm"
  # A valid module header followed by one custom section of random bytes.
  python3 - "$module" "$size_mib" <<'PY'
import os, sys
n = int(sys.argv[2]) * 1024 * 1024
name = b"pad"
payload = bytes([len(name)]) + name + os.urandom(n - 32)
def leb(v):
    out = bytearray()
    while True:
        b = v & 0x7f; v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v: return bytes(out)
open(sys.argv[1], "wb").write(b"\0asm\1\0\0\0" + b"\0" + leb(len(payload)) + payload)
PY
  ref="127.0.0.1:$port/bench/m$size_mib:v1"
  "$wasme" build precompiled "$module" --config "$work/runtime-config.json" -t "$ref" >/dev/null 2>&1 \
    || { echo "wasme build precompiled failed; falling back to pull of a skopeo-pushed image" >&2; }
  "$wasme" push "$ref" -q >/dev/null
  skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$work/skopeo-src:m" >/dev/null
  hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/pull$size_mib.json" \
    --prepare "rm -rf $work/store $work/skopeo-dst" \
    -n "wasme pull $size_mib MiB" "$wasme pull $ref -q" \
    -n "skopeo copy (pull) $size_mib MiB" "skopeo copy -q --src-tls-verify=false docker://$ref oci:$work/skopeo-dst:m" >/dev/null
  "$wasme" pull "$ref" -q >/dev/null
  hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/push$size_mib.json" \
    --prepare "curl -fs -o /dev/null -X DELETE http://127.0.0.1:$port/v2/bench/m$size_mib/manifests/\$(curl -fsI -H 'Accept: application/vnd.oci.image.manifest.v1+json' http://127.0.0.1:$port/v2/bench/m$size_mib/manifests/v1 | tr -d '\r' | awk -F': ' 'tolower(\$1)==\"docker-content-digest\"{print \$2}') || true" \
    -n "wasme push $size_mib MiB" "$wasme push $ref -q" \
    -n "skopeo copy (push) $size_mib MiB" "skopeo copy -q --dest-tls-verify=false oci:$work/skopeo-src:m docker://$ref" >/dev/null
  for op in pull push; do
    python3 - "$work/$op$size_mib.json" "$op" "$size_mib" <<'PY'
import json, sys, statistics
r = json.load(open(sys.argv[1]))["results"]
w, s = (statistics.median(x["times"]) for x in r)
goal = 0.7 if sys.argv[3] == "1" else 0.5
print(f"{sys.argv[2]:4} {sys.argv[3]:>2} MiB: wasme {w*1000:7.1f} ms  skopeo {s*1000:7.1f} ms  ratio {w/s:4.2f}  (goal <= {goal})")
PY
  done
done
