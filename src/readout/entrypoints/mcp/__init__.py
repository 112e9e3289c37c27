"""The agent tool surface over the Model Context Protocol (docs/agents.md): ``build_server`` makes the
``MCPServer``; ``readout mcp`` serves it over stdio and ``readout serve`` at ``/mcp`` (streamable HTTP)."""

from __future__ import annotations

from readout.entrypoints.mcp.acting import DEFAULT_MAX_HOLDS, MAX_HOLDS_ENV, Caller, max_holds_from
from readout.entrypoints.mcp.server import TOOLS, build_server

__all__ = ["DEFAULT_MAX_HOLDS", "MAX_HOLDS_ENV", "TOOLS", "Caller", "build_server", "max_holds_from"]
