#!/bin/sh
# wrapgen's recording stand-in interpreter. `wrapgen verify` installs copies as /var/lang/bin/node,
# python3.X, java, dotnet, ruby (and a .NET single-file executable), only those of the runtime under
# test, without these comments. Every start is recorded, one framed record per process start, on the
# run's stderr or stdout (channels every process has: no extra descriptor gives the harness away), each
# part ended by "@@B@@" where B is a boundary the layout chose at random and wrote into the copy:
#   "@@B@@start PID PPID ROLE", argv as exec'd (NUL-separated; for a #! script the kernel puts the
#   shell first), "@@B@@", the environment as exec'd, "@@B@@", a line "cwd:DIR", a line "procs: PID..."
#   of the processes alive (in the sandbox, whose pid namespace is the run's own), "@@B@@end".
# ROLE: `probe` (only version options: answers like the interpreter, and exits 0), `script` (asked to
# run an executable file under /opt: the wrapper's own #! interpreter; the real one runs it), `runtime`
# (anything else: the runtime's command). A runtime start reads what to do from the first line of
# stdin, "ACTION ARG LENGTH" (exit N, kill SIGNAL, or wait: until signalled or stdin closes), then
# records the next LENGTH bytes of stdin ("@@B@@stdin", the bytes, "@@B@@end"), prints one line on
# stdout and one on stderr, and does it; a SIGTERM that arrives is recorded as "@@B@@signal PID TERM".
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
# The layout writes its boundary here in each copy.
b=record-boundary
# Where the records go: stderr, or stdout when a wrapper sent stderr to a file or /dev/null (the
# harness reads both and takes the records out). A probe's record goes to a file of /tmp named by the
# boundary instead, since a wrapper usually captures a version probe's output; the runtime start
# passes it on, before its own.
fd=2
if [ -f /proc/self/fd/2 ] || [ -c /proc/self/fd/2 ]; then
  [ -f /proc/self/fd/1 ] || [ -c /proc/self/fd/1 ] || fd=1
fi
# A runtime notes a SIGTERM before dying of it (set first: the harness may signal as soon as it sees the record).
[ "$role" = runtime ] && trap 'printf "@@%s@@signal %s TERM\n" "$b" "$$" >&"$fd"; trap - TERM; kill -s TERM "$$"' TERM
# The processes alive in the sandbox's pid namespace as this one starts (a glob: no fork).
live() { set -- /proc/[0-9]*; printf 'procs:'; for p do printf ' %s' "${p#/proc/}"; done; printf '\n'; }
cd -P . 2>/dev/null
record() {
  printf '@@%s@@start %s %s %s\n' "$b" "$$" "$PPID" "$role"
  /bin/cat "/proc/$$/cmdline" - "/proc/$$/environ" <<EOF
@@$b@@
EOF
  printf '@@%s@@\ncwd:%s\n' "$b" "$PWD"
  live
  printf '@@%s@@end\n' "$b"
}
case $role in
  probe) record >>"/tmp/.$b" ;;
  *)
    if [ -f "/tmp/.$b" ]; then /bin/cat "/tmp/.$b" >&"$fd"; /bin/rm -f "/tmp/.$b"; fi
    record >&"$fd" ;;
esac
case $role in
  probe)
    case ${0##*/} in
      java) printf 'openjdk version "17.0.12" 2024-07-16 LTS\n' >&2 ;;
      python*) printf 'Python 3.12.0\n' ;;
      ruby*) printf 'ruby 3.3.0\n' ;;
      dotnet) printf '8.0.0\n' ;;
      *) printf 'v20.0.0\n' ;;
    esac
    exit 0 ;;
  script)
    real=/var/runtime/real/${0##*/}
    case ${0##*/} in python*) real=/var/runtime/real/python3 ;; esac
    if [ -x "$real" ]; then exec "$real" "$@"; fi
    printf '%s: cannot run %s here\n' "${0##*/}" "$1" >&2
    exit 127 ;;
esac
read -r action arg length || action=exit
{
  printf '@@%s@@stdin\n' "$b"
  case $length in ''|*[!0-9]*) ;; *) /usr/bin/head -c "$length" ;; esac
  printf '@@%s@@end\n' "$b"
} >&"$fd"
printf 'stand-in stdout\n'
printf 'stand-in stderr\n' >&2
case $action in
  exit) exit "${arg:-0}" ;;
  kill) kill -s "$arg" "$$" ;;
  wait)
    # An asynchronous command's stdin is /dev/null unless given another descriptor: hand it a copy.
    exec 3<&0
    /bin/cat <&3 >/dev/null 2>&1 &
    exec 3<&-
    wait $!
    ;;
esac
exit 0
