#!/usr/bin/env bash
# Publishes the wasme CLI as a native AOT binary: artifacts/aot/wasme.
# Trim/AOT warnings are printed, not hidden: the image commands' path is warning-free; report others.
set -euo pipefail
cd "$(dirname "$0")/.."
out="artifacts/aot"
rm -rf "$out"
dotnet publish src/Wasme.Cli -c Release -r linux-x64 -p:PublishAot=true -o "$out" -nologo "$@"
ls -l "$out/wasme"
