"""The agent tool surface (Model Context Protocol) over streamable HTTP at ``/mcp`` (docs/agents.md)."""

from __future__ import annotations

from fastapi import FastAPI

__all__ = ["install_mcp"]


def install_mcp(app: FastAPI) -> None:
    """Mount the MCP server at ``/mcp`` on ``app`` (``app.state.deps`` is the store and services)."""
