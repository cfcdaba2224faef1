"""The Chalice application: it only assembles the routes, the middleware and the event handlers
defined in ``chalicelib``. Every route is registered here from the route index; the module that
declares a route is imported on its first request (see ``chalicelib.api.routing.RouteTable``)."""
from chalice import Chalice

from chalicelib import observability
from chalicelib.api import alert_job, deployment_events
from chalicelib.api.middleware import http_middleware
from chalicelib.api.routing import register_routes

app = Chalice(app_name="idp")
app.register_middleware(observability.lambda_middleware, "all")
app.register_middleware(http_middleware, "http")
register_routes(app)

for blueprint_module in (deployment_events, alert_job):
    app.register_blueprint(blueprint_module.bp)
