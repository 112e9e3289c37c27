"""The escalation record: each escalation's case document is stored, version by version.

Escalations opened before this revision name a case file on disk (``case_path``). Each such file is read
now and stored as version 1 (without its internal summary), with an audit entry ``case_imported`` (old file
digest, new document digest, the path). A file that cannot be read or is no longer valid, or that names a
calendar URL with a query (a token must not be stored), is left as it was: the escalation keeps
``case_version`` 0, and every command on it says which file was missing and how to store a document
(``readout update ESC CASE``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from readout.adapters.sql.tables import UtcDateTime
from readout.domain.audit import chain
from readout.domain.case_document import storable

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)


def upgrade() -> None:
    op.create_table(
        "case_versions",
        sa.Column("escalation_id", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("imported_by", sa.String(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("escalation_id", "version", name="pk_case_versions"),
    )
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("case_version", sa.Integer(), nullable=False, server_default="0"))
        batch.alter_column("case_path", existing_type=sa.Text(), nullable=True)
    _import_case_files()


def _import_case_files() -> None:
    """Store each existing escalation's case file as its version 1 (audited), where it can still be read."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, case_path, case_digest, version, audit_seq, audit_head FROM escalations")
    ).mappings()
    for row in list(rows):
        from readout.adapters.casefile.loader import (  # only when there is something to read
            CaseFileBuilder,
            read_case_file,
        )
        from readout.errors import CaseFileError

        try:
            loaded = CaseFileBuilder().build(storable(read_case_file(Path(row["case_path"]))))
        except CaseFileError as error:
            log.warning("escalation %s: its case file was not imported: %s", row["id"], error)
            continue
        if loaded.tokened_calendars():  # the rule `readout open` applies: a token is never stored
            log.warning("escalation %s: not imported: a calendar URL carries a query (token)", row["id"])
            continue
        document = loaded.document
        now = datetime.now(UTC)
        entry = chain(
            row["audit_seq"],
            row["audit_head"],
            row["id"],
            now,
            "readout",
            "case_imported",
            {"from": row["case_digest"], "to": document.digest, "version": 1, "origin": document.origin},
        )
        connection.execute(
            sa.text(
                "INSERT INTO case_versions (escalation_id, version, document, digest, origin, imported_by,"
                " imported_at) VALUES (:id, 1, :document, :digest, :origin, 'readout', :at)"
            ).bindparams(sa.bindparam("at", type_=UtcDateTime())),
            {
                "id": row["id"],
                "document": document.text,
                "digest": document.digest,
                "origin": document.origin,
                "at": now,
            },
        )
        connection.execute(
            sa.text(
                "INSERT INTO audit_entries (escalation_id, seq, at, actor, kind, payload, prev_hash, hash)"
                " VALUES (:id, :seq, :at, :actor, :kind, :payload, :prev, :hash)"
            ).bindparams(sa.bindparam("payload", type_=sa.JSON()), sa.bindparam("at", type_=UtcDateTime())),
            {
                "id": row["id"],
                "seq": entry.seq,
                "at": now,
                "actor": entry.actor,
                "kind": entry.kind,
                "payload": entry.payload,
                "prev": entry.prev_hash,
                "hash": entry.hash,
            },
        )
        connection.execute(
            sa.text(
                "UPDATE escalations SET case_version = 1, case_digest = :digest, audit_seq = :seq,"
                " audit_head = :hash, version = version + 1 WHERE id = :id"
            ),
            {"id": row["id"], "digest": document.digest, "seq": entry.seq, "hash": entry.hash},
        )


def downgrade() -> None:
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("case_version")
    op.drop_table("case_versions")
