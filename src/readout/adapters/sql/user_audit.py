"""The users chain over one SQLAlchemy connection: entries in ``user_audit_entries``, the head in one row.

``head`` locks the head row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already
serialises writers), so two imports take turns and the second reads the users the first one left. ``append``
still moves the head only from where the entry says it was: Conflict when someone appended in between.
"""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from readout.adapters.sql.repositories import audit_entry, audit_values
from readout.adapters.sql.tables import user_audit_entries, user_audit_head
from readout.domain.audit import AuditEntry
from readout.domain.roster import USERS_CHAIN
from readout.errors import Conflict

__all__ = ["SqlUserAudit"]

_HEAD = 1  # the id of the one head row
_STALE = "the users were changed by someone else; try again"


class SqlUserAudit:
    """The ``UserAudit`` port."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def head(self) -> tuple[int, str] | None:
        """The head (entries, last hash), its row locked until the unit of work ends; None when the row is
        gone (the migration writes it and triggers keep it: someone removed it by hand)."""
        query = select(user_audit_head).where(user_audit_head.c.id == _HEAD).with_for_update()
        row = self._connection.execute(query).mappings().first()
        return (row["seq"], row["hash"]) if row is not None else None

    def append(self, entry: AuditEntry) -> None:
        """Insert the entry and move the head to it, if the head is still where the entry follows."""
        try:
            with self._connection.begin_nested():
                moved = self._connection.execute(
                    update(user_audit_head)
                    .where(
                        user_audit_head.c.id == _HEAD,
                        user_audit_head.c.seq == entry.seq - 1,
                        user_audit_head.c.hash == entry.prev_hash,
                    )
                    .values(seq=entry.seq, hash=entry.hash)
                )
                if moved.rowcount != 1:
                    raise Conflict(_STALE)
                self._connection.execute(insert(user_audit_entries).values(**_row(entry)))
        except IntegrityError as error:  # an entry with that sequence exists: someone else appended
            raise Conflict(_STALE) from error

    def entries(self) -> list[AuditEntry]:
        """Every entry, by sequence."""
        query = select(user_audit_entries).order_by(user_audit_entries.c.seq, user_audit_entries.c.id)
        return [audit_entry(row, USERS_CHAIN) for row in self._connection.execute(query).mappings()]


def _row(entry: AuditEntry) -> dict[str, object]:
    return {key: value for key, value in audit_values(entry).items() if key != "escalation_id"}
