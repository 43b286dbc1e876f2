#!/bin/sh
# wrapgen's recording stand-in interpreter. `wrapgen verify` installs copies as /var/lang/bin/node,
# python3.X, java, dotnet, ruby (and a .NET single-file executable) where the real one is absent.
# It reports what it received on side channels, never on stdout, then does what the harness asks.
#   fd 3: argv exactly as exec'd, NUL-separated (for a #! script the kernel puts the shell first)
#   fd 4: the environment exactly as exec'd, NUL-separated
#   fd 5: pid, ppid, cwd (one per line), then a copy of stdin
#   fd 6: one instruction from the harness: "exit N", "kill SIGNAL" or "wait" (until signalled)
# cat by absolute path: a wrapper that edits PATH must not break the recording.
/bin/cat "/proc/$$/cmdline" >&3
/bin/cat "/proc/$$/environ" >&4
exec 3>&- 4>&-
printf '%s\n%s\n%s\n' "$$" "$PPID" "$(pwd)" >&5
/bin/cat >&5
exec 5>&-
printf 'stand-in stdout\n'
read -r action arg <&6 || action='exit'
case $action in
  exit) exit "${arg:-0}" ;;
  kill) kill -s "$arg" "$$" ;;
  wait) read -r action <&6 ;;
esac
exit 0
