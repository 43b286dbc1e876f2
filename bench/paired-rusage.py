# Runs commands side by side and reports each run's CPU time (user + sys, from wait4's rusage: the
# kernel's per-task runtime, in microseconds, where /usr/bin/time rounds to 10 ms) and wall time.
# Node has no way to read a child's rusage, so bench/cold.mjs hands its variants to this script.
#
# stdin: {"rounds": N, "variants": {"name": ["argv0", ...], ...}}. Every other round runs the variants
# in reverse order (a process started right after another runs warmer). stdout: {"name": [[cpu_ms,
# wall_ms], ...], ...}, one pair per round; a child's own output goes to /dev/null.
import json
import os
import sys
import time


def run(argv):
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, _, ru = os.wait4(pid, 0)
    return [(ru.ru_utime + ru.ru_stime) * 1000, (time.perf_counter() - t0) * 1000]


def main():
    spec = json.load(sys.stdin)
    names = list(spec["variants"])
    out = {n: [] for n in names}
    for r in range(spec["rounds"]):
        for n in names if r % 2 == 0 else names[::-1]:
            out[n].append(run(spec["variants"][n]))
    json.dump(out, sys.stdout)


main()
