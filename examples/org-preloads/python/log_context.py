# Every python function in the organisation logs which service and team it belongs to, before the
# runtime imports the handler. wrapgen runs this through the layer's python runner: setup(options)
# gets the options from the team's wrapgen config.
import json
import os
import sys


def setup(options):
    context = {
        'org': options.get('org', 'example-org'),
        'service': options.get('service') or os.environ.get('AWS_LAMBDA_FUNCTION_NAME', 'unknown'),
        'team': options.get('team', 'unknown'),
    }
    os.environ['ORG_SERVICE'] = context['service']
    os.environ['ORG_TEAM'] = context['team']
    sys.stderr.write(json.dumps({'preload': 'log_context', 'message': 'log context set', **context}) + '\n')
