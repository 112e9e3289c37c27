"""A case document posted as JSON: the same schema as the case file, bounded and parsed as strictly (no
duplicate keys, no NaN), then validated by the same ``CaseBuilder`` the CLI uses (errors name the field path
the case-file messages give)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from readout.adapters.casefile.document import DocumentError, parse_json
from readout.adapters.input_limits import CASE_FILE_MAX_BYTES
from readout.domain.case_document import API_ORIGIN, CaseDocument, canonical_json
from readout.entrypoints.http.problems import Problem
from readout.errors import CaseFileError

__all__ = ["case_document", "document_schema"]


async def case_document(request: Request) -> CaseDocument:
    """The request body as a case document from the API (a dependency); 413 over the case file's size limit,
    422 (CaseFileError, field path empty) when it is not one JSON object."""
    body = await request.body()
    if len(body) > CASE_FILE_MAX_BYTES:
        raise Problem(
            413,
            "too-large",
            "The case document is too large",
            f"{len(body):,} bytes; a case document has at most {CASE_FILE_MAX_BYTES:,} (see docs/limits.md)",
        )
    try:
        data = parse_json(body.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise CaseFileError(API_ORIGIN, "", "expected UTF-8 JSON text") from None
    except DocumentError as error:
        raise CaseFileError(API_ORIGIN, "", str(error)) from None
    if not isinstance(data, dict):
        got = type(data).__name__
        raise CaseFileError(
            API_ORIGIN, "", f"expected a JSON object (version: 1, escalation, ...), got {got}"
        )
    try:
        canonical_json(data)
    except ValueError:  # NaN or Infinity: JSON has no such numbers and the document could not be stored
        raise CaseFileError(API_ORIGIN, "", "expected JSON numbers only (NaN and Infinity are not)") from None
    return CaseDocument(data, API_ORIGIN)


def document_schema() -> dict[str, Any]:
    """The OpenAPI request body of a case document: the case file's own JSON schema."""
    from readout.adapters.casefile.schema import CaseFileSpec

    return CaseFileSpec.model_json_schema(ref_template="#/components/schemas/{model}")
