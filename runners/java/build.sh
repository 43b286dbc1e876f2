#!/bin/sh
# Recompiles the Java agent runner after a change to src/: WrapgenAgents.class is committed, so that
# building a layer needs no JDK. Java 8 bytecode, for every Lambda JVM. test/hooks.ts checks that the
# committed class matches its source when a JDK is installed.
set -eu
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
javac --release 8 -Xlint:-options -d "$out" src/WrapgenAgents.java
cp "$out/WrapgenAgents.class" WrapgenAgents.class
