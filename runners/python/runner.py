# wrapgen's python hook runner: the part that is the same in every layer. The wrapper starts python
# with run.py (this layer's hook list) just before the runtime's entry:
#   python3.12 <options> /opt/wrapgen/python/run.py /var/runtime/bootstrap.py
# and run.py runs this code and calls main(), which puts sys.argv and sys.path[0] back to what
# "python3.12 <options> /var/runtime/bootstrap.py" has, runs the configured hooks in order (each
# isolated and timed; one stderr line when one fails), then runs the entry in this same process as the
# real __main__, as python itself would have. sys.path is never extended for good (no PYTHONPATH, no
# .pth, no sitecustomize): the runtime sets its own path later (bootstrap.py adds /opt/python and the
# layer's site-packages).
#
# Shipped as source and, for each python whose bytecode runners/python/build.sh made, as an
# unchecked-hash .pyc in __pycache__/ (committed, so building a layer needs no python), which run.py
# loads with marshal: /opt is read-only, so nothing compiled at start-up is ever cached.
#
# Start-up cost, measured with valgrind (bench/hooks.mjs): the first call of the builtin compile()
# creates every AST node type on python 3.12+ (about 12.8 M instructions, a third of a bare start), so
# nothing here calls it. Source (a hook's file, the entry) is run with exec() instead, which compiles
# through the interpreter's own path, and the resulting code gets its real file name from
# _imp._fix_co_filename, the same call importlib makes for a moved .pyc (_run_source below).
import sys
import _imp

# Bytecode compiled elsewhere names another file: this module's code takes its real path (nested
# functions included) before any of them exists, so tracebacks through the runner name runner.py.
_imp._fix_co_filename(sys._getframe().f_code, __file__)


def _entry(args):
    """The program python would have started: ('script', path) / ('module', name) / ('code', text) /
    ('stdin', '-'), and the sys.argv it would have had."""
    if args[:1] == ['-m'] and len(args) > 1:
        return 'module', args[1], [args[1]] + args[2:]  # runpy puts the module's file in argv[0]
    if args[:1] == ['-c'] and len(args) > 1:
        return 'code', args[1], ['-c'] + args[2:]
    if args[:1] == ['--']:
        args = args[1:]
    if not args:
        return 'stdin', '-', ['']
    if args[0] == '-':
        return 'stdin', '-', args
    return 'script', args[0], args


def _run_source(source, path, g):
    """exec(source, g) with code named `path`, as compile(source, path, 'exec') would name it.

    exec() of source names its code "<string>"; a profile function sees the module's frame before its
    first instruction runs and renames that code and every code object nested in it (the functions
    and classes it defines), so tracebacks, warnings and logging show the real file. The profile
    function is removed at that first call (or right after, if the source does not compile)."""
    saved = sys.getprofile()

    def rename(frame, event, arg):
        code = frame.f_code
        if event == 'call' and code.co_name == '<module>' and code.co_filename == '<string>':
            sys.setprofile(saved)
            _imp._fix_co_filename(code, path)

    sys.setprofile(rename)
    try:
        exec(source, g)
    except SyntaxError as e:
        if e.filename == '<string>':
            e.filename = path
        raise
    finally:
        if sys.getprofile() is rename:
            sys.setprofile(saved)


