#!/bin/sh
# Rebuilds the .NET startup hook runner after a change to src/: WrapgenStartupHooks.dll is committed, so
# that building a layer needs no .NET SDK. It targets net8.0 (the oldest .NET Lambda runs), whose
# reference pack the SDK restores from NuGet. The build is deterministic (src/*.csproj); test/hooks.ts
# checks that the committed assembly matches its source where that pack can be had.
set -eu
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp src/StartupHook.cs src/WrapgenStartupHooks.csproj "$work/"
dotnet build "$work/WrapgenStartupHooks.csproj" -c Release -o "$work/out" --nologo -v quiet "$@"
cp "$work/out/WrapgenStartupHooks.dll" WrapgenStartupHooks.dll
