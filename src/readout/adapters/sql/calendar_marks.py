"""Calendar marks (the fingerprint of each calendar source an escalation reads) over one SQLAlchemy
connection."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, delete, insert, select, update

from readout.adapters.sql.tables import calendar_marks
from readout.services.ports import CalendarMark

__all__ = ["SqlCalendarMarks"]


class SqlCalendarMarks:
    """The ``CalendarMarks`` port."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def of(self, escalation_id: str) -> dict[str, CalendarMark]:
        query = select(calendar_marks).where(calendar_marks.c.escalation_id == escalation_id)
        return {
            row["source"]: CalendarMark(
                row["escalation_id"], row["source"], row["fingerprint"], row["checked_at"]
            )
            for row in self._connection.execute(query).mappings()
        }

    def put(self, mark: CalendarMark) -> None:
        values = {"fingerprint": mark.fingerprint, "checked_at": mark.checked_at}
        changed = self._connection.execute(
            update(calendar_marks)
            .where(calendar_marks.c.escalation_id == mark.escalation_id)
            .where(calendar_marks.c.source == mark.source)
            .values(**values)
        )
        if changed.rowcount == 0:  # the watcher holds the escalation's row lock: nobody else inserts it
            self._connection.execute(
                insert(calendar_marks).values(escalation_id=mark.escalation_id, source=mark.source, **values)
            )

    def forget(self, escalation_id: str, sources: Iterable[str]) -> None:
        names = list(sources)
        if names:
            self._connection.execute(
                delete(calendar_marks)
                .where(calendar_marks.c.escalation_id == escalation_id)
                .where(calendar_marks.c.source.in_(names))
            )
