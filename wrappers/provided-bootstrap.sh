#!/bin/sh
# /opt/bootstrap for custom runtimes (provided.al2, provided.al2023), from wrapgen {{version}} for
# {{name}}. Do not edit: change the config and run "wrapgen build".
#
# Lambda runs /opt/bootstrap when the function ships no /var/task/bootstrap. This shim gives the
# function's own program ({{commandNote}}, or $WRAPGEN_BOOTSTRAP) what the managed runtimes' bootstraps
# give theirs: when AWS_LAMBDA_EXEC_WRAPPER is set, the wrapper runs with the program as its command
# and execs it (same PID). A native program has no interpreter, so a wrapper can change its
# environment, not its flags. Same contract as the managed runtimes: the wrapper missing -> "<path>:
# does not exist" on stdout, exit 127; not executable -> "<path>: is not an executable", exit 126.
# It starts no subprocess and writes no file.
wrapgen_program=${WRAPGEN_BOOTSTRAP:-{{command}}}
if [ ! -f "$wrapgen_program" ] || [ ! -x "$wrapgen_program" ]; then
  printf 'wrapgen bootstrap: %s is not an executable file; ship the function'"'"'s program there, or name it in WRAPGEN_BOOTSTRAP\n' "$wrapgen_program" >&2
  exit 127
fi
if [ -z "${AWS_LAMBDA_EXEC_WRAPPER-}" ]; then
  exec "$wrapgen_program"
fi
if [ ! -f "$AWS_LAMBDA_EXEC_WRAPPER" ]; then
  printf '%s: does not exist\n' "$AWS_LAMBDA_EXEC_WRAPPER"
  exit 127
fi
if [ ! -x "$AWS_LAMBDA_EXEC_WRAPPER" ]; then
  printf '%s: is not an executable\n' "$AWS_LAMBDA_EXEC_WRAPPER"
  exit 126
fi
exec "$AWS_LAMBDA_EXEC_WRAPPER" "$wrapgen_program"
