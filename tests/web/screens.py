"""Screenshots for the docs, taken by the tests: ``document(page, name)`` saves ``docs/images/{name}.png``
when the environment sets ``READOUT_DOC_IMAGES=1`` (``READOUT_DOC_IMAGES=1 pytest tests/web``), and does
nothing otherwise, so that an ordinary test run leaves the working tree as it was.

Call it at the moment a page shows what the docs describe (after an ``expect`` has waited for it)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import Locator, Page

__all__ = ["IMAGES", "document", "documenting"]

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}$")


def documenting() -> bool:
    """Whether this run takes the docs' screenshots."""
    return os.environ.get("READOUT_DOC_IMAGES") == "1"


def document(page: Page, name: str, *, full_page: bool = False, part: Locator | None = None) -> Path | None:
    """Save the page (or only ``part`` of it) as ``docs/images/{name}.png`` when documenting; the path
    saved, else None. ``name``: lower-case letters, digits and dashes (``audit-page``)."""
    if not _NAME.match(name):
        raise ValueError(f"a screenshot name is lower-case letters, digits and dashes, not {name!r}")
    if not documenting():
        return None
    IMAGES.mkdir(parents=True, exist_ok=True)
    path = IMAGES / f"{name}.png"
    page.evaluate("document.activeElement instanceof HTMLElement && document.activeElement.blur()")
    if part is not None:
        part.screenshot(path=str(path), animations="disabled")
    else:
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path
