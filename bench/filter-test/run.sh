#!/usr/bin/env bash
# How long `wasme test` takes for a case of 1,000 requests through the AssemblyScript template filter,
# side by side with a case of one request: the per-case time wasme prints is host time (the case's
# runtime start, 1,000 requests through the data plane, the checks), and hyperfine shows the process total.
#
#   bash bench/filter-test/run.sh          # needs the .NET SDK, node/npm and hyperfine
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/wasme-bench-test.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

dotnet build "$ROOT/src/Wasme.Cli" -c Release -o "$WORK/cli" -v quiet -nologo >/dev/null
WASME=(dotnet "$WORK/cli/wasme.dll")
"${WASME[@]}" init "$WORK/filter" --language assemblyscript >/dev/null
(cd "$WORK/filter" && npm install --silent --no-audit --no-fund >/dev/null && npm run asbuild --silent >/dev/null)

for n in 1 1000; do
  cat >"$WORK/repeat-$n.yaml" <<YAML
filters: [{module: filter/build/optimized.wasm, rootId: add_header, config: world}]
tests:
  - name: $n requests
    when: {request: {path: /bench, headers: {x-a: "1"}}, upstream: {body: ok}, repeat: $n}
    then: {response: {status: 200, headers: {hello: world}, body: ok}}
YAML
done

echo "== per-case host time, as wasme test reports it (3 runs each)"
for n in 1 1000; do
  for _ in 1 2 3; do "${WASME[@]}" test "$WORK/repeat-$n.yaml" | grep -E '^(PASS|FAIL)'; done
done
echo
echo "== whole process (hyperfine)"
hyperfine --warmup 1 --runs 5 -N \
  "dotnet $WORK/cli/wasme.dll test $WORK/repeat-1.yaml" \
  "dotnet $WORK/cli/wasme.dll test $WORK/repeat-1000.yaml"
