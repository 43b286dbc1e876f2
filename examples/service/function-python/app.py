# The orders service's python function. The organisation's log_context hook (in the layer) has set
# ORG_SERVICE and ORG_TEAM before this module is imported:
#   npx wrapgen invoke --cwd examples/service --runtime python3.12 --task function-python --handler app.handler
import os


def handler(event, context):
    return {
        'orderId': event.get('orderId'),
        'service': os.environ.get('ORG_SERVICE'),
        'team': os.environ.get('ORG_TEAM'),
        'requestId': context.aws_request_id,
    }
