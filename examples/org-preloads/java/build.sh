#!/bin/sh
# Rebuilds log-context-agent.jar (committed, so building a layer needs no JDK). Java 8 bytecode.
set -eu
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
javac --release 8 -Xlint:-options -d "$out" src/org/example/LogContextAgent.java
printf 'Premain-Class: org.example.LogContextAgent\n' > "$out/manifest.txt"
jar --create --date=1980-01-01T00:00:02Z --file log-context-agent.jar --manifest "$out/manifest.txt" -C "$out" org
