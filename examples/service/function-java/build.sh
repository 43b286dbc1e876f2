#!/bin/sh
# Recompiles classes/ (committed, so the example runs without a build step). Java 17 bytecode, for
# the java17, java21 and java25 runtimes.
set -eu
cd "$(dirname "$0")"
rm -rf classes
javac --release 17 -d classes src/example/Handler.java
