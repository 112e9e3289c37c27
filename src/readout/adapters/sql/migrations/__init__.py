"""Alembic environment and revisions of the SQL store (run by ``readout.adapters.sql.migration``)."""
