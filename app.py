"""The Chalice application: it only assembles the blueprints, the middleware and the event
handlers defined in ``chalicelib``."""
from chalice import Chalice

from chalicelib import observability
from chalicelib.api import (
    alerts,
    audit,
    auth,
    deployment_events,
    deployments,
    flags,
    health,
    logs,
    metrics,
    ofrep,
    openapi,
    people,
    sdk_keys,
    services,
    users,
)
from chalicelib.api.middleware import http_middleware

app = Chalice(app_name="idp")
app.register_middleware(observability.lambda_middleware, "all")
app.register_middleware(http_middleware, "http")

for blueprint_module in (health, openapi, auth, users, people, audit, services, logs, deployments, deployment_events, flags,
                         ofrep, sdk_keys, metrics, alerts):
    app.register_blueprint(blueprint_module.bp)
