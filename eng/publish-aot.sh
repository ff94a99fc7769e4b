#!/usr/bin/env bash
# Publishes the wasme CLI as a native AOT binary: artifacts/aot/wasme.
# Trim/AOT warnings are printed, not hidden. Wasme's own code is warning-free; KubernetesClient,
# YamlDotNet and Wasmtime.Dotnet produce IL2104/IL3053, which warnings-as-errors would turn into a
# failed publish, so they stay warnings here (the image commands do not reach that code).
set -euo pipefail
cd "$(dirname "$0")/.."
out="artifacts/aot"
rm -rf "$out"
dotnet publish src/Wasme.Cli -c Release -r linux-x64 -p:PublishAot=true -p:TreatWarningsAsErrors=false -o "$out" -nologo "$@"
ls -l "$out/wasme"
