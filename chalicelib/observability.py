"""Powertools logger, metrics and tracer, created once for the whole app.

- ``logger``: structured JSON logs.
- ``count(event)``: one business event as a CloudWatch metric in embedded metric format (EMF).
  Metrics gather in memory and :func:`lambda_middleware` prints them once at the end of every
  invocation (HTTP request, scheduled job); an invocation that counted nothing prints nothing, so
  there is no "no metrics to publish" warning.
- Tracing: a Powertools ``Tracer`` around every handler, only when ``IDP_TRACING`` is on and
  Powertools sees a real Lambda (it switches itself off locally, and with
  ``POWERTOOLS_TRACE_DISABLED``). The Powertools Tracer imports ``aws_xray_sdk`` as soon as it is
  created, so with tracing off it is never created: ``aws-xray-sdk`` is not needed at run time then.
"""
from __future__ import annotations

import threading
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.core.settings import get_settings

logger = Logger(service="idp", level=get_settings().log_level)
metrics = Metrics(namespace=get_settings().metrics_namespace, service="idp")

# The business events counted as EMF metrics. Names are the CloudWatch metric names.
DEPLOYMENT_TRIGGERED = "DeploymentTriggered"
DEPLOYMENT_SUCCEEDED = "DeploymentSucceeded"
DEPLOYMENT_FAILED = "DeploymentFailed"
DEPLOYMENT_CANCELLED = "DeploymentCancelled"
SERVICE_REGISTERED = "ServiceRegistered"
FLAG_CREATED = "FlagCreated"
FLAG_CHANGED = "FlagChanged"
FLAG_EVALUATED = "FlagEvaluated"
LOGIN_SUCCEEDED = "LoginSucceeded"
LOGIN_FAILED = "LoginFailed"
EVENTS = frozenset({
    DEPLOYMENT_TRIGGERED, DEPLOYMENT_SUCCEEDED, DEPLOYMENT_FAILED, DEPLOYMENT_CANCELLED, SERVICE_REGISTERED,
    FLAG_CREATED, FLAG_CHANGED, FLAG_EVALUATED, LOGIN_SUCCEEDED, LOGIN_FAILED,
})

# chalice local serves requests on threads; Lambda serves one at a time. The metric set is shared.
_metrics_lock = threading.Lock()


def count(event: str, value: int = 1) -> None:
    """Count one business event (an EMF metric, unit Count), published at the end of the invocation."""
    if event not in EVENTS:
        raise ValueError(f"unknown metric event {event!r}; add it to chalicelib.observability.EVENTS")
    with _metrics_lock:
        metrics.add_metric(name=event, unit=MetricUnit.Count, value=value)


def flush_metrics() -> None:
    """Print the gathered metrics as one EMF document; nothing (and no warning) when there are none."""
    with _metrics_lock:
        if metrics.metric_set:
            metrics.flush_metrics()


def publish_counts_at(counts: dict[str, int], moment) -> None:
    """Publish counts of events that happened at ``moment`` (a datetime up to 14 days back) as one
    EMF document of their own, time-stamped then (used for outcomes counted outside any Lambda)."""
    unknown = set(counts) - EVENTS
    if unknown:
        raise ValueError(f"unknown metric events {sorted(unknown)}")
    with _metrics_lock:
        if metrics.metric_set:  # what this invocation counted so far keeps its own time
            metrics.flush_metrics()
        metrics.set_timestamp(moment)
        try:
            for event, value in counts.items():
                metrics.add_metric(name=event, unit=MetricUnit.Count, value=value)
            metrics.flush_metrics()
        finally:
            metrics.provider.timestamp = None


class _Tracing:
    """Creates the Powertools Tracer on first use, and only when tracing is switched on."""

    def __init__(self) -> None:
        self._tracer: Any = None
        self._decided = False

    @property
    def tracer(self):
        if not self._decided:
            self._decided = True
            # Powertools' own rule (POWERTOOLS_TRACE_DISABLED, not in Lambda, chalice local, SAM
            # local) is asked before a Tracer exists: creating one imports aws_xray_sdk.
            from aws_lambda_powertools.tracing.tracer import Tracer

            if get_settings().tracing_enabled and not Tracer._is_tracer_disabled():
                try:
                    self._tracer = Tracer(service="idp")
                except ImportError:  # aws-xray-sdk not bundled: serve untraced rather than fail
                    logger.warning("IDP_TRACING is on but aws-xray-sdk is not installed: tracing is off")
        return self._tracer


tracing = _Tracing()


def _original_event(event) -> tuple[Any, Any]:
    to_original = getattr(event, "to_original_event", None)
    if to_original is not None:  # an HTTP request
        return to_original(), getattr(event, "lambda_context", None)
    return event.to_dict(), getattr(event, "context", None)


def lambda_middleware(event, get_response):
    """Registered for every event type: the handler runs inside a trace segment when tracing is
    on, and the invocation's metrics are published when it ends, whatever happened."""
    try:
        tracer = tracing.tracer
        if tracer is None:
            return get_response(event)
        original, context = _original_event(event)

        def handler(_original, _context):
            return get_response(event)

        handler.__name__ = "idp_handler"
        return tracer.capture_lambda_handler(handler, capture_response=False)(original, context)
    finally:
        flush_metrics()
