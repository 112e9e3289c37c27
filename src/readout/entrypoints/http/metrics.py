"""``GET /metrics``: Prometheus metrics of the service (docs/metrics.md)."""

from __future__ import annotations

from fastapi import FastAPI

__all__ = ["install_metrics"]


def install_metrics(app: FastAPI) -> None:
    """Add ``/metrics`` to ``app``."""
