#!/usr/bin/env bash
# Packs `wasme` as a .NET tool, installs it from that package alone (no feed but the local
# directory, so it proves the package is complete offline), and runs `wasme --version`.
#   eng/pack-tool.sh [OUTPUT_DIR]     (default artifacts/tool; the .nupkg lands there)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-artifacts/tool}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

rm -f "$out"/wasme.*.nupkg
dotnet pack src/Wasme.Cli/Wasme.Cli.csproj -c Release -o "$out" -nologo -v quiet
package="$(ls "$out"/wasme.*.nupkg | head -n1)"
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

dotnet tool install wasme --version "$version" --tool-path "$work/tools" --configfile "$work/nuget.config" >/dev/null
echo "installed $(basename "$package")"
"$work/tools/wasme" --version
