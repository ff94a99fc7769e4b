#!/usr/bin/env bash
# Installs the real parts the tests drive: an OCI registry (Distribution), skopeo, umoci,
# and the benchmark/lint tools. Idempotent; safe to run again.
set -euo pipefail

need=()
for pair in docker-registry:docker-registry skopeo:skopeo umoci:umoci hyperfine:hyperfine wrk:wrk yamllint:yamllint nginx:nginx-light; do
  bin="${pair%%:*}"; pkg="${pair##*:}"
  command -v "$bin" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The Debian packages start a registry on :5000 and nginx on :80; tests and benchmarks start their own on free ports.
if command -v systemctl >/dev/null 2>&1; then systemctl stop docker-registry nginx >/dev/null 2>&1 || true; fi
# The Sigstore JavaScript client, pinned by its lock file: the signing tests' independent peer.
if command -v npm >/dev/null 2>&1; then
  peers="$(cd "$(dirname "$0")/.." && pwd)/tests/Wasme.Signing.Tests/peers"
  # npm ci deletes and refetches node_modules (a minute); skip it while the lock file is the one installed.
  if ! cmp -s "$peers/package-lock.json" "$peers/node_modules/.wasme-installed-lock" 2>/dev/null; then
    (cd "$peers" && npm ci --no-audit --no-fund --loglevel=error >/dev/null && cp package-lock.json node_modules/.wasme-installed-lock)
  fi
fi
