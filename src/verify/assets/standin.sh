#!/bin/sh
# wrapgen's recording stand-in interpreter. `wrapgen verify` installs copies as /var/lang/bin/node,
# python3.X, java, dotnet, ruby (and a .NET single-file executable), only those of the runtime under
# test. Every start is recorded, one framed record per process start, on fd 3 (never stdout):
#   "@start PID PPID ROLE", then argv as exec'd (NUL-separated; for a #! script the kernel puts the
#   shell first) and the environment as exec'd, each followed by "@@BOUNDARY@@\n", a line "cwd:DIR",
#   and a line "procs: PID..." of the processes alive (in the sandbox, whose pid namespace is the run's own).
# ROLE: `probe` (only version options: answers like the interpreter, on stderr, and exits 0),
# `script` (asked to run an executable file under /opt: the wrapper's own #! interpreter; the real one runs it),
# `runtime` (anything else: the runtime's command). A runtime start copies stdin to fd 5, prints one
# line on stdout and one on stderr, then does what the harness asks on fd 6: "exit N", "kill SIGNAL" or "wait" (until
# signalled; a SIGTERM that arrives is noted on fd 4 as "@signal PID TERM").
# Programs by absolute path: a wrapper that edits PATH must not break the recording.
role=runtime
case $# in 0) ;; *)
  role=probe
  for a do
    case $a in -version|--version|-V|-v|--info|--list-runtimes|--list-sdks|-XshowSettings*) ;; *) role=runtime; break ;; esac
  done
  # The kernel runs a #! script only with its exec bit: a program a wrapper starts on the runtime's
  # interpreter (a web adapter's `node /opt/adapter/server.js`) is the runtime starting, not a script.
  case $1 in /opt/*) [ -f "$1" ] && [ -x "$1" ] && role=script ;; esac
esac
# A runtime notes a SIGTERM before dying of it (set first: the harness may signal as soon as it sees the record).
[ "$role" = runtime ] && trap 'printf "@signal %s TERM\n" "$$" >&4; trap - TERM; kill -s TERM "$$"' TERM
# The processes alive in the sandbox's pid namespace as this one starts (a glob: no fork).
live() { set -- /proc/[0-9]*; printf 'procs:'; for p do printf ' %s' "${p#/proc/}"; done; printf '\n'; }
cd -P . 2>/dev/null
# The record's argv and environment end with a boundary the layout chose at random (one cat, no wc);
# the layout writes it here in each copy.
b=wrapgen-boundary
{
  printf '@start %s %s %s\n' "$$" "$PPID" "$role"
  /bin/cat "/proc/$$/cmdline" - "/proc/$$/environ" <<EOF
@@$b@@
EOF
  printf '@@%s@@\ncwd:%s\n' "$b" "$PWD"
  live
} >&3
case $role in
  probe)
    case ${0##*/} in
      java) printf 'openjdk version "17.0.12" 2024-07-16 LTS\n' >&2 ;;
      python*) printf 'Python 3.12.0\n' ;;
      ruby*) printf 'ruby 3.3.0 (wrapgen stand-in)\n' ;;
      dotnet) printf '8.0.0\n' ;;
      *) printf 'v20.0.0\n' ;;
    esac
    exit 0 ;;
  script)
    real=/var/runtime/real/${0##*/}
    case ${0##*/} in python*) real=/var/runtime/real/python3 ;; esac
    if [ -x "$real" ]; then exec "$real" "$@"; fi
    printf 'wrapgen verify: no real %s here to run %s\n' "${0##*/}" "$1" >&2
    exit 127 ;;
esac
exec 3>&-
/bin/cat >&5
exec 5>&-
printf 'stand-in stdout\n'
printf 'stand-in stderr\n' >&2
read -r action arg <&6 || action='exit'
case $action in
  exit) exit "${arg:-0}" ;;
  kill) kill -s "$arg" "$$" ;;
  wait)
    /bin/cat <&6 >/dev/null &
    wait $!
    ;;
esac
exit 0
