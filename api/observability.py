"""Health, readiness, metrics and structured logs for operators."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Add readiness, metrics and request logging to the app."""
