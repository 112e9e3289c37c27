"""The customer's pick links over one SQLAlchemy connection (only the SHA-256 of each token is stored)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update
from sqlalchemy.exc import IntegrityError

from readout.adapters.sql.tables import pick_links
from readout.domain.intervals import Interval
from readout.domain.pick_links import Answer, PickLink
from readout.errors import Conflict

__all__ = ["SqlPickLinks"]


class SqlPickLinks:
    """The ``PickLinks`` port."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, link: PickLink) -> None:
        values = {**_values(link), "id": link.id}
        try:
            with self._connection.begin_nested():  # a Conflict leaves the transaction usable
                self._connection.execute(insert(pick_links).values(**values))
        except IntegrityError as error:
            raise Conflict(f"a pick link {link.id} already exists") from error

    def get(self, link_id: str) -> PickLink | None:
        row = (
            self._connection.execute(select(pick_links).where(pick_links.c.id == link_id)).mappings().first()
        )
        return _link(row) if row is not None else None

    def by_token_hash(self, token_hash: str) -> PickLink | None:
        query = select(pick_links).where(pick_links.c.token_hash == token_hash)
        row = self._connection.execute(query).mappings().first()
        return _link(row) if row is not None else None

    def update(self, link: PickLink) -> None:
        self._connection.execute(update(pick_links).where(pick_links.c.id == link.id).values(**_values(link)))

    def of(self, escalation_id: str) -> list[PickLink]:
        query = (
            select(pick_links)
            .where(pick_links.c.escalation_id == escalation_id)
            .order_by(pick_links.c.created_at, pick_links.c.id)
        )
        return [_link(row) for row in self._connection.execute(query).mappings()]


def _values(link: PickLink) -> dict[str, Any]:
    return {
        "escalation_id": link.escalation_id,
        "token_hash": link.token_hash,
        "created_at": link.created_at,
        "created_by": link.created_by,
        "expires_at": link.expires_at,
        "revoked_at": link.revoked_at,
        "revoked_by": link.revoked_by,
        "answered_at": link.answered_at,
        "answer": link.answer.value if link.answer is not None else None,
        "picked_start": link.picked.start if link.picked is not None else None,
        "picked_end": link.picked.end if link.picked is not None else None,
        "note": link.note,
    }


def _link(row: RowMapping) -> PickLink:
    picked = None
    if row["picked_start"] is not None and row["picked_end"] is not None:
        picked = Interval(row["picked_start"], row["picked_end"])
    return PickLink(
        id=row["id"],
        escalation_id=row["escalation_id"],
        token_hash=row["token_hash"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        revoked_by=row["revoked_by"],
        answered_at=row["answered_at"],
        answer=Answer(row["answer"]) if row["answer"] is not None else None,
        picked=picked,
        note=row["note"],
    )
