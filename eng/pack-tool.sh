#!/usr/bin/env bash
# Packs `wasme` as .NET 10 tool packages, installs it from those packages alone (no feed but the output
# directory, so it proves the packages are complete offline) into a temporary tool path, and runs
# `wasme --version`.
#   eng/pack-tool.sh [--jit-only] [OUTPUT_DIR]     (default artifacts/tool; the .nupkg files land there)
# Packages: `wasme` (the pointer package `dotnet tool install wasme` resolves), `wasme.any` (framework-
# dependent, any platform with the .NET 10 runtime) and `wasme.linux-x64` (native AOT, self-contained,
# libwasmtime.so beside the binary; the install picks it on linux-x64). --jit-only packs the pointer and
# `wasme.any` only (no native compile: seconds, not minutes); the install is then the JIT build.
# TOOL_PATH=DIR keeps the installed tool there (for benchmarks) instead of a removed temp directory.
set -euo pipefail
cd "$(dirname "$0")/.."
rids=(linux-x64 any)   # as ToolPackageRuntimeIdentifiers in src/Wasme.Cli/Wasme.Cli.csproj
properties=()
if [ "${1:-}" = "--jit-only" ]; then
  shift
  rids=(any)
  properties=(-p:ToolPackageRuntimeIdentifiers=any)
fi
out="${1:-artifacts/tool}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

rm -f "$out"/wasme.*.nupkg
pack() { dotnet pack src/Wasme.Cli/Wasme.Cli.csproj -c Release -o "$out" -nologo -v quiet "${properties[@]}" "$@"; }
pack                     # the pointer package: names the RID packages, holds no code
for rid in "${rids[@]}"; do
  pack -r "$rid"         # any: framework-dependent; linux-x64: native AOT (warnings but IL2104/IL3053 are errors)
done
package="$out/$(cd "$out" && ls wasme.[0-9]*.nupkg | head -n1)"
version="$(basename "$package" .nupkg)"; version="${version#wasme.}"

# A NuGet config that knows only the local package directory: the install must not need the network.
cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$out" />
  </packageSources>
</configuration>
XML

tools="${TOOL_PATH:-$work/tools}"
dotnet tool install wasme --version "$version" --tool-path "$tools" --configfile "$work/nuget.config" >/dev/null
echo "installed $(basename "$package") ($(cd "$out" && ls wasme.*.nupkg | tr '\n' ' '))"
"$tools/wasme" --version
