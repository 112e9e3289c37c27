"""``GET /v1/report``: the outcome measures over a period (docs/outcomes.md)."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(tags=["report"])
