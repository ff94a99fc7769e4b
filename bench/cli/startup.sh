#!/usr/bin/env bash
# Start-up of the tool-installed wasme next to skopeo, in one hyperfine run: `wasme --version`,
# `wasme list` (a store with three images), `skopeo --version`, and `wasme list` of the JIT fallback
# package (wasme.any). Goal on linux-x64: the native wasme <= 30 ms. Then the CPU time and page faults
# of each (perf stat), which a loaded machine distorts less than wall-clock time.
# Packs with eng/pack-tool.sh (the native linux-x64 package) into PACKAGES (default artifacts/tool)
# unless SKIP_PACK=1 and it already holds them, installs from there into a temporary tool path.
#   bench/cli/startup.sh            RUNS=50 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${RUNS:-50}"
packages="${PACKAGES:-artifacts/tool}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ "${SKIP_PACK:-0}" = 1 ] && ls "$packages"/wasme.linux-x64.*.nupkg >/dev/null 2>&1; then
  version="$(cd "$packages" && ls wasme.[0-9]*.nupkg | head -n1 | sed 's/^wasme\.//; s/\.nupkg$//')"
  printf '<configuration><packageSources><clear /><add key="local" value="%s" /></packageSources></configuration>\n' "$(cd "$packages" && pwd)" >"$work/nuget.config"
  dotnet tool install wasme --version "$version" --tool-path "$work/tools" --configfile "$work/nuget.config" >/dev/null
else
  TOOL_PATH="$work/tools" bash eng/pack-tool.sh "$packages" >/dev/null
fi
wasme="$work/tools/wasme"
find "$work/tools/.store" -name wasme.dll | grep -q . && echo "warning: the installed tool is the JIT build" >&2

export HOME="$work/home" WASME_STORE="$work/store"
printf '{"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["root"]}}' >"$work/runtime-config.json"
# A minimal valid Proxy-Wasm module: the ABI marker export and root id "root" in its data.
python3 - "$work/m.wasm" <<'PY'
import sys
def leb(v):
    out = bytearray()
    while True:
        b = v & 0x7f; v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v: return bytes(out)
def name(s): return leb(len(s)) + s
def section(i, body): return bytes([i]) + leb(len(body)) + body
exports = [(b"proxy_abi_version_0_2_1", 0, 0), (b"proxy_on_memory_allocate", 0, 0), (b"memory", 2, 0)]
m = b"\0asm\1\0\0\0" + section(1, b"\x01\x60\x00\x00") + section(3, b"\x01\x00") + section(5, b"\x01\x00\x01")
m += section(7, leb(len(exports)) + b"".join(name(n) + bytes([k, i]) for n, k, i in exports))
m += section(10, b"\x01\x02\x00\x0b") + section(11, b"\x01\x00\x41\x00\x0b" + name(b"root"))
open(sys.argv[1], "wb").write(m)
PY
for tag in v1 v2 v3; do
  "$wasme" build precompiled "$work/m.wasm" --config "$work/runtime-config.json" -t "localhost/bench/filter:$tag" >/dev/null
done

# The fallback package's JIT build, run as the tool shim runs it, for comparison in the same run.
unzip -q "$(ls "$packages"/wasme.any.*.nupkg | head -n1)" 'tools/*' -d "$work/jit"
jit=(dotnet "$work/jit/tools/net10.0/any/wasme.dll")

echo "wasme: $wasme ($(du -sh "$work/tools/.store" | cut -f1) installed); skopeo $(skopeo --version | cut -d' ' -f3)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/startup.json" \
  -n "wasme --version" "$wasme --version" \
  -n "wasme list" "$wasme list" \
  -n "skopeo --version" "skopeo --version" \
  -n "wasme list (JIT, wasme.any)" "${jit[*]} list" >&2
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/startup.json" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
skopeo = results["skopeo --version"]["median"]
for name, r in results.items():
    print(f"{name:28} median {r['median']*1000:6.1f} ms  mean {r['mean']*1000:6.1f} ms  min {r['min']*1000:6.1f} ms  ({r['median']/skopeo:.2f}x skopeo)")
PY
if command -v perf >/dev/null 2>&1; then
  for cmd in "$wasme --version" "$wasme list" "skopeo --version"; do
    perf stat -r 20 -e task-clock,page-faults $cmd 2>&1 >/dev/null | awk -v c="$cmd" '/task-clock/{t=$1} /page-faults/{p=$1} END{printf "%-40s %6.1f ms CPU, %s page faults\n", c, t, p}'
  done
fi
