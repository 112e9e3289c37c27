"""The outcomes page (``/report``): the measures of docs/outcomes.md with charts."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
