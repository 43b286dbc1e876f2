# /var/runtime/bootstrap.py for `wrapgen invoke`: what the Python runtime's own bootstrap.py does (as
# captured from AWS's python3.10 and python3.11 base images; docs/runtimes.md), written here, then
# AWS's runtime client (awslambdaric, found in /var/runtime as on Lambda) loads _HANDLER from
# LAMBDA_TASK_ROOT. Before that it reports, on the fd in WRAPGEN_INVOKE_REPORT_FD, when it started and
# the times of the hooks wrapgen's python runner ran before it (sys.modules['wrapgen_hooks']).
import os
import sys
import time


def _wrapgen_report():
    fd = os.environ.pop('WRAPGEN_INVOKE_REPORT_FD', None)
    if fd is None:
        return
    import json
    state = sys.modules.get('wrapgen_hooks')
    line = {'wrapgenInvokeEntry': True, 'runtime': 'python', 'entryEpochMs': time.time() * 1000,
            'hooks': list(getattr(state, 'timings', [])) if state is not None else None}
    try:
        os.write(int(fd), (json.dumps(line) + '\n').encode())
    except (OSError, ValueError):
        pass  # no report channel: the function runs all the same


def _lambda_sys_path():
    """The module search path Lambda's bootstrap.py builds: the task first, then (unless the function
    sets PYTHONPATH) the layers' folders, and .pth files of those folders processed."""
    import site
    task = os.environ['LAMBDA_TASK_ROOT']
    own_path = 'PYTHONPATH' in os.environ
    version = '%d.%d' % sys.version_info[:2]
    opt_site = '/opt/python/lib/python%s/site-packages' % version
    if not own_path:
        if sys.version_info >= (3, 11):
            sys.path.insert(0, '/var/lang/lib/python%s/site-packages' % version)
        sys.path.insert(0, '/opt/python')
        sys.path.insert(0, opt_site)
    sys.path.insert(0, task)
    site.addsitedir(task)
    if not own_path:
        site.addsitedir(opt_site)
        site.addsitedir('/opt/python')
        # Lambda's documented default, for processes the function starts.
        os.environ['PYTHONPATH'] = os.environ.get('LAMBDA_RUNTIME_DIR', '/var/runtime')
    return task


if __name__ == '__main__':
    _wrapgen_report()
    # Imported before the path is set, as Lambda's bootstrap.py does: a module of the function's
    # cannot shadow the client.
    import awslambdaric.__main__ as _ric
    _ric.main([_lambda_sys_path(), os.environ['_HANDLER']])
