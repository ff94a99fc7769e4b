#!/usr/bin/env bash
# The main job on an embedded default: no cluster and no external registry needed.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/Wasme.Cli -c Release -nologo -v quiet
wasme() { dotnet src/Wasme.Cli/bin/Release/net10.0/wasme.dll "$@"; }
wasme --version
wasme exit-codes
