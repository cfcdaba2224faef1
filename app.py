"""The Chalice application: it only assembles the blueprints, the middleware and the event
handlers defined in ``chalicelib``."""
from chalice import Chalice

from chalicelib.api import audit, auth, deployment_events, deployments, health, openapi, users
from chalicelib.api.middleware import http_middleware

app = Chalice(app_name="idp")
app.register_middleware(http_middleware, "http")

for blueprint_module in (health, openapi, auth, users, audit, deployments, deployment_events):
    app.register_blueprint(blueprint_module.bp)
