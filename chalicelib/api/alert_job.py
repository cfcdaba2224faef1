"""The scheduled job that runs the alert rules. Its own module, imported with the app (a schedule
must be registered at import), so that a cold start of an HTTP request does not import the alert
routes' models: the domain is imported when the job runs."""
from __future__ import annotations

from chalice import Blueprint, Rate

from chalicelib.observability import logger

bp = Blueprint(__name__)


@bp.schedule(Rate(5, unit=Rate.MINUTES),
             description="Evaluate the alert rules, publish new alerts, publish closed hours' deployment outcomes")
def alert_rules(event):
    from chalicelib.domain import alerts, metrics

    report = alerts.run_rules()
    report["published_hours"] = metrics.publish_closed_hours()
    logger.info("alert rules evaluated", extra={"report": report})
    return report
