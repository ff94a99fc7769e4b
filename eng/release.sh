#!/usr/bin/env bash
# Builds a release into artifacts/release (or OUTPUT_DIR):
#   nuget/wasme.VERSION.nupkg             pointer package: `dotnet tool install wasme` resolves it
#   nuget/wasme.linux-x64.VERSION.nupkg   native AOT tool (self-contained, libwasmtime.so beside the binary)
#   nuget/wasme.any.VERSION.nupkg         framework-dependent tool for every other platform (.NET 10 runtime)
#   wasme-VERSION-linux-x64.tar.gz        wasme-VERSION-linux-x64/{wasme,libwasmtime.so,LICENSE,README.md,CHANGELOG.md}
#   wasme-VERSION-any.tar.gz              wasme-VERSION-any/{wasme.dll and its assemblies, native libraries per RID, ...}: `dotnet wasme.dll`
#   SHA256SUMS                            `sha256sum -c SHA256SUMS` checks every file above
# then checks what it built: the checksums, the tarball's binary (`--version`, and that it needs no .NET
# runtime), and the tool installed from nuget/ alone into a temporary tool path.
#   eng/release.sh [OUTPUT_DIR]
# Native AOT compiles for the machine's own OS only: run it on linux-x64. A platform added to
# ToolPackageRuntimeIdentifiers in src/Wasme.Cli/Wasme.Cli.csproj is packed (and tarred) on that platform
# with `dotnet pack src/Wasme.Cli -c Release -r RID`, into the same nuget/ before publishing the feed.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-artifacts/release}"
rid=linux-x64
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || { echo "error: eng/release.sh builds the $rid native package; run it on $rid" >&2; exit 2; }
rm -rf "$out"
mkdir -p "$out/nuget"
out="$(cd "$out" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version="$(dotnet msbuild src/Wasme.Cli -getProperty:Version -nologo)"

pack() { dotnet pack src/Wasme.Cli/Wasme.Cli.csproj -c Release -o "$out/nuget" -nologo -v quiet "$@"; }
pack
pack -r any
pack -r "$rid" -p:PublishDir="$work/publish-$rid/"

# The any tarball is the framework-dependent publish (what wasme.any holds), runnable with `dotnet wasme.dll`.
dotnet publish src/Wasme.Cli/Wasme.Cli.csproj -c Release -p:PublishAot=false -p:UseAppHost=false \
  -o "$work/publish-any" -nologo -v quiet

tarball() { # NAME SOURCE_DIR
  local name="wasme-$version-$1"
  local dir="$work/$name"
  mkdir -p "$dir"
  cp -a "$2"/. "$dir"/
  rm -f "$dir"/*.pdb "$dir"/*.dbg "$dir"/*.xml   # symbols and API doc files: not for running it
  if [ -f "$dir/wasme" ]; then chmod 755 "$dir/wasme"; fi
  cp LICENSE README.md CHANGELOG.md "$dir"/
  # Reproducible archive: fixed order, owner and times.
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='@0' -C "$work" -czf "$out/$name.tar.gz" "$name"
}
tarball "$rid" "$work/publish-$rid"
tarball any "$work/publish-any"

(cd "$out" && sha256sum -- *.tar.gz nuget/*.nupkg > SHA256SUMS)

# Checks.
(cd "$out" && sha256sum --quiet -c SHA256SUMS)
tar -xzf "$out/wasme-$version-$rid.tar.gz" -C "$work"
native="$work/wasme-$version-$rid/wasme"
[ -f "$work/wasme-$version-$rid/libwasmtime.so" ] || { echo "error: libwasmtime.so is missing beside the native binary" >&2; exit 1; }
reports() { case "$("$@" 2>&1)" in "$version"*) return 0 ;; *) return 1 ;; esac; }
reports env -u DOTNET_ROOT PATH=/usr/bin:/bin "$native" --version || { echo "error: the native binary does not report $version without a .NET runtime" >&2; exit 1; }
cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="release" value="$out/nuget" />
  </packageSources>
</configuration>
XML
dotnet tool install wasme --version "$version" --tool-path "$work/tools" --configfile "$work/nuget.config" >/dev/null
reports "$work/tools/wasme" --version || { echo "error: the installed tool does not report $version" >&2; exit 1; }
find "$work/tools/.store" -name wasme.dll | grep -q . && { echo "error: the tool installed on $rid is the JIT build, not the native one" >&2; exit 1; }

echo "release $version in $out:"
(cd "$out" && ls -l --time-style=+ *.tar.gz nuget/*.nupkg SHA256SUMS | awk '{print "  " $NF " (" $5 " bytes)"}')
