"""``GET /metrics``: Prometheus metrics of the service (docs/metrics.md).

No sign-in: the metrics carry counts, durations and fixed label values only (states, kinds, outcomes),
never a name, an escalation id, a URL or a secret. Left out of the OpenAPI document (it is not part of the
API v1). Each app gets its own registry (this process's metrics and a collector over the app's store), so
many apps in one process (tests) never clash on prometheus_client's global registry.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from starlette.concurrency import run_in_threadpool

from readout.observability import exposition, registry_for

__all__ = ["install_metrics"]


def install_metrics(app: FastAPI) -> None:
    """Add ``/metrics`` to ``app``."""
    registry = registry_for(lambda: app.state.deps)
    app.state.metrics_registry = registry

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        body = await run_in_threadpool(exposition, registry)  # the store's gauges are a database read
        return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4, headers={"Cache-Control": "no-store"})
