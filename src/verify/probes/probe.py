# wrapgen's python probe: runs in place of /var/runtime/bootstrap.py and reports what python saw.
import json, os, sys
os.write(3, json.dumps({
    "pid": os.getpid(),
    "origArgv": getattr(sys, "orig_argv", None),
    "argv": sys.argv,
    "xoptions": {k: (v if isinstance(v, str) else bool(v)) for k, v in sys._xoptions.items()},
    "flags": {name: getattr(sys.flags, name) for name in dir(sys.flags) if not name.startswith("_") and isinstance(getattr(sys.flags, name), int)},
}).encode())
