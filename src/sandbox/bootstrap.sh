#!/bin/sh
# Emulates the exec-wrapper contract of Lambda's managed runtime bootstraps (docs/verify.md):
# empty AWS_LAMBDA_EXEC_WRAPPER -> exec the runtime command; not a regular file -> stdout
# "<path>: does not exist", exit 127; not executable -> "<path>: is not an executable", exit 126;
# else exec the wrapper with the command, keeping this PID.
# Usage: bootstrap.sh SHELL COMMAND... ; SHELL "-" execs the wrapper itself (its #! line decides),
# any other value runs the wrapper with that shell, as if it were /bin/sh.
# fd 7 gets this process's pid, which the wrapper and the interpreter must keep.
wrapgen_shell=$1
shift
printf '%s\n' "$$" >&7
exec 7>&-
# The harness only: run the command itself while AWS_LAMBDA_EXEC_WRAPPER keeps its value (what a
# chained wrapper sees when wrapgen's wrapper execs it).
if [ "${WRAPGEN_VERIFY_DIRECT-}" = 1 ]; then
  unset WRAPGEN_VERIFY_DIRECT
  exec "$@"
fi
if [ -z "${AWS_LAMBDA_EXEC_WRAPPER-}" ]; then
  exec "$@"
fi
if [ ! -f "$AWS_LAMBDA_EXEC_WRAPPER" ]; then
  printf '%s: does not exist\n' "$AWS_LAMBDA_EXEC_WRAPPER"
  exit 127
fi
if [ ! -x "$AWS_LAMBDA_EXEC_WRAPPER" ]; then
  printf '%s: is not an executable\n' "$AWS_LAMBDA_EXEC_WRAPPER"
  exit 126
fi
if [ "$wrapgen_shell" = - ]; then
  exec "$AWS_LAMBDA_EXEC_WRAPPER" "$@"
fi
exec "$wrapgen_shell" "$AWS_LAMBDA_EXEC_WRAPPER" "$@"
