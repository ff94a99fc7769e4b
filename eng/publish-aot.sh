#!/usr/bin/env bash
# Publishes the wasme CLI as a native AOT binary: artifacts/aot/wasme (every command) or, with
# --images, artifacts/aot-images/wasme (init, build and the image commands only; it starts several
# times faster because it carries no Kubernetes, Kestrel, Wasmtime or schema-validator code).
# Warnings stay errors. The only exception is the per-assembly summary that trimming and AOT print
# for third-party libraries that are not annotated (IL2104, IL3053: KubernetesClient, YamlDotNet,
# Wasmtime.Dotnet in the full edition); the images edition has none and publishes clean.
set -euo pipefail
cd "$(dirname "$0")/.."
edition=full
out="artifacts/aot"
if [ "${1:-}" = "--images" ]; then
  shift
  edition=images
  out="artifacts/aot-images"
fi
rm -rf "$out"
dotnet publish src/Wasme.Cli -c Release -r linux-x64 -p:PublishAot=true -p:WasmeEdition="$edition" \
  -p:WarningsNotAsErrors=IL2104%3BIL3053 -o "$out" -nologo "$@"
ls -l "$out/wasme"
