#!/bin/sh
# Recompiles the python runner's bytecode after a change to runner.py: __pycache__/runner.<tag>.pyc is
# committed (one per python found), so that building a layer needs no python and a start-up compiles
# nothing of the runner. Unchecked-hash pycs: their header holds the source's hash, not a time, so the
# bytes depend on the source and the python minor version alone (PYTHONHASHSEED fixed as well).
# Usage: runners/python/build.sh [python ...] (default: every python3.9+ in pyenv and on PATH).
# test/hooks.ts checks that each committed pyc was compiled from this runner.py.
set -eu
cd "$(dirname "$0")"
if [ "$#" -eq 0 ]; then
  for py in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.*/bin/python3; do
    if [ -x "$py" ]; then set -- "$@" "$py"; fi
  done
  if command -v python3 >/dev/null; then set -- "$@" "$(command -v python3)"; fi
fi
mkdir -p __pycache__
for py do
  PYTHONHASHSEED=0 "$py" -c '
import importlib.util, py_compile, sys
if sys.version_info < (3, 9):
    sys.exit(0)
out = "__pycache__/runner.%s.pyc" % sys.implementation.cache_tag
py_compile.compile("runner.py", cfile=out, dfile="runner.py", doraise=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
print(out)
'
done
