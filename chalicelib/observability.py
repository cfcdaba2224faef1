"""Powertools logger, metrics and tracer, created once for the whole app."""
from __future__ import annotations

from aws_lambda_powertools import Logger

from chalicelib.core.settings import get_settings

logger = Logger(service="idp", level=get_settings().log_level)
