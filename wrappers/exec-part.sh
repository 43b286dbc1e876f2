# wrapgen {{version}}: {{id}}, {{family}} part of exec. Do not edit.
# shellcheck shell=sh disable=SC2016,SC2034,SC2086,SC2089,SC2090,SC2123,SC2154

# Sourced by exec (wrappers/exec.sh), with wrapgen_dir set, for the commands whose interpreter's file
# name up to its first digit is this family's. It ends with the exec. It returns to exec only before
# it has changed anything: when a file it needs is missing (wrapgen_m says what is wrong, and exec's
# failMode path writes the line), or when the interpreter is not this family's after all (java8 is no
# java; exec then treats the command as one it does not know).
# Unquoted expansions (SC2086) are the splits at the separator below, on purpose; every configured
# value is written quoted. The environment edits are written twice (after the first walk, and before
# the full one): SC2089/SC2090 take a quote in an exported value for one meant to be read again as
# shell, and none is. wrapgen_dir and wrapgen_m belong to exec (SC2154, SC2034); SC2016 and SC2123 as
# in exec.
{{#guardTop}}
case ${1##*/} in
{{family}}) ;;
*) return ;;
esac
{{/guardTop}}
{{#say}}
# One line on stderr (as in exec): a chained wrapper may be missing.
{{say}}
{{/say}}
{{#newline}}
# A newline, for configured values that contain one (keeps every generated line a single line).
wrapgen_nl='
'
{{/newline}}
{{requires}}
{{^insert}}
export WRAPGEN_APPLIED="${WRAPGEN_APPLIED:+$WRAPGEN_APPLIED:}"{{id}}
{{env}}
{{chain}}
exec "$@"
{{/insert}}
{{#insert}}

# Insert the flags just before the program entry. First find the entry: options whose value is the
# next argument are stepped over, so a value such as 81920 or a classpath is never taken for the
# entry. Each option is matched once against option words (wrapgen_o: " v<option>" takes a value,
# " e<option>" starts the program, " b<verb>" may follow the interpreter, " p<option>" is neither),
# one pattern rather than a case branch per option: bash expands every branch's pattern at each test.
# An option with "=", ":" or a blank in it is none of those words. The state (wrapgen_n: i the
# interpreter, b a verb may come, v a value, o an option) and the argument are matched together, in
# one case that is the loop's own condition (src/render/wrapper.ts, argCases). For java and dotnet the
# first step also checks the interpreter's name (state g: not this family's; nothing has changed yet).
#
# The first walk knows only the options Lambda's own commands hold (LAMBDA_OPTIONS in
# src/render/wrapper.ts): reading the family's whole option table costs more than the walk (node's is
# 900 bytes). It keeps the arguments before the entry at no cost per argument: "$*" joined them all
# with a unit separator (the byte 0x1F, IFS below) before the walk, each one stepped over is shifted
# off, and once the entry is found those before it are that string less "$*" of what is left, split
# at the separator (globbing off). The command is then rebuilt in one step: those, the flags (quoted
# when this file was generated), and the rest as "$@". bash spends ~28k instructions on an eval, ~20k
# on any simple command: each step is one case and one shift. Removing a suffix costs every shell
# time that grows with the product of the two lengths (mksh: a second at 16 kB), so this is done only
# for a command under 4,000 bytes (Lambda's are under 1,500; mksh then takes at most ~0.1 s).
# An option it does not know, an argument holding the separator, a longer command, or one without
# an entry takes the full walk below. The environment is edited once the walk is done (so that a
# command that is not this family's goes back unchanged). IFS is restored before the exec (an exported
# IFS reaches the program).
wrapgen_s=$IFS IFS='{{us}}' wrapgen_j="$*{{us}}" wrapgen_c=$# wrapgen_n=i{{knownWords}}
while case $wrapgen_n${1+:}$1 in
  *{{us}}*) wrapgen_n=x; false ;;
  {{knownCases}}
  esac
do
  shift
done
case $wrapgen_n${#wrapgen_j} in
{{#guard}}
g*) IFS=$wrapgen_s; return ;;
{{/guard}}
e[4-9]???|e?????*) ;;
e*)
  export WRAPGEN_APPLIED="${WRAPGEN_APPLIED:+$WRAPGEN_APPLIED:}"{{id}}
  {{env}}
  set -f
  set -- ${wrapgen_j%"$*{{us}}"} {{flags}} "$@"
  IFS=$wrapgen_s
  {{chain}}
  exec "$@"
  ;;
esac

# ---- Read only when the first walk did not end at an entry it could use. ----

export WRAPGEN_APPLIED="${WRAPGEN_APPLIED:+$WRAPGEN_APPLIED:}"{{id}}
{{env}}
# The command as it came: the arguments the walk shifted off are the first fields of wrapgen_j (none
# holds the separator), each kept in a numbered variable (an eval each, linear in their number).
set -f
wrapgen_k=$((wrapgen_c - $#)) wrapgen_i=0 wrapgen_w=''
for wrapgen_a in $wrapgen_j; do
  [ "$wrapgen_i" -lt "$wrapgen_k" ] || break
  wrapgen_i=$((wrapgen_i + 1))
  eval "wrapgen_r$wrapgen_i=\$wrapgen_a"
  wrapgen_w="$wrapgen_w \"\$wrapgen_r$wrapgen_i\""
done
IFS=$wrapgen_s
set +f
eval "set -- $wrapgen_w \"\$@\""
{{^say}}
{{say}}
{{/say}}
# The full walk: the family's whole option table, each argument before the entry kept in a numbered
# variable, then the command rebuilt in one eval that sees only variable references and the flags,
# never the text of an argument.
wrapgen_k=0 wrapgen_n=i wrapgen_w='' wrapgen_f={{flagsText}} wrapgen_o={{opts}}
while case $wrapgen_n${1+:}$1 in
  {{argCases}}
  esac
do
  wrapgen_k=$((wrapgen_k + 1))
  eval "wrapgen_a$wrapgen_k=\$1"
  wrapgen_w="$wrapgen_w \"\$wrapgen_a$wrapgen_k\""
  shift
done
if [ "$wrapgen_n" = e ]; then
  eval "set -- $wrapgen_w $wrapgen_f \"\$@\""
else
  eval "set -- $wrapgen_w"
  wrapgen_say "wrapgen: no program entry found in the {{family}} command; flags not added"
fi
{{chain}}
exec "$@"
{{/insert}}