def _hooks(hooks, here, os):
    """Runs each hook once, in order; returns False when a critical one failed."""
    if 'wrapgen_hooks' in sys.modules:  # this process already ran them (the runner reached twice): applied once
        return True
    from time import perf_counter_ns
    state = type(sys)('wrapgen_hooks')
    state.timings = []
    state.options = {}
    sys.modules['wrapgen_hooks'] = state
    # The layer folders the runtime adds to sys.path later (bootstrap.py), visible while a hook runs so
    # that it can import what other layers ship; sys.path is put back right after each hook.
    layer_paths = [p for p in ('/opt/python', '/opt/python/lib/python%d.%d/site-packages' % sys.version_info[:2]) if p not in sys.path]
    ok_all = True
    for name, rel, options, critical in hooks:
        t0 = perf_counter_ns()
        state.options = options
        ok = True
        saved = list(sys.path)
        try:
            sys.path.extend(layer_paths)
            if rel is not None:
                # A shipped file: run as a module of its own, loaded by path, never through sys.path.
                path = os.path.join(here, rel)
                with open(path, 'rb') as f:
                    source = f.read()
                mod = type(sys)('wrapgen_hook_' + os.path.splitext(os.path.basename(rel))[0].replace('-', '_'))
                mod.__file__ = path
                sys.modules[mod.__name__] = mod
                _run_source(source, path, mod.__dict__)
            else:
                # A module of a package: found on the runtime's path, or in the layer folders above.
                __import__(name)
                mod = sys.modules[name]
            setup = getattr(mod, 'setup', None)
            if callable(setup):
                setup(dict(options))
            sys.path[:] = saved
        except Exception as e:
            sys.path[:] = saved
            ok = False
            message = (str(e).split('\n') or [''])[0]
            sys.stderr.write('wrapgen: preload %s failed: %s%s%s\n' % (name, type(e).__name__, ': ' + message if message else '', ' (critical: stopping start-up)' if critical else '; skipped'))
            if critical:
                ok_all = False
        state.timings.append({'name': name, 'ms': round((perf_counter_ns() - t0) / 1e6, 3), 'ok': ok})
        if not ok_all:
            break
    state.options = {}
    if os.environ.get('WRAPGEN_TIMING') == '1':
        import json
        sys.stderr.write(json.dumps({'wrapgen': 'hooks', 'runtime': 'python', 'hooks': state.timings}) + '\n')
    sys.stderr.flush()
    return ok_all


def main(hooks, g):
    """Puts sys.argv and sys.path[0] back to what python gives the entry, runs the hooks, then runs the
    entry in the real __main__ module (`g`, run.py's namespace), in this same process."""
    import os
    kind, target, argv = _entry(sys.argv[1:])
    here = os.path.dirname(__file__)
    # sys.path[0] is the runner's real folder (unless -P/-I left it out): make it the entry's, as
    # python does. realpath (a few system calls) only when the folder is not the one named already.
    if sys.path and (sys.path[0] == here or sys.path[0] == os.path.dirname(os.path.realpath(__file__))):
        if kind == 'script':
            sys.path[0] = os.path.dirname(os.path.realpath(target))
        elif kind == 'module':
            sys.path[0] = os.getcwd()
        else:
            sys.path[0] = ''
    if not _hooks(hooks, here, os):
        sys.exit(1)
    sys.argv[:] = argv
    if kind == 'module':
        import runpy
        runpy._run_module_as_main(target, alter_argv=True)
        return
    path = None
    loader = None
    if kind == 'script':
        if not os.path.isfile(target):  # a folder or zip with __main__.py: python's own way via runpy
            import runpy
            runpy.run_path(target, run_name='__main__')
            return
        with open(target, 'rb') as f:
            source = f.read()
        # python 3.9+ gives the main script an absolute __file__ (joined to the cwd, not normalised).
        path = target if sys.version_info < (3, 9) or os.path.isabs(target) else os.path.join(os.getcwd(), target)
        loader = type(g['__loader__'])('__main__', path)  # run.py's: SourceFileLoader, as python gives a script
    elif kind == 'stdin':
        source = sys.stdin.read()
    else:
        source = target
    # A fresh namespace in the real __main__, as python's own: run.py's names go.
    b = g['__builtins__']
    g.clear()
    g.update({'__name__': '__main__', '__doc__': None, '__package__': None, '__loader__': loader, '__spec__': None, '__builtins__': b})
    if path is not None:
        g.update({'__file__': path, '__cached__': None})
        _run_source(source, path, g)
    elif kind == 'stdin':
        _run_source(source, '<stdin>', g)
    else:
        exec(source, g)  # python -c: the code is named "<string>", as exec names it
