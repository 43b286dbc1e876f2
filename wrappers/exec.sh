#!/bin/sh
# wrapgen {{version}} exec wrapper for {{name}} ({{id}}). Do not edit: change the config, run wrapgen build.

# Lambda's bootstrap runs: <this file> <interpreter> <runtime options> <entry> [handler]. This script
# edits the environment, inserts the configured interpreter flags just before the entry (after the
# runtime's own options, so they win), and execs the command: same PID, stdout never written.
# It starts no subprocess (readlink only when called through a symlink) and writes no file.
# POSIX sh: dash, bash, busybox ash, mksh.
#
# Cost. Lambda's /bin/sh is bash, which reads a script as it runs it, one top-level command at a time,
# and stops reading at exec. Reading and parsing are most of what this script costs (each simple
# command is some 20k instructions, a byte of quoted text ~200), so:
# - the code for one runtime family lives in a file of its own beside this one (exec-<family>.sh,
#   wrappers/exec-part.sh), sourced only for that family's commands, where it ends with the exec: a
#   java start never reads node's option words;
# - everything off that path (symbolic links, a missing file, an unrecognised interpreter, the
#   families with nothing to do, the error lines) sits below the dispatch, where only those cases
#   read it;
# - the explanatory comments are left out of the generated script, its header kept to one line.
# A "$" inside single quotes below is meant literally: configured values are never expanded.
# PATH edits keep the existing PATH (SC2123 misfires on values that need double quotes). The parts are
# sourced from a path known only at run time (SC1090); each is checked by shellcheck on its own. A
# variable may be exported in two branches (.NET and unrecognised): SC2089/SC2090 take a quote in its
# value for one meant to be read again as shell, and none is.
# shellcheck disable=SC1090,SC2016,SC2089,SC2090,SC2123

# WRAPGEN_DISABLE=1 is the kill switch; a command that already went through this same wrapper
# (two copies chained) is left alone, so flags and edits are applied once.
case ":${WRAPGEN_APPLIED-}:" in
*:{{idPattern}}:*) exec "$@" ;;
esac
case ${WRAPGEN_DISABLE-} in
1) exec "$@" ;;
esac

# Our own files sit beside this script: its folder, from $0 without dirname (no subprocess).
case $0 in
/*) wrapgen_dir=${0%/*} ;;
*/*) wrapgen_dir=$PWD/${0%/*} ;;
*) wrapgen_dir=$PWD ;;
esac

# The runtime family's part (exec-<family>.sh), sourced, ends with the exec. Its name is the
# interpreter's file name up to the first digit (python3.12 -> python): no case over the families, whose
# parsing would cost as much as the rest of this path. A family with nothing to do has no part, and
# java's and dotnet's parts return at once for a name with digits (java8 is no java). A part returns
# otherwise only when a file it needs is missing (wrapgen_m says which). Called through a symbolic
# link ("test -h" is a builtin), the folder is the link's: resolved below first.
wrapgen_m='' wrapgen_p=${1##*/}
{{#parts}}
wrapgen_p=${wrapgen_p%%[0-9]*}
[ -h "$0" ] || [ ! -r "$wrapgen_dir/exec-$wrapgen_p.sh" ] || . "$wrapgen_dir/exec-$wrapgen_p.sh"
{{/parts}}

# ---- Read only off the usual path. ----

# One line on stderr. mksh has no printf builtin: /usr/bin/printf would be a subprocess, and one a
# configured PATH can hide (the line was lost). Its own print is used there (found by the fuzzer).
{{say}}
{{#newline}}
# A newline, for configured values that contain one (keeps every generated line a single line).
# shellcheck disable=SC2034 # values read it through eval, where shellcheck cannot see
wrapgen_nl='
'
{{/newline}}

# The family, as its part is named (wrapgen_p: empty for an interpreter wrapgen does not know).
case ${1##*/} in
{{families}}
*) wrapgen_p='' ;;
esac

# Called through a symbolic link (e.g. /opt/bin/x -> /opt/wrapgen/exec): follow it to the real file.
# readlink (POSIX.1-2024, coreutils, busybox) runs only here. Without readlink the link's own folder
# is used, and a missing file then takes the failMode path below.
if [ -h "$0" ]; then
  wrapgen_self=$0 wrapgen_hops=0
  while [ -h "$wrapgen_self" ] && [ "$wrapgen_hops" -lt 40 ]; do
    wrapgen_link=$(readlink -- "$wrapgen_self" 2>/dev/null) || break
    case $wrapgen_link in
      /*) wrapgen_self=$wrapgen_link ;;
      *) case $wrapgen_self in */*) wrapgen_self=${wrapgen_self%/*}/$wrapgen_link ;; *) wrapgen_self=$wrapgen_link ;; esac ;;
    esac
    wrapgen_hops=$((wrapgen_hops + 1))
  done
  case $wrapgen_self in
    /*) wrapgen_dir=${wrapgen_self%/*} ;;
    */*) wrapgen_dir=$PWD/${wrapgen_self%/*} ;;
    *) wrapgen_dir=$PWD ;;
  esac
{{#parts}}
  [ -z "$wrapgen_p" ] || [ ! -r "$wrapgen_dir/exec-$wrapgen_p.sh" ] || . "$wrapgen_dir/exec-$wrapgen_p.sh"
{{/parts}}
fi
{{#parts}}

# A family's part that came back without wrapgen_m was not there to read.
case $wrapgen_m:$wrapgen_p in
{{missing}}
esac
{{/parts}}

# failMode {{failMode}}: what to do when a file of ours is missing (a family's part or a file it needs).
if [ -n "$wrapgen_m" ]; then
{{failAction}}
fi

if [ "$#" -eq 0 ]; then
  wrapgen_say 'wrapgen: no command to run; Lambda passes the runtime command as arguments'
  exit 127
fi

# A recognised family with nothing to do is still marked, so a second copy of this wrapper leaves it
# alone. An unrecognised interpreter gets the top-level environment edits, unmarked: it may be another
# wrapper (even this one again) whose own pass must still insert the flags. A .NET single-file
# executable has no interpreter: it gets the dotnet environment (AWS_EXECUTION_ENV says so), no flags.
case $wrapgen_p in
{{tail}}
esac
{{chain}}
exec "$@"
