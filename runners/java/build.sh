#!/bin/sh
# Recompiles the Java agent runner after a change to src/: its classes (WrapgenAgents.class, and
# WrapgenAgentsRare.class for failures and timing) are committed, so that building a layer needs no JDK.
# Java 8 bytecode, for every Lambda JVM. test/hooks.ts checks that the committed classes match their
# source when a JDK is installed.
set -eu
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# WrapgenAgentTarget only stands for the first agent's class while compiling (never packed).
javac --release 8 -Xlint:-options -d "$out" src/WrapgenAgents.java src/WrapgenAgentsRare.java src/WrapgenAgentTarget.java
for c in WrapgenAgents WrapgenAgentsRare; do cp "$out/$c.class" "$c.class"; done
