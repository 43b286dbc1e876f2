#!/bin/sh
# Emulates the exec-wrapper contract of Lambda's managed runtime bootstraps (docs/verify.md):
# empty AWS_LAMBDA_EXEC_WRAPPER -> exec the runtime command; not a regular file -> stdout
# "<path>: does not exist", exit 127; not executable -> "<path>: is not an executable", exit 126;
# else exec the wrapper with the command, keeping this PID.
# Usage: bootstrap SHELL COMMAND... ; SHELL "-" execs the wrapper itself (its #! line decides),
# any other value runs the wrapper with that shell, as if it were /bin/sh.
# Installed as /var/runtime/bootstrap with these comments left out (bootstrap.ts): nothing in it names
# the tool that runs it, and it opens no descriptor of its own.
shell=$1
shift
# Run the command itself while AWS_LAMBDA_EXEC_WRAPPER keeps its value (what a chained wrapper sees
# when the first wrapper execs it): the harness sets _BOOTSTRAP_DIRECT=1 for that.
if [ "${_BOOTSTRAP_DIRECT-}" = 1 ]; then
  unset _BOOTSTRAP_DIRECT
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
if [ "$shell" = - ]; then
  exec "$AWS_LAMBDA_EXEC_WRAPPER" "$@"
fi
exec "$shell" "$AWS_LAMBDA_EXEC_WRAPPER" "$@"
